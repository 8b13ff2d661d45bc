//! Token validation and tenant rules, with keys handed over in-process (no network).
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use iam_sdk::{AuthError, Authenticator, CallerKind, ErrorCode};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

fn alice() -> Value {
    user_claims(
        "acme",
        "alice",
        json!([{"owner": "acme", "name": "trader"}]),
    )
}

async fn auth_with(
    auth: &Authenticator,
    token: &str,
    extra: &[(&str, &str)],
) -> Result<iam_sdk::Caller, AuthError> {
    let authorization = bearer(token);
    let mut pairs = vec![("authorization", authorization.as_str())];
    pairs.extend_from_slice(extra);
    auth.authenticate(&headers(&pairs)).await
}

fn assert_unauthenticated(result: Result<iam_sdk::Caller, AuthError>, message: &str) {
    let e = result.unwrap_err();
    assert_eq!(e.error_code(), ErrorCode::Unauthenticated, "{e:?}");
    assert_eq!(e.status(), 401);
    assert_eq!(e.message(), message);
}

#[tokio::test]
async fn a_valid_user_token_gives_its_owner_and_roles() {
    let source = CountingSource::issuer();
    let auth = authenticator(source.clone());
    let caller = auth_with(&auth, &sign(&alice()), &[]).await.unwrap();
    assert_eq!(caller.org_id, "acme");
    assert_eq!(caller.subject, "id-acme-alice");
    assert_eq!(caller.name, "alice");
    assert_eq!(caller.roles, vec!["trader"]);
    assert_eq!(caller.kind, CallerKind::User);
    assert!(caller.has_role("trader"));
    // A second request is served from the cache.
    auth_with(&auth, &sign(&alice()), &[]).await.unwrap();
    assert_eq!(source.fetches(), 1);
}

#[tokio::test]
async fn alg_none_is_refused() {
    let auth = authenticator(CountingSource::issuer());
    let header = json!({"alg": "none", "typ": "JWT", "kid": KID});
    for signature in ["", "AAAA"] {
        let token = format!("{}.{}.{}", b64(&header), b64(&alice()), signature);
        assert_unauthenticated(auth_with(&auth, &token, &[]).await, "invalid token");
    }
    let header = json!({"alg": "None", "kid": KID});
    let token = format!("{}.{}.", b64(&header), b64(&alice()));
    assert_unauthenticated(auth_with(&auth, &token, &[]).await, "invalid token");
}

#[tokio::test]
async fn hs256_keyed_with_the_public_key_is_refused() {
    let source = CountingSource::issuer();
    let auth = authenticator(source.clone());
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        let mut header = Header::new(alg);
        header.kid = Some(KID.to_owned());
        for secret in [ISSUER_PUBLIC.as_bytes(), ISSUER_PUBLIC.trim().as_bytes()] {
            let token =
                jsonwebtoken::encode(&header, &alice(), &EncodingKey::from_secret(secret)).unwrap();
            assert_unauthenticated(auth_with(&auth, &token, &[]).await, "invalid token");
        }
    }
    // Refused on the header alone: not even a key lookup.
    assert_eq!(source.fetches(), 0);
}

#[tokio::test]
async fn other_rsa_algorithms_are_refused() {
    let auth = authenticator(CountingSource::issuer());
    for alg in [Algorithm::RS384, Algorithm::RS512, Algorithm::PS256] {
        let mut header = Header::new(alg);
        header.kid = Some(KID.to_owned());
        let token = sign_with(ISSUER_PRIVATE, &header, &alice());
        assert_unauthenticated(auth_with(&auth, &token, &[]).await, "invalid token");
    }
}

#[tokio::test]
async fn a_token_signed_by_another_key_under_our_kid_is_refused() {
    let auth = authenticator(CountingSource::issuer());
    let token = sign_with(ATTACKER_PRIVATE, &rs256_header(KID), &alice());
    assert_unauthenticated(auth_with(&auth, &token, &[]).await, "invalid token");
}

