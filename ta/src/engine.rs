//! The captable engine names securities, investors and transfers by strings (it generates no
//! ids and knows no prefixes); this service writes them from the platform's typed ids
//! (`platform::ids`) and reads them back with [`FromEngine`].

use platform::ids::{AssetId, InvestorId, TransferId};

/// A typed id from the engine's string, always written by this service: a string that is not
/// one is a broken journal, an internal error.
pub trait FromEngine: Sized {
    fn from_engine(s: &str) -> anyhow::Result<Self>;
}

macro_rules! from_engine {
    ($($id:ty => $what:literal),+ $(,)?) => {$(
        impl FromEngine for $id {
            fn from_engine(s: &str) -> anyhow::Result<Self> {
                Self::parse(s)
                    .ok_or_else(|| anyhow::anyhow!(concat!("not ", $what, " id in the journal: {}"), s))
            }
        }
    )+};
}

from_engine!(
    AssetId => "a security",
    InvestorId => "an investor",
    TransferId => "a transfer",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_strings_round_trip_and_others_are_errors() {
        let id = AssetId::new();
        assert_eq!(AssetId::from_engine(&id.to_string()).unwrap(), id);
        let e = InvestorId::from_engine(&id.to_string()).unwrap_err();
        assert!(e.to_string().contains("not an investor id"), "{e}");
        assert!(TransferId::from_engine("trf_").is_err());
    }
}
