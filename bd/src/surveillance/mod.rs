//! Post-trade surveillance: the ATS's events ([`events`]: order events and trades, one at a
//! time or in a [`batch`]; the trades recorded and run through the detectors of
//! `compliance::surveillance` by [`trades`]) and the alerts they raise ([`alerts`]).

pub mod alerts;
pub mod batch;
pub mod events;
pub mod trades;
