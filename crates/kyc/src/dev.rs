use std::future::Future;
use std::pin::Pin;

use serde_json::json;

use crate::{KycError, KycOutcome, KycProvider, KycStatus, KycSubject};

/// The deterministic provider of the local stack and the tests: no network, answers at once.
///
/// Rules, applied to individuals and entities alike (KYB is approved like KYC), looking for
/// markers in the **legal name or the email, case-insensitively**, first match wins:
///
/// 1. The subject is validated like every provider does ([`KycSubject::validate`]): an empty
///    investor id or legal name, or a country that is not an assigned ISO 3166-1 alpha-2 code,
///    is [`KycError::InvalidSubject`].
/// 2. `unavailable` → `Err(`[`KycError::Unavailable`]`)`, so the BD can exercise its 502 path.
/// 3. `reject` → [`KycStatus::Rejected`], reasons `["dev_marker_reject", "…"]`.
/// 4. `review` → [`KycStatus::Review`], reasons `["pending_provider_review", "dev_marker_review"]`.
/// 5. Otherwise → [`KycStatus::Approved`], no reasons.
///
/// `provider` is `"dev"`, `provider_ref` is `dev_<investor_id>` (the same on every call, as a
/// real provider reuses its applicant), and `raw` records the rule that decided.
#[derive(Debug, Clone, Copy, Default)]
pub struct DevProvider;

impl DevProvider {
    pub const NAME: &'static str = "dev";

    pub fn new() -> Self {
        Self
    }

    /// The rules above, synchronously.
    pub fn decide(&self, subject: &KycSubject) -> Result<KycOutcome, KycError> {
        subject.validate()?;
        let name = subject.legal_name.to_lowercase();
        let email = subject.email.to_lowercase();
        let has = |marker: &str| name.contains(marker) || email.contains(marker);

        if has("unavailable") {
            return Err(KycError::Unavailable(
                "dev provider: subject carries the `unavailable` marker".into(),
            ));
        }
        let (status, reasons, rule) = if has("reject") {
            (
                KycStatus::Rejected,
                vec![
                    "dev_marker_reject".to_owned(),
                    "the legal name or email contains `reject`".to_owned(),
                ],
                "reject",
            )
        } else if has("review") {
            (
                KycStatus::Review,
                vec![
                    "pending_provider_review".to_owned(),
                    "dev_marker_review".to_owned(),
                ],
                "review",
            )
        } else {
            (KycStatus::Approved, Vec::new(), "approve")
        };
        Ok(KycOutcome {
            status,
            provider: Self::NAME.to_owned(),
            provider_ref: Some(format!("dev_{}", subject.investor_id)),
            reasons,
            raw: json!({
                "provider": Self::NAME,
                "rule": rule,
                "investor_id": subject.investor_id,
                "kind": subject.kind,
            }),
        })
    }
}

