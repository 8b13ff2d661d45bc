//! Assembles a service: its API routes behind the shared layers, the operational endpoints, and
//! the serving loop with graceful shutdown.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::CommonConfig;
use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::health::{self, Readiness};
use crate::idempotency::{self, IdempotencyState};
use crate::metrics::{self, Metrics};

pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every service holds: configuration, the pool, the token validator, the metrics.
#[derive(Clone)]
pub struct Platform {
    pub config: CommonConfig,
    pub pool: PgPool,
    pub auth: iam_sdk::Authenticator,
    pub metrics: Metrics,
    pub migrator: &'static Migrator,
    /// This service's own client-credentials token, for calls to the other services.
    pub tokens: iam_sdk::TokenSource,
}

impl Platform {
    /// Connects, migrates and prepares token validation: what `main` does at start.
    pub async fn init(config: CommonConfig, migrator: &'static Migrator) -> anyhow::Result<Self> {
        let pool = crate::db::connect(&config).await?;
        crate::db::check_role(&pool, config.app_env).await?;
        crate::db::migrate(&pool, migrator).await?;
        Self::with_pool(config, pool, migrator)
    }

    /// For tests, whose pool is already migrated (`#[sqlx::test]`).
    pub fn with_pool(
        config: CommonConfig,
        pool: PgPool,
        migrator: &'static Migrator,
    ) -> anyhow::Result<Self> {
        crate::install_crypto_provider();
        let http = crate::client::http_client()?;
        let auth = iam_sdk::Authenticator::new(config.iam_config(), http.clone());
        // Lazy: the first call fetches the token, so a service starts while the IAM is down.
        let tokens = iam_sdk::TokenSource::with_client(
            http,
            &config.iam.url,
            iam_sdk::ClientCredentials::new(
                config.iam.client_id.clone(),
                iam_sdk::Secret::new(config.iam.client_secret.expose()),
            ),
        );
        Ok(Self {
            config,
            pool,
            auth,
            metrics: Metrics::new(),
            migrator,
            tokens,
        })
    }

    /// A client for another service, authenticated as this one.
    pub fn client(
        &self,
        service: &'static str,
        base_url: &str,
    ) -> anyhow::Result<crate::client::ServiceClient> {
        let http = crate::client::http_client()?;
        Ok(crate::client::ServiceClient::new(
            service,
            base_url,
            iam_sdk::AuthedClient::with_client(http, self.tokens.clone()),
        ))
    }

    /// The complete router: `api` (the service's documented routes, state already applied)
    /// plus health, readiness, metrics, OpenAPI and docs, behind the shared layers.
    pub fn router(&self, api: OpenApiRouter, info: ApiInfo) -> Router {
        let (api_router, api_doc) = api.split_for_parts();
        let api_router = api_router.layer(middleware::from_fn_with_state(
            IdempotencyState {
                pool: self.pool.clone(),
                auth: self.auth.clone(),
            },
            idempotency::middleware,
        ));

        let (ops_router, ops_doc) = OpenApiRouter::new()
            .routes(routes!(health::healthz))
            .merge(
                OpenApiRouter::new()
                    .routes(routes!(crate::whoami::whoami))
                    .with_state(self.auth.clone()),
            )
            .merge(
                OpenApiRouter::new()
                    .routes(routes!(health::readyz))
                    .with_state(Readiness {
                        pool: self.pool.clone(),
                        migrator: self.migrator,
                    }),
            )
            .split_for_parts();

        let doc = finish_openapi(api_doc, ops_doc, &info);
        let json = serde_json::to_vec(&doc).unwrap_or_default();
        let docs_page = docs_html(info.title);

        let metrics_state = self.metrics.clone();
        Router::new()
            .merge(api_router)
            .merge(ops_router)
            .route(
                "/metrics",
                get(metrics::handler).with_state(self.metrics.clone()),
            )
            .route(
                "/openapi.json",
                get(move || {
                    let json = json.clone();
                    async move {
                        let mut res = json.into_response();
                        res.headers_mut().insert(
                            header::CONTENT_TYPE,
                            HeaderValue::from_static("application/json"),
                        );
                        res
                    }
                }),
            )
            .route("/docs", get(move || async move { Html(docs_page) }))
            .fallback(not_found)
            .method_not_allowed_fallback(method_not_allowed)
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::SERVICE_UNAVAILABLE,
                self.config.request_timeout,
            ))
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(middleware::from_fn(ensure_json_errors))
            .layer(middleware::from_fn(crate::extract::refuse_nul_in_uri))
            .layer(middleware::from_fn_with_state(
                metrics_state,
                metrics::middleware,
            ))
            .layer(middleware::from_fn(crate::request_id::middleware))
    }
}

