//! The services' notion of "now", injectable: the system clock in production, a pinned and
//! movable one in tests, so holding periods, expiry windows, trading days and report dates are
//! exercised at fixed times. Every clone shares the pin.

use std::sync::{Arc, RwLock};

use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time};

/// The system clock (UTC), or a pinned instant.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    pinned: Arc<RwLock<Option<OffsetDateTime>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that answers `at` until [`Clock::set`] or [`Clock::advance`] moves it.
    pub fn fixed(at: OffsetDateTime) -> Self {
        let clock = Self::default();
        clock.set(at);
        clock
    }

    /// A clock pinned at noon UTC of `date`: "today" is `date` whatever the time zone of a
    /// reader within ±12 hours.
    pub fn fixed_date(date: Date) -> Self {
        Self::fixed(noon(date))
    }

    /// Pins the clock at `at` (microsecond precision, as PostgreSQL stores it).
    pub fn set(&self, at: OffsetDateTime) {
        if let Ok(mut pinned) = self.pinned.write() {
            *pinned = Some(crate::time::truncate(at));
        }
    }

    /// Pins the clock at noon UTC of `date`.
    pub fn set_date(&self, date: Date) {
        self.set(noon(date));
    }

    /// Moves a pinned clock forward (or, with a negative `by`, back); pins a system clock at
    /// now + `by`.
    pub fn advance(&self, by: Duration) {
        let now = self.now();
        self.set(now + by);
    }

    /// Whether the clock is pinned (tests).
    pub fn is_pinned(&self) -> bool {
        self.pinned.read().map(|p| p.is_some()).unwrap_or(false)
    }

    /// Now, in UTC, to the microsecond.
    pub fn now(&self) -> OffsetDateTime {
        self.pinned
            .read()
            .ok()
            .and_then(|p| *p)
            .unwrap_or_else(crate::time::now)
    }

    /// Today's UTC date.
    pub fn today(&self) -> Date {
        self.now().date()
    }
}

fn noon(date: Date) -> OffsetDateTime {
    PrimitiveDateTime::new(date, Time::MIDNIGHT + Duration::hours(12)).assume_utc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn a_pinned_clock_is_shared_and_moves_only_when_told() {
        let clock = Clock::fixed(datetime!(2026-03-02 09:30:00.123456789 UTC));
        let other = clock.clone();
        assert_eq!(clock.now(), datetime!(2026-03-02 09:30:00.123456 UTC));
        other.advance(Duration::days(1));
        assert_eq!(clock.today(), date!(2026 - 03 - 03));
        clock.set_date(date!(2027 - 01 - 01));
        assert_eq!(other.now(), datetime!(2027-01-01 12:00 UTC));
        assert!(other.is_pinned());
    }

    #[test]
    fn the_system_clock_follows_time() {
        let clock = Clock::system();
        assert!(!clock.is_pinned());
        let a = clock.now();
        assert!(clock.now() >= a);
    }
}
