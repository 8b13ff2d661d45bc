//! The trading day: when `day` orders expire. The venue closes at a local time of day in one
//! IANA time zone (default 16:00 in America/New_York) on its trading weekdays (default Monday to
//! Friday); a `day` order expires at the first close after it was placed. Daylight-saving
//! changes are the zone's (jiff's bundled tz database), so the close stays at 16:00 local time
//! across them. Exchange holidays are not modelled: a holiday is a trading day whose close
//! simply expires the day's orders.

use std::fmt;

use jiff::civil::{Time as CivilTime, Weekday};
use jiff::tz::TimeZone;
use time::OffsetDateTime;

#[derive(Clone)]
pub struct TradingCalendar {
    zone: TimeZone,
    zone_name: String,
    close: CivilTime,
    weekdays: [bool; 7],
}

impl fmt::Debug for TradingCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TradingCalendar({} close {} on {:?})",
            self.zone_name,
            self.close,
            self.days()
        )
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CalendarError {
    #[error("unknown time zone `{0}` (an IANA name such as America/New_York)")]
    Zone(String),
    #[error("`{0}` is not a time of day HH:MM")]
    Close(String),
    #[error("`{0}` is not a list of weekdays such as mon,tue,wed,thu,fri")]
    Weekdays(String),
}

const NAMES: [(&str, Weekday); 7] = [
    ("mon", Weekday::Monday),
    ("tue", Weekday::Tuesday),
    ("wed", Weekday::Wednesday),
    ("thu", Weekday::Thursday),
    ("fri", Weekday::Friday),
    ("sat", Weekday::Saturday),
    ("sun", Weekday::Sunday),
];

impl TradingCalendar {
    /// `zone`: an IANA name; `close`: `HH:MM` local time; `weekdays`: `mon,tue,...`.
    pub fn new(zone: &str, close: &str, weekdays: &str) -> Result<Self, CalendarError> {
        let tz = jiff::tz::db()
            .get(zone)
            .map_err(|_| CalendarError::Zone(zone.to_owned()))?;
        let close_time = parse_hhmm(close).ok_or_else(|| CalendarError::Close(close.to_owned()))?;
        let mut days = [false; 7];
        for name in weekdays.split(',').map(|s| s.trim().to_ascii_lowercase()) {
            let (_, day) = NAMES
                .iter()
                .find(|(n, _)| *n == name)
                .ok_or_else(|| CalendarError::Weekdays(weekdays.to_owned()))?;
            days[index(*day)] = true;
        }
        if !days.iter().any(|d| *d) {
            return Err(CalendarError::Weekdays(weekdays.to_owned()));
        }
        Ok(Self {
            zone: tz,
            zone_name: zone.to_owned(),
            close: close_time,
            weekdays: days,
        })
    }

    fn days(&self) -> Vec<&'static str> {
        NAMES
            .iter()
            .filter(|(_, d)| self.weekdays[index(*d)])
            .map(|(n, _)| *n)
            .collect()
    }

    /// The first close strictly after `at`: when a `day` order placed at `at` expires.
    pub fn day_end_after(&self, at: OffsetDateTime) -> OffsetDateTime {
        let Ok(ts) = jiff::Timestamp::from_nanosecond(at.unix_timestamp_nanos()) else {
            return at;
        };
        let local = ts.to_zoned(self.zone.clone());
        let mut date = local.date();
        // A week always holds a trading day; two weeks bound the search whatever the zone does.
        for _ in 0..15 {
            if self.weekdays[index(date.weekday())]
                && let Ok(close) = date.to_datetime(self.close).to_zoned(self.zone.clone())
                && close.timestamp() > ts
            {
                return to_offset(close.timestamp()).unwrap_or(at);
            }
            match date.tomorrow() {
                Ok(next) => date = next,
                Err(_) => break,
            }
        }
        at
    }
}

fn index(day: Weekday) -> usize {
    usize::try_from(day.to_monday_zero_offset()).unwrap_or(0)
}

fn parse_hhmm(s: &str) -> Option<CivilTime> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (i8, i8) = (h.parse().ok()?, m.parse().ok()?);
    CivilTime::new(h, m, 0, 0).ok()
}

fn to_offset(ts: jiff::Timestamp) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(ts.as_nanosecond()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn ny() -> TradingCalendar {
        TradingCalendar::new("America/New_York", "16:00", "mon,tue,wed,thu,fri").unwrap()
    }

    #[test]
    fn a_day_order_expires_at_the_next_close() {
        // Wednesday 2026-12-02, 10:00 EST = 15:00 UTC → 16:00 EST = 21:00 UTC the same day.
        assert_eq!(
            ny().day_end_after(datetime!(2026-12-02 15:00 UTC)),
            datetime!(2026-12-02 21:00 UTC)
        );
        // After the close: the next trading day's.
        assert_eq!(
            ny().day_end_after(datetime!(2026-12-02 21:00 UTC)),
            datetime!(2026-12-03 21:00 UTC)
        );
        // Friday evening: Monday's close.
        assert_eq!(
            ny().day_end_after(datetime!(2026-12-04 22:30 UTC)),
            datetime!(2026-12-07 21:00 UTC)
        );
    }

    #[test]
    fn the_close_follows_daylight_saving_time() {
        // 2026-03-08 is the second Sunday of March: EDT from then on.
        assert_eq!(
            ny().day_end_after(datetime!(2026-03-06 15:00 UTC)),
            datetime!(2026-03-06 21:00 UTC),
            "Friday, EST"
        );
        assert_eq!(
            ny().day_end_after(datetime!(2026-03-06 22:00 UTC)),
            datetime!(2026-03-09 20:00 UTC),
            "Monday, EDT: 16:00 local is 20:00 UTC"
        );
    }

    #[test]
    fn other_zones_and_weekdays() {
        let tokyo = TradingCalendar::new("Asia/Tokyo", "15:00", "mon,tue,wed,thu,fri").unwrap();
        assert_eq!(
            tokyo.day_end_after(datetime!(2026-12-02 01:00 UTC)),
            datetime!(2026-12-02 06:00 UTC)
        );
        let every_day =
            TradingCalendar::new("UTC", "00:00", "mon,tue,wed,thu,fri,sat,sun").unwrap();
        assert_eq!(
            every_day.day_end_after(datetime!(2026-12-05 12:00 UTC)),
            datetime!(2026-12-06 00:00 UTC)
        );
    }

    #[test]
    fn bad_settings_are_named() {
        assert_eq!(
            TradingCalendar::new("Mars/Olympus", "16:00", "mon").unwrap_err(),
            CalendarError::Zone("Mars/Olympus".into())
        );
        assert!(matches!(
            TradingCalendar::new("UTC", "25:00", "mon"),
            Err(CalendarError::Close(_))
        ));
        assert!(matches!(
            TradingCalendar::new("UTC", "16:00", "mon,funday"),
            Err(CalendarError::Weekdays(_))
        ));
        assert!(matches!(
            TradingCalendar::new("UTC", "16:00", ""),
            Err(CalendarError::Weekdays(_))
        ));
    }
}
