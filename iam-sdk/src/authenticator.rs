//! Token validation and the tenant rules of API.md, in one place.

use std::sync::Arc;

use http::HeaderMap;
use http::header::AUTHORIZATION;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};

use crate::caller::{Caller, INTERNAL_ROLE};
use crate::claims::Claims;
use crate::config::IamConfig;
use crate::error::AuthError;
use crate::jwks::{HttpJwksSource, JwksSource, KeyCache, KeyLookupError};
use crate::verified::{self, VerifiedTokens};

pub const X_IAM_ORG: &str = "x-iam-org";
pub const X_IAM_USER: &str = "x-iam-user";
pub const X_IAM_ROLES: &str = "x-iam-roles";

/// Casdoor tokens carry the whole user object and run to a few kilobytes; anything far beyond
/// that is refused before any parsing work is spent on it.
const MAX_TOKEN_LEN: usize = 16 * 1024;
const MAX_ORG_LEN: usize = 64;
const MAX_USER_LEN: usize = 255;
const MAX_ROLE_LEN: usize = 64;
const MAX_ROLES: usize = 64;

/// The message of the 403 a service token gets without `X-IAM-Org`, as API.md words it.
const MISSING_ORGANIZATION: &str = "missing organization";

/// Authenticates requests. Cheap to clone: everything lives behind one `Arc`.
#[derive(Clone)]
pub struct Authenticator {
    inner: Arc<Inner>,
}

struct Inner {
    config: IamConfig,
    keys: KeyCache,
    validation: Validation,
    verified: VerifiedTokens,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// Fetches keys with `http` from the `jwks_uri` of the IAM's discovery document. No request
    /// is made here; the first token (or [`Authenticator::refresh_keys`]) triggers the first
    /// fetch. Give `http` a timeout: a token is not judged until its keys arrive.
    pub fn new(config: IamConfig, http: reqwest::Client) -> Self {
        let source = HttpJwksSource::with_client(http, &config.iam_url);
        Self::with_source(config, Arc::new(source))
    }

