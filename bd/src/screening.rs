//! Sanctions screening of an investor (and, for an entity, of each beneficial owner) against
//! the OFAC SDN list, and the jurisdiction check, with the `sanctions` crate's rules. Pure: the
//! list, thresholds, jurisdictions and the false positives a compliance officer approved are
//! inputs.
//!
//! A name match on a listed individual is decided with the party's date of birth and country,
//! as OFAC's FAQ 5 ("How do I determine if I have a valid OFAC match?",
//! <https://ofac.treasury.gov/faqs/5>) asks: compare the other identifiers before treating a
//! name match as a hit (see `sanctions::Basis`). Every reason and match says which entry,
//! which tokens, the score and what each identifier showed, so that a compliance officer can
//! decide a review without opening the list; entries the identifiers ruled out are kept in the
//! check's details (`sanctions.cleared`) with why.

use std::collections::{BTreeSet, HashMap};

use compliance::pretrade::SanctionsStatus;
use sanctions::{
    Decision, PartyType, SanctionedJurisdictions, SanctionsList, SanctionsMatch, ScreeningConfig,
    ScreeningRequest,
};
use serde_json::{Value, json};
use time::Date;

use crate::wire::CheckReason;

const RULE_OFAC: &str = "31 CFR Chapter V (OFAC sanctions regulations)";
/// The guidance the comparison of identifiers follows.
pub const OFAC_GUIDANCE: &str = "OFAC FAQ 5, How do I determine if I have a valid OFAC match? (https://ofac.treasury.gov/faqs/5)";

/// Who is screened.
#[derive(Debug, Clone)]
pub struct Party {
    /// `investor` or `beneficial_owner`.
    pub role: &'static str,
    /// The beneficial owner's position in the investor's list.
    pub position: Option<usize>,
    pub name: String,
    pub party_type: PartyType,
    pub date_of_birth: Option<Date>,
    pub country: String,
}

impl Party {
    /// Who this party is for a false positive: the normalised name (tokens sorted), the date
    /// of birth and the party type. Another name, date of birth or type is another party.
    pub fn key(&self) -> String {
        party_key(&self.name, self.date_of_birth, self.party_type)
    }
}

/// See [`Party::key`].
pub fn party_key(name: &str, date_of_birth: Option<Date>, party_type: PartyType) -> String {
    let t = match party_type {
        PartyType::Individual => "individual",
        PartyType::Entity => "entity",
    };
    let dob = date_of_birth.map(|d| d.to_string()).unwrap_or_default();
    format!("{}|{dob}|{t}", sanctions::normalize_sorted(name))
}

/// The SDN entries a compliance officer approved as false positives, per party key, for the
/// list version being screened against, with the decisions that approved them.
#[derive(Debug, Clone, Default)]
pub struct FalsePositives {
    pub by_party: HashMap<String, ClearedParty>,
}

#[derive(Debug, Clone, Default)]
pub struct ClearedParty {
    pub ent_nums: BTreeSet<u64>,
    pub decisions: BTreeSet<String>,
}

impl FalsePositives {
    pub fn add(&mut self, party_key: &str, ent_nums: &[u64], decision: &str) {
        let e = self.by_party.entry(party_key.to_owned()).or_default();
        e.ent_nums.extend(ent_nums.iter().copied());
        e.decisions.insert(decision.to_owned());
    }

    /// The approval covering a review of `party` whose matches are `ent_nums`: every matched
    /// entry must have been approved for this very party.
    fn covering(&self, party: &Party, ent_nums: &[u64]) -> Option<&ClearedParty> {
        self.by_party
            .get(&party.key())
            .filter(|c| ent_nums.iter().all(|e| c.ent_nums.contains(e)))
    }
}

