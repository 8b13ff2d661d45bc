//! US Eastern Time without a time-zone database.
//!
//! CAT string timestamps, CAT event dates and OATS timestamps are all in
//! Eastern Time, so the offset (−5 h standard, −4 h daylight) must be
//! right for every instant. The daylight-saving rules are statutory:
//!
//! * since 2007 (Energy Policy Act of 2005, 15 U.S.C. 260a): from 02:00 local
//!   on the second Sunday of March to 02:00 local on the first Sunday of
//!   November;
//! * 1987–2006: from the first Sunday of April to the last Sunday of October.
//!
//! Earlier instants are converted with the 1987 rule; nothing on this
//! platform is that old.

use time::{Date, Month, OffsetDateTime, UtcOffset, Weekday};

const EST: i8 = -5;
const EDT: i8 = -4;

/// The `n`-th (1-based) `weekday` of `month`, or the last one when `n` is 0.
fn nth_weekday(year: i32, month: Month, weekday: Weekday, n: u8) -> Date {
    let first = Date::from_calendar_date(year, month, 1).unwrap_or(Date::MIN);
    let to_first =
        (7 + weekday.number_days_from_monday() - first.weekday().number_days_from_monday()) % 7;
    let first_match = first.day() + to_first;
    let day = if n == 0 {
        let last_day = time::util::days_in_month(month, year);
        first_match + (last_day - first_match) / 7 * 7
    } else {
        first_match + (n - 1) * 7
    };
    Date::from_calendar_date(year, month, day).unwrap_or(first)
}

/// The UTC instants at which daylight time starts and ends in `year`.
fn dst_bounds_utc(year: i32) -> (OffsetDateTime, OffsetDateTime) {
    let (start, end) = if year >= 2007 {
        (
            nth_weekday(year, Month::March, Weekday::Sunday, 2),
            nth_weekday(year, Month::November, Weekday::Sunday, 1),
        )
    } else {
        (
            nth_weekday(year, Month::April, Weekday::Sunday, 1),
            nth_weekday(year, Month::October, Weekday::Sunday, 0),
        )
    };
    // 02:00 EST is 07:00 UTC; 02:00 EDT is 06:00 UTC.
    let at = |d: Date, hour: u8| {
        d.with_hms(hour, 0, 0)
            .map(|t| t.assume_utc())
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    };
    (at(start, 7), at(end, 6))
}

/// The Eastern Time offset in force at `t`.
pub fn offset_at(t: OffsetDateTime) -> UtcOffset {
    let utc = t.to_offset(UtcOffset::UTC);
    let (start, end) = dst_bounds_utc(utc.year());
    let hours = if utc >= start && utc < end { EDT } else { EST };
    UtcOffset::from_hms(hours, 0, 0).unwrap_or(UtcOffset::UTC)
}

/// `t` seen in Eastern Time.
pub fn to_eastern(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(offset_at(t))
}

/// The Eastern Time calendar date of `t`: the date CAT files an event under.
pub fn eastern_date(t: OffsetDateTime) -> Date {
    to_eastern(t).date()
}

/// A date as the 8-digit integer `YYYYMMDD` CAT uses.
pub fn date_number(d: Date) -> u32 {
    let year = u32::try_from(d.year()).unwrap_or(0);
    year * 10_000 + u32::from(u8::from(d.month())) * 100 + u32::from(d.day())
}
