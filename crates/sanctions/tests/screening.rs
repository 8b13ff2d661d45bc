//! Screening against real entries of the bundled OFAC snapshot (data/ofac/), plus a few
//! synthetic lists where the snapshot has no example of a case.

use std::sync::LazyLock;

use sanctions::{
    AliasType, Basis, Comparison, Decision, MatchedOn, NameMatch, SanctionsList, SanctionsMatch,
    ScreenError, ScreeningConfig, ScreeningFlag, ScreeningRequest, ScreeningResult, SdnType,
    bundled_list_dir,
};
use time::macros::date;

static LIST: LazyLock<SanctionsList> =
    LazyLock::new(|| SanctionsList::load_dir(bundled_list_dir()).expect("bundled list loads"));

fn screen(request: ScreeningRequest) -> ScreeningResult {
    LIST.screen(&request, &ScreeningConfig::default())
        .expect("a valid request")
}

fn top(result: &ScreeningResult) -> &SanctionsMatch {
    result
        .matches
        .first()
        .unwrap_or_else(|| panic!("no match in {result:#?}"))
}

#[track_caller]
fn assert_decision(request: ScreeningRequest, decision: Decision, ent_num: u64) -> ScreeningResult {
    let name = request.name.clone();
    let result = screen(request);
    assert_eq!(result.decision, decision, "{name}: {result:#?}");
    assert_eq!(top(&result).ent_num, ent_num, "{name}: {result:#?}");
    result
}

// ---- individuals: NORIEGA, Manuel Antonio (ent 1572, CUBA programme) ----

#[test]
fn exact_primary_name_is_a_hit() {
    let r = assert_decision(
        ScreeningRequest::individual("NORIEGA, Manuel Antonio"),
        Decision::Hit,
        1572,
    );
    let m = top(&r);
    assert_eq!(m.score, 1.0);
    assert_eq!(m.matched_on, MatchedOn::Primary);
    assert_eq!(m.alias_type, None);
    assert_eq!(m.matched_name, "NORIEGA, Manuel Antonio");
    assert_eq!(m.sdn_type, SdnType::Individual);
    assert_eq!(m.programs, vec!["CUBA"]);
    assert_eq!(m.countries, vec!["Panama"]);
    assert_eq!(m.decision, Decision::Hit);
    assert!(r.list_version.starts_with("ofac-sdn:"));
}

#[test]
fn first_last_order_is_the_same_name() {
    let r = assert_decision(
        ScreeningRequest::individual("Manuel Antonio Noriega"),
        Decision::Hit,
        1572,
    );
    assert_eq!(top(&r).score, 1.0);
}

#[test]
fn case_and_added_accents_do_not_matter() {
    for name in [
        "MANUEL ANTONIO NORIÉGA",
        "manuel antónio noriega",
        "Noriega  Manuel-Antonio",
    ] {
        let r = assert_decision(ScreeningRequest::individual(name), Decision::Hit, 1572);
        assert_eq!(top(&r).score, 1.0, "{name}");
    }
    // GARCIA ALBERT, Maria Remedios (ent 11349, DOB 17 Feb 1951), as a Spanish speaker
    // writes it.
    assert_decision(
        ScreeningRequest::individual("María Remedios García Albert")
            .with_date_of_birth(date!(1951 - 02 - 17)),
        Decision::Hit,
        11349,
    );
}

#[test]
fn a_listed_name_with_accents_matches_its_plain_spelling() {
    // OFAC's files are ASCII, so this case needs a list of our own.
    let sdn = "1,\"MÜLLER-ØSTERGÅRD, Jürgen\",\"individual\",\"SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n";
    let list = SanctionsList::from_readers(sdn.as_bytes(), &b""[..], &b""[..]).unwrap();
    let r = list
        .screen(
            &ScreeningRequest::individual("Jurgen Muller Ostergard"),
            &ScreeningConfig::default(),
        )
        .unwrap();
    assert_eq!(r.decision, Decision::Hit);
    assert_eq!(top(&r).score, 1.0);
}

