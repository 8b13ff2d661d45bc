//! Issue 11: partial names go to review, and the date of birth and nationality decide a name
//! match on a listed individual (OFAC FAQ 5: compare the other identifiers before treating a
//! name match as a hit). The four names of the issue against the bundled list, then the rules
//! one by one on small lists of our own.

use std::sync::LazyLock;

use sanctions::{
    Basis, Comparison, Decision, NameMatch, SanctionsList, ScreeningConfig, ScreeningRequest,
    ScreeningResult, bundled_list_dir,
};
use time::macros::date;

static LIST: LazyLock<SanctionsList> =
    LazyLock::new(|| SanctionsList::load_dir(bundled_list_dir()).expect("bundled list loads"));

fn screen_on(list: &SanctionsList, request: ScreeningRequest) -> ScreeningResult {
    list.screen(&request, &ScreeningConfig::default())
        .expect("a valid request")
}

fn screen(request: ScreeningRequest) -> ScreeningResult {
    screen_on(&LIST, request)
}

fn pairs(m: &sanctions::SanctionsMatch) -> Vec<(&str, &str)> {
    m.matched_tokens
        .iter()
        .map(|p| (p.screened.as_str(), p.listed.as_str()))
        .collect()
}

// ---- the names ----

/// KHAMENEI, Ali Husseini (26945): DOB 19 Apr 1939; POB Mashhad, Iran.
#[test]
fn ali_khamenei_is_part_of_the_supreme_leaders_name() {
    let r = screen(ScreeningRequest::individual("Ali Khamenei").with_country("US"));
    assert_eq!(r.decision, Decision::Review, "{r:#?}");
    let m = &r.matches[0];
    assert_eq!(m.ent_num, 26945);
    assert_eq!(m.sdn_name, "KHAMENEI, Ali Husseini");
    assert_eq!(m.name_match, NameMatch::Partial);
    assert_eq!(m.basis, Basis::PartialName);
    assert_eq!(pairs(m), vec![("ali", "ali"), ("khamenei", "khamenei")]);
    assert_eq!(m.unmatched_listed_tokens, vec!["husseini"]);
    assert!(m.unmatched_screened_tokens.is_empty());
    assert!((0.84..0.85).contains(&m.score), "{}", m.score);
    assert_eq!(m.identifiers.date_of_birth.outcome, Comparison::NotCompared);
    assert_eq!(m.identifiers.date_of_birth.listed, vec!["19 Apr 1939"]);
    assert_eq!(m.identifiers.place_of_birth.outcome, Comparison::Differs);

    // His date of birth: refused.
    let r = screen(
        ScreeningRequest::individual("Ali Khamenei")
            .with_country("US")
            .with_date_of_birth(date!(1939 - 04 - 19)),
    );
    assert_eq!(r.decision, Decision::Hit);
    assert_eq!(
        (r.matches[0].ent_num, r.matches[0].basis),
        (26945, Basis::DateOfBirthAgrees)
    );

    // Born in 1984: not him; the entry is kept with why.
    let r = screen(
        ScreeningRequest::individual("Ali Khamenei")
            .with_country("US")
            .with_date_of_birth(date!(1984 - 02 - 29)),
    );
    assert_eq!(r.decision, Decision::Clear, "{r:#?}");
    let c = r.cleared.iter().find(|m| m.ent_num == 26945).expect("kept");
    assert_eq!(c.basis, Basis::DateOfBirthContradicts);
    assert_eq!(c.name_match, NameMatch::Partial);
}

