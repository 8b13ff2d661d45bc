//! What decides a name match on a listed individual: the other identifiers.
//!
//! # The guidance followed
//! OFAC's FAQ 5, "How do I determine if I have a valid OFAC match?" (Assessing OFAC Name
//! Matches, <https://ofac.treasury.gov/faqs/5>), walks through a potential match in steps:
//! an individual is not an entity or a vessel (step 2: screening compares like with like);
//! a match on only one of two or more names is not a valid match (step 3: one-token names
//! match only exactly, and a partial name needs the first name and a surname); then compare
//! the complete entry — date and place of birth, nationality, address — with what you know
//! of your customer, get more information when much is missing (step 4), and treat the match
//! as valid only when there are several similarities or an exact match; otherwise record what
//! was compared and move on (step 5). FAQ 23 ("What do I do if I have a match...?",
//! <https://ofac.treasury.gov/faqs/23>) asks the same questions: is it an exact name match or
//! very close, and is the customer in the same general area as the listed person?
//!
//! Here, for a listed individual:
//! - the party's date of birth outside every date of birth the entry gives rules the entry
//!   out (cleared, with the entry and why kept for the record, step 5);
//! - a strong name match is refused when the date of birth agrees, or the country agrees with
//!   a nationality or citizenship the entry gives, or when the name is exactly the listed one
//!   and the entry gives neither a date of birth nor a nationality to tell the two apart;
//! - anything else a person decides (step 4: missing information is gathered, not guessed),
//!   except a partial name whose date of birth agrees to the day, which is refused;
//! - places of birth and address countries are compared and shown to that person, but decide
//!   nothing: a customer living in the country an SDN was born in is no evidence either way.
//!
//! Entities, vessels and aircraft carry no date of birth: their name score decides alone.

use serde::Serialize;
use time::Date;

use crate::jurisdiction::code_for_country_name;
use crate::list::{SdnEntry, SdnType};
use crate::remarks::{DobPrecision, place_country};
use crate::screen::Decision;

/// How the screened name relates to the listed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NameMatch {
    /// Scored at or above `weak`, below `strong`: spelt alike, not the same.
    Weak,
    /// Every token of the screened name (two or more) is a token of the listed name, its
    /// first name and a surname among them, but the listed name has more: middle names, a
    /// second surname, a title.
    Partial,
    /// Scored at or above `strong`: the same name, give or take a letter.
    Strong,
    /// Every token pairs up with its equal: the same name.
    Exact,
}

/// What comparing one identifier found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// The party's value is one the entry gives.
    Agrees,
    /// The party's date of birth lies outside every date of birth the entry gives.
    Contradicts,
    /// The party's country is none of the entry's; people move and hold several
    /// nationalities, so this rules nothing out.
    Differs,
    /// One side gives nothing to compare (or nothing we can read).
    NotCompared,
}

/// One identifier compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentifierCheck {
    pub outcome: Comparison,
    /// What the screened party gave: `1985-03-02`, `US`.
    pub screened: Option<String>,
    /// What the entry gives, as published.
    pub listed: Vec<String>,
    /// The listed values that agreed.
    pub agreeing: Vec<String>,
}

/// The identifiers compared for one listed individual.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identifiers {
    pub date_of_birth: IdentifierCheck,
    /// The party's country against the entry's nationalities and citizenships.
    pub nationality: IdentifierCheck,
    /// The party's country against the countries of the entry's places of birth.
    pub place_of_birth: IdentifierCheck,
    /// The party's country against the entry's address countries.
    pub address_country: IdentifierCheck,
}

impl Identifiers {
    /// True when no identifier could be compared at all.
    pub fn nothing_compared(&self) -> bool {
        self.all()
            .iter()
            .all(|(_, c)| c.outcome == Comparison::NotCompared)
    }

