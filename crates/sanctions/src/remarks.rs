//! What the legacy CSV only carries inside an entry's free-text remarks: dates and places of
//! birth, nationalities and citizenships, in OFAC's `DOB 10 Dec 1948; alt. DOB circa 1950;
//! POB Aleppo, Syria; nationality Syria; citizen Syria` style. Screening compares them with
//! what the screened party gives before a name match decides anything (see `corroborate`).

use serde::Serialize;
use time::{Date, Month};

/// How precisely a listed date of birth pins the day down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DobPrecision {
    /// `10 Dec 1948`
    Day,
    /// `Jan 1960`
    Month,
    /// `1965`
    Year,
    /// `circa 1956`, `1962 to 1965`, `between 1960 and 1962`, `01 Jan 1961 to 31 Dec 1963`
    Range,
}

/// A date of birth as the list gives it, with the span of days it stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedDob {
    /// As published: `10 Dec 1948`, `Jan 1960`, `1965`, `circa 1956`, `1962 to 1965`.
    pub text: String,
    /// First and last day it covers; `None` when the text is in no form we understand.
    /// A bare year covers the whole year; `circa` widens what follows by a year each side.
    pub span: Option<(Date, Date)>,
    /// `None` when the span is.
    pub precision: Option<DobPrecision>,
}

impl ListedDob {
    pub fn contains(&self, date: Date) -> bool {
        self.span
            .is_some_and(|(from, to)| from <= date && date <= to)
    }
}

/// The parts of the remarks the screening compares.
#[derive(Debug, Default)]
pub(crate) struct RemarkFacts {
    pub dates_of_birth: Vec<ListedDob>,
    /// `nationality X` and `citizen X`, as published, each once.
    pub nationalities: Vec<String>,
    /// `POB X`, as published, each once.
    pub places_of_birth: Vec<String>,
}

pub(crate) fn parse(remarks: &str) -> RemarkFacts {
    let mut facts = RemarkFacts::default();
    for part in remarks.split(';') {
        let part = part.trim().trim_end_matches('.').trim();
        let part = part.strip_prefix("alt.").map_or(part, str::trim_start);
        if let Some(dob) = part.strip_prefix("DOB ") {
            let text = dob.trim().to_owned();
            let parsed = parse_span(&text);
            facts.dates_of_birth.push(ListedDob {
                text,
                span: parsed.map(|(from, to, _)| (from, to)),
                precision: parsed.map(|(_, _, p)| p),
            });
        } else if let Some(place) = part.strip_prefix("POB ") {
            push_once(&mut facts.places_of_birth, place.trim());
        } else if let Some(rest) = part
            .strip_prefix("nationality ")
            .or_else(|| part.strip_prefix("citizen "))
        {
            let country = rest.trim();
            // `nationality possibly Palestinian`: OFAC's own doubt, not a fact to match on.
            if !country.starts_with("possibly") {
                push_once(&mut facts.nationalities, country);
            }
        }
    }
    facts
}

fn push_once(v: &mut Vec<String>, s: &str) {
    if !s.is_empty() && !v.iter().any(|x| x == s) {
        v.push(s.to_owned());
    }
}

type Span = (Date, Date, DobPrecision);

fn parse_span(text: &str) -> Option<Span> {
    if let Some(rest) = text.strip_prefix("circa ") {
        let (from, to, _) = parse_span(rest.trim())?;
        let from = Date::from_calendar_date(from.year() - 1, from.month(), 1).ok()?;
        let to = last_of(to.year() + 1, to.month())?;
        return Some((from, to, DobPrecision::Range));
    }
    if let Some(rest) = text.strip_prefix("between ")
        && let Some((from, to)) = rest.split_once(" and ")
    {
        return range(from, to);
    }
    if let Some((from, to)) = text.split_once(" to ") {
        return range(from, to);
    }
    // `1960-1962`, as in `circa 1960-1962`.
    if let Some((from, to)) = text.split_once('-')
        && from.trim().len() == 4
        && to.trim().len() == 4
    {
        return range(from, to);
    }
    parse_one(text)
}

fn range(from: &str, to: &str) -> Option<Span> {
    let (start, _, _) = parse_one(from.trim())?;
    let (_, end, _) = parse_one(to.trim())?;
    (start <= end).then_some((start, end, DobPrecision::Range))
}

fn parse_one(text: &str) -> Option<Span> {
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        [year] => {
            let year: i32 = year.parse().ok()?;
            Some((
                first_of(year, Month::January)?,
                last_of(year, Month::December)?,
                DobPrecision::Year,
            ))
        }
        [month, year] => {
            let (month, year) = (month_from(month)?, year.parse().ok()?);
            Some((
                first_of(year, month)?,
                last_of(year, month)?,
                DobPrecision::Month,
            ))
        }
        [day, month, year] => {
            let day =
                Date::from_calendar_date(year.parse().ok()?, month_from(month)?, day.parse().ok()?)
                    .ok()?;
            Some((day, day, DobPrecision::Day))
        }
        _ => None,
    }
}