#[tokio::test]
async fn a_tampered_payload_is_refused() {
    let auth = authenticator(CountingSource::issuer());
    let token = sign(&alice());
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims = alice();
    claims["owner"] = json!("globex");
    claims["roles"] = json!(["admin"]);
    let forged = format!("{}.{}.{}", parts[0], b64(&claims), parts[2]);
    assert_unauthenticated(auth_with(&auth, &forged, &[]).await, "invalid token");
    // Flipping one signature character is caught as well.
    let mut sig = parts[2].to_owned();
    let last = sig.pop().unwrap();
    sig.push(if last == 'A' { 'B' } else { 'A' });
    let forged = format!("{}.{}.{}", parts[0], parts[1], sig);
    assert_unauthenticated(auth_with(&auth, &forged, &[]).await, "invalid token");
}

#[tokio::test]
async fn garbage_is_refused() {
    let auth = authenticator(CountingSource::issuer());
    for token in [
        "x",
        "a.b",
        "a.b.c",
        "...",
        "eyJhbGciOiJSUzI1NiJ9.e30.",
        &"a".repeat(20_000),
    ] {
        assert_unauthenticated(auth_with(&auth, token, &[]).await, "invalid token");
    }
}

#[tokio::test]
async fn a_token_without_kid_is_refused() {
    let auth = authenticator(CountingSource::issuer());
    let token = sign_with(ISSUER_PRIVATE, &Header::new(Algorithm::RS256), &alice());
    assert_unauthenticated(auth_with(&auth, &token, &[]).await, "invalid token");
}

#[tokio::test]
async fn a_token_with_critical_extensions_is_refused() {
    let auth = authenticator(CountingSource::issuer());
    let mut header = rs256_header(KID);
    header.crit = Some(vec!["exp".to_owned()]);
    let token = sign_with(ISSUER_PRIVATE, &header, &alice());
    assert_unauthenticated(auth_with(&auth, &token, &[]).await, "invalid token");
}

#[tokio::test(start_paused = true)]
async fn an_unknown_kid_refetches_once_per_interval() {
    let source = CountingSource::issuer();
    let auth = authenticator(source.clone());
    auth_with(&auth, &sign(&alice()), &[]).await.unwrap();
    assert_eq!(source.fetches(), 1);

    tokio::time::advance(Duration::from_secs(31)).await;
    let stranger = sign_with(ISSUER_PRIVATE, &rs256_header("rotated-away"), &alice());
    assert_unauthenticated(auth_with(&auth, &stranger, &[]).await, "invalid token");
    assert_eq!(source.fetches(), 2, "an unknown kid triggers one refetch");
    for _ in 0..5 {
        assert_unauthenticated(auth_with(&auth, &stranger, &[]).await, "invalid token");
    }
    let other = sign_with(ISSUER_PRIVATE, &rs256_header("another"), &alice());
    assert_unauthenticated(auth_with(&auth, &other, &[]).await, "invalid token");
    assert_eq!(source.fetches(), 2, "no further fetch within the interval");
    // Known keys keep working meanwhile.
    auth_with(&auth, &sign(&alice()), &[]).await.unwrap();

    tokio::time::advance(Duration::from_secs(31)).await;
    assert_unauthenticated(auth_with(&auth, &stranger, &[]).await, "invalid token");
    assert_eq!(source.fetches(), 3, "the interval has passed");
}

#[tokio::test(start_paused = true)]
async fn a_rotated_key_is_picked_up_and_a_removed_one_dropped() {
    let source = CountingSource::issuer();
    let auth = authenticator(source.clone());
    auth_with(&auth, &sign(&alice()), &[]).await.unwrap();

    // The IAM rotates to a new key (the attacker fixture plays the new key here).
    source.set_keys(vec![jwk(ATTACKER_PUBLIC, "key-2")]);
    tokio::time::advance(Duration::from_secs(31)).await;
    let new_token = sign_with(ATTACKER_PRIVATE, &rs256_header("key-2"), &alice());
    auth_with(&auth, &new_token, &[]).await.unwrap();
    assert_eq!(source.fetches(), 2);
    assert_unauthenticated(
        auth_with(&auth, &sign(&alice()), &[]).await,
        "invalid token",
    );
}

