//! The one way a handler learns who calls: `Authorized<R>`, an extractor that authenticates the
//! request (iam-sdk's tenant rules) and checks that the caller holds one of `R`'s roles. Placed
//! before the body extractor in a handler's arguments, the role is checked before the body is
//! read: a caller without the right learns nothing about what a valid request looks like (403
//! comes before 400). Its refusals are [`ApiError`]s, converted by type from iam-sdk's.
//!
//! ```ignore
//! platform::roles!(AdminOrInternal = ["admin", "internal"]);
//! async fn create(caller: Authorized<AdminOrInternal>, ApiJson(body): ApiJson<New>) { ... }
//! async fn list(caller: Authorized<Anyone>, ApiQuery(q): ApiQuery<Filter>) { ... }
//! ```

use std::marker::PhantomData;
use std::ops::Deref;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use iam_sdk::{Authenticator, Caller};

use crate::error::ApiError;

/// A set of roles, any of which grants access (`admin` passes any set naming a user role;
/// `internal` is held by service tokens only).
pub trait Roles: Send + Sync + 'static {
    const ROLES: &'static [&'static str];

    /// Whether `caller` may pass.
    fn admits(caller: &Caller) -> Result<(), ApiError> {
        caller.require_any_role(Self::ROLES).map_err(ApiError::from)
    }
}

/// Any authenticated caller of the organization, whatever its roles ("any" in API.md): users
/// of every role and the platform's services.
pub struct Anyone;

impl Roles for Anyone {
    const ROLES: &'static [&'static str] = &[];

    fn admits(_: &Caller) -> Result<(), ApiError> {
        Ok(())
    }
}

/// Declares a [`Roles`] set: `roles!(Admin = ["admin"]);`
#[macro_export]
macro_rules! roles {
    ($(#[$meta:meta])* $name:ident = [$($role:literal),+ $(,)?]) => {
        $(#[$meta])*
        pub struct $name;
        impl $crate::auth::Roles for $name {
            const ROLES: &'static [&'static str] = &[$($role),+];
        }
    };
}

/// An authenticated caller holding one of `R`'s roles. Derefs to [`Caller`].
pub struct Authorized<R: Roles> {
    pub caller: Caller,
    _roles: PhantomData<R>,
}

impl<R: Roles> Deref for Authorized<R> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.caller
    }
}

impl<S, R> FromRequestParts<S> for Authorized<R>
where
    S: Send + Sync,
    R: Roles,
    Authenticator: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = authenticate(parts, &Authenticator::from_ref(state)).await?;
        R::admits(&caller)?;
        Ok(Self {
            caller,
            _roles: PhantomData,
        })
    }
}

/// Authenticates once per request: the caller is kept in the request's extensions, so a
/// middleware that authenticated first (idempotency) and the handler do the work once.
pub async fn authenticate(parts: &mut Parts, auth: &Authenticator) -> Result<Caller, ApiError> {
    if let Some(caller) = parts.extensions.get::<Caller>() {
        return Ok(caller.clone());
    }
    let caller = auth.authenticate(&parts.headers).await?;
    parts.extensions.insert(caller.clone());
    Ok(caller)
}
