//! Exchange ratios written `"new:old"`.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The largest number accepted on either side of a ratio. Keeps `quantity × new` far from
/// `Decimal`'s limits.
pub const MAX_RATIO_TERM: u64 = 1_000_000_000;

/// `new` shares for every `old` share: `"2:1"` doubles a position, `"1:10"` is a 1-for-10
/// reverse split, `"3:2"` gives 3 shares for every 2.
///
/// Both sides are positive whole numbers (write 1.5 as `"3:2"`): whole numbers keep the
/// arithmetic exact, so the share that a ratio creates or removes is never a rounding error.
/// Parsing accepts `1:1`, which is a sensible conversion or merger ratio; a split or reverse
/// split refuses it (see [`Ratio::check_split`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Ratio {
    new: u64,
    old: u64,
}

/// Why a ratio was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RatioError {
    /// Not of the form `new:old` with digits on both sides.
    #[error("a ratio is written new:old with whole numbers on both sides, e.g. \"2:1\"")]
    Malformed,
    /// A side is negative.
    #[error("both sides of a ratio must be positive")]
    Negative,
    /// A side is zero: `0:1` would cancel every share, `1:0` is a division by zero.
    #[error("neither side of a ratio may be zero")]
    Zero,
    /// A side has a fractional part.
    #[error("both sides of a ratio must be whole numbers; write 1.5:1 as 3:2")]
    NotWhole,
    /// A side exceeds [`MAX_RATIO_TERM`].
    #[error("a side of the ratio exceeds 1000000000")]
    TooLarge,
    /// `n:n` changes nothing, which for a split is certainly a mistake.
    #[error("a split or reverse split of 1:1 changes nothing")]
    Identity,
    /// A split must give more shares than it takes (new > old).
    #[error("a split must increase the share count (new > old); use a reverse split")]
    MustIncrease,
    /// A reverse split must give fewer shares than it takes (new < old).
    #[error("a reverse split must decrease the share count (new < old); use a split")]
    MustDecrease,
}

/// Which kind of split a ratio is checked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitKind {
    /// More shares (new > old).
    Forward,
    /// Fewer shares (new < old).
    Reverse,
}

impl Ratio {
    /// A ratio from its two sides.
    ///
    /// # Errors
    /// [`RatioError::Zero`] or [`RatioError::TooLarge`].
    pub fn new(new: u64, old: u64) -> Result<Self, RatioError> {
        if new == 0 || old == 0 {
            return Err(RatioError::Zero);
        }
        if new > MAX_RATIO_TERM || old > MAX_RATIO_TERM {
            return Err(RatioError::TooLarge);
        }
        Ok(Self { new, old })
    }

    /// Shares after the action, per `old` shares.
    #[must_use]
    pub fn new_shares(&self) -> u64 {
        self.new
    }

    /// Shares before the action.
    #[must_use]
    pub fn old_shares(&self) -> u64 {
        self.old
    }

    pub(crate) fn new_dec(&self) -> Decimal {
        Decimal::from(self.new)
    }

    pub(crate) fn old_dec(&self) -> Decimal {
        Decimal::from(self.old)
    }

    /// Checks that the ratio suits a split of the given kind.
    ///
    /// # Errors
    /// [`RatioError::Identity`], [`RatioError::MustIncrease`] or [`RatioError::MustDecrease`].
    pub fn check_split(&self, kind: SplitKind) -> Result<(), RatioError> {
        match (kind, self.new.cmp(&self.old)) {
            (_, std::cmp::Ordering::Equal) => Err(RatioError::Identity),
            (SplitKind::Forward, std::cmp::Ordering::Less) => Err(RatioError::MustIncrease),
            (SplitKind::Reverse, std::cmp::Ordering::Greater) => Err(RatioError::MustDecrease),
            _ => Ok(()),
        }
    }
}

