//! A local, Casdoor-compatible stand-in for the platform IAM. **Never deployed to production.**
//!
//! It serves what the platform uses of Casdoor (API.md, "Identity"):
//!
//! - `POST /api/login/oauth/access_token` — form or JSON body (client credentials may also come
//!   as HTTP Basic). `grant_type=client_credentials` with `client_id`, `client_secret`; or
//!   `grant_type=password` with `client_id`, `client_secret`, `username` written `org/name`,
//!   `password` and optionally `scope`. Answers `{"access_token", "token_type": "Bearer",
//!   "expires_in", "scope"}`, or an RFC 6749 §5.2 error (`invalid_request`, `invalid_client`,
//!   `invalid_grant`, `invalid_scope`, `unsupported_grant_type`) with status 400 or 401.
//! - Client credentials get the scope they ask for, as from Casdoor: exactly the requested
//!   `scope` (space-separated), provided the client is allowed every part of it (its configured
//!   `scope`); no `scope` gets a token without scope, which the services refuse as a service
//!   token; any scope the client is not allowed answers 400 `invalid_scope`.
//! - `GET /.well-known/openid-configuration` — `issuer` as configured; the other URLs are built
//!   from the request's `Host`, so a container that reaches the IAM as `http://dev-iam:8000`
//!   is handed a `jwks_uri` it can fetch.
//! - `GET /.well-known/jwks` — the RS256 public key.
//! - `GET /healthz`.
//!
//! Tokens are RS256 JWTs with a `kid` (the key's RFC 7638 thumbprint) and Casdoor's claims.
//! User tokens: `owner`, `name`, `id` (a UUID stable per user), `sub` (= `id`), `roles` as
//! `[{"owner", "name"}]`, `type: "normal-user"`, `scope`, `iss`, `aud` (`[client_id]`), `exp`,
//! `iat`, `nbf`, `jti`. Client-credentials tokens: `type: "application"`, `sub` and `name` =
//! the client id, `owner` = the client's organization (`liquidity`), `scope` = the granted
//! scope (`internal` when `ats`, `bd` or `ta` ask for it), `aud` = `[client_id]`.
//!
//! # Directory file (`DEV_IAM_CONFIG`)
//!
//! The built-in users and clients are API.md's table ([`Directory::defaults`]). A TOML file
//! adds to them, replacing entries with the same `client_id` or `organization`/`name`, or,
//! with `include_defaults = false`, replaces them altogether:
//!
//! ```toml
//! include_defaults = true          # optional, default true
//!
//! [[clients]]
//! client_id = "reporting"
//! client_secret = "reporting-dev-secret"
//! organization = "liquidity"       # optional, default "liquidity"
//! scope = "internal"               # optional: the scopes it may ask for; default "" (none)
//!
//! [[users]]
//! organization = "acme"
//! name = "dora"
//! password = "devpass"
//! roles = ["trader", "compliance"] # optional, default []
//! # id = "0190e4a2-0000-7000-8000-000000000001"  # optional, default derived from acme/dora
//! ```
//!
//! Unknown keys are errors, so a typo does not silently drop a setting.
//!
//! # In-process use
//!
//! ```no_run
//! # async fn demo() -> Result<(), dev_iam::DevIamError> {
//! let iam = dev_iam::RunningDevIam::start(dev_iam::DevIamConfig::default()).await?;
//! let token = iam.iam().user_token("acme/alice", "cli")?;
//! println!("{} {}", iam.url(), token.access_token);
//! iam.stop().await?;
//! # Ok(())
//! # }
//! ```

mod directory;
mod keys;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{FromRequest, Request, State};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, HOST, PRAGMA, WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::{Algorithm, Header};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use directory::{Client, DEV_PASSWORD, Directory, PLATFORM_ORG, User};
pub use keys::KEY_FILE;

use keys::SigningKey;

pub const DEFAULT_ISSUER: &str = "http://localhost:8000";
pub const DEFAULT_KEY_DIR: &str = ".devstack/iam";
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(3600);
pub const TOKEN_PATH: &str = "/api/login/oauth/access_token";
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
pub const JWKS_PATH: &str = "/.well-known/jwks";