#[test]
fn token_order_is_exact_for_mohammed_ali_hassan() {
    let sdn = "7,\"HASSAN, Mohammed Ali\",\"individual\",\"SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n";
    let list = SanctionsList::from_readers(sdn.as_bytes(), &b""[..], &b""[..]).unwrap();
    let r = list
        .screen(
            &ScreeningRequest::new("Mohammed Ali Hassan"),
            &ScreeningConfig::default(),
        )
        .unwrap();
    assert_eq!((r.decision, r.best_score), (Decision::Hit, 1.0));
}

// ---- aliases only found in alt.csv ----

/// AL ZAWAHIRI, Dr. Ayman (ent 2676): DOB 19 Jun 1951; POB Giza, Egypt.
const ZAWAHIRI_DOB: time::Date = date!(1951 - 06 - 19);

#[test]
fn an_alias_of_an_individual_is_a_hit() {
    // AL ZAWAHIRI, Dr. Ayman (ent 2676) is also "SALIM, Ahmad Fuad" (aka, alt.csv only).
    let r = assert_decision(
        ScreeningRequest::individual("Ahmad Fuad Salim").with_date_of_birth(ZAWAHIRI_DOB),
        Decision::Hit,
        2676,
    );
    let m = top(&r);
    assert_eq!(m.matched_on, MatchedOn::Alias);
    assert_eq!(m.alias_type, Some(AliasType::Aka));
    assert_eq!(m.matched_name, "SALIM, Ahmad Fuad");
    assert_eq!(m.sdn_name, "AL ZAWAHIRI, Dr. Ayman");
    assert_eq!(m.programs, vec!["SDGT"]);
}

#[test]
fn an_alias_of_an_entity_is_a_hit() {
    // BANCO NACIONAL DE CUBA (ent 306), aka NATIONAL BANK OF CUBA.
    let r = assert_decision(
        ScreeningRequest::entity("National Bank of Cuba"),
        Decision::Hit,
        306,
    );
    let m = top(&r);
    assert_eq!(
        (m.matched_on, m.alias_type),
        (MatchedOn::Alias, Some(AliasType::Aka))
    );
    assert_eq!(m.sdn_type, SdnType::Entity);
    // add.csv lists its branches, not Havana.
    assert_eq!(m.countries, vec!["Switzerland", "Spain", "Japan", "Panama"]);

    // CRIADERO DE POLLOS EL ROSAL S.A. (ent 4359), formerly INDUSTRIA AVICOLA PALMASECA S.A.
    let r = assert_decision(
        ScreeningRequest::entity("Industria Avicola Palmaseca SA"),
        Decision::Hit,
        4359,
    );
    assert_eq!(top(&r).alias_type, Some(AliasType::Fka));
}

#[test]
fn the_primary_name_is_reported_when_it_ties_with_an_alias() {
    // ent 2676's alias "AL-ZAWAHIRI, Ayman" normalises like the primary name.
    let r = assert_decision(
        ScreeningRequest::individual("Ayman al-Zawahiri").with_date_of_birth(ZAWAHIRI_DOB),
        Decision::Hit,
        2676,
    );
    assert_eq!(top(&r).matched_on, MatchedOn::Primary);
}

#[test]
fn names_run_together_match() {
    let r = assert_decision(
        ScreeningRequest::individual("Ayman Alzawahiri").with_date_of_birth(ZAWAHIRI_DOB),
        Decision::Hit,
        2676,
    );
    let m = top(&r);
    assert_eq!(m.score, 1.0);
    assert_eq!(m.name_match, NameMatch::Exact);
    assert_eq!(m.matched_tokens.len(), 1, "{m:#?}");
    assert_eq!(m.matched_tokens[0].screened, "ayman alzawahiri");
    assert_eq!(m.matched_tokens[0].listed, "al zawahiri ayman");
}

// ---- near misses go to review ----

#[test]
fn a_variant_spelling_goes_to_review() {
    // "Zawahri" is a common transliteration of ZAWAHIRI.
    let r = assert_decision(
        ScreeningRequest::individual("Ayman Zawahri"),
        Decision::Review,
        2676,
    );
    let m = top(&r);
    assert!(m.score >= 0.85 && m.score < 0.93, "{}", m.score);
    assert_eq!(m.decision, Decision::Review);
}

