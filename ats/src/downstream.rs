//! What the ATS asks of the BD and the TA, with its own service token acting for the caller's
//! organization (`platform::client::ServiceClient`: `X-IAM-Org`, `X-Request-Id`, retries).

use platform::client::{CallFailure, ServiceClient};
use platform::ids::{AssetId, CheckId, InvestorId, OrderId};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vocab::{Regulation, Side};

/// The most checks the BD takes in one batch call.
pub const PRE_TRADE_BATCH: usize = 500;

/// The most events the BD takes in one batch call.
pub const EVENTS_BATCH: usize = 500;

#[derive(Clone)]
pub struct Downstream {
    pub bd: ServiceClient,
    pub ta: ServiceClient,
}

/// One order's pre-trade check, as the BD's pre-trade endpoints take it.
#[derive(Debug, Clone, Serialize)]
pub struct PreTrade {
    pub order_id: OrderId,
    pub investor_id: InvestorId,
    pub asset_id: AssetId,
    pub side: Side,
    pub quantity: Decimal,
    pub price: Option<Decimal>,
    pub regulation: Regulation,
}

/// One failing rule of the BD's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reason {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

impl Reason {
    /// The check the rule belongs to (`kyc`, `sanctions`, `accreditation`, ...): the BD's
    /// reason codes are named `<check>_<problem>`.
    pub fn check(&self) -> String {
        const CHECKS: [&str; 6] = [
            "kyc",
            "sanctions",
            "accreditation",
            "investment_limit",
            "jurisdiction",
            "investor",
        ];
        CHECKS
            .into_iter()
            .find(|c| self.code.starts_with(c))
            .map_or_else(|| self.code.clone(), str::to_owned)
    }

    /// When the failing state ends or ended, where the BD says (an accreditation's expiry).
    pub fn expires_at(&self) -> Option<String> {
        self.details
            .as_ref()
            .and_then(|d| d.get("expires_at"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct PreTradeAnswer {
    pub id: CheckId,
    pub order_id: OrderId,
    pub approved: bool,
    #[serde(default)]
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Security {
    pub id: AssetId,
    pub symbol: String,
    pub name: String,
    pub regulation: Regulation,
    pub status: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Holding {
    asset_id: AssetId,
    transferable_quantity: Decimal,
}

#[derive(Debug, Clone, Deserialize)]
struct InvestorHoldings {
    holdings: Vec<Holding>,
}

impl Downstream {
    /// The BD's decisions on several orders in one call (`/v1/compliance/pre-trade/batch`,
    /// at most [`PRE_TRADE_BATCH`] a call), in the order asked. Retried on a transient failure
    /// without an `Idempotency-Key`: the BD keys what a check reserves by its order, so a
    /// repeated check reserves once (it is kept for audit twice).
    pub async fn pre_trade_batch(
        &self,
        org: &str,
        checks: &[PreTrade],
    ) -> Result<Vec<PreTradeAnswer>, CallFailure> {
        #[derive(Serialize)]
        struct Batch<'a> {
            checks: &'a [PreTrade],
        }
        #[derive(Deserialize)]
        struct Results {
            results: Vec<PreTradeAnswer>,
        }
        let mut out = Vec::with_capacity(checks.len());
        for chunk in checks.chunks(PRE_TRADE_BATCH) {
            let answer: Results = self
                .bd
                .post_idempotent(
                    org,
                    "/v1/compliance/pre-trade/batch",
                    &Batch { checks: chunk },
                )
                .await?;
            if answer.results.len() != chunk.len() {
                return Err(CallFailure::Unavailable {
                    service: "bd",
                    reason: format!(
                        "the batch pre-trade answered {} results for {} checks",
                        answer.results.len(),
                        chunk.len()
                    ),
                });
            }
            out.extend(answer.results);
        }
        Ok(out)
    }

    /// The TA's security; `None` when the organization has none by that id.
    pub async fn security(&self, org: &str, id: AssetId) -> Result<Option<Security>, CallFailure> {
        match self.ta.get(org, &format!("/v1/securities/{id}")).await {
            Ok(s) => Ok(Some(s)),
            Err(CallFailure::Refused { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// What the investor may transfer of the asset today, by the TA (before open sells);
    /// zero for an investor the TA has never recorded.
    pub async fn transferable(
        &self,
        org: &str,
        investor: InvestorId,
        asset: AssetId,
    ) -> Result<Decimal, CallFailure> {
        let path = format!("/v1/holdings/{investor}?asset_id={asset}");
        match self.ta.get::<InvestorHoldings>(org, &path).await {
            Ok(h) => Ok(h
                .holdings
                .iter()
                .filter(|x| x.asset_id == asset)
                .map(|x| x.transferable_quantity)
                .sum()),
            Err(CallFailure::Refused { status: 404, .. }) => Ok(Decimal::ZERO),
            Err(e) => Err(e),
        }
    }

    /// Delivers outbox events to the BD in one call (`/v1/events/batch`, at most
    /// [`EVENTS_BATCH`]), which applies them in the order given, all or none. Retried on a
    /// transient failure without an `Idempotency-Key`: the BD ignores an event id it has seen,
    /// so a repeated delivery changes nothing.
    pub async fn deliver_batch(&self, org: &str, events: &[&Value]) -> Result<(), CallFailure> {
        #[derive(Serialize)]
        struct Batch<'a> {
            events: &'a [&'a Value],
        }
        #[derive(Deserialize)]
        struct Results {
            results: Vec<serde::de::IgnoredAny>,
        }
        let answer: Results = self
            .bd
            .post_idempotent(org, "/v1/events/batch", &Batch { events })
            .await?;
        if answer.results.len() != events.len() {
            return Err(CallFailure::Unavailable {
                service: "bd",
                reason: format!(
                    "the event batch answered {} results for {} events",
                    answer.results.len(),
                    events.len()
                ),
            });
        }
        Ok(())
    }
}
