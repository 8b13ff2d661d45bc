//! The platform's shared vocabulary: enums whose wire names API.md fixes and that the pure
//! engines (cap table, compliance) and the services all speak. One definition, so a name can
//! never drift between a service and the rules it applies.

use serde::{Deserialize, Serialize};

/// The exemption (or registration) a security was offered under. It decides who may buy it,
/// how much, and whether its shares are restricted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Regulation {
    /// Rule 506(b) of Regulation D (no general solicitation).
    #[serde(rename = "reg_d_506b")]
    RegD506b,
    /// Rule 506(c) of Regulation D (general solicitation; verified accredited purchasers only).
    #[serde(rename = "reg_d_506c")]
    RegD506c,
    /// Tier 2 of Regulation A.
    #[serde(rename = "reg_a_tier2")]
    RegATier2,
    /// Regulation Crowdfunding.
    #[serde(rename = "reg_cf")]
    RegCf,
    /// Registered under the Securities Act.
    #[serde(rename = "registered")]
    Registered,
}

impl Regulation {
    pub const ALL: [Regulation; 5] = [
        Self::RegD506b,
        Self::RegD506c,
        Self::RegATier2,
        Self::RegCf,
        Self::Registered,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RegD506b => "reg_d_506b",
            Self::RegD506c => "reg_d_506c",
            Self::RegATier2 => "reg_a_tier2",
            Self::RegCf => "reg_cf",
            Self::Registered => "registered",
        }
    }
}

impl std::fmt::Display for Regulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Regulation {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownName(s.to_owned()))
    }
}

/// The side of an order or trade, as the ATS names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// A purchase.
    Buy,
    /// A sale.
    Sell,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Buy => "buy",
            Self::Sell => "sell",
        }
    }
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Side {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "buy" => Ok(Self::Buy),
            "sell" => Ok(Self::Sell),
            other => Err(UnknownName(other.to_owned())),
        }
    }
}

/// The bounds every service and engine applies to what is traded, so an order the ATS takes is
/// never refused by the BD or the TA for its size. A register entry may be larger (an issuance
/// or a split: `captable::money::MAX_QUANTITY`, 10^15), never a trade.
pub mod bounds {
    use rust_decimal::Decimal;

    /// The largest quantity of one order, trade or transfer between investors: 10^12 units.
    pub const MAX_QUANTITY: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0);
    /// The largest price per unit (USD): 10^9. With [`MAX_QUANTITY`] an amount stays below
    /// 10^21, so sums over years of trades stay far inside `Decimal`'s 28 digits.
    pub const MAX_PRICE: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);
    /// Decimal places a quantity or a price may carry.
    pub const MAX_SCALE: u32 = 8;

    /// What is wrong with a quantity or a price.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Problem {
        NotPositive,
        TooLarge(Decimal),
        TooPrecise(u32),
    }

    impl std::fmt::Display for Problem {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match self {
                Self::NotPositive => f.write_str("must be greater than zero"),
                Self::TooLarge(max) => write!(f, "must be at most {max}"),
                Self::TooPrecise(dp) => write!(f, "must have at most {dp} decimal places"),
            }
        }
    }

    fn within(v: Decimal, max: Decimal) -> Result<(), Problem> {
        if v <= Decimal::ZERO {
            Err(Problem::NotPositive)
        } else if v > max {
            Err(Problem::TooLarge(max))
        } else if v.normalize().scale() > MAX_SCALE {
            Err(Problem::TooPrecise(MAX_SCALE))
        } else {
            Ok(())
        }
    }

    /// A traded quantity: positive, at most [`MAX_QUANTITY`], at most [`MAX_SCALE`] places.
    pub fn quantity(v: Decimal) -> Result<(), Problem> {
        within(v, MAX_QUANTITY)
    }

    /// A price per unit: positive, at most [`MAX_PRICE`], at most [`MAX_SCALE`] places.
    pub fn price(v: Decimal) -> Result<(), Problem> {
        within(v, MAX_PRICE)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn bounds() {
            assert_eq!(MAX_QUANTITY.to_string(), "1000000000000");
            assert_eq!(MAX_PRICE.to_string(), "1000000000");
            assert!(quantity(MAX_QUANTITY).is_ok());
            assert_eq!(
                quantity(MAX_QUANTITY + Decimal::new(1, 6)),
                Err(Problem::TooLarge(MAX_QUANTITY))
            );
            assert_eq!(price(Decimal::ZERO), Err(Problem::NotPositive));
            assert_eq!(price(Decimal::new(-1, 0)), Err(Problem::NotPositive));
            assert_eq!(price(Decimal::new(1, 9)), Err(Problem::TooPrecise(8)));
            assert!(
                price(Decimal::new(1_000_000_000, 9)).is_ok(),
                "trailing zeros count not"
            );
            let amount = MAX_QUANTITY * MAX_PRICE;
            assert!(amount.checked_mul(Decimal::from(1_000_000)).is_some());
        }
    }
}

/// Declares a fieldless enum with fixed wire names: serde, `as_str`, `Display`, `FromStr`
/// and `ALL`, so a name is written once.
macro_rules! wire_enum {
    // `$wire:tt`, not `:literal`: a literal fragment reaches the derives wrapped in an invisible
    // group, which utoipa's derive does not see through (its schema would list the variant
    // names instead of the wire names).
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$(Self::$variant),+];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| UnknownName(s.to_owned()))
            }
        }
    };
}

