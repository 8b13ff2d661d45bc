//! `GET /v1/whoami`: how the service understood the caller's token and headers. Lets an
//! operator check the identity and tenant rules with curl.

use iam_sdk::CallerKind;
use serde::Serialize;
use utoipa::ToSchema;

use crate::ApiJson;
use crate::auth::{Anyone, Authorized};
use crate::error::ErrorBody;

#[derive(Debug, Serialize, ToSchema)]
pub struct WhoAmI {
    /// The organization every read and write of this caller is scoped to.
    pub org_id: String,
    pub subject: String,
    pub name: String,
    pub roles: Vec<String>,
    /// `user` or `service`.
    pub kind: &'static str,
}

#[utoipa::path(get, path = "/v1/whoami", tag = "identity",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The authenticated caller", body = WhoAmI),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Organization mismatch", body = ErrorBody),
    ))]
pub async fn whoami(authorized: Authorized<Anyone>) -> ApiJson<WhoAmI> {
    let caller = authorized.caller;
    ApiJson(WhoAmI {
        kind: match caller.kind {
            CallerKind::User => "user",
            CallerKind::Service => "service",
        },
        roles: if caller.kind == CallerKind::Service {
            vec![iam_sdk::INTERNAL_ROLE.to_owned()]
        } else {
            caller.roles
        },
        org_id: caller.org_id,
        subject: caller.subject,
        name: caller.name,
    })
}
