//! Sanctions screening of an investor (and, for an entity, of each beneficial owner) against
//! the OFAC SDN list, and the jurisdiction check, with the `sanctions` crate's rules. Pure: the
//! list, thresholds and jurisdictions are inputs.

use sanctions::{
    Decision, PartyType, SanctionedJurisdictions, SanctionsList, ScreeningConfig, ScreeningRequest,
};
use serde::Serialize;
use serde_json::{Value, json};
use time::Date;

use crate::wire::CheckReason;

const RULE_OFAC: &str = "31 CFR Chapter V (OFAC sanctions regulations)";

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

/// The sanctions status of an investor, as the compliance rules read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SanctionsStatus {
    Clear,
    Review,
    Hit,
}

impl SanctionsStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clear => "clear",
            Self::Review => "review",
            Self::Hit => "hit",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ScreeningOutcome {
    pub status: SanctionsStatus,
    pub reasons: Vec<CheckReason>,
    /// Every party with its result, for the check's details.
    pub parties: Vec<Value>,
    /// The matched SDN entries of every party, flattened (best first per party).
    pub matches: Vec<Value>,
    pub list_version: String,
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Screens every party's name and country.
pub fn screen(
    list: &SanctionsList,
    config: &ScreeningConfig,
    jurisdictions: &SanctionedJurisdictions,
    parties: &[Party],
) -> ScreeningOutcome {
    let mut status = SanctionsStatus::Clear;
    let mut reasons = Vec::new();
    let mut out_parties = Vec::new();
    let mut all_matches = Vec::new();
    for p in parties {
        let who = json!({"party": p.role, "position": p.position, "name": p.name});
        // Jurisdiction: residents of comprehensively sanctioned countries are refused.
        let sanctioned_country = jurisdictions.contains(&p.country);
        if sanctioned_country {
            status = status.max(SanctionsStatus::Hit);
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
        let (decision, result_json) = match list.screen(&request, config) {
            Ok(r) => {
                let matches: Vec<Value> = r
                    .matches
                    .iter()
                    .map(|m| {
                        let alias = matches!(m.matched_on, sanctions::MatchedOn::Alias)
                            .then(|| m.matched_name.clone());
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
                            "decision": m.decision,
                            "countries": m.countries,
                            "nationalities": m.nationalities,
                            "dates_of_birth": m.dates_of_birth,
                            "date_of_birth_match": m.date_of_birth_match,
                            "country_match": m.country_match,
                        })
                    })
                    .collect();
                all_matches.extend(matches.iter().cloned());
                (
                    r.decision,
                    json!({
                        "decision": r.decision,
                        "best_score": round4(r.best_score),
                        "normalized_name": r.normalized_name,
                        "flags": r.flags,
                        "matches": matches,
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
        match decision {
            Decision::Clear => {}
            Decision::Review => {
                status = status.max(SanctionsStatus::Review);
                reasons.push(
                    CheckReason::new(
                        "sanctions_under_review",
                        match &best {
                            Some(m) => format!(
                                "{} {} resembles the OFAC SDN entry {} ({}), score {}: a compliance officer must review",
                                role_label(p.role),
                                p.name,
                                m["ent_num"],
                                m["name"].as_str().unwrap_or_default(),
                                m["score"]
                            ),
                            None => format!(
                                "{} {} could not be compared with the OFAC SDN list: a compliance officer must review",
                                role_label(p.role),
                                p.name
                            ),
                        },
                    )
                    .with_rule(RULE_OFAC)
                    .with_details(json!({"party": p.role, "position": p.position, "name": p.name, "match": best})),
                );
            }
            Decision::Hit => {
                status = status.max(SanctionsStatus::Hit);
                reasons.push(
                    CheckReason::new(
                        "sanctions_hit",
                        match &best {
                            Some(m) => format!(
                                "{} {} matches the OFAC SDN entry {} ({}; programs {}), score {}",
                                role_label(p.role),
                                p.name,
                                m["ent_num"],
                                m["name"].as_str().unwrap_or_default(),
                                m["programs"]
                                    .as_array()
                                    .map(|a| a
                                        .iter()
                                        .filter_map(Value::as_str)
                                        .collect::<Vec<_>>()
                                        .join(", "))
                                    .unwrap_or_default(),
                                m["score"]
                            ),
                            None => format!("{} {} matches the OFAC SDN list", role_label(p.role), p.name),
                        },
                    )
                    .with_rule(RULE_OFAC)
                    .with_details(json!({"party": p.role, "position": p.position, "name": p.name, "match": best})),
                );
            }
        }
        let mut party = who;
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
        list_version: list.info().version(),
    }
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
}