fn month_from(abbrev: &str) -> Option<Month> {
    Some(match abbrev {
        "Jan" => Month::January,
        "Feb" => Month::February,
        "Mar" => Month::March,
        "Apr" => Month::April,
        "May" => Month::May,
        "Jun" => Month::June,
        "Jul" => Month::July,
        "Aug" => Month::August,
        "Sep" => Month::September,
        "Oct" => Month::October,
        "Nov" => Month::November,
        "Dec" => Month::December,
        _ => return None,
    })
}

fn first_of(year: i32, month: Month) -> Option<Date> {
    Date::from_calendar_date(year, month, 1).ok()
}

fn last_of(year: i32, month: Month) -> Option<Date> {
    Date::from_calendar_date(year, month, month.length(year)).ok()
}

/// The country a place of birth names, when it names one the ISO table knows: the last
/// comma-separated part (`Mashhad, Iran`), else a parenthesised one (`Tunisi (Tunisia)`),
/// else the last one to three words (`Algiers Algeria`, `Musanze District (Northern
/// Province) Rwanda`).
pub(crate) fn place_country(
    place: &str,
    mut code_of: impl FnMut(&str) -> Option<&'static str>,
) -> Option<&'static str> {
    let last = place.rsplit(',').next().unwrap_or(place).trim();
    if let Some(code) = code_of(last) {
        return Some(code);
    }
    if let Some((_, inner)) = last.rsplit_once('(')
        && let Some(code) = code_of(inner.trim_end_matches(')').trim())
    {
        return Some(code);
    }
    let words: Vec<&str> = last.split_whitespace().collect();
    (1..=3.min(words.len())).find_map(|n| {
        let tail = words.get(words.len() - n..)?.join(" ");
        code_of(tail.trim_matches(|c: char| c == '(' || c == ')'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn reads_every_dob_form_the_list_uses() {
        let f = parse(
            "DOB 10 Dec 1948; alt. DOB Jan 1960; alt. DOB 1965; alt. DOB circa 1956; \
             alt. DOB 01 Jan 1962 to 31 Dec 1963; alt. DOB 1970 to 1972; DOB sometime; \
             alt. DOB circa 12 Jul 1959; alt. DOB circa 1960-1962; alt. DOB between 1940 and 1942; \
             alt. DOB 1975.",
        );
        let spans: Vec<_> = f.dates_of_birth.iter().map(|d| d.span).collect();
        assert_eq!(
            spans,
            vec![
                Some((date!(1948 - 12 - 10), date!(1948 - 12 - 10))),
                Some((date!(1960 - 01 - 01), date!(1960 - 01 - 31))),
                Some((date!(1965 - 01 - 01), date!(1965 - 12 - 31))),
                Some((date!(1955 - 01 - 01), date!(1957 - 12 - 31))),
                Some((date!(1962 - 01 - 01), date!(1963 - 12 - 31))),
                Some((date!(1970 - 01 - 01), date!(1972 - 12 - 31))),
                None,
                Some((date!(1958 - 07 - 01), date!(1960 - 07 - 31))),
                Some((date!(1959 - 01 - 01), date!(1963 - 12 - 31))),
                Some((date!(1940 - 01 - 01), date!(1942 - 12 - 31))),
                Some((date!(1975 - 01 - 01), date!(1975 - 12 - 31))),
            ]
        );
        let precisions: Vec<_> = f.dates_of_birth.iter().map(|d| d.precision).collect();
        use DobPrecision::*;
        assert_eq!(
            precisions,
            vec![
                Some(Day),
                Some(Month),
                Some(Year),
                Some(Range),
                Some(Range),
                Some(Range),
                None,
                Some(Range),
                Some(Range),
                Some(Range),
                Some(Year),
            ]
        );
        assert_eq!(f.dates_of_birth[6].text, "sometime");
        assert!(f.dates_of_birth[0].contains(date!(1948 - 12 - 10)));
        assert!(!f.dates_of_birth[0].contains(date!(1948 - 12 - 11)));
    }

    #[test]
    fn a_range_that_runs_backwards_is_not_understood() {
        let f = parse("DOB Mar 1970 to Feb 1969");
        assert_eq!(
            (f.dates_of_birth[0].span, f.dates_of_birth[0].precision),
            (None, None)
        );
    }

    #[test]
    fn reads_nationality_and_citizenship_once_each() {
        let f = parse(
            "nationality Colombia; citizen Colombia; alt. nationality Canada; \
             nationality possibly Palestinian;arrested 23 Apr 2002",
        );
        assert_eq!(f.nationalities, vec!["Colombia", "Canada"]);
    }

    #[test]
    fn reads_places_of_birth_and_their_countries() {
        let f = parse(
            "DOB 19 Apr 1939; POB Mashhad, Iran; alt. POB Mashhad, Iran; alt. POB Tunisi (Tunisia); \
             alt. POB Algiers Algeria; alt. POB Heilongjiang Province, China; POB Kandahar",
        );
        assert_eq!(
            f.places_of_birth,
            vec![
                "Mashhad, Iran",
                "Tunisi (Tunisia)",
                "Algiers Algeria",
                "Heilongjiang Province, China",
                "Kandahar"
            ]
        );
        let codes: Vec<_> = f
            .places_of_birth
            .iter()
            .map(|p| place_country(p, crate::jurisdiction::code_for_country_name))
            .collect();
        assert_eq!(
            codes,
            vec![Some("IR"), Some("TN"), Some("DZ"), Some("CN"), None]
        );
    }
}