#[derive(Debug, Clone)]
pub struct ScreeningOutcome {
    /// `clear`, `review` or `hit`: the worst party decides.
    pub status: SanctionsStatus,
    pub reasons: Vec<CheckReason>,
    /// Every party with its result, for the check's details.
    pub parties: Vec<Value>,
    /// The matched SDN entries of every party, flattened (best first per party).
    pub matches: Vec<Value>,
    /// The SDN entries whose names matched but whose identifiers ruled them out (the date of
    /// birth contradicts every one the entry gives), flattened, with why.
    pub cleared: Vec<Value>,
    /// Reviews kept clear by a compliance officer's earlier approval (party, entries, the
    /// approving decisions).
    pub false_positives: Vec<Value>,
    pub list_version: String,
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Screens every party's name and country. A party whose name alone is in review (weak matches
/// only, no error) stays clear when `cleared` holds an approval for the same party key and every
/// matched entry: a strong match, a sanctioned jurisdiction or a new entry is never cleared.
pub fn screen(
    list: &SanctionsList,
    config: &ScreeningConfig,
    jurisdictions: &SanctionedJurisdictions,
    parties: &[Party],
    cleared: &FalsePositives,
) -> ScreeningOutcome {
    let mut status = SanctionsStatus::Clear;
    let mut reasons = Vec::new();
    let mut out_parties = Vec::new();
    let mut all_matches = Vec::new();
    let mut all_cleared = Vec::new();
    let mut false_positives = Vec::new();
    for p in parties {
        let who = json!({"party": p.role, "position": p.position, "name": p.name});
        // Jurisdiction: residents of comprehensively sanctioned countries are refused.
        let sanctioned_country = jurisdictions.contains(&p.country);
        if sanctioned_country {
            status = status.worst(SanctionsStatus::Hit);
            reasons.push(
                CheckReason::new(
                    "sanctioned_jurisdiction",
                    format!(
                        "{} {} is in {}, a comprehensively sanctioned jurisdiction",
                        role_label(p.role),
                        p.name,
                        p.country
                    ),
                )
                .with_rule(RULE_OFAC)
                .with_details(json!({
                    "party": p.role,
                    "position": p.position,
                    "name": p.name,
                    "country": p.country,
                })),
            );
        }

        let mut request = ScreeningRequest::new(p.name.clone());
        request.party_type = Some(p.party_type);
        request.date_of_birth = p.date_of_birth;
        request.country = Some(p.country.clone());
        let mut carried: Option<&ClearedParty> = None;
        let (decision, result_json) = match list.screen(&request, config) {
            Ok(r) => {
                if r.decision == Decision::Review {
                    let ents: Vec<u64> = r.matches.iter().map(|m| m.ent_num).collect();
                    carried = cleared.covering(p, &ents);
                }
                let matches: Vec<Value> = r
                    .matches
                    .iter()
                    .map(|m| match_json(p, m, carried.is_some()))
                    .collect();
                let cleared_entries: Vec<Value> =
                    r.cleared.iter().map(|m| match_json(p, m, false)).collect();
                all_cleared.extend(cleared_entries.iter().cloned());
                all_matches.extend(matches.iter().cloned());
                (
                    r.decision,
                    json!({
                        "decision": r.decision,
                        "best_score": round4(r.best_score),
                        "normalized_name": r.normalized_name,
                        "flags": r.flags,
                        "matches": matches,
                        "cleared": cleared_entries,
                        "left_off": r.left_off,
                    }),
                )
            }
            // A name with nothing to compare cannot be cleared: a person looks.
            Err(e) => (
                Decision::Review,
                json!({"decision": Decision::Review, "error": e.to_string(), "matches": []}),
            ),
        };
        let best = result_json["matches"].get(0).cloned();
        let mut party = who;
        if let Some(c) = carried {
            let ents: Vec<u64> = result_json["matches"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m["ent_num"].as_u64())
                .collect();
            let fp = json!({
                "party": p.role,
                "position": p.position,
                "name": p.name,
                "party_key": p.key(),
                "ent_nums": ents,
                "decision_check_ids": c.decisions,
                "carried": true,
            });
            party["false_positive"] = fp.clone();
            false_positives.push(fp);
        }
        match decision {
            Decision::Clear => {}
            Decision::Review if carried.is_some() => {}
            Decision::Review => {
                status = status.worst(SanctionsStatus::Review);
                let message = match &best {
                    Some(m) => format!(
                        "{} {} resembles {}{}: a compliance officer must review",
                        role_label(p.role),
                        p.name,
                        entry_message(m),
                        more_entries(&result_json)
                    ),
                    None => format!(
                        "{} {} could not be compared with the OFAC SDN list: a compliance officer must review",
                        role_label(p.role),
                        p.name
                    ),
                };
                reasons.push(
                    CheckReason::new("sanctions_under_review", message)
                        .with_rule(RULE_OFAC)
                        .with_details(reason_details(p, best, &result_json)),
                );
            }
            Decision::Hit => {
                status = status.worst(SanctionsStatus::Hit);
                let message = match &best {
                    Some(m) => format!(
                        "{} {} matches {}",
                        role_label(p.role),
                        p.name,
                        entry_message(m)
                    ),
                    None => format!(
                        "{} {} matches the OFAC SDN list",
                        role_label(p.role),
                        p.name
                    ),
                };
                reasons.push(
                    CheckReason::new("sanctions_hit", message)
                        .with_rule(RULE_OFAC)
                        .with_details(reason_details(p, best, &result_json)),
                );
            }
        }
        party["party_key"] = json!(p.key());
        party["country"] = json!(p.country);
        party["jurisdiction"] = json!(if sanctioned_country {
            "sanctioned"
        } else {
            "allowed"
        });
        party["screening"] = result_json;
        out_parties.push(party);
    }
    ScreeningOutcome {
        status,
        reasons,
        parties: out_parties,
        matches: all_matches,
        cleared: all_cleared,
        false_positives,
        list_version: list.info().version(),
    }
}

/// One matched (or cleared) entry as the check's details show it: the entry, the name that
/// matched, the tokens, the score, every identifier compared, the decision and why.
fn match_json(p: &Party, m: &SanctionsMatch, false_positive: bool) -> Value {
    let alias = matches!(m.matched_on, sanctions::MatchedOn::Alias).then(|| m.matched_name.clone());
    json!({
        "party": p.role,
        "position": p.position,
        "party_name": p.name,
        "ent_num": m.ent_num,
        "name": m.sdn_name,
        "matched_name": m.matched_name,
        "matched_on": m.matched_on,
        "alias": alias,
        "alias_type": m.alias_type,
        "sdn_type": m.sdn_type,
        "programs": m.programs,
        "score": round4(m.score),
        "name_match": m.name_match,
        "matched_tokens": m.matched_tokens,
        "unmatched_listed_tokens": m.unmatched_listed_tokens,
        "unmatched_screened_tokens": m.unmatched_screened_tokens,
        "decision": m.decision,
        "basis": m.basis,
        "explanation": m.explanation,
        "identifiers": m.identifiers,
        "countries": m.countries,
        "nationalities": m.nationalities,
        "places_of_birth": m.places_of_birth,
        "dates_of_birth": m.dates_of_birth,
        "date_of_birth_match": m.date_of_birth_match,
        "country_match": m.country_match,
        "false_positive": false_positive,
    })
}

/// `the OFAC SDN entry 26945 (KHAMENEI, Ali Husseini; programs IRAN-EO13876): part of the
/// listed name (ali = ali, khamenei = khamenei; listed only: husseini), score 0.8462; ...`
fn entry_message(m: &Value) -> String {
    let strs = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect()
    };
    let pairs: Vec<String> = m["matched_tokens"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            let (a, b) = (
                t["screened"].as_str().unwrap_or_default(),
                t["listed"].as_str().unwrap_or_default(),
            );
            match t["similarity"].as_f64() {
                Some(s) if s < 1.0 => format!("{a} ~ {b} {s}"),
                _ => format!("{a} = {b}"),
            }
        })
        .collect();
    let mut tokens = pairs.join(", ");
    for (label, key) in [
        ("listed only", "unmatched_listed_tokens"),
        ("not listed", "unmatched_screened_tokens"),
    ] {
        let extra = strs(&m[key]);
        if !extra.is_empty() {
            tokens.push_str(&format!("; {label}: {}", extra.join(", ")));
        }
    }
    let how = match m["name_match"].as_str() {
        Some("exact") => "the same name",
        Some("strong") => "nearly the same name",
        Some("partial") => "part of the listed name",
        _ => "a similar name",
    };
    let alias = match m["alias"].as_str() {
        Some(a) => format!(", as {a}"),
        None => String::new(),
    };
    format!(
        "the OFAC SDN entry {} ({}{alias}; programs {}): {how} ({tokens}), score {}; {}",
        m["ent_num"],
        m["name"].as_str().unwrap_or_default(),
        strs(&m["programs"]).join(", "),
        m["score"],
        m["explanation"].as_str().unwrap_or_default(),
    )
}

