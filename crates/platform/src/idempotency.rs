//! `Idempotency-Key` on POSTs: the first response is stored per organization and key and
//! replayed for 24 hours to a request with the same method, path and body; a different request
//! under the same key answers 409 `IDEMPOTENCY_KEY_REUSED`.
//!
//! Server errors (5xx) are not stored, so the client can retry them under the same key. A key
//! whose request died mid-flight (process killed) is taken over after `STALE_AFTER`; there is a
//! small window between the handler's commit and the response being stored where that retry
//! runs the request again, so handlers that move value (transfers, orders) also dedupe on
//! their own natural keys.

use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::db::{self, TenantTx};
use crate::error::{ApiError, ErrorCode};

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
pub const TTL: Duration = Duration::from_secs(24 * 60 * 60);
const STALE_AFTER: Duration = Duration::from_secs(60);
const MAX_BODY: usize = 1024 * 1024;

#[derive(Clone)]
pub struct IdempotencyState {
    pub pool: PgPool,
    pub auth: iam_sdk::Authenticator,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Begin {
    Proceed,
    Replay {
        status: u16,
        body: Vec<u8>,
        content_type: Option<String>,
    },
    Mismatch,
    InProgress,
}

pub fn request_hash(method: &Method, path_and_query: &str, body: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(method.as_str().as_bytes());
    h.update([0]);
    h.update(path_and_query.as_bytes());
    h.update([0]);
    h.update(body);
    h.finalize().to_vec()
}

fn pg_interval(d: Duration) -> sqlx::postgres::types::PgInterval {
    sqlx::postgres::types::PgInterval {
        months: 0,
        days: 0,
        microseconds: i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
    }
}

/// Claims the key for this request, or says what to answer instead.
pub async fn begin(pool: &PgPool, org: &str, key: &str, hash: &[u8]) -> Result<Begin, sqlx::Error> {
    let mut tx = db::begin(pool, org).await?;
    let outcome = claim(&mut tx, key, hash).await?;
    tx.commit().await?;
    Ok(outcome)
}

async fn claim(tx: &mut TenantTx, key: &str, hash: &[u8]) -> Result<Begin, sqlx::Error> {
    let org = tx.org().to_owned();
    let inserted = sqlx::query!(
        "INSERT INTO idempotency_keys (organization_id, key, request_hash) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING",
        org,
        key,
        hash
    )
    .execute(&mut **tx)
    .await?;
    if inserted.rows_affected() == 1 {
        return Ok(Begin::Proceed);
    }
    // The row may have been purged between the insert and this read; then claim it again.
    let Some(row) = sqlx::query!(
        r#"SELECT request_hash, response_status, response_body, response_content_type,
                  created_at < now() - $3::interval AS "expired!",
                  locked_at < now() - $4::interval AS "stale!"
           FROM idempotency_keys WHERE organization_id = $1 AND key = $2"#,
        org,
        key,
        pg_interval(TTL),
        pg_interval(STALE_AFTER),
    )
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Box::pin(claim(tx, key, hash)).await;
    };
    let take_over = row.expired || (row.response_status.is_none() && row.stale);
    if take_over {
        // Conditional on the old hash and status so two concurrent takers cannot both win.
        let won = sqlx::query!(
            "UPDATE idempotency_keys
             SET request_hash = $3, response_status = NULL, response_body = NULL,
                 response_content_type = NULL, created_at = now(), locked_at = now()
             WHERE organization_id = $1 AND key = $2 AND request_hash = $4
               AND response_status IS NOT DISTINCT FROM $5",
            org,
            key,
            hash,
            row.request_hash,
            row.response_status,
        )
        .execute(&mut **tx)
        .await?;
        return Ok(if won.rows_affected() == 1 {
            Begin::Proceed
        } else {
            Begin::InProgress
        });
    }
    if row.request_hash != hash {
        return Ok(Begin::Mismatch);
    }
    match (row.response_status, row.response_body) {
        (Some(status), Some(body)) => Ok(Begin::Replay {
            status: u16::try_from(status).unwrap_or(500),
            body,
            content_type: row.response_content_type,
        }),
        _ => Ok(Begin::InProgress),
    }
}

