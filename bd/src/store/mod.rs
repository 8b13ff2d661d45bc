//! The BD's queries. Every function takes the organization and every query filters on it.

pub mod alerts;
pub mod checks;
pub mod events;
pub mod false_positives;
pub mod investors;
pub mod securities;
