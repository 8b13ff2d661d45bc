//! `/healthz` (the process answers) and `/readyz` (database reachable and fully migrated).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use utoipa::ToSchema;

use crate::error::{ApiError, json_response};

#[derive(Clone)]
pub struct Readiness {
    pub pool: PgPool,
    pub migrator: &'static Migrator,
}

#[derive(Serialize, ToSchema)]
pub struct HealthStatus {
    #[schema(example = "ok")]
    pub status: &'static str,
}

#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is alive", body = HealthStatus)))]
pub async fn healthz() -> Response {
    json_response(StatusCode::OK, &HealthStatus { status: "ok" })
}

#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Database reachable and migrated", body = HealthStatus),
        (status = 503, description = "Not ready", body = crate::error::ErrorBody),
    ))]
pub async fn readyz(State(r): State<Readiness>) -> Response {
    match crate::db::pending_migrations(&r.pool, r.migrator).await {
        Ok(pending) if pending.is_empty() => {
            json_response(StatusCode::OK, &HealthStatus { status: "ready" })
        }
        Ok(pending) => axum::response::IntoResponse::into_response(
            ApiError::not_ready("database migrations are not applied")
                .with_detail("pending_migrations", pending),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            axum::response::IntoResponse::into_response(ApiError::not_ready(
                "database is not reachable",
            ))
        }
    }
}