pub struct ApiInfo {
    pub title: &'static str,
    pub description: &'static str,
    pub version: &'static str,
}

fn finish_openapi(mut api: OpenApi, ops: OpenApi, info: &ApiInfo) -> OpenApi {
    api.merge(ops);
    api.info.title = info.title.to_owned();
    api.info.version = info.version.to_owned();
    api.info.description = Some(info.description.to_owned());
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(
                    "An RS256 JWT from the platform IAM (Casdoor). Service tokens also send X-IAM-Org.",
                ))
                .build(),
        ),
    );
    components.schemas.insert(
        "ErrorBody".to_owned(),
        <ErrorBody as utoipa::PartialSchema>::schema(),
    );
    document_shared_refusals(&mut api);
    api
}

/// Answers the shared layers give whatever the handler: 400 for a malformed path or query
/// (a NUL character, say) wherever the operation takes input, and 409
/// `IDEMPOTENCY_KEY_REUSED` wherever it takes an `Idempotency-Key`. Added where the
/// operation does not already document that status.
fn document_shared_refusals(api: &mut OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let error = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build(),
        )
    };
    for item in api.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for op in operations.into_iter().flatten() {
            let params = op.parameters.as_deref().unwrap_or_default();
            let idempotent = params
                .iter()
                .any(|p| matches!(p, RefOr::T(p) if p.name == "Idempotency-Key"));
            let takes_input = !params.is_empty() || op.request_body.is_some();
            let responses = &mut op.responses.responses;
            if takes_input {
                responses
                    .entry("400".to_owned())
                    .or_insert_with(|| error("Malformed request"));
            }
            if idempotent {
                responses.entry("409".to_owned()).or_insert_with(|| {
                    error("`IDEMPOTENCY_KEY_REUSED`: the Idempotency-Key was used with another request")
                });
            }
        }
    }
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        "method not allowed on this route",
    )
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    ApiError::new(ErrorCode::Internal, "internal error").into_response()
}

/// A safety net: any error response that is not already JSON (a layer's bare 503 on timeout,
/// a framework rejection we did not wrap) is rewritten into the envelope.
async fn ensure_json_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if is_json {
        return res;
    }
    let code = ErrorCode::for_status(status);
    let message = match status {
        StatusCode::SERVICE_UNAVAILABLE => "the request timed out or the service is not ready",
        _ => status.canonical_reason().unwrap_or("error"),
    };
    let (mut parts, _) = res.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = serde_json::to_vec(&ApiError::new(code, message).body()).unwrap_or_default();
    Response::from_parts(parts, Body::from(body))
}

fn docs_html(title: &str) -> String {
    // Self-contained (no CDN): lists the operations of /openapi.json.
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>{title} API</title>
<style>body{{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em}}
code{{background:#f4f4f4;padding:2px 4px}}.op{{border-bottom:1px solid #ddd;padding:.6em 0}}
.m{{display:inline-block;width:5em;font-weight:bold}}pre{{background:#f8f8f8;padding:.6em;overflow:auto}}</style>
</head><body><h1>{title} API</h1><p>The machine-readable document is <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<div id="ops">Loading…</div><script>
fetch('/openapi.json').then(r=>r.json()).then(doc=>{{
 const el=document.getElementById('ops');el.innerHTML='';
 const d=document.createElement('p');d.textContent=doc.info.description||'';el.appendChild(d);
 for(const [path,item] of Object.entries(doc.paths)){{for(const [m,op] of Object.entries(item)){{
  const div=document.createElement('div');div.className='op';
  const h=document.createElement('div');h.innerHTML='<span class="m"></span><code></code> ';
  h.querySelector('.m').textContent=m.toUpperCase();h.querySelector('code').textContent=path;
  h.appendChild(document.createTextNode(op.summary||''));div.appendChild(h);
  if(op.description){{const p=document.createElement('p');p.textContent=op.description;div.appendChild(p);}}
  const pre=document.createElement('pre');pre.textContent=JSON.stringify({{parameters:op.parameters,requestBody:op.requestBody,responses:op.responses}},null,1);
  const det=document.createElement('details');const s=document.createElement('summary');s.textContent='details';det.appendChild(s);det.appendChild(pre);div.appendChild(det);
  el.appendChild(div);}}}}
}});</script></body></html>"#
    )
}

/// Serves until `shutdown` is cancelled, then drains in-flight requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}

/// Binds the service port with an error that names the fix.
pub async fn bind(port: u16) -> anyhow::Result<TcpListener> {
    let addr = std::net::SocketAddr::from(([0, 0, 0, 0], port));
    TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            anyhow::anyhow!("port {port} is already in use; stop what uses it or set PORT")
        } else {
            anyhow::anyhow!("cannot listen on port {port}: {e}")
        }
    })
}

