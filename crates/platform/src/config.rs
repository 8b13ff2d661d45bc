//! Configuration: defaults (those of the local stack), then the environment. Every problem is
//! collected and reported at once at start, so an operator fixes them in one pass.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::telemetry::LogFormat;

/// A value that must never reach a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug)]
pub struct ConfigError(pub Vec<String>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration: {}", self.0.join("; "))
    }
}

impl std::error::Error for ConfigError {}

/// Reads variables from a source (the process environment, or a map in tests) and collects
/// every error instead of stopping at the first.
pub struct Env {
    vars: HashMap<String, String>,
    errors: Vec<String>,
}

impl Env {
    pub fn from_process() -> Self {
        Self::from_map(std::env::vars().collect())
    }

    pub fn from_map(vars: HashMap<String, String>) -> Self {
        Self {
            vars,
            errors: Vec::new(),
        }
    }

    fn raw(&self, key: &str) -> Option<&str> {
        self.vars
            .get(key)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    pub fn is_set(&self, key: &str) -> bool {
        self.raw(key).is_some()
    }

    pub fn string(&mut self, key: &str, default: &str) -> String {
        self.raw(key).unwrap_or(default).to_owned()
    }

    pub fn opt_string(&mut self, key: &str) -> Option<String> {
        self.raw(key).map(str::to_owned)
    }

    pub fn secret(&mut self, key: &str, default: &str) -> Secret {
        Secret(self.string(key, default))
    }

    pub fn parse<T: FromStr>(&mut self, key: &str, default: T) -> T
    where
        T::Err: fmt::Display,
    {
        match self.raw(key) {
            None => default,
            Some(v) => match v.parse() {
                Ok(x) => x,
                Err(e) => {
                    self.errors.push(format!("{key}={v:?}: {e}"));
                    default
                }
            },
        }
    }

    pub fn bool(&mut self, key: &str, default: bool) -> bool {
        match self.raw(key).map(str::to_ascii_lowercase).as_deref() {
            None => default,
            Some("true" | "1" | "yes" | "on") => true,
            Some("false" | "0" | "no" | "off") => false,
            Some(other) => {
                self.errors
                    .push(format!("{key}={other:?}: expected true or false"));
                default
            }
        }
    }

    pub fn secs(&mut self, key: &str, default: u64) -> Duration {
        let n: u64 = self.parse(key, default);
        if n == 0 {
            self.errors.push(format!("{key}: must be at least 1"));
        }
        Duration::from_secs(n)
    }

    /// An absolute http(s) URL, kept without a trailing slash.
    pub fn url(&mut self, key: &str, default: &str) -> String {
        let v = self.string(key, default);
        if let Err(e) = validate_http_url(&v) {
            self.errors.push(format!("{key}={v:?}: {e}"));
        }
        v.trim_end_matches('/').to_owned()
    }

    pub fn error(&mut self, message: impl Into<String>) {
        self.errors.push(message.into());
    }

    pub fn finish(self) -> Result<(), ConfigError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ConfigError(self.errors))
        }
    }
}

fn validate_http_url(v: &str) -> Result<(), String> {
    let rest = v
        .strip_prefix("http://")
        .or_else(|| v.strip_prefix("https://"))
        .ok_or("expected an http:// or https:// URL")?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err("URL has no host".into());
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

impl FromStr for AppEnv {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "development" | "dev" | "local" | "test" => Ok(Self::Development),
            "production" | "prod" => Ok(Self::Production),
            other => Err(format!("expected development or production, got `{other}`")),
        }
    }
}

/// Identity settings shared by every service (see API.md, Identity).
#[derive(Debug, Clone)]
pub struct IamSettings {
    pub url: String,
    pub issuer: String,
    pub audiences: Vec<String>,
    pub trust_gateway: bool,
    pub client_id: String,
    pub client_secret: Secret,
}

/// Settings every service has, with the local stack's defaults.
#[derive(Debug, Clone)]
pub struct CommonConfig {
    pub service: &'static str,
    pub app_env: AppEnv,
    pub port: u16,
    pub database_url: Secret,
    pub db_max_connections: u32,
    pub db_connect_timeout: Duration,
    pub iam: IamSettings,
    pub log_format: LogFormat,
    pub request_timeout: Duration,
    pub ats_url: String,
    pub bd_url: String,
    pub ta_url: String,
}

pub const LOCAL_AUDIENCES: &str = "ats,bd,ta,cli";