#[tokio::test]
async fn concurrent_unknown_kids_do_not_stampede() {
    let source =
        CountingSource::with_delay(vec![jwk(ISSUER_PUBLIC, KID)], Duration::from_millis(100));
    let auth = authenticator(source.clone());
    let mut tasks = Vec::new();
    for i in 0..20 {
        let auth = auth.clone();
        // Half use the real key (unknown until the first fetch), half an unknown kid.
        let token = if i % 2 == 0 {
            sign(&alice())
        } else {
            sign_with(ISSUER_PRIVATE, &rs256_header("nope"), &alice())
        };
        tasks.push(tokio::spawn(
            async move { auth_with(&auth, &token, &[]).await },
        ));
    }
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap().is_ok() {
            ok += 1;
        }
    }
    assert_eq!(ok, 10);
    assert_eq!(source.fetches(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_iam_with_an_unknown_kid_is_not_ready() {
    let source = CountingSource::issuer();
    source.set_failing(true);
    let auth = authenticator(source.clone());
    let e = auth_with(&auth, &sign(&alice()), &[]).await.unwrap_err();
    assert_eq!(e.error_code(), ErrorCode::NotReady);
    assert_eq!(e.status(), 503);
    assert!(auth.refresh_keys().await.is_err());

    // Once the IAM is back, the next attempt (after the short failure back-off) succeeds.
    source.set_failing(false);
    let e = auth_with(&auth, &sign(&alice()), &[]).await.unwrap_err();
    assert_eq!(e.error_code(), ErrorCode::NotReady, "still backing off");
    tokio::time::advance(Duration::from_millis(2100)).await;
    auth_with(&auth, &sign(&alice()), &[]).await.unwrap();
}

#[tokio::test]
async fn refresh_keys_warms_the_cache() {
    let source = CountingSource::issuer();
    let auth = authenticator(source.clone());
    assert_eq!(auth.refresh_keys().await.unwrap(), 1);
    auth_with(&auth, &sign(&alice()), &[]).await.unwrap();
    assert_eq!(source.fetches(), 1);
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let auth = authenticator(CountingSource::issuer());
    let mut claims = alice();
    claims["exp"] = json!(now() - 120);
    assert_unauthenticated(auth_with(&auth, &sign(&claims), &[]).await, "token expired");
    // Within the 30 s leeway it still passes.
    claims["exp"] = json!(now() - 10);
    auth_with(&auth, &sign(&claims), &[]).await.unwrap();
}

#[tokio::test]
async fn tokens_not_yet_valid_are_refused() {
    let auth = authenticator(CountingSource::issuer());
    let mut claims = alice();
    claims["nbf"] = json!(now() + 120);
    assert_unauthenticated(
        auth_with(&auth, &sign(&claims), &[]).await,
        "token not yet valid",
    );
    claims["nbf"] = json!(now() + 10);
    auth_with(&auth, &sign(&claims), &[]).await.unwrap();
}

#[tokio::test]
async fn a_missing_exp_is_refused() {
    let auth = authenticator(CountingSource::issuer());
    let mut claims = alice();
    claims.as_object_mut().unwrap().remove("exp");
    assert_unauthenticated(auth_with(&auth, &sign(&claims), &[]).await, "invalid token");
}

#[tokio::test]
async fn audiences_must_match_one_configured() {
    let auth = authenticator(CountingSource::issuer());
    let mut claims = alice();
    for aud in [json!("bd"), json!(["bd", "ta"]), json!([]), json!("")] {
        claims["aud"] = aud;
        assert_unauthenticated(
            auth_with(&auth, &sign(&claims), &[]).await,
            "token audience not accepted",
        );
    }
    claims.as_object_mut().unwrap().remove("aud");
    assert!(auth_with(&auth, &sign(&claims), &[]).await.is_err());
    for aud in [json!("ats"), json!(["bd", "cli"])] {
        claims["aud"] = aud;
        auth_with(&auth, &sign(&claims), &[]).await.unwrap();
    }
}

#[tokio::test]
async fn the_issuer_must_match_exactly() {
    let auth = authenticator(CountingSource::issuer());
    let mut claims = alice();
    for iss in ["https://evil.test", "https://iam.test/", "HTTPS://IAM.TEST"] {
        claims["iss"] = json!(iss);
        assert_unauthenticated(
            auth_with(&auth, &sign(&claims), &[]).await,
            "token issuer not accepted",
        );
    }
    claims["iss"] = json!([ISSUER]);
    assert!(auth_with(&auth, &sign(&claims), &[]).await.is_err());
}

#[tokio::test]
async fn jku_x5u_and_jwk_headers_are_never_followed() {
    let source = CountingSource::issuer();
    let auth = authenticator(source.clone());

    // Our own token with foreign URLs in the header: validated against our keys, nothing fetched
    // from those URLs (the only source is ours, and it is asked once).
    let mut header = rs256_header(KID);
    header.jku = Some("http://127.0.0.1:1/evil-jwks.json".to_owned());
    header.x5u = Some("http://127.0.0.1:1/evil.pem".to_owned());
    let token = sign_with(ISSUER_PRIVATE, &header, &alice());
    auth_with(&auth, &token, &[]).await.unwrap();
    assert_eq!(source.fetches(), 1);

    // An attacker's token whose header points at the attacker's keys, or embeds one.
    let mut header = rs256_header("attacker-kid");
    header.jku = Some("http://127.0.0.1:1/evil-jwks.json".to_owned());
    let token = sign_with(ATTACKER_PRIVATE, &header, &alice());
    assert_unauthenticated(auth_with(&auth, &token, &[]).await, "invalid token");

    let mut header = rs256_header(KID);
    let attacker: jsonwebtoken::jwk::Jwk =
        serde_json::from_value(serde_json::to_value(jwk(ATTACKER_PUBLIC, KID)).unwrap()).unwrap();
    header.jwk = Some(attacker);
    let token = sign_with(ATTACKER_PRIVATE, &header, &alice());
    assert_unauthenticated(auth_with(&auth, &token, &[]).await, "invalid token");
}

#[tokio::test]
async fn error_messages_never_echo_the_token() {
    let auth = authenticator(CountingSource::issuer());
    let token = sign_with(ATTACKER_PRIVATE, &rs256_header(KID), &alice());
    let e = auth_with(&auth, &token, &[]).await.unwrap_err();
    let shown = format!("{e} {e:?} {} {:?}", e.message(), e.details());
    assert!(!shown.contains(&token));
    assert!(!shown.contains(token.split('.').nth(1).unwrap()));
}

// ----- tenant rules -----

#[tokio::test]
async fn a_user_token_with_another_org_header_is_forbidden() {
    let auth = authenticator(CountingSource::issuer());
    let e = auth_with(&auth, &sign(&alice()), &[("x-iam-org", "globex")])
        .await
        .unwrap_err();
    assert_eq!(e.error_code(), ErrorCode::Forbidden);
    assert_eq!(e.status(), 403);
}

#[tokio::test]
async fn a_user_token_with_its_own_org_header_passes() {
    let auth = authenticator(CountingSource::issuer());
    let caller = auth_with(&auth, &sign(&alice()), &[("X-IAM-Org", "acme")])
        .await
        .unwrap();
    assert_eq!(caller.org_id, "acme");
}

#[tokio::test]
async fn a_user_token_without_owner_is_refused() {
    let auth = authenticator(CountingSource::issuer());
    let mut claims = alice();
    claims["owner"] = json!("");
    assert_unauthenticated(auth_with(&auth, &sign(&claims), &[]).await, "invalid token");
    claims["owner"] = json!("acme/../globex");
    assert_unauthenticated(auth_with(&auth, &sign(&claims), &[]).await, "invalid token");
}

#[tokio::test]
async fn a_service_token_acts_for_the_org_header() {
    let auth = authenticator(CountingSource::issuer());
    let token = sign(&service_claims("ats", "internal"));
    let caller = auth_with(&auth, &token, &[("x-iam-org", "globex")])
        .await
        .unwrap();
    assert_eq!(caller.org_id, "globex");
    assert_eq!(caller.kind, CallerKind::Service);
    assert_eq!(caller.subject, "ats");
    assert!(caller.has_role("internal"));
    assert!(caller.require_any_role(&["internal", "trader"]).is_ok());
    assert!(caller.require_any_role(&["trader"]).is_err());
    // Its owner ("liquidity") is not a tenant it acts for.
    assert_ne!(caller.org_id, "liquidity");
}

#[tokio::test]
async fn a_service_token_without_org_header_is_forbidden_missing_organization() {
    let auth = authenticator(CountingSource::issuer());
    let token = sign(&service_claims("ats", "internal"));
    let e = auth_with(&auth, &token, &[]).await.unwrap_err();
    assert_eq!(e.error_code(), ErrorCode::Forbidden);
    assert_eq!(e.status(), 403);
    assert_eq!(e.message(), "missing organization");
    assert_eq!(e.code(), "FORBIDDEN");
    assert!(e.details().is_empty());
    // The same token with the header acts for that organization: it is the header that is
    // missing, not the token that is wrong.
    let caller = auth_with(&auth, &token, &[("x-iam-org", "acme")])
        .await
        .unwrap();
    assert_eq!(caller.org_id, "acme");
}

#[tokio::test]
async fn a_client_token_without_internal_scope_is_forbidden() {
    let auth = authenticator(CountingSource::issuer());
    for scope in ["", "openid", "internals", "read write", "INTERNAL"] {
        let token = sign(&service_claims("ats", scope));
        for org in [Some("acme"), None] {
            let extra: Vec<(&str, &str)> = org.map(|o| ("x-iam-org", o)).into_iter().collect();
            let e = auth_with(&auth, &token, &extra).await.unwrap_err();
            assert_eq!(e.error_code(), ErrorCode::Forbidden, "scope {scope:?}");
            assert_eq!(e.status(), 403);
            assert_eq!(
                e.message(),
                "client-credentials tokens need the `internal` scope",
                "scope {scope:?}, org {org:?}"
            );
        }
    }
    // A token without any scope claim, as an IAM that grants only what is asked for issues to
    // a request naming none, is refused the same way.
    let mut claims = service_claims("ats", "");
    claims.as_object_mut().unwrap().remove("scope");
    let e = auth_with(&auth, &sign(&claims), &[("x-iam-org", "acme")])
        .await
        .unwrap_err();
    assert_eq!(e.error_code(), ErrorCode::Forbidden);
    claims["scope"] = Value::Null;
    let e = auth_with(&auth, &sign(&claims), &[("x-iam-org", "acme")])
        .await
        .unwrap_err();
    assert_eq!(e.error_code(), ErrorCode::Forbidden);

    let token = sign(&service_claims("ats", "openid internal"));
    auth_with(&auth, &token, &[("x-iam-org", "acme")])
        .await
        .unwrap();
}

#[tokio::test]
async fn malformed_org_headers_are_validation_errors() {
    let auth = authenticator(CountingSource::issuer());
    let token = sign(&service_claims("ats", "internal"));
    let long = "a".repeat(65);
    for org in [
        "",
        " ",
        "acme globex",
        "../acme",
        "acme,globex",
        "*",
        long.as_str(),
    ] {
        let e = auth_with(&auth, &token, &[("x-iam-org", org)])
            .await
            .unwrap_err();
        assert_eq!(e.error_code(), ErrorCode::ValidationError, "org {org:?}");
    }
    let e = auth_with(
        &auth,
        &token,
        &[("x-iam-org", "acme"), ("x-iam-org", "globex")],
    )
    .await
    .unwrap_err();
    assert_eq!(e.error_code(), ErrorCode::ValidationError);
    let mut h = headers(&[("authorization", &bearer(&token))]);
    h.insert(
        "x-iam-org",
        http::HeaderValue::from_bytes(b"acm\xe9").unwrap(),
    );
    let e = auth.authenticate(&h).await.unwrap_err();
    assert_eq!(e.error_code(), ErrorCode::ValidationError);
}

#[tokio::test]
async fn missing_or_non_bearer_authorization_is_unauthenticated() {
    let auth = authenticator(CountingSource::issuer());
    assert_unauthenticated(
        auth.authenticate(&headers(&[])).await,
        "missing bearer token",
    );
    let token = sign(&alice());
    for value in [
        format!("Basic {token}"),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        token.clone(),
    ] {
        let e = auth
            .authenticate(&headers(&[("authorization", &value)]))
            .await
            .unwrap_err();
        assert_eq!(e.error_code(), ErrorCode::Unauthenticated, "{value}");
    }
    let e = auth
        .authenticate(&headers(&[
            ("authorization", &bearer(&token)),
            ("authorization", &bearer(&token)),
        ]))
        .await
        .unwrap_err();
    assert_eq!(e.error_code(), ErrorCode::Unauthenticated);
    // Lower-case scheme is fine (RFC 7235: schemes are case-insensitive).
    let lower = format!("bearer {token}");
    auth.authenticate(&headers(&[("authorization", &lower)]))
        .await
        .unwrap();
}

#[tokio::test]
async fn unauthenticated_requests_get_401_whatever_else_they_send() {
    let auth = authenticator(CountingSource::issuer());
    let e = auth
        .authenticate(&headers(&[
            ("x-iam-org", "not valid!"),
            ("x-iam-user", "x"),
        ]))
        .await
        .unwrap_err();
    assert_eq!(e.error_code(), ErrorCode::Unauthenticated);
}

#[tokio::test]
async fn gateway_headers_are_ignored_unless_trusted() {
    let gateway = [
        ("x-iam-org", "acme"),
        ("x-iam-user", "acme/alice"),
        ("x-iam-roles", "admin,trader"),
    ];
    let auth = authenticator(CountingSource::issuer());
    assert_unauthenticated(
        auth.authenticate(&headers(&gateway)).await,
        "missing bearer token",
    );

    let source = CountingSource::issuer();
    let trusting = Authenticator::with_source(config().trust_gateway(true), source.clone());
    let caller = trusting.authenticate(&headers(&gateway)).await.unwrap();
    assert_eq!(caller.org_id, "acme");
    assert_eq!(caller.subject, "acme/alice");
    assert_eq!(caller.roles, vec!["admin", "trader"]);
    assert_eq!(caller.kind, CallerKind::User);
    assert!(caller.is_admin());
    assert_eq!(source.fetches(), 0);
}

#[tokio::test]
async fn trusted_gateway_headers_are_still_checked() {
    let auth = Authenticator::with_source(config().trust_gateway(true), CountingSource::issuer());
    // Incomplete identities are not identities.
    assert_unauthenticated(
        auth.authenticate(&headers(&[("x-iam-org", "acme")])).await,
        "missing bearer token",
    );
    assert_unauthenticated(
        auth.authenticate(&headers(&[("x-iam-user", "u")])).await,
        "missing bearer token",
    );
    // No roles header: a user without roles.
    let caller = auth
        .authenticate(&headers(&[("x-iam-org", "acme"), ("x-iam-user", "u1")]))
        .await
        .unwrap();
    assert!(caller.roles.is_empty());
    // A gateway cannot make a user internal.
    let caller = auth
        .authenticate(&headers(&[
            ("x-iam-org", "acme"),
            ("x-iam-user", "u1"),
            ("x-iam-roles", "internal"),
        ]))
        .await
        .unwrap();
    assert!(!caller.has_role("internal"));
    for bad in [
        [
            ("x-iam-org", "bad org"),
            ("x-iam-user", "u1"),
            ("x-iam-roles", ""),
        ],
        [
            ("x-iam-org", "acme"),
            ("x-iam-user", "a b"),
            ("x-iam-roles", ""),
        ],
        [
            ("x-iam-org", "acme"),
            ("x-iam-user", "u1"),
            ("x-iam-roles", "tr ader"),
        ],
    ] {
        let e = auth.authenticate(&headers(&bad)).await.unwrap_err();
        assert_eq!(e.error_code(), ErrorCode::ValidationError, "{bad:?}");
    }
    // A bearer token wins over gateway headers, and X-IAM-Org must still match it.
    let token = sign(&alice());
    let caller = auth
        .authenticate(&headers(&[
            ("authorization", &bearer(&token)),
            ("x-iam-user", "someone-else"),
        ]))
        .await
        .unwrap();
    assert_eq!(caller.subject, "id-acme-alice");
    let e = auth
        .authenticate(&headers(&[
            ("authorization", &bearer(&token)),
            ("x-iam-org", "globex"),
            ("x-iam-user", "x"),
        ]))
        .await
        .unwrap_err();
    assert_eq!(e.error_code(), ErrorCode::Forbidden);
}

#[tokio::test]
async fn roles_as_strings_and_as_objects() {
    let auth = authenticator(CountingSource::issuer());
    let strings = user_claims("acme", "carla", json!(["compliance", "viewer"]));
    let caller = auth_with(&auth, &sign(&strings), &[]).await.unwrap();
    assert_eq!(caller.roles, vec!["compliance", "viewer"]);

    let objects = user_claims(
        "acme",
        "carla",
        json!([
            {"owner": "acme", "name": "compliance", "displayName": "Compliance", "users": ["acme/carla"], "isEnabled": true},
            {"owner": "acme", "name": "viewer"}
        ]),
    );
    let caller = auth_with(&auth, &sign(&objects), &[]).await.unwrap();
    assert_eq!(caller.roles, vec!["compliance", "viewer"]);
    assert!(caller.require_any_role(&["compliance"]).is_ok());
    assert_eq!(
        caller.require_any_role(&["trader"]).unwrap_err().status(),
        403
    );

    let mut none = user_claims("acme", "x", Value::Null);
    let caller = auth_with(&auth, &sign(&none), &[]).await.unwrap();
    assert!(caller.roles.is_empty());
    none.as_object_mut().unwrap().remove("roles");
    let caller = auth_with(&auth, &sign(&none), &[]).await.unwrap();
    assert!(caller.roles.is_empty());
}

#[tokio::test]
async fn a_user_token_claiming_internal_gets_no_service_powers() {
    let auth = authenticator(CountingSource::issuer());
    let mut claims = user_claims("acme", "mallory", json!(["internal"]));
    claims["scope"] = json!("internal");
    let caller = auth_with(&auth, &sign(&claims), &[("x-iam-org", "acme")])
        .await
        .unwrap();
    assert_eq!(caller.kind, CallerKind::User);
    assert!(!caller.has_role("internal"));
    assert!(caller.require_any_role(&["internal"]).is_err());
}

#[tokio::test]
async fn admin_passes_for_its_own_org() {
    let auth = authenticator(CountingSource::issuer());
    let admin = user_claims(
        "globex",
        "admin",
        json!([{"owner": "globex", "name": "admin"}]),
    );
    let caller = auth_with(&auth, &sign(&admin), &[]).await.unwrap();
    assert_eq!(caller.org_id, "globex");
    assert!(caller.require_any_role(&["trader"]).is_ok());
    assert!(caller.require_any_role(&["compliance"]).is_ok());
    assert!(caller.require_any_role(&["internal"]).is_err());
    // ...and only its own.
    let e = auth_with(&auth, &sign(&admin), &[("x-iam-org", "acme")])
        .await
        .unwrap_err();
    assert_eq!(e.status(), 403);
}

#[tokio::test]
async fn leeway_is_configurable() {
    let cfg = config().leeway(Duration::ZERO);
    let auth = Authenticator::with_source(cfg, CountingSource::issuer());
    let mut claims = alice();
    claims["exp"] = json!(now() - 5);
    assert_unauthenticated(auth_with(&auth, &sign(&claims), &[]).await, "token expired");
}

#[tokio::test]
async fn clones_share_the_key_cache() {
    let source = CountingSource::issuer();
    let auth = authenticator(source.clone());
    let clone = auth.clone();
    auth_with(&auth, &sign(&alice()), &[]).await.unwrap();
    auth_with(&clone, &sign(&alice()), &[]).await.unwrap();
    assert_eq!(source.fetches(), 1);
    assert_eq!(Arc::strong_count(&source), 2);
}

#[tokio::test]
async fn a_verified_token_expires_even_when_remembered() {
    let cfg = config().leeway(Duration::ZERO);
    let auth = Authenticator::with_source(cfg, CountingSource::issuer());
    let mut claims = alice();
    claims["exp"] = json!(now() + 1);
    let token = sign(&claims);
    auth_with(&auth, &token, &[]).await.unwrap();
    // The second use is answered from the verified-token cache ...
    auth_with(&auth, &token, &[]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    // ... but never past the token's own expiry.
    assert_unauthenticated(auth_with(&auth, &token, &[]).await, "token expired");
}

#[tokio::test]
async fn a_remembered_token_still_obeys_the_tenant_rules() {
    let auth = authenticator(CountingSource::issuer());
    let token = sign(&alice());
    auth_with(&auth, &token, &[]).await.unwrap();
    let e = auth_with(&auth, &token, &[("x-iam-org", "globex")])
        .await
        .unwrap_err();
    assert_eq!(e.error_code(), ErrorCode::Forbidden);
    // A one-byte change to the signature is not the remembered token.
    let mut forged = token.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    assert_unauthenticated(auth_with(&auth, &forged, &[]).await, "invalid token");
}
