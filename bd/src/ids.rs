//! The BD's identifiers (API.md, Conventions).

platform::prefixed_id!(
    /// An investor, `inv_…`, issued by the BD.
    InvestorId,
    "inv"
);
platform::prefixed_id!(
    /// A check kept for audit (KYC, accreditation, pre-trade, settlement), `chk_…`.
    CheckId,
    "chk"
);
platform::prefixed_id!(
    /// A surveillance alert, `alr_…`.
    AlertId,
    "alr"
);
platform::prefixed_id!(
    /// An ATS event, `evt_…`, issued by the ATS.
    EventId,
    "evt"
);
platform::prefixed_id!(
    /// An ATS order, `ord_…`.
    OrderId,
    "ord"
);
platform::prefixed_id!(
    /// An ATS trade, `trd_…`.
    TradeId,
    "trd"
);
platform::prefixed_id!(
    /// A TA security listed on the ATS, `ast_…`.
    AssetId,
    "ast"
);
platform::prefixed_id!(
    /// An ATS settlement, `stl_…`.
    SettlementId,
    "stl"
);
