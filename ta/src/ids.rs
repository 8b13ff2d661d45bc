//! The TA's identifiers (API.md, Conventions).

platform::prefixed_id!(
    /// A security (asset), `ast_…`.
    SecurityId,
    "ast"
);
platform::prefixed_id!(
    /// A transfer, `trf_…`.
    TransferId,
    "trf"
);
platform::prefixed_id!(
    /// A dividend declaration, `div_…`.
    DividendId,
    "div"
);
platform::prefixed_id!(
    /// A corporate action (issuances included), `ca_…`.
    CorporateActionId,
    "ca"
);
platform::prefixed_id!(
    /// An investor, `inv_…`, issued by the BD. The TA checks the form only: it does not ask
    /// the BD whether the investor exists (the ATS and BD run compliance before a transfer
    /// is requested).
    InvestorId,
    "inv"
);
platform::prefixed_id!(
    /// An ATS settlement, `stl_…`.
    SettlementId,
    "stl"
);

impl SecurityId {
    /// From the engine's string id (always written by this service).
    pub fn from_engine(s: &str) -> anyhow::Result<Self> {
        Self::parse(s).ok_or_else(|| anyhow::anyhow!("not a security id in the journal: {s}"))
    }
}

impl InvestorId {
    /// From the engine's string id (always written by this service).
    pub fn from_engine(s: &str) -> anyhow::Result<Self> {
        Self::parse(s).ok_or_else(|| anyhow::anyhow!("not an investor id in the journal: {s}"))
    }
}

impl TransferId {
    /// From the engine's string id (always written by this service).
    pub fn from_engine(s: &str) -> anyhow::Result<Self> {
        Self::parse(s).ok_or_else(|| anyhow::anyhow!("not a transfer id in the journal: {s}"))
    }
}
