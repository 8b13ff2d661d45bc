//! Sanctions and jurisdiction screening for the BD's KYC: pure, no I/O besides reading the
//! list's files.
//!
//! # The list
//! [`SanctionsList::load_dir`] reads OFAC's SDN list in its published legacy CSV format
//! (`sdn.csv`, `alt.csv`, `add.csv`, optionally `sdn_comments.csv`) from a directory the
//! operator replaces with each release. The repository ships a snapshot in `data/ofac/`
//! ([`bundled_list_dir`]). Loading is strict: a malformed row fails the load with the file
//! and line ([`LoadError`]) rather than screening against a silently shortened list.
//!
//! # Screening
//! [`SanctionsList::screen`] compares a name with every primary name and alias:
//!
//! - both sides are normalised the same way ([`normalize()`]): case, diacritics, ligatures,
//!   punctuation, legal forms and honorifics, whitespace;
//! - tokens are aligned one to one regardless of order (`HASSAN, Mohammed Ali` =
//!   `Mohammed Ali Hassan`), each pair scored with strsim's Jaro-Winkler, lowered by half
//!   the relative difference in length (so `ming` is not `mingfu`); pairs below 0.85 count
//!   as unmatched; the score is the length-weighted mean over pairs, with each token left
//!   unmatched on either side costing half its length, and zero unless a token of three or
//!   more characters pairs up;
//! - tokens run together match as well (`Alqaida` = `AL QAIDA`, `Ayman Alzawahiri` =
//!   `AL-ZAWAHIRI, Dr. Ayman`), as exact matches;
//! - short names cannot match fuzzily: a one- or two-letter token (an initial, `al`, `de`)
//!   only pairs with the same token, and a name of one token or of short tokens only
//!   (`Ali`, `Li Na`) matches only a listed name that is identical once normalised. Jaro-
//!   Winkler between short strings is high for unrelated names, which would flood review.
//!
//! Screening one name takes about a millisecond: every name's normalised tokens are
//! precomputed at load, and only names sharing a similar token with the query are scored
//! (an index that provably drops no name that could score above zero).
//!
//! # How a name matches
//! A score `>= strong` (default 0.93) is a strong match ([`NameMatch::Exact`] at 1.0,
//! else [`NameMatch::Strong`]); `>= weak` (0.85) a [`NameMatch::Weak`] one. A name of two or
//! more tokens whose every token pairs with a token of a listed individual's name (one of
//! them equal), the listed first name and a surname among them, while the listed name has
//! more (`Ali Khamenei` in `KHAMENEI, Ali Husseini`, `Fabio Ochoa` in `OCHOA VASCO, Fabio
//! Enrique`), is a [`NameMatch::Partial`] match whatever its score. Each match reports the
//! token pairs and the tokens left over on either side.
//!
//! # What decides
//! Following OFAC's guidance on potential matches (FAQ 5; see `corroborate.rs`), a match on a
//! listed individual is decided with the other identifiers, which the remarks carry: dates of
//! birth (day, month, year, `circa`, ranges, `alt.`), places of birth, nationalities and
//! citizenships ([`Identifiers`]). A date of birth outside every listed one clears the entry
//! (reported in [`ScreeningResult::cleared`] with why); a strong match is a
//! [`Decision::Hit`] when the date of birth or the nationality agrees, or when the name is
//! exact and the entry lists neither; a partial match is a hit when the date of birth agrees
//! to the day; everything else is a [`Decision::Review`] ([`Basis`] says which case).
//! Entities, vessels and aircraft are decided by the score alone. A name with letters outside
//! the Latin script is at least `Review`: the list is Latin-only.
//!
//! # Jurisdictions
//! [`is_iso_alpha2`] validates country codes; [`SanctionedJurisdictions`] holds the
//! comprehensively sanctioned ones (default `CU`, `IR`, `KP`, `SY`).

mod corroborate;
mod index;
mod iso3166;
mod jurisdiction;
mod list;
mod normalize;
mod ofac_csv;
mod remarks;
mod screen;

use std::path::PathBuf;

pub use corroborate::{Basis, Comparison, IdentifierCheck, Identifiers, NameMatch};
pub use jurisdiction::{
    InvalidCountryCode, JurisdictionStatus, SanctionedJurisdictions, code_for_country_name,
    country_name, is_iso_alpha2,
};
pub use list::{
    ADD_FILE, ALT_FILE, Address, Alias, AliasType, COMMENTS_FILE, ListFiles, ListInfo, SDN_FILE,
    SanctionsList, SdnEntry, SdnType, bundled_list_dir,
};
pub use normalize::{normalize, normalize_sorted};
pub use remarks::{DobPrecision, ListedDob};
pub use screen::{
    Decision, InvalidThresholds, MatchedOn, PartyType, SanctionsMatch, ScreenError,
    ScreeningConfig, ScreeningFlag, ScreeningRequest, ScreeningResult, TokenPair,
};

/// Why a list could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `line` is where the record starts (1-based).
    #[error("{file} line {line}: malformed record: {reason}")]
    Malformed {
        file: String,
        line: u64,
        reason: String,
    },
    /// Screening against an empty list would clear everyone.
    #[error("{file} has no entries")]
    Empty { file: String },
}
