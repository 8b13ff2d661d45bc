//! The ATS's configuration: the shared settings, then its own (see each field).

use std::time::Duration;

use platform::config::{CommonConfig, Env};
use rust_decimal::Decimal;

use crate::trading_day::TradingCalendar;

pub const SERVICE: &str = "ats";
pub const DEFAULT_PORT: u16 = 8080;

#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    /// `ATS_TRADING_TIME_ZONE` (IANA, default `America/New_York`), `ATS_TRADING_DAY_END`
    /// (local `HH:MM`, default `16:00`), `ATS_TRADING_DAYS` (default `mon,tue,wed,thu,fri`):
    /// when `day` orders expire.
    pub calendar: TradingCalendar,
    /// `ATS_DEFAULT_TICK_SIZE` (default `0.01`) and `ATS_DEFAULT_LOT_SIZE` (default `1`): an
    /// asset listed without its own.
    pub default_tick_size: Decimal,
    pub default_lot_size: Decimal,
    /// `ATS_OUTBOX_INTERVAL_MS` (default 200): how often the dispatcher looks for events to
    /// deliver when it found none the last time.
    pub outbox_interval: Duration,
    /// `ATS_EXPIRY_INTERVAL_SECS` (default 15): how often due `day` orders are expired.
    pub expiry_interval: Duration,
    /// `ATS_PENDING_TIMEOUT_SECS` (default 120): an order still `pending_compliance` this long
    /// after it was recorded (its process died mid-placement) is rejected as `interrupted`.
    pub pending_timeout: Duration,
    /// `ATS_MAX_BATCH` (default 64): the most orders placed together in one group commit.
    pub max_batch: usize,
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_source(Env::from_process())
    }

    pub fn from_source(mut env: Env) -> anyhow::Result<Self> {
        let common = CommonConfig::read(&mut env, SERVICE, DEFAULT_PORT);
        let zone = env.string("ATS_TRADING_TIME_ZONE", "America/New_York");
        let close = env.string("ATS_TRADING_DAY_END", "16:00");
        let days = env.string("ATS_TRADING_DAYS", "mon,tue,wed,thu,fri");
        let calendar = match TradingCalendar::new(&zone, &close, &days) {
            Ok(c) => Some(c),
            Err(e) => {
                env.error(format!("ATS_TRADING_*: {e}"));
                None
            }
        };
        let default_tick_size: Decimal = env.parse("ATS_DEFAULT_TICK_SIZE", Decimal::new(1, 2));
        let default_lot_size: Decimal = env.parse("ATS_DEFAULT_LOT_SIZE", Decimal::ONE);
        for (key, v) in [
            ("ATS_DEFAULT_TICK_SIZE", default_tick_size),
            ("ATS_DEFAULT_LOT_SIZE", default_lot_size),
        ] {
            if v <= Decimal::ZERO {
                env.error(format!("{key}: must be greater than zero"));
            }
        }
        let outbox_ms: u64 = env.parse("ATS_OUTBOX_INTERVAL_MS", 200);
        if outbox_ms == 0 {
            env.error("ATS_OUTBOX_INTERVAL_MS: must be at least 1");
        }
        let max_batch: usize = env.parse("ATS_MAX_BATCH", 64);
        if !(1..=1000).contains(&max_batch) {
            env.error("ATS_MAX_BATCH: must be between 1 and 1000");
        }
        let config = Self {
            common,
            calendar: calendar.unwrap_or_else(default_calendar),
            default_tick_size,
            default_lot_size,
            outbox_interval: Duration::from_millis(outbox_ms.max(1)),
            expiry_interval: env.secs("ATS_EXPIRY_INTERVAL_SECS", 15),
            pending_timeout: env.secs("ATS_PENDING_TIMEOUT_SECS", 120),
            max_batch: max_batch.clamp(1, 1000),
        };
        env.finish()?;
        Ok(config)
    }
}

// Only reached when the configured calendar was refused, and then `finish` fails anyway.
fn default_calendar() -> TradingCalendar {
    #[allow(clippy::expect_used)]
    TradingCalendar::new("UTC", "00:00", "mon,tue,wed,thu,fri,sat,sun")
        .expect("the UTC calendar is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_map(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn defaults() {
        let c = Config::from_source(env(&[])).unwrap();
        assert_eq!(c.default_tick_size, Decimal::new(1, 2));
        assert_eq!(c.default_lot_size, Decimal::ONE);
        assert!(format!("{:?}", c.calendar).contains("America/New_York"));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let e = Config::from_source(env(&[
            ("ATS_TRADING_TIME_ZONE", "Nowhere/Atlantis"),
            ("ATS_DEFAULT_LOT_SIZE", "0"),
            ("ATS_MAX_BATCH", "0"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(e.contains("Nowhere/Atlantis"), "{e}");
        assert!(e.contains("ATS_DEFAULT_LOT_SIZE"), "{e}");
        assert!(e.contains("ATS_MAX_BATCH"), "{e}");
    }
}
