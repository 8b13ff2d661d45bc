//! Calendar arithmetic for holding periods and windows.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month};

/// Dates as ISO 8601 `YYYY-MM-DD` strings in JSON. Written by hand rather than with
/// `time::serde::format_description!` because that one refuses `null` for an `Option<Date>`
/// inside an internally tagged enum (serde hands it over as a unit), and journal entries are
/// such enums.
pub(crate) mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _, ser::Error as _};
    use time::Date;
    use time::format_description::BorrowedFormatItem;
    use time::macros::format_description;

    const FORMAT: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

    pub(crate) fn serialize<S: Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
        let text = date.format(FORMAT).map_err(S::Error::custom)?;
        serializer.serialize_str(&text)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Date, D::Error> {
        let text = String::deserialize(deserializer)?;
        Date::parse(&text, FORMAT).map_err(D::Error::custom)
    }

    pub(crate) mod option {
        use serde::{Deserialize, Deserializer, Serializer};
        use time::Date;

        pub(crate) fn serialize<S: Serializer>(
            date: &Option<Date>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match date {
                Some(date) => super::serialize(date, serializer),
                None => serializer.serialize_none(),
            }
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Date>, D::Error> {
            match Option::<String>::deserialize(deserializer)? {
                Some(text) => Date::parse(&text, super::FORMAT)
                    .map(Some)
                    .map_err(serde::de::Error::custom),
                None => Ok(None),
            }
        }
    }
}

/// `date` plus `months` calendar months.
///
/// When the same day does not exist in the target month (Jan 31 + 1 month, Feb 29 + 12
/// months) the result rolls over to the first day of the following month (Mar 1), never back
/// to the last day of the short month. A restriction computed with it therefore never ends
/// earlier than the same day-of-month rule would allow: Rule 144(d) requires the period to
/// have *elapsed*, and a holder of a Jan 31 lot has not held it "one month" on Feb 28.
/// Saturates at the largest representable date.
#[must_use]
pub fn add_months(date: Date, months: u32) -> Date {
    let month_index =
        i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1 + i64::from(months);
    let Ok(year) = i32::try_from(month_index.div_euclid(12)) else {
        return Date::MAX;
    };
    let Some(month) = month_from_index(month_index.rem_euclid(12)) else {
        return Date::MAX;
    };
    if let Ok(same_day) = Date::from_calendar_date(year, month, date.day()) {
        return same_day;
    }
    // The day does not exist in the target month: roll to the 1st of the next one.
    let (next_year, next_month) = match month {
        Month::December => (year.saturating_add(1), Month::January),
        other => (year, other.next()),
    };
    Date::from_calendar_date(next_year, next_month, 1).unwrap_or(Date::MAX)
}

fn month_from_index(zero_based: i64) -> Option<Month> {
    let one_based = u8::try_from(zero_based.checked_add(1)?).ok()?;
    Month::try_from(one_based).ok()
}

/// `date` plus `days` calendar days, saturating at the largest representable date.
#[must_use]
pub fn add_days(date: Date, days: u32) -> Date {
    date.checked_add(Duration::days(i64::from(days)))
        .unwrap_or(Date::MAX)
}

/// Short or long term, for Form 1099-B box 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldingTerm {
    /// Held one year or less.
    Short,
    /// Held more than one year (26 U.S.C. 1222(3)).
    Long,
}

impl HoldingTerm {
    /// The term of a disposal. The holding period excludes the acquisition day and includes
    /// the disposal day (Rev. Rul. 66-7), so a lot is long term only when disposed of *after*
    /// the first anniversary of its acquisition; the anniversary uses [`add_months`].
    #[must_use]
    pub fn of(acquired_at: Date, disposed_on: Date) -> Self {
        if disposed_on > add_months(acquired_at, 12) {
            Self::Long
        } else {
            Self::Short
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn adds_months_on_existing_days() {
        assert_eq!(add_months(date!(2024 - 03 - 15), 12), date!(2025 - 03 - 15));
        assert_eq!(add_months(date!(2024 - 03 - 15), 6), date!(2024 - 09 - 15));
        assert_eq!(add_months(date!(2024 - 11 - 30), 1), date!(2024 - 12 - 30));
        assert_eq!(add_months(date!(2024 - 12 - 01), 1), date!(2025 - 01 - 01));
        assert_eq!(add_months(date!(2024 - 05 - 20), 0), date!(2024 - 05 - 20));
    }

    #[test]
    fn missing_days_roll_over_to_the_next_month() {
        assert_eq!(add_months(date!(2025 - 01 - 31), 1), date!(2025 - 03 - 01));
        assert_eq!(add_months(date!(2024 - 01 - 31), 1), date!(2024 - 03 - 01));
        assert_eq!(add_months(date!(2024 - 01 - 29), 1), date!(2024 - 02 - 29));
        assert_eq!(add_months(date!(2025 - 01 - 29), 1), date!(2025 - 03 - 01));
        assert_eq!(add_months(date!(2024 - 02 - 29), 12), date!(2025 - 03 - 01));
        assert_eq!(add_months(date!(2024 - 08 - 31), 6), date!(2025 - 03 - 01));
        assert_eq!(add_months(date!(2024 - 11 - 30), 3), date!(2025 - 03 - 01));
        assert_eq!(add_months(date!(2024 - 12 - 31), 2), date!(2025 - 03 - 01));
    }

    #[test]
    fn saturates_instead_of_overflowing() {
        assert_eq!(add_months(Date::MAX, 12), Date::MAX);
        assert_eq!(add_days(Date::MAX, 1), Date::MAX);
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type")]
    enum Tagged {
        Dated {
            #[serde(with = "iso_date")]
            on: Date,
            #[serde(default, with = "iso_date::option")]
            maybe: Option<Date>,
        },
    }

    #[test]
    fn dates_serialise_as_iso_strings_even_inside_tagged_enums() {
        let value = Tagged::Dated {
            on: date!(2024 - 02 - 29),
            maybe: None,
        };
        let json = serde_json::to_string(&value).unwrap();
        assert_eq!(json, r#"{"type":"Dated","on":"2024-02-29","maybe":null}"#);
        assert_eq!(serde_json::from_str::<Tagged>(&json).unwrap(), value);
        let value = Tagged::Dated {
            on: date!(2024 - 02 - 29),
            maybe: Some(date!(2025 - 01 - 31)),
        };
        let json = serde_json::to_string(&value).unwrap();
        assert_eq!(serde_json::from_str::<Tagged>(&json).unwrap(), value);
        assert!(serde_json::from_str::<Tagged>(r#"{"type":"Dated","on":"2024-02-30"}"#).is_err());
        assert!(serde_json::from_str::<Tagged>(r#"{"type":"Dated","on":"20240201"}"#).is_err());
    }

    #[test]
    fn long_term_means_more_than_one_year() {
        let bought = date!(2023 - 03 - 15);
        assert_eq!(
            HoldingTerm::of(bought, date!(2024 - 03 - 15)),
            HoldingTerm::Short
        );
        assert_eq!(
            HoldingTerm::of(bought, date!(2024 - 03 - 16)),
            HoldingTerm::Long
        );
        assert_eq!(HoldingTerm::of(bought, bought), HoldingTerm::Short);
    }
}
