//! Post-trade surveillance: the ATS's events ([`events`]: order events and trades, the trades
//! run through the detectors of `compliance::surveillance`) and the alerts they raise
//! ([`alerts`]).

pub mod alerts;
pub mod events;
