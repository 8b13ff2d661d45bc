//! What a valid investor record is (on create and, merged with the changes, on update): every
//! problem is collected, each naming its field.

use compliance::InvestorType;
use rust_decimal::Decimal;
use time::{Date, Month};

use super::CreateInvestor;
use crate::wire::MAX_AMOUNT;

/// Age of majority for opening an account: individuals younger than this are refused.
pub const MINIMUM_AGE_YEARS: i32 = 18;
/// Beneficial owners declared for KYB own at least this percentage (FinCEN CDD rule,
/// 31 CFR 1010.230: each individual owning 25% or more of the equity interests).
pub const BENEFICIAL_OWNER_MIN_PERCENT: Decimal = Decimal::from_parts(25, 0, 0, false, 0);
const MAX_TEXT: usize = 200;

/// Field and message of each problem.
pub type Errors = Vec<(String, String)>;

fn check_name(field: &str, s: &str, errors: &mut Errors) {
    let t = s.trim();
    if t.is_empty() {
        errors.push((field.to_owned(), "must not be empty".to_owned()));
    } else if t.chars().count() > MAX_TEXT {
        errors.push((field.to_owned(), format!("at most {MAX_TEXT} characters")));
    } else if t.chars().any(char::is_control) {
        errors.push((
            field.to_owned(),
            "must not contain control characters".to_owned(),
        ));
    } else if !t.chars().any(char::is_alphanumeric) {
        errors.push((
            field.to_owned(),
            "must contain at least one letter or digit".to_owned(),
        ));
    }
}

/// An address of the form `local@domain.tld`: no spaces, one `@`, a domain of dot-separated
/// labels (letters, digits, hyphens) ending in an alphabetic top-level domain.
pub fn valid_email(s: &str) -> bool {
    if s.len() > 254 {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = (1..=64).contains(&local.len())
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&b));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()));
    local_ok && domain_ok
}

/// An assigned ISO 3166-1 alpha-2 code, uppercase, with a message that says how to fix it.
pub fn check_country(field: &str, s: &str, errors: &mut Errors) {
    if sanctions::is_iso_alpha2(s) {
        return;
    }
    let upper = s.trim().to_ascii_uppercase();
    let message = if upper == "UK" {
        "UK is not an ISO 3166-1 alpha-2 code; the United Kingdom is GB".to_owned()
    } else if upper != s && sanctions::is_iso_alpha2(&upper) {
        format!("must be uppercase ISO 3166-1 alpha-2: {upper}")
    } else {
        "must be an assigned ISO 3166-1 alpha-2 code, e.g. US".to_owned()
    };
    errors.push((field.to_owned(), message));
}

/// `date` plus `years` calendar years; 29 February becomes 1 March in common years.
pub fn add_years(date: Date, years: i32) -> Date {
    let year = date.year() + years;
    Date::from_calendar_date(year, date.month(), date.day())
        .or_else(|_| Date::from_calendar_date(year, Month::March, 1))
        .unwrap_or(date)
}

fn earliest_birth_date() -> Date {
    Date::from_calendar_date(1900, Month::January, 1).unwrap_or(Date::MIN)
}

fn check_amount(field: &str, v: Option<Decimal>, errors: &mut Errors) {
    match v {
        Some(d) if d.is_sign_negative() && !d.is_zero() => {
            errors.push((field.to_owned(), "must not be negative".to_owned()));
        }
        Some(d) if d > MAX_AMOUNT => {
            errors.push((field.to_owned(), format!("must be at most {MAX_AMOUNT}")));
        }
        _ => {}
    }
}

fn check_date_of_birth(b: &CreateInvestor, today: Date, errors: &mut Errors) {
    let Some(dob) = b.date_of_birth else {
        return;
    };
    let message = if b.investor_type != InvestorType::Individual {
        "only individuals have a date of birth; an entity's owners carry theirs".to_owned()
    } else if dob < earliest_birth_date() {
        "must be on or after 1900-01-01".to_owned()
    } else if add_years(dob, MINIMUM_AGE_YEARS) > today {
        format!("the investor must be at least {MINIMUM_AGE_YEARS} years old")
    } else {
        return;
    };
    errors.push(("date_of_birth".to_owned(), message));
}

