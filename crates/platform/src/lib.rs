//! The plumbing the three services share: the error envelope, extractors, request ids,
//! logging, health/readiness/metrics/OpenAPI endpoints, configuration, the database pool, the
//! idempotency-key store and the client for calls between services.

pub mod app;
pub mod auth;
pub mod bounds;
pub mod client;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod extract;
pub mod health;
pub mod idempotency;
pub mod ids;
pub mod metrics;
pub mod pagination;
pub mod request_id;
pub mod telemetry;
pub mod time;
pub mod whoami;

pub use app::{ApiInfo, Platform};
pub use auth::{Anyone, Authorized};
pub use clock::Clock;
pub use error::{ApiError, ApiResult, ErrorCode};
pub use extract::{ApiJson, ApiPath, ApiQuery, OptionalJson};
pub use pagination::{ListParams, Page};
pub use request_id::RequestId;

/// Paths used by `prefixed_id!` so that crates using it need not depend on these directly.
#[doc(hidden)]
pub mod __rt {
    pub use serde;
    pub use sqlx;
    pub use utoipa;
    pub use uuid;
}

/// rustls needs one process-wide crypto provider; reqwest and sqlx are built without a default.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
