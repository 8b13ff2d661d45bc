//! What the TA asks of the BD, with its own service token acting for the caller's organization
//! (`platform::client::ServiceClient`: `X-IAM-Org`, `X-Request-Id`, retries): the names of the
//! holders of an OCF export.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use platform::Platform;
use platform::client::{CallFailure, ServiceClient};
use platform::ids::InvestorId;
use serde::{Deserialize, Serialize};

use crate::ocf::{Holder, HolderKind};

/// The most ids the BD's `POST /v1/investors/lookup` takes in one call.
pub const LOOKUP_BATCH: usize = 500;

#[derive(Clone)]
pub struct Downstream {
    /// The BD at `BD_URL`; `Err` (why) when its client could not be built, which every call
    /// then reports as the BD unavailable.
    bd: Result<ServiceClient, String>,
    /// How long the names of an export's holders are waited for (`TA_BD_TIMEOUT_SECS`).
    pub bd_timeout: Duration,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum InvestorType {
    Individual,
    Entity,
}

#[derive(Debug, Deserialize)]
struct InvestorName {
    id: String,
    #[serde(rename = "type")]
    investor_type: InvestorType,
    legal_name: String,
}

#[derive(Debug, Deserialize)]
struct Lookup {
    data: Vec<InvestorName>,
}

#[derive(Serialize)]
struct LookupRequest<'a> {
    ids: &'a [InvestorId],
}

impl Downstream {
    pub fn new(platform: &Platform, bd_url: &str, bd_timeout: Duration) -> Self {
        let bd = platform.client("bd", bd_url).map_err(|e| {
            tracing::error!(
                error = format!("{e:#}"),
                "the BD's client could not be built"
            );
            format!("{e:#}")
        });
        Self { bd, bd_timeout }
    }

    /// The names and types of the organization's investors among `ids`, as the BD holds them
    /// (`POST /v1/investors/lookup`, one call per [`LOOKUP_BATCH`] ids — one call for any
    /// cap table of up to 500 holders). Ids the BD does not know (or that are not `inv_` ids)
    /// are absent from the answer. A read: retried on a transient failure like a GET.
    pub async fn investor_names(
        &self,
        org: &str,
        ids: &BTreeSet<String>,
    ) -> Result<HashMap<String, Holder>, CallFailure> {
        let bd = self.bd.as_ref().map_err(|e| CallFailure::Unavailable {
            service: "bd",
            reason: e.clone(),
        })?;
        let ids: Vec<InvestorId> = ids.iter().filter_map(|s| InvestorId::parse(s)).collect();
        let mut names = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(LOOKUP_BATCH) {
            let answer: Lookup = bd
                .post_idempotent(org, "/v1/investors/lookup", &LookupRequest { ids: chunk })
                .await?;
            for n in answer.data {
                let kind = match n.investor_type {
                    InvestorType::Individual => HolderKind::Individual,
                    InvestorType::Entity => HolderKind::Institution,
                };
                names.insert(
                    n.id,
                    Holder {
                        legal_name: n.legal_name,
                        kind,
                    },
                );
            }
        }
        Ok(names)
    }
}
