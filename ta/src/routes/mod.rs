//! The HTTP surface. A handler takes its caller through `Authorized<R>` (the role is judged
//! before anything else is read), its body through `ApiJson`, its query through `ApiQuery`
//! (`ListParams` for pages); it calls one function of `crate::service` and shapes the answer.

pub mod actions;
pub mod dividends;
pub mod holdings;
pub mod ocf;
pub mod securities;
pub mod shareholders;
pub mod statements;
pub mod transfers;

use platform::{ApiError, ApiResult};

platform::roles!(
    /// Reading: every role of the organization, and the platform's services.
    Readers = ["admin", "trader", "compliance", "viewer", "internal"]
);
platform::roles!(
    /// Registering securities, corporate actions, dividends (and reading them), ROFR
    /// decisions.
    Admin = ["admin"]
);
platform::roles!(
    /// Recording transfers: the issuer's admin, or the ATS settling a trade.
    AdminOrInternal = ["admin", "internal"]
);

/// An optional id in a query string (`?asset_id=ast_…`): a malformed one is a 400 naming the
/// field (in a filter it names something, unlike a malformed path id).
pub fn filter_id<T: std::str::FromStr>(field: &str, value: Option<&str>) -> ApiResult<Option<T>>
where
    T::Err: std::fmt::Display,
{
    value
        .map(|s| {
            s.parse::<T>()
                .map_err(|e| ApiError::validation(field, e.to_string()))
        })
        .transpose()
}