#[test]
fn a_typo_plus_a_missing_middle_name_goes_to_review() {
    assert_decision(
        ScreeningRequest::individual("Manuel Noriega"),
        Decision::Review,
        1572,
    );
    assert_decision(
        ScreeningRequest::individual("Manuel Noriego"),
        Decision::Review,
        1572,
    );
}

#[test]
fn a_one_letter_typo_in_a_full_name_is_strong_but_not_exact() {
    // NORIEGA, Manuel Antonio gives no date of birth or nationality: only the exact name is
    // refused without a person looking.
    let r = assert_decision(
        ScreeningRequest::individual("Manuel Antonio Noreiga"),
        Decision::Review,
        1572,
    );
    assert_eq!(top(&r).name_match, NameMatch::Strong);
    assert_eq!(top(&r).basis, Basis::NothingToCompare);
    let pair = &top(&r).matched_tokens[2];
    assert_eq!(
        (pair.screened.as_str(), pair.listed.as_str()),
        ("noreiga", "noriega")
    );
    assert!(pair.similarity < 1.0);
}

// ---- unrelated names stay clear ----

#[test]
fn common_unrelated_names_are_clear() {
    // Each checked against this snapshot: their best scores are all below 0.8.
    for name in [
        "John Smith",
        "Emma Johnson",
        "Lukas Schneider",
        "Sophie Martin",
        "Hiroshi Tanaka",
        "Jean Dupont",
        "Giuseppe Rossi",
        "Priya Patel",
    ] {
        let r = screen(ScreeningRequest::individual(name));
        assert_eq!(r.decision, Decision::Clear, "{name}: {r:#?}");
        assert!(r.matches.is_empty(), "{name}");
        assert!(r.best_score < ScreeningConfig::DEFAULT_WEAK, "{name}");
    }
    let r = screen(ScreeningRequest::entity("Acme Widgets GmbH"));
    assert_eq!(r.decision, Decision::Clear);
}

#[test]
fn maria_garcia_is_part_of_three_listed_names_until_her_date_of_birth_is_known() {
    // First name and first surname of GAXIOLA GARCIA, Maria Elena (10989), GARCIA ALBERT,
    // Maria Remedios (11349) and GARCIA DURAN, Maria Del Rosario (10987): partial names.
    let r = screen(ScreeningRequest::individual("Maria Garcia"));
    assert_eq!(r.decision, Decision::Review);
    let mut ents: Vec<u64> = r.matches.iter().map(|m| m.ent_num).collect();
    ents.sort_unstable();
    assert_eq!(ents, vec![10987, 10989, 11349]);
    assert!(r.matches.iter().all(|m| m.name_match == NameMatch::Partial));
    // Born in 1980, she is none of them (born 1975, 1951, 1953).
    let r = screen(
        ScreeningRequest::individual("Maria Garcia").with_date_of_birth(date!(1980 - 05 - 17)),
    );
    assert_eq!(r.decision, Decision::Clear);
    assert!(r.matches.is_empty());
    assert_eq!(r.cleared.len(), 3);
    assert!(
        r.cleared
            .iter()
            .all(|m| m.basis == Basis::DateOfBirthContradicts)
    );
}

// ---- short names ----

#[test]
fn one_token_names_match_only_exactly() {
    let r = assert_decision(ScreeningRequest::entity("Hamas"), Decision::Hit, 4695);
    assert_eq!(r.flags, vec![ScreeningFlag::ShortName]);
    for name in ["Hamaz", "Mohammed", "Ali"] {
        let r = screen(ScreeningRequest::new(name));
        assert_eq!((r.decision, r.best_score), (Decision::Clear, 0.0), "{name}");
        assert_eq!(r.flags, vec![ScreeningFlag::ShortName]);
    }
}

#[test]
fn names_of_short_tokens_only_match_exactly() {
    let r = screen(ScreeningRequest::individual("Li Na"));
    assert_eq!(r.decision, Decision::Clear);
    assert_eq!(r.flags, vec![ScreeningFlag::ShortName]);
}

