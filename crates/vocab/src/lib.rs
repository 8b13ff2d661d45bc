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
        assert!("reg_d".parse::<Regulation>().is_err());
        assert!("Buy".parse::<Side>().is_err());
    }
}