pub async fn complete(
    pool: &PgPool,
    org: &str,
    key: &str,
    status: u16,
    body: &[u8],
    content_type: Option<&str>,
) -> Result<(), sqlx::Error> {
    let mut tx = db::begin(pool, org).await?;
    sqlx::query!(
        "UPDATE idempotency_keys
         SET response_status = $3, response_body = $4, response_content_type = $5
         WHERE organization_id = $1 AND key = $2",
        org,
        key,
        i16::try_from(status).unwrap_or(500),
        body,
        content_type,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

pub async fn release(pool: &PgPool, org: &str, key: &str) -> Result<(), sqlx::Error> {
    let mut tx = db::begin(pool, org).await?;
    sqlx::query!(
        "DELETE FROM idempotency_keys
         WHERE organization_id = $1 AND key = $2 AND response_status IS NULL",
        org,
        key
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Deletes keys past their lifetime, in every organization; run periodically by every service.
pub async fn purge_expired(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let mut tx = db::begin_all_organizations(pool, "idempotency keys past their lifetime").await?;
    let done = sqlx::query!(
        "DELETE FROM idempotency_keys WHERE created_at < now() - $1::interval",
        pg_interval(TTL)
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

fn valid_key(k: &str) -> bool {
    !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic())
}

pub async fn middleware(
    State(state): State<IdempotencyState>,
    req: Request,
    next: Next,
) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(raw_key) = req.headers().get(HEADER) else {
        return next.run(req).await;
    };
    let Some(key) = raw_key
        .to_str()
        .ok()
        .filter(|k| valid_key(k))
        .map(str::to_owned)
    else {
        return ApiError::validation(
            "Idempotency-Key",
            "must be 1 to 255 visible ASCII characters",
        )
        .into_response();
    };
    // Unauthenticated requests go through untouched: the handler's extractor answers them.
    let (mut parts, body) = req.into_parts();
    let Ok(caller) = crate::auth::authenticate(&mut parts, &state.auth).await else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let org = caller.org_id.clone();
    let bytes = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::new(ErrorCode::PayloadTooLarge, "request body is too large")
                .into_response();
        }
    };
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    let hash = request_hash(&parts.method, &path, &bytes);
    match begin(&state.pool, &org, &key, &hash).await {
        Err(e) => return ApiError::from(e).into_response(),
        Ok(Begin::Mismatch) => {
            return ApiError::new(
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was used for a different request",
            )
            .with_detail("idempotency_key", &key)
            .into_response();
        }
        Ok(Begin::InProgress) => {
            return ApiError::conflict("a request with this Idempotency-Key is still in progress")
                .with_detail("idempotency_key", &key)
                .into_response();
        }
        Ok(Begin::Replay {
            status,
            body,
            content_type,
        }) => {
            let mut res =
                (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
            if let Some(ct) = content_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
                res.headers_mut().insert(header::CONTENT_TYPE, ct);
            }
            res.headers_mut()
                .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
            return res;
        }
        Ok(Begin::Proceed) => {}
    }
    let res = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (parts, body) = res.into_parts();
    let body = match to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            let _ = release(&state.pool, &org, &key).await;
            return ApiError::internal(anyhow::anyhow!("reading response body: {e}"))
                .into_response();
        }
    };
    let outcome = if parts.status.is_server_error() {
        release(&state.pool, &org, &key).await
    } else {
        let ct = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        complete(&state.pool, &org, &key, parts.status.as_u16(), &body, ct).await
    };
    if let Err(e) = outcome {
        tracing::error!(error = %e, "could not record the idempotent response");
    }
    Response::from_parts(parts, Body::from(body))
}