/// A token cancelled on SIGTERM or Ctrl-C.
pub fn shutdown_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown signal received; draining");
        t.cancel();
    });
    token
}

pub async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Runs a periodic job until `shutdown`; each tick is one `run_once` of the job.
pub fn spawn_periodic<F, Fut>(
    name: &'static str,
    every: Duration,
    shutdown: CancellationToken,
    mut run_once: F,
) -> tokio::task::JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = tick.tick() => {
                    if let Err(e) = run_once().await {
                        tracing::warn!(job = name, error = ?e, "background job failed");
                    }
                }
            }
        }
        tracing::debug!(job = name, "background job stopped");
    })
}

/// The body of every service's `main`: prints a one-line error and exits non-zero on failure.
pub async fn main_entry<F, Fut>(service: &str, run: F) -> std::process::ExitCode
where
    F: FnOnce(CancellationToken) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    crate::install_crypto_provider();
    let shutdown = shutdown_on_signal();
    match run(shutdown).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{service}: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Fetches the IAM's keys and this service's own token at start, in the background, and keeps
/// the token fresh from then on (iam-sdk's refresher renews it halfway through its life): the
/// first requests pay for neither, no later request waits for a token refresh, and a
/// misconfigured IAM shows in the log at once. A failure is only logged; keys are fetched again
/// on demand, the token is retried in the background and on demand. The refresher ends with
/// the platform's token source, when the service stops.
fn warm_up(platform: &Platform) {
    let auth = platform.auth.clone();
    let tokens = platform.tokens.clone();
    platform.tokens.spawn_refresher(CancellationToken::new());
    tokio::spawn(async move {
        match auth.refresh_keys().await {
            Ok(n) => tracing::info!(keys = n, "IAM signing keys loaded"),
            Err(e) => tracing::warn!(error = %e, "IAM signing keys not loaded yet"),
        }
        // Shares the refresher's first fetch (one refresh at a time); here only for the log.
        match tokens.token().await {
            Ok(_) => tracing::info!("service token obtained"),
            Err(e) => tracing::warn!(error = %e, "service token not obtained yet"),
        }
    });
}

/// Runs a service on a bound listener (bound first, so a taken port fails before any wait):
/// logging, the database and its migrations, the router, the idempotency purge, and serves
/// until shutdown.
pub async fn run<F>(
    common: &CommonConfig,
    migrator: &'static Migrator,
    listener: TcpListener,
    shutdown: CancellationToken,
    build: F,
) -> anyhow::Result<()>
where
    F: FnOnce(&Platform) -> anyhow::Result<Router>,
{
    crate::telemetry::init(common.log_format, &format!("info,{}=debug", common.service));
    let platform = Platform::init(common.clone(), migrator).await?;
    let router = build(&platform)?;
    warm_up(&platform);
    let pool = platform.pool.clone();
    let purge = spawn_periodic(
        "idempotency-purge",
        Duration::from_secs(15 * 60),
        shutdown.clone(),
        move || {
            let pool = pool.clone();
            async move {
                let n = idempotency::purge_expired(&pool).await?;
                if n > 0 {
                    tracing::info!(purged = n, "expired idempotency keys removed");
                }
                Ok(())
            }
        },
    );
    let addr = listener.local_addr()?;
    tracing::info!(service = common.service, %addr, "listening");
    serve(listener, router, shutdown).await?;
    let _ = purge.await;
    platform.pool.close().await;
    tracing::info!(service = common.service, "stopped");
    Ok(())
}