#[derive(Debug, thiserror::Error)]
pub enum DevIamError {
    /// A client asked for a scope it is not allowed (the token endpoint's `invalid_scope`).
    #[error("client {client:?} may not ask for scope {scope:?}")]
    InvalidScope { client: String, scope: String },
    #[error("signing key {}: {message}", path.display())]
    Key { path: PathBuf, message: String },
    #[error("directory file {}: {message}", path.display())]
    Config { path: PathBuf, message: String },
    #[error("{name}: {message}")]
    Setting { name: &'static str, message: String },
    #[error("unknown client {0:?}")]
    UnknownClient(String),
    #[error("unknown user {0:?}")]
    UnknownUser(String),
    #[error("cannot sign: {0}")]
    Signing(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// How a dev IAM runs.
#[derive(Debug, Clone)]
pub struct DevIamConfig {
    /// `iss` of every token; services must be configured with the same `IAM_ISSUER`.
    pub issuer: String,
    /// Where the signing key is kept. `None`: a fresh in-memory key at every start (tests).
    pub key_dir: Option<PathBuf>,
    pub token_ttl: Duration,
    pub directory: Directory,
}

impl Default for DevIamConfig {
    /// Issuer `http://localhost:8000`, an in-memory key, one-hour tokens, API.md's directory.
    fn default() -> Self {
        Self {
            issuer: DEFAULT_ISSUER.to_owned(),
            key_dir: None,
            token_ttl: DEFAULT_TOKEN_TTL,
            directory: Directory::defaults(),
        }
    }
}

impl DevIamConfig {
    /// Reads `DEV_IAM_ISSUER`, `DEV_IAM_KEY_DIR`, `DEV_IAM_CONFIG` and `DEV_IAM_TOKEN_TTL_SECS`.
    pub fn from_env() -> Result<Self, DevIamError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`DevIamConfig::from_env`] with the variables looked up by `var`.
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, DevIamError> {
        let set = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let issuer = set("DEV_IAM_ISSUER").unwrap_or_else(|| DEFAULT_ISSUER.to_owned());
        let key_dir =
            PathBuf::from(set("DEV_IAM_KEY_DIR").unwrap_or_else(|| DEFAULT_KEY_DIR.to_owned()));
        let directory = match set("DEV_IAM_CONFIG") {
            Some(path) => Directory::load(&PathBuf::from(path))?,
            None => Directory::defaults(),
        };
        let token_ttl = match set("DEV_IAM_TOKEN_TTL_SECS") {
            None => DEFAULT_TOKEN_TTL,
            Some(v) => match v.trim().parse::<u64>() {
                Ok(secs) if secs > 0 => Duration::from_secs(secs),
                _ => {
                    return Err(DevIamError::Setting {
                        name: "DEV_IAM_TOKEN_TTL_SECS",
                        message: format!("expected a positive number of seconds, got {v:?}"),
                    });
                }
            },
        };
        Ok(Self {
            issuer,
            key_dir: Some(key_dir),
            token_ttl,
            directory,
        })
    }
}

/// A token endpoint answer (RFC 6749 §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
    pub scope: String,
}

/// The dev IAM. Cheap to clone.
#[derive(Clone)]
pub struct DevIam {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: String,
    token_ttl: Duration,
    directory: Directory,
    key: SigningKey,
}

impl std::fmt::Debug for DevIam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevIam")
            .field("issuer", &self.inner.issuer)
            .field("kid", &self.inner.key.kid)
            .finish_non_exhaustive()
    }
}

