//! ISO 3166-1 alpha-2 validation and comprehensively sanctioned jurisdictions.

use sanctions::{
    InvalidCountryCode, JurisdictionStatus, SanctionedJurisdictions, code_for_country_name,
    country_name, is_iso_alpha2,
};

#[test]
fn assigned_codes_are_valid() {
    for code in [
        "DE", "US", "GB", "FR", "CU", "IR", "KP", "SY", "TW", "PS", "SS", "AX", "BQ", "CW", "SX",
        "AQ", "UM",
    ] {
        assert!(is_iso_alpha2(code), "{code}");
    }
    assert_eq!(country_name("DE"), Some("Germany"));
    assert_eq!(
        country_name("KP"),
        Some("Korea, Democratic People's Republic of")
    );
}

#[test]
fn reserved_user_assigned_and_malformed_codes_are_not() {
    for code in [
        "XX", "UK", "EU", "XK", "AN", "CS", "YU", "ZZ", "AA", "QM", "", "D", "DEU", "D1", " DE",
    ] {
        assert!(!is_iso_alpha2(code), "{code:?}");
    }
}

#[test]
fn codes_are_uppercase_only() {
    assert!(!is_iso_alpha2("de"));
    assert!(!is_iso_alpha2("De"));
}

#[test]
fn exactly_249_codes_are_assigned() {
    let valid = (b'A'..=b'Z')
        .flat_map(|a| (b'A'..=b'Z').map(move |b| String::from_utf8(vec![a, b]).unwrap()))
        .filter(|c| is_iso_alpha2(c))
        .count();
    assert_eq!(valid, 249);
}

#[test]
fn default_sanctioned_jurisdictions() {
    let j = SanctionedJurisdictions::default();
    assert_eq!(j.codes().collect::<Vec<_>>(), vec!["CU", "IR", "KP", "SY"]);
    for code in ["CU", "IR", "KP", "SY"] {
        assert_eq!(j.check(code), Ok(JurisdictionStatus::Sanctioned), "{code}");
    }
    for code in ["DE", "US", "RU", "VE", "BY"] {
        assert_eq!(j.check(code), Ok(JurisdictionStatus::Allowed), "{code}");
    }
    assert_eq!(j.check("UK"), Err(InvalidCountryCode("UK".into())));
    assert_eq!(j.check("cu"), Err(InvalidCountryCode("cu".into())));
    assert!(!j.contains("cu"));
}

#[test]
fn custom_sanctioned_jurisdictions() {
    let j = SanctionedJurisdictions::new(["RU", "BY", "CU"]).unwrap();
    assert!(j.contains("RU"));
    assert!(!j.contains("IR"));
    assert_eq!(j.check("BY"), Ok(JurisdictionStatus::Sanctioned));
    assert_eq!(
        SanctionedJurisdictions::new(["CU", "XK"]),
        Err(InvalidCountryCode("XK".into()))
    );
    let none = SanctionedJurisdictions::new(Vec::<String>::new()).unwrap();
    assert_eq!(none.check("KP"), Ok(JurisdictionStatus::Allowed));
}

#[test]
fn ofac_country_names_map_to_codes() {
    for (name, code) in [
        ("Korea, North", "KP"),
        ("Korea, South", "KR"),
        ("Iran", "IR"),
        ("Syria", "SY"),
        ("Cuba", "CU"),
        ("Burma", "MM"),
        ("Russia", "RU"),
        ("Bahamas, The", "BS"),
        ("Cote d Ivoire", "CI"),
        ("Côte d'Ivoire", "CI"),
        ("Congo, Democratic Republic of the", "CD"),
        ("Region: Crimea", "UA"),
        ("West Bank", "PS"),
        ("Turkey", "TR"),
        ("United Kingdom", "GB"),
        ("United States", "US"),
        ("Virgin Islands, British", "VG"),
    ] {
        assert_eq!(code_for_country_name(name), Some(code), "{name}");
    }
    for name in [
        "Kosovo",
        "Netherlands Antilles",
        "undetermined",
        "Region: Kafia Kingi",
    ] {
        assert_eq!(code_for_country_name(name), None, "{name}");
    }
}

#[test]
fn every_country_in_the_snapshot_resolves_or_has_no_code() {
    let list = sanctions::SanctionsList::load_dir(sanctions::bundled_list_dir()).unwrap();
    let no_code = [
        "Kosovo",
        "Netherlands Antilles",
        "undetermined",
        "Region: Kafia Kingi",
    ];
    let mut unresolved: Vec<String> = list
        .entries()
        .iter()
        .flat_map(|e| {
            e.addresses
                .iter()
                .filter_map(|a| a.country.clone())
                .chain(e.nationalities.iter().cloned())
        })
        .filter(|c| code_for_country_name(c).is_none() && !no_code.contains(&c.as_str()))
        .collect();
    unresolved.sort();
    unresolved.dedup();
    assert!(unresolved.is_empty(), "{unresolved:?}");
}
