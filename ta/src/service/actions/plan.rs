//! A corporate action's body, read by its `type` into the [`Plan`] of what it will do.

use captable::{Action, ConversionScope, Ratio};
use platform::extract::parse_json;
use platform::ids::{AssetId, InvestorId};
use platform::{ApiError, ApiResult};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use time::Date;
use utoipa::ToSchema;

use crate::bounds::{check_price, check_quantity, parse_ratio};
use crate::views::SecurityIdDoc;

/// New shares from the issuer.
#[derive(Debug, Deserialize, ToSchema)]
pub struct IssuanceRequest {
    #[schema(value_type = SecurityIdDoc)]
    pub asset_id: AssetId,
    pub investor_id: InvestorId,
    /// Whole shares, positive.
    #[schema(value_type = String, example = "1000")]
    pub quantity: Decimal,
    /// Cost per share (the lot's basis), zero or more.
    #[schema(value_type = String, example = "1.00")]
    pub price_per_share: Decimal,
    /// When the investor acquired the shares, if before today (loading an existing cap
    /// table): the lot's tax date, the start of its holding period, and the day the issuance
    /// takes effect on the register. Not after today, not before 1900-01-01 or the issuer's
    /// formation date, and not before the security's latest journal entry.
    pub acquired_at: Option<Date>,
}

/// A forward (`split`, new > old) or reverse (`reverse_split`, new < old) split.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SplitRequest {
    #[schema(value_type = SecurityIdDoc)]
    pub asset_id: AssetId,
    /// `new:old` with whole numbers, e.g. `"2:1"`, `"1:10"`.
    #[schema(example = "2:1")]
    pub ratio: String,
    /// Cash per post-split share paid for fractions (rounded down to the cent per holder);
    /// required only when a holder would be left with a fraction.
    #[schema(value_type = Option<String>)]
    pub cash_in_lieu_price: Option<Decimal>,
}

/// Every holder of `asset_id` receives `ratio` shares of `target_asset_id`; `asset_id` is
/// retired.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MergerRequest {
    #[schema(value_type = SecurityIdDoc)]
    pub asset_id: AssetId,
    #[schema(value_type = SecurityIdDoc)]
    pub target_asset_id: AssetId,
    /// Target shares : source shares, e.g. `"3:2"`.
    #[schema(example = "1:2")]
    pub ratio: String,
    /// Cash per target share for fractions.
    #[schema(value_type = Option<String>)]
    pub cash_in_lieu_price: Option<Decimal>,
}

/// Shares of `asset_id` become shares of `target_asset_id` (preferred into common), keeping
/// acquisition dates and basis: every holder, or one.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ConversionRequest {
    #[schema(value_type = SecurityIdDoc)]
    pub asset_id: AssetId,
    #[schema(value_type = SecurityIdDoc)]
    pub target_asset_id: AssetId,
    /// Target shares : source shares.
    #[schema(example = "1:1")]
    pub ratio: String,
    /// Only this holder (an optional conversion); every holder when absent (a mandatory one).
    pub investor_id: Option<InvestorId>,
    /// With `investor_id`: how many source shares (the whole position when absent).
    #[schema(value_type = Option<String>)]
    pub quantity: Option<Decimal>,
    /// Cash per target share for fractions.
    #[schema(value_type = Option<String>)]
    pub cash_in_lieu_price: Option<Decimal>,
}

/// The issuer buys back and cancels a holder's shares, oldest lots first (holding periods
/// do not apply to the issuer; shares reserved by a pending transfer are not taken).
#[derive(Debug, Deserialize, ToSchema)]
pub struct RedemptionRequest {
    #[schema(value_type = SecurityIdDoc)]
    pub asset_id: AssetId,
    pub investor_id: InvestorId,
    #[schema(value_type = String, example = "100")]
    pub quantity: Decimal,
    /// Paid per share.
    #[schema(value_type = String, example = "2.00")]
    pub price_per_share: Decimal,
}

/// A corporate action, by `type`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CorporateActionRequest {
    Issuance(IssuanceRequest),
    Split(SplitRequest),
    ReverseSplit(SplitRequest),
    Merger(MergerRequest),
    Conversion(ConversionRequest),
    Redemption(RedemptionRequest),
}

/// The `type`s of corporate action.
pub const TYPES: [&str; 6] = [
    "issuance",
    "split",
    "reverse_split",
    "merger",
    "conversion",
    "redemption",
];

/// What one action will do, before it is tried.
pub struct Plan {
    pub kind: &'static str,
    pub asset: AssetId,
    pub target: Option<AssetId>,
    /// Positions to load: these holders', or every holder's.
    pub investors: Option<Vec<InvestorId>>,
    pub action: Action,
    pub investor: Option<InvestorId>,
    pub quantity: Option<Decimal>,
    pub price: Option<Decimal>,
    pub ratio: Option<Ratio>,
    pub cash_in_lieu_price: Option<Decimal>,
    pub acquired_at: Option<Date>,
}

fn parse_variant<T: DeserializeOwned>(body: &Value) -> ApiResult<T> {
    let bytes = serde_json::to_vec(body).map_err(ApiError::internal)?;
    parse_json(&bytes)
}