impl DevIam {
    /// Loads (or generates) the signing key. Generating a 2048-bit key takes a moment and
    /// blocks; call it from `spawn_blocking` inside a busy runtime.
    pub fn new(config: DevIamConfig) -> Result<Self, DevIamError> {
        if config.token_ttl.as_secs() == 0 {
            return Err(DevIamError::Setting {
                name: "token_ttl",
                message: "must be at least one second".to_owned(),
            });
        }
        let key = match &config.key_dir {
            Some(dir) => SigningKey::load_or_create(dir)?,
            None => SigningKey::ephemeral()?,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                issuer: config.issuer,
                token_ttl: config.token_ttl,
                directory: config.directory,
                key,
            }),
        })
    }

    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The `kid` of the signing key.
    pub fn kid(&self) -> &str {
        &self.inner.key.kid
    }

    /// The public key as SPKI PEM.
    pub fn public_key_pem(&self) -> &str {
        &self.inner.key.public_pem
    }

    /// The document served at `/.well-known/jwks`.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.inner.key.jwk()] })
    }

    pub fn directory(&self) -> &Directory {
        &self.inner.directory
    }

    /// The token a client-credentials request of a configured client naming `scope` gets
    /// (`""`: a request without `scope`), without checking its secret. The scope is granted as
    /// by the token endpoint: services ask for `internal` to get a token other services accept;
    /// a scope the client is not allowed is [`DevIamError::InvalidScope`].
    pub fn client_token(&self, client_id: &str, scope: &str) -> Result<TokenResponse, DevIamError> {
        let client = self
            .inner
            .directory
            .client(client_id)
            .ok_or_else(|| DevIamError::UnknownClient(client_id.to_owned()))?;
        let granted = granted_scope(client, Some(scope))?;
        self.issue_for_client(client, &granted)
    }

    /// A user token for a configured user (`username` written `org/name`), issued to
    /// `client_id` (its `aud`), without checking the password.
    pub fn user_token(
        &self,
        username: &str,
        client_id: &str,
    ) -> Result<TokenResponse, DevIamError> {
        let user = username
            .split_once('/')
            .and_then(|(org, name)| self.inner.directory.user(org, name))
            .ok_or_else(|| DevIamError::UnknownUser(username.to_owned()))?;
        self.issue_for_user(user, client_id, "openid")
    }

    /// Signs arbitrary claims with the IAM's key and `kid`, for tests that need a token the
    /// directory cannot produce (another organization, odd roles, a past `exp`).
    pub fn sign(&self, claims: &Value) -> Result<String, DevIamError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.inner.key.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.inner.key.encoding)
            .map_err(|e| DevIamError::Signing(e.to_string()))
    }

    /// Signs a client-credentials token with `scope`, which [`granted_scope`] decided.
    fn issue_for_client(&self, client: &Client, scope: &str) -> Result<TokenResponse, DevIamError> {
        let mut claims = self.standard_claims(&client.client_id);
        claims.insert("owner".into(), json!(client.organization));
        claims.insert("name".into(), json!(client.client_id));
        claims.insert("sub".into(), json!(client.client_id));
        claims.insert("type".into(), json!("application"));
        claims.insert("scope".into(), json!(scope));
        claims.insert("roles".into(), json!([]));
        self.finish(claims, scope)
    }

    fn issue_for_user(
        &self,
        user: &User,
        client_id: &str,
        scope: &str,
    ) -> Result<TokenResponse, DevIamError> {
        let id = user.id().to_string();
        let roles: Vec<Value> = user
            .roles
            .iter()
            .map(|r| json!({"owner": user.organization, "name": r}))
            .collect();
        let mut claims = self.standard_claims(client_id);
        claims.insert("owner".into(), json!(user.organization));
        claims.insert("name".into(), json!(user.name));
        claims.insert("displayName".into(), json!(user.name));
        claims.insert("id".into(), json!(id));
        claims.insert("sub".into(), json!(id));
        claims.insert("type".into(), json!("normal-user"));
        claims.insert("scope".into(), json!(scope));
        claims.insert("roles".into(), Value::Array(roles));
        self.finish(claims, scope)
    }

    fn standard_claims(&self, client_id: &str) -> serde_json::Map<String, Value> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let mut claims = serde_json::Map::new();
        claims.insert("iss".into(), json!(self.inner.issuer));
        claims.insert("aud".into(), json!([client_id]));
        claims.insert("azp".into(), json!(client_id));
        claims.insert("iat".into(), json!(now));
        claims.insert("nbf".into(), json!(now));
        claims.insert("exp".into(), json!(now + self.inner.token_ttl.as_secs()));
        claims.insert("jti".into(), json!(uuid::Uuid::now_v7().to_string()));
        claims.insert("tokenType".into(), json!("access-token"));
        claims
    }

    fn finish(
        &self,
        claims: serde_json::Map<String, Value>,
        scope: &str,
    ) -> Result<TokenResponse, DevIamError> {
        Ok(TokenResponse {
            access_token: self.sign(&Value::Object(claims))?,
            token_type: "Bearer".to_owned(),
            expires_in: self.inner.token_ttl.as_secs(),
            scope: scope.to_owned(),
        })
    }

    /// The HTTP API, state applied.
    pub fn router(&self) -> Router {
        Router::new()
            .route(TOKEN_PATH, post(token_endpoint))
            .route(DISCOVERY_PATH, get(discovery))
            .route(JWKS_PATH, get(jwks))
            .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
            .fallback(|| async { (StatusCode::NOT_FOUND, Json(json!({"error": "not_found"}))) })
            .method_not_allowed_fallback(|| async {
                (
                    StatusCode::METHOD_NOT_ALLOWED,
                    Json(json!({"error": "method_not_allowed"})),
                )
            })
            .with_state(self.clone())
    }

    /// Serves on `listener` until `shutdown` is cancelled, then lets open requests finish.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> std::io::Result<()> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
    }
}