/// OCHOA VASCO, Fabio Enrique (10214): DOB 20 Nov 1960; alt. DOB 20 Nov 1963; POB Medellin,
/// Colombia.
#[test]
fn fabio_ochoa_drops_a_middle_name_and_a_second_surname() {
    let r = screen(ScreeningRequest::individual("Fabio Ochoa").with_country("CO"));
    assert_eq!(r.decision, Decision::Review, "{r:#?}");
    let m = r
        .matches
        .iter()
        .find(|m| m.ent_num == 10214)
        .expect("found");
    assert_eq!(m.name_match, NameMatch::Partial);
    assert_eq!(pairs(m), vec![("fabio", "fabio"), ("ochoa", "ochoa")]);
    assert_eq!(m.unmatched_listed_tokens, vec!["vasco", "enrique"]);
    // Born in Colombia, like the investor's country: shown, decides nothing.
    assert_eq!(m.identifiers.place_of_birth.outcome, Comparison::Agrees);
    assert_eq!(
        m.identifiers.place_of_birth.agreeing,
        vec!["Medellin, Colombia"]
    );

    for dob in [date!(1960 - 11 - 20), date!(1963 - 11 - 20)] {
        let r = screen(
            ScreeningRequest::individual("Fabio Ochoa")
                .with_country("CO")
                .with_date_of_birth(dob),
        );
        assert_eq!(r.decision, Decision::Hit, "{dob}");
        assert_eq!(r.matches[0].ent_num, 10214);
    }
    let r = screen(
        ScreeningRequest::individual("Fabio Ochoa")
            .with_country("CO")
            .with_date_of_birth(date!(1990 - 07 - 01)),
    );
    assert_eq!(r.decision, Decision::Clear, "{r:#?}");
    assert!(r.cleared.iter().any(|m| m.ent_num == 10214));
}

/// `ALI, Hassan` is an alias of FADHIL, Mustafa Mohamed (6924): DOB 23 Jun 1976; citizen
/// Egypt; alt. citizen Kenya. "Ali Hassan" is also part of several other listed names.
#[test]
fn ali_hassan_is_cleared_by_a_contradicting_date_of_birth() {
    let r = screen(
        ScreeningRequest::individual("Ali Hassan")
            .with_country("US")
            .with_date_of_birth(date!(1985 - 03 - 02)),
    );
    assert_eq!(r.decision, Decision::Clear, "{r:#?}");
    assert!(r.matches.is_empty());
    let c = r.cleared.iter().find(|m| m.ent_num == 6924).expect("kept");
    assert_eq!(c.matched_name, "ALI, Hassan");
    assert_eq!(c.name_match, NameMatch::Exact);
    assert_eq!(c.basis, Basis::DateOfBirthContradicts);
    assert!(c.explanation.contains("23 Jun 1976"), "{}", c.explanation);
    assert!(r.cleared.len() > 1, "the partial names are kept too");

    // Without a date of birth nothing tells them apart: review, not rejected.
    let r = screen(ScreeningRequest::individual("Ali Hassan").with_country("US"));
    assert_eq!(r.decision, Decision::Review);
    let m = &r.matches[0];
    assert_eq!((m.ent_num, m.name_match), (6924, NameMatch::Exact));
    assert_eq!(m.basis, Basis::NotCorroborated);
    assert_eq!(m.identifiers.nationality.outcome, Comparison::Differs);

    // An Egyptian Ali Hassan without a date of birth shares the entry's citizenship.
    let r = screen(ScreeningRequest::individual("Ali Hassan").with_country("EG"));
    assert_eq!(r.decision, Decision::Hit);
    assert_eq!(r.matches[0].basis, Basis::NationalityAgrees);
    assert_eq!(r.matches[0].identifiers.nationality.agreeing, vec!["Egypt"]);
}

/// `WEI, Zhang` is an alias of WEI, Zhao (23647): DOB 16 Sep 1952; nationality China.
#[test]
fn wei_zhang_is_cleared_by_a_contradicting_date_of_birth() {
    let r = screen(
        ScreeningRequest::individual("Wei Zhang")
            .with_country("CN")
            .with_date_of_birth(date!(1988 - 10 - 30)),
    );
    assert_eq!(r.decision, Decision::Clear, "{r:#?}");
    let c = &r.cleared[0];
    assert_eq!((c.ent_num, c.basis), (23647, Basis::DateOfBirthContradicts));
    assert_eq!(c.identifiers.nationality.outcome, Comparison::Agrees);

    let r = screen(ScreeningRequest::individual("Wei Zhang").with_country("US"));
    assert_eq!(r.decision, Decision::Review);
    assert_eq!(r.matches[0].ent_num, 23647);

    let r = screen(
        ScreeningRequest::individual("Wei Zhang")
            .with_country("HK")
            .with_date_of_birth(date!(1952 - 09 - 16)),
    );
    assert_eq!(r.decision, Decision::Hit);
}