#[test]
fn initials_do_not_match_fuzzily() {
    // "J" is not "John": the initial pairs with nothing.
    let sdn = "1,\"DOE, John\",\"individual\",\"SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n";
    let list = SanctionsList::from_readers(sdn.as_bytes(), &b""[..], &b""[..]).unwrap();
    let r = list
        .screen(
            &ScreeningRequest::individual("J Doe"),
            &ScreeningConfig::default(),
        )
        .unwrap();
    assert_eq!(r.decision, Decision::Clear, "{r:#?}");
}

// ---- party types ----

#[test]
fn party_type_restricts_what_is_compared() {
    assert_eq!(
        screen(ScreeningRequest::individual("Hamas")).decision,
        Decision::Clear
    );
    assert_eq!(
        screen(ScreeningRequest::new("Hamas")).decision,
        Decision::Hit
    );
    assert_eq!(
        screen(ScreeningRequest::entity("Manuel Antonio Noriega")).decision,
        Decision::Clear
    );
}

// ---- the other identifiers decide ----

#[test]
fn date_of_birth_and_nationality_decide_a_strong_match() {
    // CONDE RUBIO, Nancy (ent 10950): DOB 02 Sep 1972; alt. DOB 19 Nov 1973; POB Bogota,
    // Colombia; nationality Colombia; citizen Colombia.
    let name = "Nancy Conde Rubio";
    let r = assert_decision(
        ScreeningRequest::individual(name)
            .with_date_of_birth(date!(1973 - 11 - 19))
            .with_country("US"),
        Decision::Hit,
        10950,
    );
    let m = top(&r);
    assert_eq!(m.basis, Basis::DateOfBirthAgrees);
    assert_eq!(m.dates_of_birth, vec!["02 Sep 1972", "19 Nov 1973"]);
    assert_eq!(m.nationalities, vec!["Colombia"]);
    assert_eq!(m.places_of_birth, vec!["Bogota, Colombia"]);
    assert_eq!(m.identifiers.date_of_birth.outcome, Comparison::Agrees);
    assert_eq!(m.identifiers.date_of_birth.agreeing, vec!["19 Nov 1973"]);
    assert_eq!(m.identifiers.nationality.outcome, Comparison::Differs);
    assert_eq!(m.date_of_birth_match, Some(true));
    assert_eq!(m.country_match, Some(false));

    // No date of birth, but a Colombian: the nationality agrees.
    let r = assert_decision(
        ScreeningRequest::individual(name).with_country("CO"),
        Decision::Hit,
        10950,
    );
    assert_eq!(top(&r).basis, Basis::NationalityAgrees);
    assert_eq!(top(&r).identifiers.nationality.agreeing, vec!["Colombia"]);
    assert_eq!(
        top(&r).identifiers.place_of_birth.outcome,
        Comparison::Agrees
    );

    // Born in 1990: another person, even a Colombian one. Kept, with why.
    let r = screen(
        ScreeningRequest::individual(name)
            .with_date_of_birth(date!(1990 - 01 - 01))
            .with_country("CO"),
    );
    assert_eq!(r.decision, Decision::Clear, "{r:#?}");
    assert!(r.matches.is_empty());
    let c = &r.cleared[0];
    assert_eq!((c.ent_num, c.decision), (10950, Decision::Clear));
    assert_eq!(c.basis, Basis::DateOfBirthContradicts);
    assert_eq!(c.identifiers.date_of_birth.outcome, Comparison::Contradicts);
    assert!(
        c.explanation.contains("02 Sep 1972, 19 Nov 1973"),
        "{}",
        c.explanation
    );
    assert_eq!(c.date_of_birth_match, Some(false));

    // Nothing agrees, nothing rules the entry out: a person looks.
    let r = assert_decision(
        ScreeningRequest::individual(name).with_country("US"),
        Decision::Review,
        10950,
    );
    assert_eq!(top(&r).basis, Basis::NotCorroborated);
    let r = assert_decision(ScreeningRequest::individual(name), Decision::Review, 10950);
    assert_eq!(top(&r).basis, Basis::NothingToCompare);
    assert_eq!(
        (top(&r).date_of_birth_match, top(&r).country_match),
        (None, None)
    );
}