impl CommonConfig {
    /// Reads the shared settings; the caller reads its own, then calls `env.finish()`.
    pub fn read(env: &mut Env, service: &'static str, default_port: u16) -> Self {
        let app_env: AppEnv = env.parse("APP_ENV", AppEnv::Development);
        let default_format = match app_env {
            AppEnv::Production => LogFormat::Json,
            AppEnv::Development => LogFormat::Pretty,
        };
        let port = env.parse("PORT", default_port);
        let database_url = env.secret(
            "DATABASE_URL",
            &format!("postgres://postgres@127.0.0.1:5432/{service}"),
        );
        if !database_url.expose().starts_with("postgres://")
            && !database_url.expose().starts_with("postgresql://")
        {
            env.error("DATABASE_URL: expected a postgres:// URL");
        }
        let audiences: Vec<String> = env
            .string("IAM_AUDIENCE", LOCAL_AUDIENCES)
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        if audiences.is_empty() {
            env.error("IAM_AUDIENCE: at least one audience is required");
        }
        let iam = IamSettings {
            url: env.url("IAM_URL", "http://127.0.0.1:8000"),
            issuer: env.string("IAM_ISSUER", "http://localhost:8000"),
            audiences,
            trust_gateway: env.bool("IAM_TRUST_GATEWAY", false),
            client_id: env.string("IAM_CLIENT_ID", service),
            client_secret: env.secret("IAM_CLIENT_SECRET", &format!("{service}-dev-secret")),
        };
        if app_env == AppEnv::Production {
            if iam.client_secret.expose().ends_with("-dev-secret") {
                env.error(
                    "IAM_CLIENT_SECRET: the local stack's secret must not be used in production",
                );
            }
            if !env.is_set("DATABASE_URL") {
                env.error("DATABASE_URL: must be set in production");
            }
        }
        Self {
            service,
            app_env,
            port,
            database_url,
            db_max_connections: env.parse("DB_MAX_CONNECTIONS", 10),
            db_connect_timeout: env.secs("DB_CONNECT_TIMEOUT_SECS", 30),
            iam,
            log_format: env.parse("LOG_FORMAT", default_format),
            request_timeout: env.secs("REQUEST_TIMEOUT_SECS", 30),
            ats_url: env.url("ATS_URL", "http://127.0.0.1:8080"),
            bd_url: env.url("BD_URL", "http://127.0.0.1:8090"),
            ta_url: env.url("TA_URL", "http://127.0.0.1:8100"),
        }
    }

    pub fn iam_config(&self) -> iam_sdk::IamConfig {
        iam_sdk::IamConfig::new(
            self.iam.url.clone(),
            self.iam.issuer.clone(),
            self.iam.audiences.clone(),
        )
        .trust_gateway(self.iam.trust_gateway)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_map(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn defaults_are_the_local_stack() {
        let mut e = env(&[]);
        let c = CommonConfig::read(&mut e, "ats", 8080);
        e.finish().unwrap();
        assert_eq!(c.port, 8080);
        assert_eq!(
            c.database_url.expose(),
            "postgres://postgres@127.0.0.1:5432/ats"
        );
        assert_eq!(c.iam.client_secret.expose(), "ats-dev-secret");
        assert_eq!(c.iam.audiences, vec!["ats", "bd", "ta", "cli"]);
        assert_eq!(c.bd_url, "http://127.0.0.1:8090");
        assert!(!c.iam.trust_gateway);
    }

    #[test]
    fn all_errors_are_reported_together() {
        let mut e = env(&[
            ("PORT", "eighty"),
            ("IAM_URL", "ftp://x"),
            ("IAM_TRUST_GATEWAY", "maybe"),
            ("DATABASE_URL", "mysql://x"),
        ]);
        let _ = CommonConfig::read(&mut e, "bd", 8090);
        let err = e.finish().unwrap_err();
        assert_eq!(err.0.len(), 4, "{err}");
        assert!(err.to_string().contains("PORT"));
    }

    #[test]
    fn production_refuses_dev_secrets() {
        let mut e = env(&[("APP_ENV", "production")]);
        let _ = CommonConfig::read(&mut e, "ta", 8100);
        let err = e.finish().unwrap_err().to_string();
        assert!(err.contains("IAM_CLIENT_SECRET"));
        assert!(err.contains("DATABASE_URL"));
    }

    #[test]
    fn secrets_are_not_debug_printed() {
        let mut e = env(&[("IAM_CLIENT_SECRET", "s3cr3t")]);
        let c = CommonConfig::read(&mut e, "ta", 8100);
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }
}