// ---- partial names ----

#[test]
fn one_token_names_keep_the_exact_only_rule() {
    for name in ["Khamenei", "Ochoa", "Fabio"] {
        let r = screen(ScreeningRequest::individual(name));
        assert_eq!(r.decision, Decision::Clear, "{name}: {r:#?}");
    }
}

#[test]
fn a_partial_name_needs_the_first_name_and_a_surname() {
    // Given names only: not the Supreme Leader.
    let r = screen(ScreeningRequest::individual("Ali Husseini"));
    assert!(r.matches.iter().all(|m| m.ent_num != 26945), "{r:#?}");
    // A middle name and the surname, without the first name: not him either.
    let r = screen(ScreeningRequest::individual("Enrique Ochoa"));
    assert!(
        r.matches
            .iter()
            .all(|m| m.ent_num != 10214 || m.name_match != NameMatch::Partial),
        "{r:#?}"
    );
}

#[test]
fn titles_are_not_the_first_name() {
    // `ALI, Sheikh Hassan Dahir Aweys` (7006): Hassan is the first name, Ali the surname.
    let r = screen(ScreeningRequest::individual("Hassan Ali").with_country("US"));
    let m = r
        .matches
        .iter()
        .chain(&r.cleared)
        .find(|m| m.ent_num == 7006)
        .expect("found");
    assert_eq!(m.name_match, NameMatch::Partial, "{m:#?}");
    assert!(m.unmatched_listed_tokens.contains(&"sheikh".to_owned()));
}

// ---- the rules on lists of our own ----

fn list(rows: &[(u64, &str, &str)]) -> SanctionsList {
    let sdn: String = rows
        .iter()
        .map(|(ent, name, remarks)| {
            let remarks = if remarks.is_empty() {
                "-0- ".to_owned()
            } else {
                format!("\"{remarks}\"")
            };
            format!(
                "{ent},\"{name}\",\"individual\",\"SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,{remarks}\r\n"
            )
        })
        .collect();
    SanctionsList::from_readers(sdn.as_bytes(), &b""[..], &b""[..]).expect("loads")
}

#[test]
fn an_exact_name_with_nothing_else_listed_is_refused_a_near_one_is_reviewed() {
    let l = list(&[(1, "DOE, Jonathan Quincy", "")]);
    let r = screen_on(&l, ScreeningRequest::individual("Jonathan Quincy Doe"));
    assert_eq!(r.decision, Decision::Hit);
    assert_eq!(r.matches[0].basis, Basis::ExactNameNothingElseListed);
    let r = screen_on(&l, ScreeningRequest::individual("Jonathon Quincy Doe"));
    assert_eq!(r.matches[0].name_match, NameMatch::Strong);
    assert_eq!(r.decision, Decision::Review);
    // Dates of birth given by the party cannot contradict an entry that lists none.
    let r = screen_on(
        &l,
        ScreeningRequest::individual("Jonathan Quincy Doe")
            .with_date_of_birth(date!(1990 - 01 - 01)),
    );
    assert_eq!(r.decision, Decision::Hit);
}