fn parse_side(side: &str) -> Result<u64, RatioError> {
    let side = side.trim();
    if side.starts_with('-') {
        // "-0" is still refused as negative: the caller meant something else.
        return Err(RatioError::Negative);
    }
    if side.is_empty() {
        return Err(RatioError::Malformed);
    }
    if let Some((whole, fraction)) = side.split_once('.') {
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !whole.is_empty() && digits(whole) && !fraction.is_empty() && digits(fraction) {
            if fraction.bytes().all(|b| b == b'0') {
                return parse_side(whole);
            }
            return Err(RatioError::NotWhole);
        }
        return Err(RatioError::Malformed);
    }
    if !side.bytes().all(|b| b.is_ascii_digit()) {
        return Err(RatioError::Malformed);
    }
    // All digits: the only possible failure is a number too large for u64.
    side.parse::<u64>().map_err(|_| RatioError::TooLarge)
}

impl FromStr for Ratio {
    type Err = RatioError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (new, old) = s.split_once(':').ok_or(RatioError::Malformed)?;
        if old.contains(':') {
            return Err(RatioError::Malformed);
        }
        let new = parse_side(new)?;
        let old = parse_side(old)?;
        Self::new(new, old)
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.new, self.old)
    }
}

impl TryFrom<String> for Ratio {
    type Error = RatioError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Ratio> for String {
    fn from(value: Ratio) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_new_colon_old() {
        let r: Ratio = "2:1".parse().unwrap();
        assert_eq!((r.new_shares(), r.old_shares()), (2, 1));
        let r: Ratio = " 1 : 10 ".parse().unwrap();
        assert_eq!((r.new_shares(), r.old_shares()), (1, 10));
        assert_eq!("3:2".parse::<Ratio>().unwrap().to_string(), "3:2");
        assert_eq!("4.0:1".parse::<Ratio>().unwrap().to_string(), "4:1");
        assert!("1:1".parse::<Ratio>().is_ok());
    }

    #[test]
    fn refuses_bad_ratios_with_the_reason() {
        let cases = [
            ("0:1", RatioError::Zero),
            ("1:0", RatioError::Zero),
            ("0:0", RatioError::Zero),
            ("-2:1", RatioError::Negative),
            ("2:-1", RatioError::Negative),
            ("1.5:1", RatioError::NotWhole),
            ("abc", RatioError::Malformed),
            ("", RatioError::Malformed),
            ("2", RatioError::Malformed),
            ("2:", RatioError::Malformed),
            (":1", RatioError::Malformed),
            ("2:1:1", RatioError::Malformed),
            ("2/1", RatioError::Malformed),
            ("two:one", RatioError::Malformed),
            ("+2:1", RatioError::Malformed),
            ("1e3:1", RatioError::Malformed),
            (".5:1", RatioError::Malformed),
            ("99999999999999999999999:1", RatioError::TooLarge),
            ("1000000001:1", RatioError::TooLarge),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<Ratio>(), Err(expected), "{text}");
        }
    }

    #[test]
    fn split_direction_is_checked() {
        let r = |s: &str| s.parse::<Ratio>().unwrap();
        assert_eq!(r("2:1").check_split(SplitKind::Forward), Ok(()));
        assert_eq!(r("1:10").check_split(SplitKind::Reverse), Ok(()));
        assert_eq!(
            r("1:1").check_split(SplitKind::Forward),
            Err(RatioError::Identity)
        );
        assert_eq!(
            r("3:3").check_split(SplitKind::Reverse),
            Err(RatioError::Identity)
        );
        assert_eq!(
            r("1:2").check_split(SplitKind::Forward),
            Err(RatioError::MustIncrease)
        );
        assert_eq!(
            r("2:1").check_split(SplitKind::Reverse),
            Err(RatioError::MustDecrease)
        );
    }

    #[test]
    fn serialises_as_a_string() {
        let r: Ratio = serde_json::from_str("\"5:4\"").unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"5:4\"");
        assert!(serde_json::from_str::<Ratio>("\"0:4\"").is_err());
    }
}
