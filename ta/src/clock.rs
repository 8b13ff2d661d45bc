//! The TA's notion of "today": every journal entry takes effect on the UTC date it is
//! recorded (a back-dated issuance on its `acquired_at`), and a dividend's record date is
//! over once today is later. Tests pin and move the date to exercise holding periods, ROFR
//! windows, dividend entitlements and as-of queries.

use std::sync::{Arc, RwLock};

use time::{Date, OffsetDateTime};

/// The current UTC date, or a pinned one.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    pinned: Arc<RwLock<Option<Date>>>,
}

impl Clock {
    /// The system clock (UTC).
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that answers `date` until [`Clock::set`] changes it.
    pub fn fixed(date: Date) -> Self {
        Self {
            pinned: Arc::new(RwLock::new(Some(date))),
        }
    }

    /// Pins the date (shared by every clone of this clock).
    pub fn set(&self, date: Date) {
        if let Ok(mut pinned) = self.pinned.write() {
            *pinned = Some(date);
        }
    }

    pub fn today(&self) -> Date {
        self.pinned
            .read()
            .ok()
            .and_then(|p| *p)
            .unwrap_or_else(|| OffsetDateTime::now_utc().date())
    }
}