// ---- thresholds ----

#[test]
fn thresholds_are_inclusive_at_both_boundaries() {
    // An entity: its name score decides alone.
    let request = ScreeningRequest::entity("Banco Nacionel de Cuba");
    let s = screen(request.clone()).best_score;
    let decide = |strong: f64, weak: f64| {
        let config = ScreeningConfig::new(strong, weak).unwrap();
        LIST.screen(&request, &config).unwrap().decision
    };
    assert_eq!(decide(s, 0.5), Decision::Hit);
    assert_eq!(decide(s.next_up(), 0.5), Decision::Review);
    assert_eq!(decide(0.99, s), Decision::Review);
    assert_eq!(decide(0.99, s.next_up()), Decision::Clear);

    let config = ScreeningConfig::default();
    assert_eq!(config.decide(0.93), Decision::Hit);
    assert_eq!(config.decide(0.929_999), Decision::Review);
    assert_eq!(config.decide(0.85), Decision::Review);
    assert_eq!(config.decide(0.849_999), Decision::Clear);
}

#[test]
fn thresholds_are_validated() {
    assert!(ScreeningConfig::new(0.8, 0.9).is_err());
    assert!(ScreeningConfig::new(1.01, 0.9).is_err());
    assert!(ScreeningConfig::new(0.9, 0.0).is_err());
    assert!(ScreeningConfig::new(f64::NAN, 0.5).is_err());
    assert!(ScreeningConfig::new(0.9, 0.9).is_ok());
    let d = ScreeningConfig::default();
    assert_eq!((d.strong(), d.weak(), d.max_matches()), (0.93, 0.85, 10));
}

#[test]
fn matches_are_ranked_and_capped() {
    let config = ScreeningConfig::new(0.93, 0.6).unwrap().with_max_matches(3);
    let r = LIST
        .screen(&ScreeningRequest::individual("Maria Garcia"), &config)
        .unwrap();
    assert_eq!(r.matches.len(), 3);
    assert!(r.matches.windows(2).all(|w| w[0].score >= w[1].score));
    assert_eq!(r.matches[0].score, r.best_score);
    assert!(
        r.matches
            .iter()
            .all(|m| m.score >= 0.6 || m.name_match == NameMatch::Partial)
    );
    assert!(r.left_off > 0);
}

// ---- odd input ----

#[test]
fn non_latin_names_go_to_review() {
    let r = screen(ScreeningRequest::individual("Иван Петров"));
    assert_eq!(r.decision, Decision::Review);
    assert!(r.flags.contains(&ScreeningFlag::NonLatinScript));
}

#[test]
fn empty_names_and_bad_countries_are_errors() {
    for name in ["", "   ", "!!! ---"] {
        assert_eq!(
            LIST.screen(&ScreeningRequest::new(name), &ScreeningConfig::default()),
            Err(ScreenError::EmptyName)
        );
    }
    let err = LIST
        .screen(
            &ScreeningRequest::new("John Smith").with_country("UK"),
            &ScreeningConfig::default(),
        )
        .unwrap_err();
    assert!(matches!(err, ScreenError::InvalidCountry(_)), "{err}");
}

#[test]
fn results_serialise_for_the_api_details() {
    let r =
        screen(ScreeningRequest::individual("Ahmad Fuad Salim").with_date_of_birth(ZAWAHIRI_DOB));
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["decision"], "hit");
    assert_eq!(json["matches"][0]["name_match"], "exact");
    assert_eq!(json["matches"][0]["basis"], "date_of_birth_agrees");
    assert_eq!(
        json["matches"][0]["identifiers"]["date_of_birth"]["outcome"],
        "agrees"
    );
    assert_eq!(json["matches"][0]["ent_num"], 2676);
    assert_eq!(json["matches"][0]["matched_on"], "alias");
    assert_eq!(json["matches"][0]["alias_type"], "aka");
    assert_eq!(json["matches"][0]["sdn_type"], "individual");
}

#[test]
fn a_list_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SanctionsList>();
}