    /// Takes keys from `source` instead, e.g. keys handed over by a test.
    pub fn with_source(config: IamConfig, source: Arc<dyn JwksSource>) -> Self {
        let mut validation = Validation::new(Algorithm::RS256);
        // The header's `alg` never picks the algorithm: RS256 is the only one listed, so
        // `none`, HS* (including HMAC keyed with our public key) and every other RSA/EC
        // variant fail before any signature check.
        validation.algorithms = vec![Algorithm::RS256];
        validation.leeway = config.leeway.as_secs();
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_audience(&config.audiences);
        validation.set_issuer(&[&config.issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let keys = KeyCache::new(source, config.jwks_min_refresh_interval);
        Self {
            inner: Arc::new(Inner {
                config,
                keys,
                validation,
                verified: VerifiedTokens::default(),
            }),
        }
    }

    pub fn config(&self) -> &IamConfig {
        &self.inner.config
    }

    /// Fetches the IAM's keys now. Meant for start-up and readiness; returns how many
    /// usable keys the IAM published.
    pub async fn refresh_keys(&self) -> Result<usize, AuthError> {
        self.inner
            .keys
            .refresh()
            .await
            .map_err(|_| AuthError::not_ready("the IAM's signing keys are unavailable"))
    }

    /// Validates a bearer token: RS256 signature by a key of the IAM's JWKS (chosen by `kid`),
    /// `iss`, `aud`, `exp` and `nbf`. `jku`, `x5u` and `jwk` in the header are never looked at.
    pub async fn validate_token(&self, token: &str) -> Result<Claims, AuthError> {
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Err(invalid_token());
        }
        let cache_key = verified::key(token);
        let keys = &self.inner.keys;
        if let Some(claims) = self
            .inner
            .verified
            .get(&cache_key, self.inner.config.leeway, |kid| keys.has(kid))
        {
            return Ok(claims);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid_token())?;
        if header.alg != Algorithm::RS256 {
            return Err(invalid_token());
        }
        // RFC 7515 §4.1.11: extensions marked critical must be understood, and we understand none.
        if header.crit.is_some() {
            return Err(invalid_token());
        }
        let kid = header
            .kid
            .filter(|k| !k.is_empty())
            .ok_or_else(invalid_token)?;
        let key = match self.inner.keys.get(&kid).await {
            Ok(key) => key,
            Err(KeyLookupError::UnknownKid) => return Err(invalid_token()),
            Err(KeyLookupError::Unavailable) => {
                return Err(AuthError::not_ready(
                    "the IAM's signing keys are unavailable; retry shortly",
                ));
            }
        };
        let data =
            jsonwebtoken::decode::<Claims>(token, &key, &self.inner.validation).map_err(|e| {
                tracing::debug!(reason = ?e.kind(), "token refused");
                match e.kind() {
                    ErrorKind::ExpiredSignature => AuthError::unauthenticated("token expired"),
                    ErrorKind::ImmatureSignature => {
                        AuthError::unauthenticated("token not yet valid")
                    }
                    ErrorKind::InvalidAudience => {
                        AuthError::unauthenticated("token audience not accepted")
                    }
                    ErrorKind::InvalidIssuer => {
                        AuthError::unauthenticated("token issuer not accepted")
                    }
                    _ => invalid_token(),
                }
            })?;
        self.inner.verified.put(cache_key, &kid, &data.claims);
        Ok(data.claims)
    }

    /// Applies API.md's tenant rules to a request's headers.
    ///
    /// - `Authorization: Bearer <jwt>` is required (401 otherwise), unless the gateway is trusted
    ///   and sent `X-IAM-Org` and `X-IAM-User` (with `X-IAM-Roles`, comma-separated) instead.
    /// - A user token acts for its `owner`; a different `X-IAM-Org` is 403.
    /// - A client-credentials token (`type: application`) needs scope `internal` (403 otherwise)
    ///   and acts for the organization in `X-IAM-Org`; without that header the request is
    ///   403 `FORBIDDEN`, "missing organization" (API.md's tenant rules).
    /// - `X-IAM-Org` must be 1–64 characters of `[A-Za-z0-9._-]`, starting with a letter or
    ///   digit (400 otherwise).
    /// - The IAM being unreachable while the token's key is unknown is 503 `NOT_READY`.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, AuthError> {
        let Some(authorization) = single_header(headers, AUTHORIZATION.as_str())? else {
            return self.gateway_caller(headers);
        };
        let token = bearer_token(authorization).ok_or_else(|| {
            AuthError::unauthenticated("the Authorization header must be `Bearer <token>`")
        })?;
        let claims = self.validate_token(token).await?;
        // Headers are judged only once the caller is authenticated: anonymous callers get a
        // 401 whatever else they sent.
        let org_header = org_header(headers)?;
        if claims.is_application() {
            if !claims.has_scope(INTERNAL_ROLE) {
                return Err(AuthError::forbidden(
                    "client-credentials tokens need the `internal` scope",
                ));
            }
            // API.md's tenant rules: a service token acts for nobody without X-IAM-Org.
            let org = org_header.ok_or_else(|| AuthError::forbidden(MISSING_ORGANIZATION))?;
            let client = if claims.sub.is_empty() {
                claims.name
            } else {
                claims.sub
            };
            if client.is_empty() {
                return Err(invalid_token());
            }
            return Ok(Caller::service(org, client));
        }
        // A user token without a usable organization cannot be scoped to any tenant.
        let owner = parse_org(&claims.owner, "owner").map_err(|_| invalid_token())?;
        if let Some(org) = org_header
            && org != owner
        {
            return Err(AuthError::forbidden(
                "X-IAM-Org names another organization than the token's",
            ));
        }
        let subject = if claims.sub.is_empty() {
            claims.id
        } else {
            claims.sub
        };
        if subject.is_empty() {
            return Err(invalid_token());
        }
        Ok(Caller::user(owner, subject, claims.name, claims.roles))
    }

