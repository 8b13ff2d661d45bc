//! Role checks as extractors. Placed before the body extractor in a handler's arguments, the
//! role is checked before the body is read: a caller without the right learns nothing about
//! what a valid request looks like (403 comes before 400).
//!
//! ```ignore
//! platform::roles!(AdminOrInternal = ["admin", "internal"]);
//! async fn create(caller: Authorized<AdminOrInternal>, ApiJson(body): ApiJson<New>) { ... }
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
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require_any_role(R::ROLES)?;
        Ok(Self {
            caller,
            _roles: PhantomData,
        })
    }
}
