//! ISO 3166-1 alpha-2 validation and the comprehensively sanctioned jurisdictions.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use crate::iso3166::{COUNTRIES, EXTRA_NAMES};
use crate::normalize::normalize;

/// Whether `code` is an officially assigned ISO 3166-1 alpha-2 code.
///
/// Uppercase only, as the standard writes them and as the API exchanges them: `"de"` is
/// refused, so a caller that wants to be lenient uppercases first, on purpose. Reserved and
/// user-assigned codes that look like countries (`UK`, `EU`, `XK`, `XX`, `AN`) are refused.
pub fn is_iso_alpha2(code: &str) -> bool {
    lookup(code).is_some()
}

/// The ISO short name of an assigned alpha-2 code (`"DE"` → `"Germany"`).
pub fn country_name(code: &str) -> Option<&'static str> {
    lookup(code).map(|(_, name)| name)
}

fn lookup(code: &str) -> Option<(&'static str, &'static str)> {
    COUNTRIES
        .binary_search_by(|(c, _)| (*c).cmp(code))
        .ok()
        .and_then(|i| COUNTRIES.get(i).copied())
}

static BY_NAME: LazyLock<HashMap<String, &'static str>> = LazyLock::new(|| {
    COUNTRIES
        .iter()
        .map(|(code, name)| (normalize(name), *code))
        .chain(
            EXTRA_NAMES
                .iter()
                .map(|(name, code)| (normalize(name), *code)),
        )
        .collect()
});

/// The alpha-2 code of a country as the SDN list names it (`"Korea, North"` → `"KP"`,
/// `"Region: Crimea"` → `"UA"`). `None` for places without an assigned code
/// (`Kosovo`, `Netherlands Antilles`, `undetermined`).
pub fn code_for_country_name(name: &str) -> Option<&'static str> {
    BY_NAME.get(&normalize(name)).copied()
}

/// Jurisdictions whose residents the BD refuses outright.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SanctionedJurisdictions {
    codes: BTreeSet<&'static str>,
}

/// A country code that is not an assigned ISO 3166-1 alpha-2 code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an assigned ISO 3166-1 alpha-2 code")]
pub struct InvalidCountryCode(pub String);

/// The outcome of checking where an investor resides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JurisdictionStatus {
    Allowed,
    Sanctioned,
}

impl SanctionedJurisdictions {
    /// OFAC's comprehensive country programmes: Cuba, Iran, North Korea and Syria, the four
    /// the API contract requires.
    ///
    /// Left out on purpose: Russia, Belarus, Venezuela and the like are under list-based
    /// and sectoral sanctions, which the SDN screening covers, not a country-wide embargo.
    /// The comprehensively sanctioned regions of Ukraine (Crimea and the so-called Donetsk
    /// and Luhansk People's Republics) have no alpha-2 code of their own and so cannot be
    /// expressed here; the BD has to look at the address for them. The U.S. lifted most Syria
    /// sanctions in 2025; `SY` stays because the contract names it, and an operator who
    /// wants a different set uses [`SanctionedJurisdictions::new`].
    pub const DEFAULT: [&'static str; 4] = ["CU", "IR", "KP", "SY"];

    /// A custom set; every code must be an assigned alpha-2 code (uppercase).
    pub fn new<I, S>(codes: I) -> Result<Self, InvalidCountryCode>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let codes = codes
            .into_iter()
            .map(|c| {
                let c = c.as_ref();
                lookup(c)
                    .map(|(code, _)| code)
                    .ok_or_else(|| InvalidCountryCode(c.to_owned()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { codes })
    }

    /// Whether `code` is one of the sanctioned jurisdictions; an invalid code is not.
    pub fn contains(&self, code: &str) -> bool {
        self.codes.contains(code)
    }

    /// Validates `code` and says whether its residents may be onboarded.
    pub fn check(&self, code: &str) -> Result<JurisdictionStatus, InvalidCountryCode> {
        if !is_iso_alpha2(code) {
            return Err(InvalidCountryCode(code.to_owned()));
        }
        Ok(if self.contains(code) {
            JurisdictionStatus::Sanctioned
        } else {
            JurisdictionStatus::Allowed
        })
    }

    /// The codes, sorted.
    pub fn codes(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.codes.iter().copied()
    }
}

impl Default for SanctionedJurisdictions {
    fn default() -> Self {
        Self {
            codes: Self::DEFAULT.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_complete() {
        assert_eq!(COUNTRIES.len(), 249);
        assert!(COUNTRIES.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(
            COUNTRIES
                .iter()
                .all(|(c, _)| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
        );
        assert!(EXTRA_NAMES.iter().all(|(_, c)| is_iso_alpha2(c)));
    }

    #[test]
    fn no_two_names_normalise_to_different_codes() {
        let mut seen: HashMap<String, &str> = HashMap::new();
        for (name, code) in COUNTRIES
            .iter()
            .map(|(c, n)| (*n, *c))
            .chain(EXTRA_NAMES.iter().copied())
        {
            if let Some(other) = seen.insert(normalize(name), code) {
                assert_eq!(other, code, "{name}");
            }
        }
    }

    #[test]
    fn default_codes_are_valid() {
        for code in SanctionedJurisdictions::DEFAULT {
            assert!(is_iso_alpha2(code), "{code}");
        }
    }
}
