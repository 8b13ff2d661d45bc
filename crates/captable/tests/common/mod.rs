#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::str::FromStr;

use captable::{
    Action, ConversionScope, JournalEntry, Ledger, Outcome, Ratio, Refusal, Regulation,
    SecurityTerms,
};
use rust_decimal::Decimal;
use time::Date;

pub fn d(s: &str) -> Decimal {
    Decimal::from_str(s).expect("a decimal literal")
}

pub fn ratio(s: &str) -> Ratio {
    s.parse().expect("a ratio literal")
}

/// Reg D, non-reporting: 12-month Rule 144 holding period.
pub fn restricted(id: &str) -> SecurityTerms {
    SecurityTerms::new(id, Regulation::RegD506b, false)
}

/// No holding period.
pub fn registered(id: &str) -> SecurityTerms {
    SecurityTerms::new(id, Regulation::Registered, false)
}

pub fn entry(id: &str, on: Date, action: Action) -> JournalEntry {
    JournalEntry {
        id: id.to_owned(),
        effective_on: on,
        action,
    }
}

pub fn issuance(security: &str, investor: &str, quantity: &str, price: &str) -> Action {
    Action::Issuance {
        security_id: security.to_owned(),
        investor_id: investor.to_owned(),
        quantity: d(quantity),
        price_per_share: d(price),
        acquired_at: None,
    }
}

pub fn transfer(security: &str, from: &str, to: &str, quantity: &str, price: &str) -> Action {
    Action::Transfer {
        security_id: security.to_owned(),
        from_investor_id: from.to_owned(),
        to_investor_id: to.to_owned(),
        quantity: d(quantity),
        price_per_share: d(price),
        seller_is_affiliate: false,
    }
}

pub fn redemption(security: &str, investor: &str, quantity: &str, price: &str) -> Action {
    Action::Redemption {
        security_id: security.to_owned(),
        investor_id: investor.to_owned(),
        quantity: d(quantity),
        price_per_share: d(price),
    }
}

pub fn split(security: &str, r: &str, price: Option<&str>) -> Action {
    Action::Split {
        security_id: security.to_owned(),
        ratio: ratio(r),
        cash_in_lieu_price: price.map(d),
    }
}

pub fn reverse_split(security: &str, r: &str, price: Option<&str>) -> Action {
    Action::ReverseSplit {
        security_id: security.to_owned(),
        ratio: ratio(r),
        cash_in_lieu_price: price.map(d),
    }
}

pub fn merger(security: &str, target: &str, r: &str, price: Option<&str>) -> Action {
    Action::Merger {
        security_id: security.to_owned(),
        target_security_id: target.to_owned(),
        ratio: ratio(r),
        cash_in_lieu_price: price.map(d),
    }
}

pub fn conversion(
    security: &str,
    target: &str,
    r: &str,
    scope: ConversionScope,
    price: Option<&str>,
) -> Action {
    Action::Conversion {
        security_id: security.to_owned(),
        target_security_id: target.to_owned(),
        ratio: ratio(r),
        scope,
        cash_in_lieu_price: price.map(d),
    }
}

/// A ledger and its journal of accepted entries.
pub struct Book {
    pub terms: Vec<SecurityTerms>,
    pub ledger: Ledger,
    pub journal: Vec<JournalEntry>,
}

impl Book {
    pub fn new(terms: Vec<SecurityTerms>) -> Self {
        Self {
            ledger: Ledger::new(terms.clone()).expect("valid terms"),
            terms,
            journal: Vec::new(),
        }
    }

    /// Applies an entry; on refusal checks that nothing changed.
    pub fn try_apply(&mut self, id: &str, on: Date, action: Action) -> Result<Outcome, Refusal> {
        let e = entry(id, on, action);
        let before = self.ledger.clone();
        match self.ledger.apply(&e) {
            Ok(outcome) => {
                self.journal.push(e);
                self.ledger
                    .check_invariants()
                    .expect("invariants hold after an accepted entry");
                Ok(outcome)
            }
            Err(refusal) => {
                assert_eq!(self.ledger, before, "a refused entry changed the ledger");
                Err(refusal)
            }
        }
    }

    pub fn apply(&mut self, id: &str, on: Date, action: Action) -> Outcome {
        match self.try_apply(id, on, action) {
            Ok(outcome) => outcome,
            Err(refusal) => panic!("{id} refused: {refusal:?}"),
        }
    }

    pub fn refuse(&mut self, id: &str, on: Date, action: Action) -> Refusal {
        match self.try_apply(id, on, action) {
            Ok(outcome) => panic!("{id} accepted: {outcome:?}"),
            Err(refusal) => refusal,
        }
    }

    pub fn quantity(&self, investor: &str, security: &str) -> Decimal {
        self.ledger
            .holding(investor, security)
            .map_or(Decimal::ZERO, |h| h.quantity)
    }

    pub fn replayed(&self, as_of: Option<Date>) -> Ledger {
        Ledger::replay(self.terms.clone(), &self.journal, as_of).expect("the journal replays")
    }
}