/// The scope a client-credentials request gets, as Casdoor grants it: exactly what the request
/// names (space-separated, duplicates dropped, in the request's order), provided the client is
/// allowed each part (its configured `scope`). No scope requested: none granted.
fn granted_scope(client: &Client, requested: Option<&str>) -> Result<String, DevIamError> {
    let allowed: Vec<&str> = client.scope.split_ascii_whitespace().collect();
    let mut granted: Vec<&str> = Vec::new();
    for wanted in requested.unwrap_or_default().split_ascii_whitespace() {
        if !allowed.contains(&wanted) {
            return Err(DevIamError::InvalidScope {
                client: client.client_id.clone(),
                scope: wanted.to_owned(),
            });
        }
        if !granted.contains(&wanted) {
            granted.push(wanted);
        }
    }
    Ok(granted.join(" "))
}

/// A dev IAM serving in the background, for tests and the dev stack.
#[derive(Debug)]
pub struct RunningDevIam {
    iam: DevIam,
    addr: SocketAddr,
    url: String,
    shutdown: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningDevIam {
    /// Serves on a free port of 127.0.0.1. `config.issuer` is replaced by the server's URL,
    /// so that tokens and discovery agree with where the IAM really is.
    pub async fn start(mut config: DevIamConfig) -> Result<Self, DevIamError> {
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        config.issuer = format!("http://{addr}");
        let iam = tokio::task::spawn_blocking(move || DevIam::new(config))
            .await
            .map_err(|e| DevIamError::Io(std::io::Error::other(e)))??;
        Ok(Self::spawn(iam, listener))
    }

    /// Serves `iam` on an already bound listener.
    pub fn spawn(iam: DevIam, listener: TcpListener) -> Self {
        let addr = listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(iam.clone().serve(listener, shutdown.clone()));
        Self {
            iam,
            addr,
            url: format!("http://{addr}"),
            shutdown,
            task,
        }
    }

    pub fn iam(&self) -> &DevIam {
        &self.iam
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`, the value for `IAM_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub async fn stop(self) -> std::io::Result<()> {
        self.shutdown.cancel();
        self.task.await.map_err(std::io::Error::other)?
    }
}

/// The token request, from a form or JSON body. Unknown parameters are ignored, as RFC 6749
/// §3.2 requires.
#[derive(Debug, Default, Deserialize)]
struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    username: Option<String>,
    password: Option<String>,
    scope: Option<String>,
}

async fn token_endpoint(State(iam): State<DevIam>, request: Request) -> Response {
    let basic = match basic_credentials(request.headers()) {
        Ok(basic) => basic,
        Err(error) => return error.into_response(),
    };
    let is_json = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    let params = if is_json {
        Json::<TokenRequest>::from_request(request, &())
            .await
            .map(|Json(p)| p)
            .map_err(|e| e.body_text())
    } else {
        Form::<TokenRequest>::from_request(request, &())
            .await
            .map(|Form(p)| p)
            .map_err(|e| e.body_text())
    };
    let params = match params {
        Ok(p) => p,
        Err(problem) => {
            return OAuthError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!("expected a form or JSON body: {problem}"),
            )
            .into_response();
        }
    };
    match grant(&iam, params, basic) {
        Ok(token) => {
            let mut response = Json(token).into_response();
            no_store(response.headers_mut());
            response
        }
        Err(error) => error.into_response(),
    }
}

