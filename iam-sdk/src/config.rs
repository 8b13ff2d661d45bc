//! What a service needs to know about its IAM.

use std::time::Duration;

/// How a service validates the tokens it receives.
///
/// A plain struct: the service's own configuration code reads the environment
/// (`IAM_URL`, `IAM_ISSUER`, `IAM_AUDIENCE`, `IAM_TRUST_GATEWAY`) and fills it in, using
/// [`parse_audiences`] and [`parse_bool`] for the list and the flag if it likes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamConfig {
    /// Base URL of the IAM; its discovery document lives at
    /// `{iam_url}/.well-known/openid-configuration`.
    pub iam_url: String,
    /// The exact `iss` every accepted token carries.
    pub issuer: String,
    /// A token is accepted when its `aud` contains at least one of these.
    pub audiences: Vec<String>,
    /// Accept the `X-IAM-Org`/`X-IAM-User`/`X-IAM-Roles` headers of the platform gateway
    /// in place of a token. Only for services reachable solely through that gateway.
    pub trust_gateway: bool,
    /// Clock skew tolerated on `exp` and `nbf`.
    pub leeway: Duration,
    /// An unknown `kid` refetches the JWKS at most this often, so a flood of forged
    /// tokens cannot turn into a flood of requests to the IAM.
    pub jwks_min_refresh_interval: Duration,
}

impl IamConfig {
    pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);
    pub const DEFAULT_JWKS_MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(30);

    /// A configuration with the default leeway and refresh interval and the gateway not trusted.
    pub fn new(
        iam_url: impl Into<String>,
        issuer: impl Into<String>,
        audiences: Vec<String>,
    ) -> Self {
        Self {
            iam_url: iam_url.into(),
            issuer: issuer.into(),
            audiences,
            trust_gateway: false,
            leeway: Self::DEFAULT_LEEWAY,
            jwks_min_refresh_interval: Self::DEFAULT_JWKS_MIN_REFRESH_INTERVAL,
        }
    }

    pub fn trust_gateway(mut self, trust: bool) -> Self {
        self.trust_gateway = trust;
        self
    }

    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    pub fn jwks_min_refresh_interval(mut self, interval: Duration) -> Self {
        self.jwks_min_refresh_interval = interval;
        self
    }
}

/// Splits a comma-separated audience list such as `IAM_AUDIENCE=ats,bd,ta,cli`,
/// dropping blanks so that a trailing comma cannot smuggle in an empty audience.
pub fn parse_audiences(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Reads a boolean flag such as `IAM_TRUST_GATEWAY`. Anything unrecognised is `None`,
/// so a typo is reported rather than silently taken as "off" (or "on").
pub fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" | "" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_are_split_and_trimmed() {
        assert_eq!(parse_audiences("ats, bd,,ta ,"), vec!["ats", "bd", "ta"]);
        assert!(parse_audiences("").is_empty());
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool("1"), Some(true));
        assert_eq!(parse_bool("false"), Some(false));
        assert_eq!(parse_bool(""), Some(false));
        assert_eq!(parse_bool("ture"), None);
    }

    #[test]
    fn defaults() {
        let c = IamConfig::new("http://iam", "http://iam", vec!["ats".into()]);
        assert!(!c.trust_gateway);
        assert_eq!(c.leeway, Duration::from_secs(30));
        assert_eq!(c.jwks_min_refresh_interval, Duration::from_secs(30));
        let c = c
            .trust_gateway(true)
            .leeway(Duration::ZERO)
            .jwks_min_refresh_interval(Duration::from_secs(1));
        assert!(c.trust_gateway);
        assert_eq!(c.leeway, Duration::ZERO);
        assert_eq!(c.jwks_min_refresh_interval, Duration::from_secs(1));
    }
}
