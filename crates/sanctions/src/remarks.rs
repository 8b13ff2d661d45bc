//! What the legacy CSV only carries inside an entry's free-text remarks: dates of birth
//! and nationalities, in OFAC's `DOB 10 Dec 1948; alt. DOB circa 1950; nationality Syria`
//! style. Used to enrich matches, never to decide them.

use serde::Serialize;
use time::{Date, Month};

/// A date of birth as the list gives it, with the span of days it stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedDob {
    /// As published: `10 Dec 1948`, `Jan 1960`, `1965`, `circa 1956`, `1962 to 1965`.
    pub text: String,
    /// First and last day it covers; `None` when the text is in no form we understand.
    /// A bare year covers the whole year; `circa YEAR` is read as that year ± 1.
    pub span: Option<(Date, Date)>,
}

impl ListedDob {
    pub fn contains(&self, date: Date) -> bool {
        self.span
            .is_some_and(|(from, to)| from <= date && date <= to)
    }
}

/// The parts of the remarks the screening reports.
#[derive(Debug, Default)]
pub(crate) struct RemarkFacts {
    pub dates_of_birth: Vec<ListedDob>,
    /// `nationality X` and `citizen X`, as published.
    pub nationalities: Vec<String>,
}

pub(crate) fn parse(remarks: &str) -> RemarkFacts {
    let mut facts = RemarkFacts::default();
    for part in remarks.split(';') {
        let part = part.trim().trim_end_matches('.').trim();
        let part = part.strip_prefix("alt.").map_or(part, str::trim_start);
        if let Some(dob) = part.strip_prefix("DOB ") {
            let text = dob.trim().to_owned();
            let span = parse_span(&text);
            facts.dates_of_birth.push(ListedDob { text, span });
        } else if let Some(rest) = part
            .strip_prefix("nationality ")
            .or_else(|| part.strip_prefix("citizen "))
        {
            let country = rest.trim();
            // `nationality possibly Palestinian`: OFAC's own doubt, not a fact to match on.
            if !country.is_empty()
                && !country.starts_with("possibly")
                && !facts.nationalities.iter().any(|n| n == country)
            {
                facts.nationalities.push(country.to_owned());
            }
        }
    }
    facts
}

fn parse_span(text: &str) -> Option<(Date, Date)> {
    if let Some((from, to)) = text.split_once(" to ") {
        let (start, _) = parse_one(from.trim())?;
        let (_, end) = parse_one(to.trim())?;
        return (start <= end).then_some((start, end));
    }
    parse_one(text)
}

fn parse_one(text: &str) -> Option<(Date, Date)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        ["circa", year] => {
            let year: i32 = year.parse().ok()?;
            Some((
                first_of(year - 1, Month::January)?,
                last_of(year + 1, Month::December)?,
            ))
        }
        [year] => {
            let year: i32 = year.parse().ok()?;
            Some((
                first_of(year, Month::January)?,
                last_of(year, Month::December)?,
            ))
        }
        [month, year] => {
            let (month, year) = (month_from(month)?, year.parse().ok()?);
            Some((first_of(year, month)?, last_of(year, month)?))
        }
        [day, month, year] => {
            let day =
                Date::from_calendar_date(year.parse().ok()?, month_from(month)?, day.parse().ok()?)
                    .ok()?;
            Some((day, day))
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn reads_every_dob_form_the_list_uses() {
        let f = parse(
            "DOB 10 Dec 1948; alt. DOB Jan 1960; alt. DOB 1965; alt. DOB circa 1956; \
             alt. DOB 01 Jan 1962 to 31 Dec 1963; alt. DOB 1970 to 1972; DOB sometime.",
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
            ]
        );
        assert_eq!(f.dates_of_birth[6].text, "sometime");
        assert!(f.dates_of_birth[0].contains(date!(1948 - 12 - 10)));
        assert!(!f.dates_of_birth[0].contains(date!(1948 - 12 - 11)));
    }

    #[test]
    fn reads_nationality_and_citizenship_once_each() {
        let f = parse(
            "nationality Colombia; citizen Colombia; alt. nationality Canada; \
             nationality possibly Palestinian;arrested 23 Apr 2002",
        );
        assert_eq!(f.nationalities, vec!["Colombia", "Canada"]);
    }
}