impl KycProvider for DevProvider {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn verify<'a>(
        &'a self,
        subject: &'a KycSubject,
    ) -> Pin<Box<dyn Future<Output = Result<KycOutcome, KycError>> + Send + 'a>> {
        let outcome = self.decide(subject);
        Box::pin(async move { outcome })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SubjectKind;

    fn subject(kind: SubjectKind, name: &str, email: &str) -> KycSubject {
        KycSubject {
            investor_id: "inv_0190f0a8c0de7000a000000000000001".into(),
            kind,
            legal_name: name.into(),
            email: email.into(),
            country: "US".into(),
            date_of_birth: None,
            external_ref: None,
        }
    }

    async fn verify(s: &KycSubject) -> Result<KycOutcome, KycError> {
        let provider: std::sync::Arc<dyn KycProvider> = std::sync::Arc::new(DevProvider);
        provider.verify(s).await
    }

    fn block_on<F: Future>(f: F) -> F::Output {
        // The dev provider's future is ready at once: poll it with a no-op waker.
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("dev provider future was not ready at once"),
        }
    }

    #[test]
    fn approves_by_default_individuals_and_entities() {
        for kind in [SubjectKind::Individual, SubjectKind::Entity] {
            let out = block_on(verify(&subject(kind, "Ada Lovelace", "ada@example.com")))
                .expect("approved");
            assert_eq!(out.status, KycStatus::Approved);
            assert_eq!(out.provider, "dev");
            assert_eq!(
                out.provider_ref.as_deref(),
                Some("dev_inv_0190f0a8c0de7000a000000000000001")
            );
            assert!(out.reasons.is_empty());
            assert_eq!(out.raw["rule"], "approve");
        }
    }

    #[test]
    fn reject_marker_in_name_or_email_any_case() {
        for (name, email) in [
            ("Max REJECT Power", "max@example.com"),
            ("Max Power", "Rejected.Max@example.com"),
        ] {
            for kind in [SubjectKind::Individual, SubjectKind::Entity] {
                let out = block_on(verify(&subject(kind, name, email))).expect("outcome");
                assert_eq!(out.status, KycStatus::Rejected, "{name} {email}");
                assert_eq!(out.reasons[0], "dev_marker_reject");
            }
        }
    }

    #[test]
    fn review_marker_in_name_or_email_any_case() {
        for (name, email) in [
            ("Ruth Review", "ruth@example.com"),
            ("Ruth", "ruth+ReViEw@example.com"),
        ] {
            let out =
                block_on(verify(&subject(SubjectKind::Individual, name, email))).expect("outcome");
            assert_eq!(out.status, KycStatus::Review);
            assert_eq!(
                out.reasons,
                vec!["pending_provider_review", "dev_marker_review"]
            );
        }
    }

    #[test]
    fn reject_wins_over_review() {
        let out = block_on(verify(&subject(
            SubjectKind::Entity,
            "Review Holdings",
            "reject@example.com",
        )))
        .expect("outcome");
        assert_eq!(out.status, KycStatus::Rejected);
    }

    #[test]
    fn unavailable_marker_is_an_error() {
        let err = block_on(verify(&subject(
            SubjectKind::Individual,
            "Una Unavailable",
            "u@example.com",
        )))
        .expect_err("unavailable");
        assert!(matches!(err, KycError::Unavailable(_)));
        assert_eq!(err.http_status(), 502);
        assert!(err.is_retryable());
    }

    #[test]
    fn invalid_subjects_are_refused() {
        let mut s = subject(SubjectKind::Individual, "Ada", "ada@example.com");
        s.country = "XX".into();
        assert!(matches!(
            block_on(verify(&s)),
            Err(KycError::InvalidSubject(_))
        ));
        s.country = "us".into();
        assert!(matches!(
            block_on(verify(&s)),
            Err(KycError::InvalidSubject(_))
        ));
        let mut s = subject(SubjectKind::Individual, "  ", "ada@example.com");
        assert!(matches!(
            block_on(verify(&s)),
            Err(KycError::InvalidSubject(_))
        ));
        s.legal_name = "Ada".into();
        s.investor_id = String::new();
        let err = block_on(verify(&s)).expect_err("invalid");
        assert_eq!(err.http_status(), 400);
    }

    #[test]
    fn deterministic() {
        let s = subject(SubjectKind::Individual, "Ada Lovelace", "ada@example.com");
        let a = block_on(verify(&s)).expect("a");
        let b = block_on(verify(&s)).expect("b");
        assert_eq!(a, b);
    }

    #[test]
    fn no_webhooks() {
        let err = DevProvider
            .verify_webhook(&http::HeaderMap::new(), b"{}")
            .expect_err("unsupported");
        assert!(matches!(err, KycError::Unsupported(_)));
    }

    #[test]
    fn no_hosted_flow() {
        let s = subject(SubjectKind::Individual, "Ada Lovelace", "ada@example.com");
        let err = block_on(DevProvider.verification_link(&s, 600)).expect_err("unsupported");
        assert!(matches!(err, KycError::Unsupported(_)));
        assert_eq!(err.http_status(), 404);
    }
}