    /// `(name, check)` in a fixed order, for messages.
    pub fn all(&self) -> [(&'static str, &IdentifierCheck); 4] {
        [
            ("date of birth", &self.date_of_birth),
            ("nationality", &self.nationality),
            ("place of birth", &self.place_of_birth),
            ("address country", &self.address_country),
        ]
    }

    /// Short phrases of what was compared: `date of birth agrees (19 Apr 1939)`.
    pub fn summary(&self) -> Vec<String> {
        self.all()
            .iter()
            .map(|(what, c)| match c.outcome {
                Comparison::Agrees => format!("{what} agrees ({})", c.agreeing.join(", ")),
                Comparison::Contradicts => format!(
                    "{what} {} contradicts the entry's ({})",
                    c.screened.as_deref().unwrap_or_default(),
                    c.listed.join(", ")
                ),
                Comparison::Differs => format!(
                    "{what} differs ({} vs {})",
                    c.screened.as_deref().unwrap_or_default(),
                    c.listed.join(", ")
                ),
                Comparison::NotCompared if c.listed.is_empty() => {
                    format!("{what} not listed")
                }
                Comparison::NotCompared if c.screened.is_none() => {
                    format!("{what} not given (listed: {})", c.listed.join(", "))
                }
                Comparison::NotCompared => {
                    format!("{what} unreadable (listed: {})", c.listed.join(", "))
                }
            })
            .collect()
    }
}

/// Why a match got its decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// An entity, vessel or aircraft: the name score decides alone.
    NameOnly,
    /// A strong name match whose date of birth agrees (or a partial name whose date of birth
    /// agrees to the day): refused.
    DateOfBirthAgrees,
    /// A strong name match whose country is a nationality or citizenship of the entry:
    /// refused.
    NationalityAgrees,
    /// Exactly the listed name, and the entry gives no date of birth or nationality that
    /// could tell the two apart: refused.
    ExactNameNothingElseListed,
    /// The date of birth is none of the entry's: another person, cleared.
    DateOfBirthContradicts,
    /// A strong name match, and nothing the entry gives could be compared: a person decides.
    NothingToCompare,
    /// A strong name match, identifiers compared, none agreed and none ruled it out: a person
    /// decides.
    NotCorroborated,
    /// A partial name (see [`NameMatch::Partial`]): a person decides.
    PartialName,
    /// A name that only resembles the listed one: a person decides.
    WeakName,
}

/// The identifiers of `entry` compared with the party's date of birth and country.
pub(crate) fn compare(entry: &SdnEntry, dob: Option<Date>, country: Option<&str>) -> Identifiers {
    Identifiers {
        date_of_birth: compare_dob(entry, dob),
        nationality: compare_country(
            country,
            &entry.nationalities,
            &entry.nationality_codes,
            code_for_country_name,
        ),
        place_of_birth: compare_country(
            country,
            &entry.places_of_birth,
            &entry.birth_country_codes,
            |p| place_country(p, code_for_country_name),
        ),
        address_country: compare_country(
            country,
            &entry.address_countries(),
            &entry.address_country_codes,
            code_for_country_name,
        ),
    }
}

fn compare_dob(entry: &SdnEntry, dob: Option<Date>) -> IdentifierCheck {
    let listed: Vec<String> = entry
        .dates_of_birth
        .iter()
        .map(|d| d.text.clone())
        .collect();
    let mut check = IdentifierCheck {
        outcome: Comparison::NotCompared,
        screened: dob.map(|d| d.to_string()),
        listed,
        agreeing: Vec::new(),
    };
    let Some(dob) = dob else {
        return check;
    };
    check.agreeing = entry
        .dates_of_birth
        .iter()
        .filter(|d| d.contains(dob))
        .map(|d| d.text.clone())
        .collect();
    let all_read = entry.dates_of_birth.iter().all(|d| d.span.is_some());
    check.outcome = if !check.agreeing.is_empty() {
        Comparison::Agrees
    } else if !entry.dates_of_birth.is_empty() && all_read {
        Comparison::Contradicts
    } else {
        Comparison::NotCompared
    };
    check
}

