//! Authentication for the platform's services.
//!
//! - [`Authenticator`] validates the IAM's RS256 tokens against its JWKS and applies the tenant
//!   rules of API.md, turning request headers into a [`Caller`] or an [`AuthError`].
//! - [`TokenSource`] and [`AuthedClient`] give a service its own client-credentials token and
//!   attach it, with `X-IAM-Org` and `X-Request-Id`, to calls to other services.
//! - No HTTP framework: the services' extractor (`platform::Authorized<R>`) calls
//!   [`Authenticator::authenticate`] and renders an [`AuthError`] in their error envelope.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use iam_sdk::{Authenticator, IamConfig, parse_audiences};
//! let config = IamConfig::new(
//!     "http://localhost:8000",
//!     "http://localhost:8000",
//!     parse_audiences("ats,bd,ta,cli"),
//! );
//! iam_sdk::install_crypto_provider();
//! let http = reqwest::Client::builder()
//!     .timeout(std::time::Duration::from_secs(5))
//!     .build()?;
//! let auth = Authenticator::new(config, http);
//! let headers = http::HeaderMap::new();
//! match auth.authenticate(&headers).await {
//!     Ok(caller) => caller.require_any_role(&["trader"])?,
//!     Err(e) => eprintln!("{} {}", e.status(), e.message()),
//! }
//! # Ok(())
//! # }
//! ```

mod authenticator;
mod caller;
mod claims;
mod client;
mod config;
mod error;
mod http_client;
mod jwks;
mod token_source;
mod verified;

pub use authenticator::{Authenticator, X_IAM_ORG, X_IAM_ROLES, X_IAM_USER, is_valid_org_id};
pub use caller::{ADMIN_ROLE, Caller, CallerKind, INTERNAL_ROLE};
pub use claims::{APPLICATION_TOKEN_TYPE, Audience, Claims};
pub use client::{AuthedClient, CallError, X_REQUEST_ID};
pub use config::{IamConfig, parse_audiences, parse_bool};
pub use error::{AuthError, ErrorCode};
pub use http_client::install_crypto_provider;
pub use jwks::{BoxFuture, HttpJwksSource, Jwk, JwkSet, JwksError, JwksSource};
pub use token_source::{AccessToken, ClientCredentials, Secret, TokenError, TokenSource};