fn grant(
    iam: &DevIam,
    params: TokenRequest,
    basic: Option<(String, String)>,
) -> Result<TokenResponse, OAuthError> {
    let bad_request = |error: &'static str, description: &str| {
        OAuthError::new(StatusCode::BAD_REQUEST, error, description)
    };
    let grant_type = params
        .grant_type
        .as_deref()
        .filter(|g| !g.is_empty())
        .ok_or_else(|| bad_request("invalid_request", "grant_type is required"))?;
    if grant_type != "client_credentials" && grant_type != "password" {
        return Err(bad_request(
            "unsupported_grant_type",
            "supported grant types: client_credentials, password",
        ));
    }
    let (client_id, client_secret) = match (basic, params.client_id, params.client_secret) {
        (Some((id, secret)), body_id, None) => {
            if body_id.is_some_and(|b| b != id) {
                return Err(bad_request(
                    "invalid_request",
                    "client_id differs from the Authorization header's",
                ));
            }
            (id, secret)
        }
        (Some(_), _, Some(_)) => {
            return Err(bad_request(
                "invalid_request",
                "use one client authentication method, not two",
            ));
        }
        (None, Some(id), Some(secret)) => (id, secret),
        (None, _, _) => {
            return Err(OAuthError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client_id and client_secret are required",
            ));
        }
    };
    let client = iam
        .inner
        .directory
        .client(&client_id)
        .filter(|c| constant_time_eq(c.client_secret.as_bytes(), client_secret.as_bytes()))
        .ok_or_else(|| {
            OAuthError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication failed",
            )
        })?;
    let signing_failed = |e: DevIamError| {
        tracing::error!(error = %e, "cannot sign a token");
        OAuthError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "cannot sign the token",
        )
    };
    if grant_type == "client_credentials" {
        let scope = granted_scope(client, params.scope.as_deref()).map_err(|e| {
            let description = match &e {
                DevIamError::InvalidScope { scope, .. } => {
                    format!("scope {scope:?} is not allowed for this client")
                }
                other => other.to_string(),
            };
            OAuthError::new(StatusCode::BAD_REQUEST, "invalid_scope", description)
        })?;
        if scope.is_empty() && !client.scope.trim().is_empty() {
            tracing::warn!(client_id = %client.client_id, allowed = %client.scope, "a client-credentials request named no scope: its token has none");
        }
        tracing::info!(client_id = %client.client_id, scope = %scope, "issued a client-credentials token");
        return iam.issue_for_client(client, &scope).map_err(signing_failed);
    }
    let (Some(username), Some(password)) = (params.username, params.password) else {
        return Err(bad_request(
            "invalid_request",
            "username and password are required",
        ));
    };
    let Some((org, name)) = username.split_once('/') else {
        return Err(bad_request(
            "invalid_request",
            "username must be written organization/name",
        ));
    };
    // One answer for an unknown user and a wrong password, so the endpoint does not reveal
    // who exists.
    let user = iam
        .inner
        .directory
        .user(org, name)
        .filter(|u| constant_time_eq(u.password.as_bytes(), password.as_bytes()))
        .ok_or_else(|| bad_request("invalid_grant", "invalid username or password"))?;
    let scope = params
        .scope
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "openid".to_owned());
    tracing::info!(user = %user.username(), client_id = %client.client_id, "issued a user token");
    iam.issue_for_user(user, &client.client_id, &scope)
        .map_err(signing_failed)
}

/// Client credentials from `Authorization: Basic`, if that is what the header holds.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || {
        OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "malformed Basic authorization",
        )
    };
    let value = value.to_str().map_err(|_| malformed())?;
    let Some((scheme, encoded)) = value.trim().split_once(' ') else {
        return Err(malformed());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    Ok(Some((id.to_owned(), secret.to_owned())))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An RFC 6749 §5.2 error answer.
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(json!({"error": self.error, "error_description": self.description})),
        )
            .into_response();
        let headers = response.headers_mut();
        no_store(headers);
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"dev-iam\""),
            );
        }
        response
    }
}

fn no_store(headers: &mut HeaderMap) {
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
}

async fn discovery(State(iam): State<DevIam>, headers: HeaderMap) -> Json<Value> {
    let base = base_url(&iam, &headers);
    Json(json!({
        "issuer": iam.issuer(),
        "token_endpoint": format!("{base}{TOKEN_PATH}"),
        "jwks_uri": format!("{base}{JWKS_PATH}"),
        "grant_types_supported": ["client_credentials", "password"],
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": ["iss", "aud", "sub", "exp", "iat", "nbf", "jti", "owner", "name", "id", "roles", "type", "scope"],
        "scopes_supported": scopes_supported(&iam),
    }))
}