wire_enum! {
    /// How an order is priced (API.md, ATS).
    OrderType {
        /// At the best prices available; never rests on the book.
        Market = "market",
        /// At `price` or better.
        Limit = "limit",
        /// Held off the book until a trade reaches `stop_price`, then a market order.
        Stop = "stop",
        /// Held off the book until a trade reaches `stop_price`, then a limit order at `price`.
        StopLimit = "stop_limit",
    }
}

impl OrderType {
    /// Whether the order carries a limit `price`.
    pub fn has_limit_price(self) -> bool {
        matches!(self, Self::Limit | Self::StopLimit)
    }

    /// Whether the order carries a `stop_price`.
    pub fn has_stop_price(self) -> bool {
        matches!(self, Self::Stop | Self::StopLimit)
    }
}

wire_enum! {
    /// How long an order stays working (API.md, ATS; `gtc` by default).
    TimeInForce {
        /// Good till cancelled.
        Gtc = "gtc",
        /// Until the end of the trading day.
        Day = "day",
        /// Immediate or cancel: what does not fill at once is cancelled.
        Ioc = "ioc",
        /// Fill or kill: filled entirely at once, or not at all.
        Fok = "fok",
    }
}

// A macro-made enum cannot take `#[default]` on one variant.
#[allow(clippy::derivable_impls)]
impl Default for TimeInForce {
    fn default() -> Self {
        Self::Gtc
    }
}

wire_enum! {
    /// The life of an order (API.md, ATS).
    OrderStatus {
        /// Recorded, not checked yet.
        New = "new",
        /// Waiting for the BD's pre-trade check.
        PendingCompliance = "pending_compliance",
        /// On the book (or, for a stop, held until triggered), nothing filled.
        Open = "open",
        /// On the book with part of it filled.
        PartiallyFilled = "partially_filled",
        /// Entirely filled.
        Filled = "filled",
        /// Filled; its trades are settling.
        Settling = "settling",
        /// Filled and every trade settled.
        Settled = "settled",
        /// Refused before reaching the book (compliance, holdings, the BD unreachable).
        Rejected = "rejected",
        /// What was left of it was cancelled: on request, by its time in force (an `ioc`
        /// remainder, an unfillable `fok`, a `day` order at the end of the trading day), by
        /// self-trade prevention, or a market order that found no liquidity. API.md has no
        /// `expired` status: an expiry is a cancellation whose reason says so.
        Cancelled = "cancelled",
        /// A settlement of one of its trades failed.
        SettlementFailed = "settlement_failed",
        /// One of its trades was reversed.
        Reversed = "reversed",
    }
}

impl OrderStatus {
    /// Whether the order may still trade (or, for a held stop, be triggered).
    pub fn is_working(self) -> bool {
        matches!(self, Self::Open | Self::PartiallyFilled)
    }
}

wire_enum! {
    /// What the ATS tells the BD about orders and trades (API.md, Events).
    EventType {
        /// The order passed the checks and reached the book.
        OrderAccepted = "order.accepted",
        /// The order was refused before reaching the book.
        OrderRejected = "order.rejected",
        /// What was left of the order was cancelled.
        OrderCancelled = "order.cancelled",
        /// The order's time in force ran out.
        OrderExpired = "order.expired",
        /// Two orders traded.
        TradeExecuted = "trade.executed",
    }
}

wire_enum! {
    /// A settlement's state (API.md, ATS).
    SettlementStatus {
        /// Waiting for (or between) its steps.
        Pending = "pending",
        /// Every step done.
        Settled = "settled",
        /// Gave up; needs a person.
        Failed = "failed",
        /// Undone after settling.
        Reversed = "reversed",
    }
}

/// A name that is not one of the enum's wire names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName(pub String);

impl std::fmt::Display for UnknownName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown name `{}`", self.0)
    }
}

impl std::error::Error for UnknownName {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip_through_serde_and_from_str() {
        for r in Regulation::ALL {
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.as_str()));
            assert_eq!(serde_json::from_str::<Regulation>(&json).unwrap(), r);
            assert_eq!(r.as_str().parse::<Regulation>().unwrap(), r);
        }
        for s in [Side::Buy, Side::Sell] {
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
            assert_eq!(s.as_str().parse::<Side>().unwrap(), s);
        }
        for t in OrderType::ALL {
            let json = serde_json::to_string(t).unwrap();
            assert_eq!(serde_json::from_str::<OrderType>(&json).unwrap(), *t);
            assert_eq!(t.as_str().parse::<OrderType>().unwrap(), *t);
        }
        assert_eq!(
            serde_json::to_string(&EventType::TradeExecuted).unwrap(),
            "\"trade.executed\""
        );
        assert_eq!(
            "stop_limit".parse::<OrderType>().unwrap(),
            OrderType::StopLimit
        );
        assert_eq!(TimeInForce::default(), TimeInForce::Gtc);
        assert!("expired".parse::<OrderStatus>().is_err());
        #[cfg(feature = "openapi")]
        {
            use utoipa::PartialSchema;
            let schema = serde_json::to_value(OrderType::schema()).unwrap();
            assert_eq!(
                schema["enum"],
                serde_json::json!(["market", "limit", "stop", "stop_limit"]),
                "the schema names the wire names: {schema}"
            );
            let schema = serde_json::to_value(EventType::schema()).unwrap();
            assert_eq!(schema["enum"][4], "trade.executed", "{schema}");
        }
        assert!("reg_d".parse::<Regulation>().is_err());
        assert!("Buy".parse::<Side>().is_err());
    }
}