/// `; and 3 more entries` when the party matched more than the one named.
fn more_entries(result: &Value) -> String {
    let more = result["matches"]
        .as_array()
        .map_or(0, |a| a.len().saturating_sub(1))
        + usize::try_from(result["left_off"].as_u64().unwrap_or(0)).unwrap_or(0);
    match more {
        0 => String::new(),
        1 => "; and 1 more entry".to_owned(),
        n => format!("; and {n} more entries"),
    }
}

/// A reason's details: the party, the deciding match (with its tokens and identifiers), the
/// other entries in review and the guidance followed.
fn reason_details(p: &Party, best: Option<Value>, result: &Value) -> Value {
    let ent_nums: Vec<u64> = result["matches"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["ent_num"].as_u64())
        .collect();
    json!({
        "party": p.role,
        "position": p.position,
        "name": p.name,
        "date_of_birth": p.date_of_birth,
        "country": p.country,
        "match": best,
        "ent_nums": ent_nums,
        "guidance": OFAC_GUIDANCE,
    })
}

fn role_label(role: &str) -> &'static str {
    if role == "beneficial_owner" {
        "beneficial owner"
    } else {
        "investor"
    }
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;

    static LIST: LazyLock<SanctionsList> =
        LazyLock::new(|| SanctionsList::load_dir(sanctions::bundled_list_dir()).unwrap());

    fn person(name: &str, country: &str) -> Party {
        Party {
            role: "investor",
            position: None,
            name: name.into(),
            party_type: PartyType::Individual,
            date_of_birth: None,
            country: country.into(),
        }
    }

    fn run(parties: &[Party]) -> ScreeningOutcome {
        screen(
            &LIST,
            &ScreeningConfig::default(),
            &SanctionedJurisdictions::default(),
            parties,
            &FalsePositives::default(),
        )
    }

    #[test]
    fn a_listed_name_is_a_hit_with_the_entry() {
        let o = run(&[person("Manuel Antonio Noriega", "US")]);
        assert_eq!(o.status, SanctionsStatus::Hit);
        assert_eq!(o.matches[0]["ent_num"], 1572);
        assert_eq!(o.reasons[0].code, "sanctions_hit");
    }

    #[test]
    fn an_ordinary_name_is_clear_and_a_sanctioned_country_is_a_hit() {
        let o = run(&[person("Jane Q Example", "US")]);
        assert_eq!(o.status, SanctionsStatus::Clear);
        assert!(o.reasons.is_empty());
        let o = run(&[person("Jane Q Example", "IR")]);
        assert_eq!(o.status, SanctionsStatus::Hit);
        assert_eq!(o.reasons[0].code, "sanctioned_jurisdiction");
    }

    #[test]
    fn a_review_says_which_entry_tokens_score_and_identifiers() {
        let o = run(&[person("Ali Khamenei", "US")]);
        assert_eq!(o.status, SanctionsStatus::Review);
        let r = &o.reasons[0];
        assert_eq!(r.code, "sanctions_under_review");
        for part in [
            "investor Ali Khamenei resembles the OFAC SDN entry 26945 (KHAMENEI, Ali Husseini; programs IRAN-EO13876)",
            "part of the listed name (ali = ali, khamenei = khamenei; listed only: husseini), score 0.8462",
            "date of birth not given (listed: 19 Apr 1939)",
            "a compliance officer must review",
        ] {
            assert!(r.message.contains(part), "{part:?} not in {}", r.message);
        }
        let d = r.details.as_ref().unwrap();
        assert_eq!(d["match"]["name_match"], "partial");
        assert_eq!(d["match"]["basis"], "partial_name");
        assert_eq!(
            d["match"]["identifiers"]["date_of_birth"]["outcome"],
            "not_compared"
        );
        assert_eq!(
            d["match"]["identifiers"]["place_of_birth"]["outcome"],
            "differs"
        );
        assert_eq!(d["guidance"], OFAC_GUIDANCE);
    }

    #[test]
    fn a_contradicting_date_of_birth_clears_and_keeps_the_entry() {
        let mut p = person("Ali Hassan", "US");
        p.date_of_birth = time::Date::from_calendar_date(1985, time::Month::March, 2).ok();
        let o = run(&[p]);
        assert_eq!(o.status, SanctionsStatus::Clear);
        assert!(o.reasons.is_empty() && o.matches.is_empty());
        let kept = o
            .cleared
            .iter()
            .find(|m| m["ent_num"] == 6924)
            .expect("the alias ALI, Hassan is kept");
        assert_eq!(kept["alias"], "ALI, Hassan");
        assert_eq!(kept["decision"], "clear");
        assert_eq!(kept["basis"], "date_of_birth_contradicts");
        assert_eq!(o.parties[0]["screening"]["cleared"][0], o.cleared[0]);
    }

    #[test]
    fn the_worst_party_decides() {
        let mut owner = person("Manuel Antonio Noriega", "PA");
        owner.role = "beneficial_owner";
        owner.position = Some(0);
        let mut entity = person("Example Holdings", "US");
        entity.party_type = PartyType::Entity;
        let o = run(&[entity, owner]);
        assert_eq!(o.status, SanctionsStatus::Hit);
        assert_eq!(o.matches[0]["party"], "beneficial_owner");
    }

    #[test]
    fn an_approved_false_positive_stays_clear_for_the_same_party_and_entries() {
        let weak = person("Manuel Noriega", "PA");
        let first = run(std::slice::from_ref(&weak));
        assert_eq!(first.status, SanctionsStatus::Review);
        let ents: Vec<u64> = first
            .matches
            .iter()
            .filter_map(|m| m["ent_num"].as_u64())
            .collect();
        assert!(ents.contains(&1572), "{:?}", first.matches);
        let screen_with = |parties: &[Party], cleared: &FalsePositives| {
            screen(
                &LIST,
                &ScreeningConfig::default(),
                &SanctionedJurisdictions::default(),
                parties,
                cleared,
            )
        };

        let mut cleared = FalsePositives::default();
        cleared.add(&weak.key(), &ents, "chk_1");
        let again = screen_with(std::slice::from_ref(&weak), &cleared);
        assert_eq!(again.status, SanctionsStatus::Clear);
        assert!(again.reasons.is_empty());
        assert_eq!(again.false_positives.len(), 1);
        assert_eq!(again.false_positives[0]["decision_check_ids"][0], "chk_1");
        assert_eq!(again.matches[0]["false_positive"], true);

        // An entry the officer did not see re-opens the review.
        let mut partial = FalsePositives::default();
        partial.add(&weak.key(), &ents[1..], "chk_1");
        assert_eq!(
            screen_with(std::slice::from_ref(&weak), &partial).status,
            SanctionsStatus::Review
        );

        // Another date of birth is another person.
        let mut other = weak.clone();
        other.date_of_birth = time::Date::from_calendar_date(1950, time::Month::May, 1).ok();
        assert_eq!(
            screen_with(&[other], &cleared).status,
            SanctionsStatus::Review
        );

        // A strong match is never cleared, even with its entry approved.
        let strong = person("Manuel Antonio Noriega", "PA");
        let mut cleared = FalsePositives::default();
        cleared.add(&strong.key(), &[1572], "chk_1");
        assert_eq!(
            screen_with(&[strong], &cleared).status,
            SanctionsStatus::Hit
        );
        // Nor is a sanctioned jurisdiction.
        let mut cleared = FalsePositives::default();
        let iranian = person("Manuel Noriega", "IR");
        cleared.add(&iranian.key(), &ents, "chk_1");
        assert_eq!(
            screen_with(&[iranian], &cleared).status,
            SanctionsStatus::Hit
        );
    }
}