#[test]
fn year_month_circa_and_range_dates_of_birth_are_compared() {
    let l = list(&[
        (1, "ROE, Richard", "DOB 1969"),
        (2, "POE, Edgar", "DOB Jan 1960"),
        (3, "LOE, Lena", "DOB circa 1956"),
        (4, "MOE, Moses", "DOB between 1940 and 1942"),
        (5, "KOE, Karl", "DOB 1962 to 1965"),
    ]);
    let cases = [
        ("Richard Roe", date!(1969 - 12 - 31), Decision::Hit),
        ("Richard Roe", date!(1970 - 01 - 01), Decision::Clear),
        ("Edgar Poe", date!(1960 - 01 - 31), Decision::Hit),
        ("Edgar Poe", date!(1960 - 02 - 01), Decision::Clear),
        ("Lena Loe", date!(1955 - 01 - 01), Decision::Hit),
        ("Lena Loe", date!(1957 - 12 - 31), Decision::Hit),
        ("Lena Loe", date!(1958 - 01 - 01), Decision::Clear),
        ("Moses Moe", date!(1941 - 06 - 01), Decision::Hit),
        ("Moses Moe", date!(1943 - 01 - 01), Decision::Clear),
        ("Karl Koe", date!(1965 - 12 - 31), Decision::Hit),
        ("Karl Koe", date!(1961 - 12 - 31), Decision::Clear),
    ];
    for (name, dob, decision) in cases {
        let r = screen_on(
            &l,
            ScreeningRequest::individual(name).with_date_of_birth(dob),
        );
        assert_eq!(r.decision, decision, "{name} {dob}: {r:#?}");
    }
}

#[test]
fn alt_dates_of_birth_count_and_every_one_must_be_contradicted() {
    let l = list(&[(1, "ROE, Richard", "DOB 01 Feb 1950; alt. DOB 1955")]);
    let dob = |d| {
        screen_on(
            &l,
            ScreeningRequest::individual("Richard Roe").with_date_of_birth(d),
        )
    };
    assert_eq!(dob(date!(1955 - 07 - 07)).decision, Decision::Hit);
    assert_eq!(dob(date!(1950 - 02 - 01)).decision, Decision::Hit);
    assert_eq!(dob(date!(1951 - 02 - 01)).decision, Decision::Clear);
    // A date the list writes in a form we cannot read might be the party's: no clearing.
    let l = list(&[(
        1,
        "ROE, Richard",
        "DOB 01 Feb 1950; alt. DOB sometime in the fifties",
    )]);
    let r = screen_on(
        &l,
        ScreeningRequest::individual("Richard Roe").with_date_of_birth(date!(1953 - 03 - 03)),
    );
    assert_eq!(r.decision, Decision::Review);
    assert_eq!(
        r.matches[0].identifiers.date_of_birth.outcome,
        Comparison::NotCompared
    );
}

#[test]
fn a_contradicting_date_of_birth_outweighs_an_agreeing_nationality() {
    let l = list(&[(1, "ROE, Richard", "DOB 1950; nationality Syria")]);
    let r = screen_on(
        &l,
        ScreeningRequest::individual("Richard Roe")
            .with_country("SY")
            .with_date_of_birth(date!(1980 - 01 - 01)),
    );
    assert_eq!(r.decision, Decision::Clear);
    assert_eq!(r.cleared[0].basis, Basis::DateOfBirthContradicts);
    assert_eq!(
        r.cleared[0].identifiers.nationality.outcome,
        Comparison::Agrees
    );
}

#[test]
fn a_partial_name_is_refused_only_on_a_date_of_birth_agreeing_to_the_day() {
    let l = list(&[
        (1, "ROE, Richard Paul", "DOB 03 Mar 1950; nationality Syria"),
        (2, "POE, Edgar Allan", "DOB 1950; nationality Syria"),
    ]);
    let at = |name: &str| {
        screen_on(
            &l,
            ScreeningRequest::individual(name)
                .with_country("SY")
                .with_date_of_birth(date!(1950 - 03 - 03)),
        )
    };
    let r = at("Richard Roe");
    assert_eq!(
        (r.decision, r.matches[0].basis),
        (Decision::Hit, Basis::DateOfBirthAgrees)
    );
    // A year agrees, the nationality too: still a person's decision for a partial name.
    let r = at("Edgar Poe");
    assert_eq!(
        (r.decision, r.matches[0].basis),
        (Decision::Review, Basis::PartialName)
    );
    assert_eq!(
        r.matches[0].identifiers.date_of_birth.outcome,
        Comparison::Agrees
    );
}

#[test]
fn entities_are_decided_by_their_name() {
    let r = screen(ScreeningRequest::entity("Banco Nacional de Cuba").with_country("US"));
    assert_eq!(r.decision, Decision::Hit);
    assert_eq!(r.matches[0].basis, Basis::NameOnly);
}