/// Reads a corporate action's body by its `type` (400 naming the field for an unknown or
/// missing `type` and for every field of the variant), and checks its quantities and prices.
pub fn plan(mut body: Value) -> ApiResult<Plan> {
    let Some(map) = body.as_object_mut() else {
        return Err(ApiError::validation("body", "expected a JSON object"));
    };
    let kind = take_type(map.remove("type"))?;
    match kind {
        "issuance" => issuance(parse_variant(&body)?),
        "split" | "reverse_split" => split(kind, parse_variant(&body)?),
        "merger" => merger(parse_variant(&body)?),
        "conversion" => conversion(parse_variant(&body)?),
        _ => redemption(parse_variant(&body)?),
    }
}

fn take_type(value: Option<Value>) -> ApiResult<&'static str> {
    match value {
        None | Some(Value::Null) => Err(ApiError::validation(
            "type",
            format!("missing; one of {}", TYPES.join(", ")),
        )),
        Some(Value::String(s)) => TYPES.iter().find(|t| **t == s).copied().ok_or_else(|| {
            ApiError::validation(
                "type",
                format!("unknown type {s:?}; one of {}", TYPES.join(", ")),
            )
        }),
        Some(_) => Err(ApiError::validation(
            "type",
            format!("must be a string, one of {}", TYPES.join(", ")),
        )),
    }
}

fn cash(price: Option<Decimal>) -> ApiResult<Option<Decimal>> {
    if let Some(p) = price {
        check_price("cash_in_lieu_price", p)?;
    }
    Ok(price)
}

/// A plan touching `asset` alone, every holder's position, nothing else set.
fn plan_of(kind: &'static str, asset: AssetId, action: Action) -> Plan {
    Plan {
        kind,
        asset,
        target: None,
        investors: None,
        action,
        investor: None,
        quantity: None,
        price: None,
        ratio: None,
        cash_in_lieu_price: None,
        acquired_at: None,
    }
}

fn issuance(r: IssuanceRequest) -> ApiResult<Plan> {
    check_quantity("quantity", r.quantity)?;
    check_price("price_per_share", r.price_per_share)?;
    let action = Action::Issuance {
        security_id: r.asset_id.to_string(),
        investor_id: r.investor_id.to_string(),
        quantity: r.quantity,
        price_per_share: r.price_per_share,
        acquired_at: r.acquired_at,
    };
    Ok(Plan {
        investors: Some(vec![r.investor_id]),
        investor: Some(r.investor_id),
        quantity: Some(r.quantity),
        price: Some(r.price_per_share),
        acquired_at: r.acquired_at,
        ..plan_of("issuance", r.asset_id, action)
    })
}

fn split(kind: &'static str, r: SplitRequest) -> ApiResult<Plan> {
    let ratio = parse_ratio("ratio", &r.ratio)?;
    let price = cash(r.cash_in_lieu_price)?;
    let security_id = r.asset_id.to_string();
    let action = if kind == "split" {
        Action::Split {
            security_id,
            ratio,
            cash_in_lieu_price: price,
        }
    } else {
        Action::ReverseSplit {
            security_id,
            ratio,
            cash_in_lieu_price: price,
        }
    };
    Ok(Plan {
        ratio: Some(ratio),
        cash_in_lieu_price: price,
        ..plan_of(kind, r.asset_id, action)
    })
}

fn merger(r: MergerRequest) -> ApiResult<Plan> {
    let ratio = parse_ratio("ratio", &r.ratio)?;
    let price = cash(r.cash_in_lieu_price)?;
    let action = Action::Merger {
        security_id: r.asset_id.to_string(),
        target_security_id: r.target_asset_id.to_string(),
        ratio,
        cash_in_lieu_price: price,
    };
    Ok(Plan {
        target: Some(r.target_asset_id),
        ratio: Some(ratio),
        cash_in_lieu_price: price,
        ..plan_of("merger", r.asset_id, action)
    })
}

fn conversion(r: ConversionRequest) -> ApiResult<Plan> {
    let ratio = parse_ratio("ratio", &r.ratio)?;
    let price = cash(r.cash_in_lieu_price)?;
    if let Some(q) = r.quantity {
        if r.investor_id.is_none() {
            return Err(ApiError::validation(
                "quantity",
                "only with investor_id: a conversion of every holder converts whole positions",
            ));
        }
        check_quantity("quantity", q)?;
    }
    let scope = match r.investor_id {
        Some(investor) => ConversionScope::Holder {
            investor_id: investor.to_string(),
            quantity: r.quantity,
        },
        None => ConversionScope::All,
    };
    let action = Action::Conversion {
        security_id: r.asset_id.to_string(),
        target_security_id: r.target_asset_id.to_string(),
        ratio,
        scope,
        cash_in_lieu_price: price,
    };
    Ok(Plan {
        target: Some(r.target_asset_id),
        investors: r.investor_id.map(|i| vec![i]),
        investor: r.investor_id,
        quantity: r.quantity,
        ratio: Some(ratio),
        cash_in_lieu_price: price,
        ..plan_of("conversion", r.asset_id, action)
    })
}

fn redemption(r: RedemptionRequest) -> ApiResult<Plan> {
    check_quantity("quantity", r.quantity)?;
    check_price("price_per_share", r.price_per_share)?;
    let action = Action::Redemption {
        security_id: r.asset_id.to_string(),
        investor_id: r.investor_id.to_string(),
        quantity: r.quantity,
        price_per_share: r.price_per_share,
    };
    Ok(Plan {
        investors: Some(vec![r.investor_id]),
        investor: Some(r.investor_id),
        quantity: Some(r.quantity),
        price: Some(r.price_per_share),
        ..plan_of("redemption", r.asset_id, action)
    })
}