fn check_figures(b: &CreateInvestor, errors: &mut Errors) {
    for (field, value) in [
        ("annual_income", b.annual_income),
        ("net_worth", b.net_worth),
        ("annual_revenue", b.annual_revenue),
        ("net_assets", b.net_assets),
    ] {
        check_amount(field, value, errors);
    }
    let wrong_profile = if b.investor_type == InvestorType::Individual {
        [
            ("annual_revenue", b.annual_revenue),
            ("net_assets", b.net_assets),
        ]
    } else {
        [
            ("annual_income", b.annual_income),
            ("net_worth", b.net_worth),
        ]
    };
    for (field, value) in wrong_profile {
        if value.is_some() {
            errors.push((
                field.to_owned(),
                format!("not a figure of an {}", b.investor_type.as_str()),
            ));
        }
    }
}

fn check_owners(b: &CreateInvestor, today: Date, errors: &mut Errors) {
    if b.investor_type == InvestorType::Individual && !b.beneficial_owners.is_empty() {
        errors.push((
            "beneficial_owners".to_owned(),
            "only entities declare beneficial owners".to_owned(),
        ));
    }
    let mut total = Decimal::ZERO;
    for (i, o) in b.beneficial_owners.iter().enumerate() {
        let f = |name: &str| format!("beneficial_owners[{i}].{name}");
        check_name(&f("name"), &o.name, errors);
        if o.ownership_percent < BENEFICIAL_OWNER_MIN_PERCENT
            || o.ownership_percent > Decimal::ONE_HUNDRED
        {
            errors.push((
                f("ownership_percent"),
                "must be between 25 and 100: only owners of 25% or more are declared".to_owned(),
            ));
        }
        total += o.ownership_percent;
        check_country(&f("country"), &o.country, errors);
        if o.date_of_birth < earliest_birth_date() || o.date_of_birth > today {
            errors.push((
                f("date_of_birth"),
                "must be between 1900-01-01 and today".to_owned(),
            ));
        }
    }
    if total > Decimal::ONE_HUNDRED {
        errors.push((
            "beneficial_owners".to_owned(),
            format!("ownership totals {total}%, more than 100%"),
        ));
    }
}

/// Everything wrong with the investor as it would be recorded, each field named; `today` is
/// the service clock's.
pub fn validate(b: &CreateInvestor, today: Date) -> Errors {
    let mut errors = Errors::new();
    check_name("legal_name", &b.legal_name, &mut errors);
    if !valid_email(b.email.trim()) {
        errors.push((
            "email".to_owned(),
            "must be an email address such as name@example.com".to_owned(),
        ));
    }
    check_country("country", &b.country, &mut errors);
    if let Some(r) = &b.external_ref {
        let r = r.trim();
        if r.is_empty() || r.chars().count() > 128 || r.chars().any(char::is_control) {
            errors.push((
                "external_ref".to_owned(),
                "1 to 128 characters, no control characters".to_owned(),
            ));
        }
    }
    check_date_of_birth(b, today, &mut errors);
    check_figures(b, &mut errors);
    check_owners(b, today, &mut errors);
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn emails() {
        for ok in [
            "a@b.co",
            "first.last+tag@mail.example.com",
            "x_y@sub-domain.org",
        ] {
            assert!(valid_email(ok), "{ok}");
        }
        for bad in [
            "",
            "plain",
            "a@b",
            "a@@b.co",
            "a b@c.co",
            ".a@b.co",
            "a..b@c.co",
            "a@-b.co",
            "a@b.c",
            "a@b.c0",
            "a@b..co",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn leap_day_birthdays() {
        assert_eq!(add_years(date!(2008 - 02 - 29), 18), date!(2026 - 03 - 01));
        assert_eq!(add_years(date!(2008 - 03 - 15), 18), date!(2026 - 03 - 15));
    }
}