/// Every scope some client may ask for, plus `openid` for the password grant.
fn scopes_supported(iam: &DevIam) -> Vec<String> {
    let mut scopes = vec!["openid".to_owned()];
    for client in &iam.inner.directory.clients {
        for scope in client.scope.split_ascii_whitespace() {
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_owned());
            }
        }
    }
    scopes
}

async fn jwks(State(iam): State<DevIam>) -> Response {
    let mut response = Json(iam.jwks()).into_response();
    response.headers_mut().insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

/// `scheme://host[:port]` to advertise: the request's `Host` with the issuer's scheme, or the
/// issuer itself when the `Host` is missing or not a plain host name.
fn base_url(iam: &DevIam, headers: &HeaderMap) -> String {
    let issuer = iam.issuer().trim_end_matches('/');
    let scheme = if issuer.starts_with("https://") {
        "https"
    } else {
        "http"
    };
    headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
                })
        })
        .map_or_else(|| issuer.to_owned(), |host| format!("{scheme}://{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(scope: &str) -> Client {
        Client {
            client_id: "svc".to_owned(),
            client_secret: "s".to_owned(),
            organization: PLATFORM_ORG.to_owned(),
            scope: scope.to_owned(),
        }
    }

    #[test]
    fn the_requested_scope_is_granted_when_allowed() {
        let svc = client("internal reports:read");
        assert_eq!(granted_scope(&svc, Some("internal")).unwrap(), "internal");
        assert_eq!(
            granted_scope(&svc, Some(" reports:read  internal internal ")).unwrap(),
            "reports:read internal"
        );
        assert_eq!(granted_scope(&svc, None).unwrap(), "");
        assert_eq!(granted_scope(&svc, Some("")).unwrap(), "");
        assert_eq!(granted_scope(&svc, Some("   ")).unwrap(), "");
    }

    #[test]
    fn a_scope_the_client_is_not_allowed_is_refused() {
        for (allowed, requested, refused) in [
            ("internal", "admin", "admin"),
            ("internal", "internal admin", "admin"),
            ("internal", "INTERNAL", "INTERNAL"),
            ("internal", "internals", "internals"),
            ("", "internal", "internal"),
        ] {
            match granted_scope(&client(allowed), Some(requested)) {
                Err(DevIamError::InvalidScope { client, scope }) => {
                    assert_eq!(client, "svc");
                    assert_eq!(scope, refused, "{allowed:?} asked {requested:?}");
                }
                other => panic!("{allowed:?} asked {requested:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"devpass", b"devpass"));
        assert!(!constant_time_eq(b"devpass", b"devpasz"));
        assert!(!constant_time_eq(b"devpass", b"devpas"));
    }

    #[test]
    fn env_settings() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let c = DevIamConfig::from_lookup(vars(&[])).unwrap();
        assert_eq!(c.issuer, "http://localhost:8000");
        assert_eq!(c.key_dir, Some(PathBuf::from(".devstack/iam")));
        assert_eq!(c.token_ttl, Duration::from_secs(3600));
        let c = DevIamConfig::from_lookup(vars(&[
            ("DEV_IAM_ISSUER", "http://dev-iam:8000"),
            ("DEV_IAM_KEY_DIR", "/tmp/k"),
            ("DEV_IAM_TOKEN_TTL_SECS", "60"),
        ]))
        .unwrap();
        assert_eq!(c.issuer, "http://dev-iam:8000");
        assert_eq!(c.key_dir, Some(PathBuf::from("/tmp/k")));
        assert_eq!(c.token_ttl, Duration::from_secs(60));
        assert!(DevIamConfig::from_lookup(vars(&[("DEV_IAM_TOKEN_TTL_SECS", "0")])).is_err());
        assert!(DevIamConfig::from_lookup(vars(&[("DEV_IAM_TOKEN_TTL_SECS", "soon")])).is_err());
        assert!(
            DevIamConfig::from_lookup(vars(&[("DEV_IAM_CONFIG", "/nonexistent/dev-iam.toml")]))
                .is_err()
        );
    }
}