fn compare_country(
    country: Option<&str>,
    listed: &[String],
    codes: &[&'static str],
    code_of: impl Fn(&str) -> Option<&'static str>,
) -> IdentifierCheck {
    let outcome = match country {
        None => Comparison::NotCompared,
        Some(_) if codes.is_empty() => Comparison::NotCompared,
        Some(c) if codes.contains(&c) => Comparison::Agrees,
        Some(_) => Comparison::Differs,
    };
    let agreeing = match (outcome, country) {
        (Comparison::Agrees, Some(c)) => listed
            .iter()
            .filter(|l| code_of(l) == Some(c))
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    IdentifierCheck {
        outcome,
        screened: country.map(str::to_owned),
        listed: listed.to_vec(),
        agreeing,
    }
}

/// The decision on one listed entry the name matched (see the module docs).
pub(crate) fn judge(
    entry: &SdnEntry,
    name: NameMatch,
    name_decision: Decision,
    ids: &Identifiers,
    dob: Option<Date>,
) -> (Decision, Basis) {
    if entry.sdn_type != SdnType::Individual {
        return (name_decision, Basis::NameOnly);
    }
    if ids.date_of_birth.outcome == Comparison::Contradicts {
        return (Decision::Clear, Basis::DateOfBirthContradicts);
    }
    let dob_agrees = ids.date_of_birth.outcome == Comparison::Agrees;
    match name {
        NameMatch::Exact | NameMatch::Strong => {
            if dob_agrees {
                (Decision::Hit, Basis::DateOfBirthAgrees)
            } else if ids.nationality.outcome == Comparison::Agrees {
                (Decision::Hit, Basis::NationalityAgrees)
            } else if name == NameMatch::Exact
                && entry.dates_of_birth.is_empty()
                && entry.nationalities.is_empty()
            {
                (Decision::Hit, Basis::ExactNameNothingElseListed)
            } else if ids.nothing_compared() {
                (Decision::Review, Basis::NothingToCompare)
            } else {
                (Decision::Review, Basis::NotCorroborated)
            }
        }
        NameMatch::Partial if dob.is_some_and(|d| agrees_to_the_day(entry, d)) => {
            (Decision::Hit, Basis::DateOfBirthAgrees)
        }
        NameMatch::Partial => (Decision::Review, Basis::PartialName),
        NameMatch::Weak => (Decision::Review, Basis::WeakName),
    }
}

fn agrees_to_the_day(entry: &SdnEntry, dob: Date) -> bool {
    entry
        .dates_of_birth
        .iter()
        .any(|d| d.precision == Some(DobPrecision::Day) && d.contains(dob))
}

/// One sentence on why the match got its decision, for whoever reads the check.
pub(crate) fn explain(basis: Basis, ids: &Identifiers) -> String {
    let dob = &ids.date_of_birth;
    let nat = &ids.nationality;
    let given = |c: &IdentifierCheck| c.screened.clone().unwrap_or_default();
    let listed = |c: &IdentifierCheck| c.listed.join(", ");
    match basis {
        Basis::NameOnly => "not an individual: the name decides alone".to_owned(),
        Basis::DateOfBirthAgrees => format!(
            "the date of birth {} is one the entry gives ({})",
            given(dob),
            dob.agreeing.join(", ")
        ),
        Basis::NationalityAgrees => format!(
            "the country {} is a nationality or citizenship the entry gives ({})",
            given(nat),
            nat.agreeing.join(", ")
        ),
        Basis::ExactNameNothingElseListed => "the name is exactly the listed one and the entry \
             gives no date of birth or nationality that could tell them apart"
            .to_owned(),
        Basis::DateOfBirthContradicts => format!(
            "the date of birth {} is none of the entry's ({}): another person",
            given(dob),
            listed(dob)
        ),
        Basis::NothingToCompare => {
            "nothing the entry gives could be compared with what the party gave".to_owned()
        }
        Basis::NotCorroborated => format!(
            "no identifier agrees and none rules the entry out: {}",
            ids.summary().join("; ")
        ),
        Basis::PartialName => format!(
            "a partial name is refused only on a date of birth agreeing to the day: {}",
            ids.summary().join("; ")
        ),
        Basis::WeakName => format!(
            "a name only similar to the listed one is left to a person: {}",
            ids.summary().join("; ")
        ),
    }
}
