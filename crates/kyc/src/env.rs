use std::sync::Arc;
use std::time::Duration;

use crate::sumsub::{SumsubConfig, SumsubProvider};
use crate::{DevProvider, KycError, KycProvider, Secret};

/// The provider named by `KYC_PROVIDER` (default `dev`), configured from the process
/// environment. See the crate documentation for the variables.
///
/// Fails with [`KycError::Config`] naming every missing or invalid variable at once, e.g. when
/// `KYC_PROVIDER=sumsub` is set without `SUMSUB_APP_TOKEN`.
pub fn from_env() -> Result<Arc<dyn KycProvider>, KycError> {
    from_lookup(|key| std::env::var(key).ok())
}

/// [`from_env`] with any variable source (a map in tests, the BD's own configuration).
/// Values are trimmed; empty values count as unset.
pub fn from_lookup(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Arc<dyn KycProvider>, KycError> {
    let get = |key: &str| {
        lookup(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let provider = get("KYC_PROVIDER").unwrap_or_else(|| DevProvider::NAME.to_owned());
    match provider.to_ascii_lowercase().as_str() {
        "dev" => {
            tracing::info!("KYC provider: dev (deterministic, no network; not for production)");
            Ok(Arc::new(DevProvider))
        }
        "sumsub" => {
            let config = sumsub_config(&get)?;
            tracing::info!(base_url = %config.base_url, level = %config.level_name, "KYC provider: sumsub");
            Ok(Arc::new(SumsubProvider::new(config)?))
        }
        other => Err(KycError::Config(format!(
            "KYC_PROVIDER={other:?} is not a known provider (expected `dev` or `sumsub`)"
        ))),
    }
}

fn sumsub_config(get: &dyn Fn(&str) -> Option<String>) -> Result<SumsubConfig, KycError> {
    let mut errors = Vec::new();
    let mut required = |key: &str| {
        let value = get(key);
        if value.is_none() {
            errors.push(format!("{key} is required when KYC_PROVIDER=sumsub"));
        }
        value.unwrap_or_default()
    };
    let app_token = required("SUMSUB_APP_TOKEN");
    let secret_key = required("SUMSUB_SECRET_KEY");
    let level_name = required("SUMSUB_LEVEL_NAME");

    let mut seconds = |key: &str, default: u64| match get(key) {
        None => default,
        Some(v) => v.parse::<u64>().unwrap_or_else(|_| {
            errors.push(format!("{key}={v:?} is not a whole number of seconds"));
            default
        }),
    };
    let timeout = seconds("SUMSUB_TIMEOUT_SECS", 10);
    let max_age = seconds(
        "SUMSUB_WEBHOOK_MAX_AGE_SECS",
        SumsubConfig::DEFAULT_WEBHOOK_MAX_AGE.as_secs(),
    );
    if timeout == 0 {
        errors.push("SUMSUB_TIMEOUT_SECS must be at least 1".to_owned());
    }
    if !errors.is_empty() {
        return Err(KycError::Config(errors.join("; ")));
    }

    let mut config = SumsubConfig::new(app_token, secret_key, level_name);
    if let Some(base_url) = get("SUMSUB_BASE_URL") {
        config.base_url = base_url;
    }
    config.kyb_level_name = get("SUMSUB_KYB_LEVEL_NAME");
    config.webhook_secret = get("SUMSUB_WEBHOOK_SECRET").map(Secret::new);
    config.timeout = Duration::from_secs(timeout);
    config.webhook_max_age = (max_age > 0).then(|| Duration::from_secs(max_age));
    Ok(config)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_to_dev() {
        let p = from_lookup(lookup(&[])).expect("dev");
        assert_eq!(p.name(), "dev");
        let p = from_lookup(lookup(&[("KYC_PROVIDER", " DEV ")])).expect("dev");
        assert_eq!(p.name(), "dev");
    }

    #[test]
    fn unknown_provider_is_refused() {
        let err = from_lookup(lookup(&[("KYC_PROVIDER", "onfido")])).err();
        let msg = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("KYC_PROVIDER"), "{msg}");
    }

    #[test]
    fn sumsub_without_credentials_names_every_missing_variable() {
        let err = from_lookup(lookup(&[
            ("KYC_PROVIDER", "sumsub"),
            ("SUMSUB_APP_TOKEN", "  "),
        ]))
        .err();
        let Some(KycError::Config(msg)) = err else {
            panic!("expected a configuration error, got {err:?}");
        };
        for key in ["SUMSUB_APP_TOKEN", "SUMSUB_SECRET_KEY", "SUMSUB_LEVEL_NAME"] {
            assert!(msg.contains(key), "{msg}");
        }
    }

    #[test]
    fn sumsub_with_credentials() {
        let p = from_lookup(lookup(&[
            ("KYC_PROVIDER", "sumsub"),
            ("SUMSUB_APP_TOKEN", "sbx:token"),
            ("SUMSUB_SECRET_KEY", "topsecret"),
            ("SUMSUB_LEVEL_NAME", "basic-kyc-level"),
        ]))
        .expect("sumsub");
        assert_eq!(p.name(), "sumsub");
    }

    #[test]
    fn sumsub_config_reads_every_variable() {
        let get = lookup(&[
            ("SUMSUB_APP_TOKEN", "sbx:token"),
            ("SUMSUB_SECRET_KEY", "topsecret"),
            ("SUMSUB_LEVEL_NAME", "basic-kyc-level"),
            ("SUMSUB_KYB_LEVEL_NAME", "basic-kyb-level"),
            ("SUMSUB_BASE_URL", "http://127.0.0.1:9"),
            ("SUMSUB_WEBHOOK_SECRET", "hooksecret"),
            ("SUMSUB_TIMEOUT_SECS", "3"),
            ("SUMSUB_WEBHOOK_MAX_AGE_SECS", "0"),
        ]);
        let c = sumsub_config(&get).expect("config");
        assert_eq!(c.base_url, "http://127.0.0.1:9");
        assert_eq!(c.app_token.expose(), "sbx:token");
        assert_eq!(c.secret_key.expose(), "topsecret");
        assert_eq!(c.kyb_level_name.as_deref(), Some("basic-kyb-level"));
        assert_eq!(
            c.webhook_secret.as_ref().map(Secret::expose),
            Some("hooksecret")
        );
        assert_eq!(c.timeout, Duration::from_secs(3));
        assert_eq!(c.webhook_max_age, None);
        let debug = format!("{c:?}");
        for secret in ["sbx:token", "topsecret", "hooksecret"] {
            assert!(!debug.contains(secret), "{debug}");
        }
    }

    #[test]
    fn sumsub_config_refuses_bad_numbers() {
        let get = lookup(&[
            ("SUMSUB_APP_TOKEN", "t"),
            ("SUMSUB_SECRET_KEY", "s"),
            ("SUMSUB_LEVEL_NAME", "l"),
            ("SUMSUB_TIMEOUT_SECS", "ten"),
        ]);
        assert!(
            matches!(sumsub_config(&get), Err(KycError::Config(m)) if m.contains("SUMSUB_TIMEOUT_SECS"))
        );
    }
}