    fn gateway_caller(&self, headers: &HeaderMap) -> Result<Caller, AuthError> {
        let missing = || AuthError::unauthenticated("missing bearer token");
        if !self.inner.config.trust_gateway {
            return Err(missing());
        }
        let Some(user) = single_header(headers, X_IAM_USER)? else {
            return Err(missing());
        };
        let Some(org) = org_header(headers)? else {
            return Err(missing());
        };
        let user = parse_user(user)?;
        let roles = match single_header(headers, X_IAM_ROLES)? {
            Some(v) => parse_roles(v)?,
            None => Vec::new(),
        };
        Ok(Caller::user(org, user.clone(), user, roles))
    }
}

fn org_header(headers: &HeaderMap) -> Result<Option<String>, AuthError> {
    single_header(headers, X_IAM_ORG)?
        .map(|v| parse_org(v, X_IAM_ORG))
        .transpose()
}

fn invalid_token() -> AuthError {
    AuthError::unauthenticated("invalid token")
}

/// The header's value as text, refusing repeated headers: two `X-IAM-Org` lines could be read
/// differently by a proxy and by us.
fn single_header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, AuthError> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    let display = display_name(name);
    if values.next().is_some() {
        return Err(if name == AUTHORIZATION.as_str() {
            AuthError::unauthenticated("only one Authorization header is allowed")
        } else {
            AuthError::invalid_header(display, "must appear at most once")
        });
    }
    first.to_str().map(Some).map_err(|_| {
        if name == AUTHORIZATION.as_str() {
            AuthError::unauthenticated("the Authorization header must be `Bearer <token>`")
        } else {
            AuthError::invalid_header(display, "must be visible ASCII")
        }
    })
}

fn display_name(name: &str) -> &str {
    match name {
        X_IAM_ORG => "X-IAM-Org",
        X_IAM_USER => "X-IAM-User",
        X_IAM_ROLES => "X-IAM-Roles",
        "authorization" => "Authorization",
        other => other,
    }
}

fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (!token.is_empty()).then_some(token)
}

/// Whether `org` is a well-formed organization identifier.
pub fn is_valid_org_id(org: &str) -> bool {
    let bytes = org.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_ORG_LEN
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn parse_org(value: &str, header: &str) -> Result<String, AuthError> {
    if is_valid_org_id(value) {
        Ok(value.to_owned())
    } else {
        Err(AuthError::invalid_header(
            display_name(header),
            "must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit",
        ))
    }
}

fn parse_user(value: &str) -> Result<String, AuthError> {
    let value = value.trim();
    if value.is_empty()
        || value.len() > MAX_USER_LEN
        || !value.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(AuthError::invalid_header(
            "X-IAM-User",
            "must be 1-255 visible ASCII characters",
        ));
    }
    Ok(value.to_owned())
}

fn parse_roles(value: &str) -> Result<Vec<String>, AuthError> {
    let roles: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    let well_formed = |r: &String| {
        r.len() <= MAX_ROLE_LEN
            && r.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':'))
    };
    if roles.len() > MAX_ROLES || !roles.iter().all(well_formed) {
        return Err(AuthError::invalid_header(
            "X-IAM-Roles",
            "must be a comma-separated list of role names",
        ));
    }
    Ok(roles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_ids() {
        for ok in ["acme", "globex", "a", "acme-corp_2.eu", "0rg"] {
            assert!(is_valid_org_id(ok), "{ok}");
        }
        let long = "a".repeat(65);
        for bad in [
            "",
            "-acme",
            ".acme",
            "ac me",
            "acme/x",
            "acmé",
            "a\u{0}",
            long.as_str(),
        ] {
            assert!(!is_valid_org_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn bearer_parsing() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearer"), None);
    }

    #[test]
    fn roles_header() {
        assert_eq!(
            parse_roles("trader, viewer,,").unwrap(),
            vec!["trader", "viewer"]
        );
        assert!(parse_roles("").unwrap().is_empty());
        assert!(parse_roles("trader;drop").is_err());
    }

    #[test]
    fn users_header() {
        assert_eq!(parse_user(" acme/alice ").unwrap(), "acme/alice");
        assert!(parse_user("").is_err());
        assert!(parse_user("a b").is_err());
    }
}
