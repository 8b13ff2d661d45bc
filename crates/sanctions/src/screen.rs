//! Screening a name against the list: scoring, thresholds and the result the BD reports.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::corroborate::{self, Basis, Identifiers, NameMatch};
use crate::index::{
    Bag, Index, IndexedName, NameSource, VocabToken, bag, is_short_name, is_short_token, overlap,
};
use crate::jurisdiction::{InvalidCountryCode, is_iso_alpha2};
use crate::list::{AliasType, SanctionsList, SdnEntry, SdnType};
use crate::normalize::{has_non_latin, tokens};

/// Token pairs less similar than this count as different tokens, not as a poor match:
/// Jaro-Winkler gives 0.8 and more to unrelated short names (`ivan`/`mian` 0.83,
/// `khalid`/`ali` 0.83), and a long exact surname beside them would carry the average over
/// `strong`. Since only pairs at or above the floor score at all, the token index that finds
/// the candidates loses nothing.
const PAIR_FLOOR: f64 = 0.85;

/// Every pair of a partial name must be at least this similar, and one pair must be equal:
/// `Fabio Otchoa` is part of `OCHOA VASCO, Fabio Enrique`, but a name made of near misses
/// only (`Lisa Davis`, `DE LIMA SALAS, David Eugenio`) merely resembles it. Measured on the
/// generated set (tests/rates.rs): requiring the equal pair keeps every variant caught and
/// approves 8 more of the 1,050 ordinary names without a date of birth.
const PARTIAL_PAIR_FLOOR: f64 = 0.85;

/// How much a difference in length lowers a pair's similarity (see [`token_similarity`]).
const LENGTH_PENALTY: f64 = 0.5;

/// Share of its length an unmatched token costs. Below 1 because a listed name often has a
/// middle name or second surname the customer leaves out (and the other way round); above 0
/// because `Maria Garcia` is not `GARCIA DURAN, Maria Del Rosario`.
const UNMATCHED_WEIGHT: f64 = 0.5;

/// Thresholds on the name score (0.0..=1.0) and how many matches to report.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScreeningConfig {
    strong: f64,
    weak: f64,
    max_matches: usize,
}

/// Thresholds that are not `0 < weak <= strong <= 1`.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("screening thresholds must satisfy 0 < weak <= strong <= 1 (strong {strong}, weak {weak})")]
pub struct InvalidThresholds {
    pub strong: f64,
    pub weak: f64,
}

impl ScreeningConfig {
    /// 0.93: every token found, with at most a one-letter slip in a long name or a short
    /// middle name missing: a strong name match, refused when an identifier confirms it
    /// (see [`crate::Basis`]).
    pub const DEFAULT_STRONG: f64 = 0.93;
    /// 0.85: the same person written differently is possible (a different transliteration,
    /// a typo); a compliance officer looks.
    pub const DEFAULT_WEAK: f64 = 0.85;
    /// Ten: a common name can be part of several listed names at once, and the officer
    /// deciding should see them all.
    pub const DEFAULT_MAX_MATCHES: usize = 10;

    /// A score `>= strong` is a [`Decision::Hit`], `>= weak` a [`Decision::Review`].
    pub fn new(strong: f64, weak: f64) -> Result<Self, InvalidThresholds> {
        let valid = weak > 0.0 && weak <= strong && strong <= 1.0;
        if !valid {
            return Err(InvalidThresholds { strong, weak });
        }
        Ok(Self {
            strong,
            weak,
            max_matches: Self::DEFAULT_MAX_MATCHES,
        })
    }

    /// How many matching entries a result lists at most (at least one).
    pub fn with_max_matches(mut self, max_matches: usize) -> Self {
        self.max_matches = max_matches.max(1);
        self
    }

    pub fn strong(&self) -> f64 {
        self.strong
    }

    pub fn weak(&self) -> f64 {
        self.weak
    }

    pub fn max_matches(&self) -> usize {
        self.max_matches
    }

    /// The decision a score alone leads to, the thresholds inclusive: what decides an
    /// entity, vessel or aircraft. A listed individual's match is then weighed with the
    /// identifiers (see [`crate::Basis`]).
    pub fn decide(&self, score: f64) -> Decision {
        if score >= self.strong {
            Decision::Hit
        } else if score >= self.weak {
            Decision::Review
        } else {
            Decision::Clear
        }
    }
}

impl Default for ScreeningConfig {
    fn default() -> Self {
        Self {
            strong: Self::DEFAULT_STRONG,
            weak: Self::DEFAULT_WEAK,
            max_matches: Self::DEFAULT_MAX_MATCHES,
        }
    }
}

/// Ordered by severity, so `max` combines decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// No listed name is close enough.
    Clear,
    /// Possibly listed: a human decides.
    Review,
    /// Listed: refuse.
    Hit,
}

/// The kind of party screened. An individual is compared with listed individuals only; an
/// entity with listed entities, vessels and aircraft. Unknown: compared with everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyType {
    Individual,
    Entity,
}

impl PartyType {
    fn admits(self, sdn_type: SdnType) -> bool {
        match self {
            PartyType::Individual => sdn_type == SdnType::Individual,
            PartyType::Entity => sdn_type != SdnType::Individual,
        }
    }
}

/// What to screen. A name match on a listed individual is decided with the date of birth
/// and the country (see [`crate::Basis`]): give them whenever they are known.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ScreeningRequest {
    pub name: String,
    pub party_type: Option<PartyType>,
    pub date_of_birth: Option<Date>,
    /// ISO 3166-1 alpha-2, uppercase: compared with the entry's nationalities and
    /// citizenships, places of birth and addresses.
    pub country: Option<String>,
}

impl ScreeningRequest {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    pub fn individual(name: impl Into<String>) -> Self {
        Self {
            party_type: Some(PartyType::Individual),
            ..Self::new(name)
        }
    }

    pub fn entity(name: impl Into<String>) -> Self {
        Self {
            party_type: Some(PartyType::Entity),
            ..Self::new(name)
        }
    }

    pub fn with_date_of_birth(mut self, date: Date) -> Self {
        self.date_of_birth = Some(date);
        self
    }

    pub fn with_country(mut self, code: impl Into<String>) -> Self {
        self.country = Some(code.into());
        self
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScreenError {
    #[error("the name has no letters or digits to screen")]
    EmptyName,
    #[error(transparent)]
    InvalidCountry(#[from] InvalidCountryCode),
}

/// Why a result deserves a second look beyond its score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScreeningFlag {
    /// The name has letters outside the Latin script; the list is Latin-only, so the name
    /// could not really be compared and the decision is at least `review`.
    NonLatinScript,
    /// One token, or only one- and two-letter tokens: matched exactly, never fuzzily.
    ShortName,
}

/// Whether the query matched an entry's primary name or one of its aliases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedOn {
    Primary,
    Alias,
}

/// A token of the screened name and the listed token it paired with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenPair {
    pub screened: String,
    pub listed: String,
    /// 1.0 for equal tokens; see the crate docs.
    pub similarity: f64,
}

/// One listed entry the name resembles, with what the BD shows in the check's details.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SanctionsMatch {
    pub ent_num: u64,
    /// The entry's primary name.
    pub sdn_name: String,
    /// The name that matched best: the primary name or an alias.
    pub matched_name: String,
    pub matched_on: MatchedOn,
    /// `aka`, `fka` or `nka` when an alias matched.
    pub alias_type: Option<AliasType>,
    pub sdn_type: SdnType,
    pub programs: Vec<String>,
    /// The name score (0.0..=1.0).
    pub score: f64,
    /// How the names matched.
    pub name_match: NameMatch,
    /// The tokens that paired up, screened with listed (names run together, `alzawahiri`,
    /// pair as one).
    pub matched_tokens: Vec<TokenPair>,
    /// Listed tokens the screened name lacks (middle names, a second surname, a title).
    pub unmatched_listed_tokens: Vec<String>,
    /// Screened tokens the listed name lacks.
    pub unmatched_screened_tokens: Vec<String>,
    /// The decision on this entry, after comparing the identifiers: `clear` when they
    /// rule it out.
    pub decision: Decision,
    /// Why: which identifiers decided.
    pub basis: Basis,
    /// The same in a sentence.
    pub explanation: String,
    /// Every identifier compared, agreeing or not.
    pub identifiers: Identifiers,
    /// Countries of the entry's addresses, as published.
    pub countries: Vec<String>,
    /// Nationalities and citizenships from the remarks, as published.
    pub nationalities: Vec<String>,
    /// Places of birth from the remarks, as published.
    pub places_of_birth: Vec<String>,
    /// Dates of birth from the remarks, as published.
    pub dates_of_birth: Vec<String>,
    /// Whether the requested date of birth falls in one of the listed ones; `None` when
    /// either side has none.
    pub date_of_birth_match: Option<bool>,
    /// Whether the requested country is among the entry's address countries and
    /// nationalities; `None` when either side has none.
    pub country_match: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScreeningResult {
    /// The worst decision of any entry (at least `review` for a non-Latin name).
    pub decision: Decision,
    /// The highest score of any listed name, reported or not; 0.0 when none was compared.
    pub best_score: f64,
    /// The name as compared, after normalisation.
    pub normalized_name: String,
    /// Entries whose names match (scoring at least `weak`, or a partial name) and that the
    /// identifiers did not rule out: hits first, then by score; at most `max_matches`.
    pub matches: Vec<SanctionsMatch>,
    /// Entries whose names match but whose identifiers ruled them out (decision `clear`),
    /// kept to show why; by score, at most `max_matches`.
    pub cleared: Vec<SanctionsMatch>,
    /// Matching entries left out of `matches` and `cleared` by `max_matches`.
    pub left_off: usize,
    pub flags: Vec<ScreeningFlag>,
    /// [`crate::ListInfo::version`] of the list screened against.
    pub list_version: String,
}

struct Query {
    tokens: Vec<String>,
    lens: Vec<u32>,
    short: bool,
    /// Vocabulary id → row of `sims`, for the tokens similar to at least one query token.
    slot: Vec<u32>,
    /// Vocabulary ids with a row, in row order.
    similar: Vec<u32>,
    /// Row-major, one column per query token: similarity, or 0.0 below `PAIR_FLOOR`.
    sims: Vec<f64>,
}

const NO_SLOT: u32 = u32::MAX;

impl SanctionsList {
    /// Screens one name. See the crate docs for how names are compared.
    pub fn screen(
        &self,
        request: &ScreeningRequest,
        config: &ScreeningConfig,
    ) -> Result<ScreeningResult, ScreenError> {
        if let Some(c) = &request.country
            && !is_iso_alpha2(c)
        {
            return Err(InvalidCountryCode(c.clone()).into());
        }
        let toks = tokens(&request.name);
        if toks.is_empty() {
            return Err(ScreenError::EmptyName);
        }
        let normalized_name = toks.join(" ");
        let mut flags = Vec::new();
        if has_non_latin(&normalized_name) {
            flags.push(ScreeningFlag::NonLatinScript);
        }
        let query = Query::new(toks, &self.index);
        if query.short {
            flags.push(ScreeningFlag::ShortName);
        }

        // Each entry by its best name: a strong match before a partial one before a weak one,
        // then by score; on a tie the primary name, indexed before its aliases.
        let mut best_per_entry: HashMap<u32, (Candidate, u32)> = HashMap::new();
        let mut best_score: f64 = 0.0;
        for (name_id, scored) in self.candidates(&query) {
            let Some(name) = self.index.names.get(name_id as usize) else {
                continue;
            };
            if request.party_type.is_some_and(|p| !p.admits(name.sdn_type)) {
                continue;
            }
            best_score = best_score.max(scored.score);
            let Some(candidate) = Candidate::new(scored, config) else {
                continue;
            };
            let slot = best_per_entry
                .entry(name.entry)
                .or_insert((candidate, name_id));
            if candidate.rank() > slot.0.rank()
                || (candidate.rank() == slot.0.rank() && name_id < slot.1)
            {
                *slot = (candidate, name_id);
            }
        }

        let judged: Vec<SanctionsMatch> = best_per_entry
            .into_values()
            .filter_map(|(candidate, name_id)| {
                self.describe(name_id, candidate, &query, request, config)
            })
            .collect();
        let mut decision = judged
            .iter()
            .map(|m| m.decision)
            .max()
            .unwrap_or(Decision::Clear);
        if flags.contains(&ScreeningFlag::NonLatinScript) {
            decision = decision.max(Decision::Review);
        }
        let (mut matches, mut cleared): (Vec<_>, Vec<_>) = judged
            .into_iter()
            .partition(|m| m.decision != Decision::Clear);
        let order = |a: &SanctionsMatch, b: &SanctionsMatch| {
            b.decision
                .cmp(&a.decision)
                .then(b.score.total_cmp(&a.score))
                .then(a.ent_num.cmp(&b.ent_num))
        };
        matches.sort_by(order);
        cleared.sort_by(order);
        let left_off = matches.len().saturating_sub(config.max_matches)
            + cleared.len().saturating_sub(config.max_matches);
        matches.truncate(config.max_matches);
        cleared.truncate(config.max_matches);
        Ok(ScreeningResult {
            decision,
            best_score,
            normalized_name,
            matches,
            cleared,
            left_off,
            flags,
            list_version: self.info().version(),
        })
    }

    /// Every listed name that can score above zero, with its score.
    fn candidates(&self, query: &Query) -> Vec<(u32, Scored)> {
        let index = &self.index;
        let mut seen = vec![false; index.names.len()];
        let mut out = Vec::new();

        let mut sorted = query.tokens.clone();
        sorted.sort_unstable();
        let exact = [
            index.by_sorted.get(&sorted.join(" ")),
            index.by_compact.get(&query.tokens.concat()),
        ];
        for id in exact.into_iter().flatten().flatten() {
            if let Some(s) = seen.get_mut(*id as usize)
                && !*s
            {
                *s = true;
                out.push((*id, Scored::EXACT));
            }
        }
        if query.short {
            return out;
        }

        let mut scratch = Scratch::default();
        for vid in &query.similar {
            for id in index.postings.get(*vid as usize).into_iter().flatten() {
                let Some(s) = seen.get_mut(*id as usize) else {
                    continue;
                };
                if *s {
                    continue;
                }
                *s = true;
                if let Some(name) = index.names.get(*id as usize)
                    && !name.short
                {
                    let scored = query.align(name, index, &mut scratch);
                    if scored.score > 0.0 {
                        out.push((*id, scored));
                    }
                }
            }
        }
        out
    }

    fn name_entry(&self, name_id: u32) -> Option<(&SdnEntry, &IndexedName)> {
        let name = self.index.names.get(name_id as usize)?;
        Some((self.entries.get(name.entry as usize)?, name))
    }

    fn describe(
        &self,
        name_id: u32,
        candidate: Candidate,
        query: &Query,
        request: &ScreeningRequest,
        config: &ScreeningConfig,
    ) -> Option<SanctionsMatch> {
        let (entry, name) = self.name_entry(name_id)?;
        let (matched_name, matched_on, alias_type) = match name.source {
            NameSource::Primary => (entry.name.clone(), MatchedOn::Primary, None),
            NameSource::Alias(a) => {
                let alias = entry.aliases.get(a as usize)?;
                (alias.name.clone(), MatchedOn::Alias, Some(alias.alias_type))
            }
        };
        let (matched_tokens, unmatched_listed_tokens, unmatched_screened_tokens) =
            query.token_pairs(name, &self.index, candidate.scored.score);
        let identifiers =
            corroborate::compare(entry, request.date_of_birth, request.country.as_deref());
        let (decision, basis) = corroborate::judge(
            entry,
            candidate.name_match,
            config.decide(candidate.scored.score),
            &identifiers,
            request.date_of_birth,
        );
        let date_of_birth_match = request.date_of_birth.and_then(|dob| {
            let mut spans = entry.dates_of_birth.iter().filter(|d| d.span.is_some());
            spans.clone().next()?;
            Some(spans.any(|d| d.contains(dob)))
        });
        let country_match = request.country.as_deref().and_then(|c| {
            (!entry.country_codes.is_empty()).then(|| entry.country_codes.contains(&c))
        });
        Some(SanctionsMatch {
            ent_num: entry.ent_num,
            sdn_name: entry.name.clone(),
            matched_name,
            matched_on,
            alias_type,
            sdn_type: entry.sdn_type,
            programs: entry.programs.clone(),
            score: candidate.scored.score,
            name_match: candidate.name_match,
            matched_tokens,
            unmatched_listed_tokens,
            unmatched_screened_tokens,
            decision,
            basis,
            explanation: corroborate::explain(basis, &identifiers),
            identifiers,
            countries: entry.address_countries(),
            nationalities: entry.nationalities.clone(),
            places_of_birth: entry.places_of_birth.clone(),
            dates_of_birth: entry
                .dates_of_birth
                .iter()
                .map(|d| d.text.clone())
                .collect(),
            date_of_birth_match,
            country_match,
        })
    }
}

/// A listed name's score, and whether it is a partial name (see [`NameMatch::Partial`]).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Scored {
    score: f64,
    partial: bool,
}

impl Scored {
    const EXACT: Scored = Scored {
        score: 1.0,
        partial: false,
    };
}

/// A listed name that matches well enough to be looked at.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    scored: Scored,
    name_match: NameMatch,
}

impl Candidate {
    /// `None` for a name below `weak` that is not a partial name either.
    fn new(scored: Scored, config: &ScreeningConfig) -> Option<Self> {
        let name_match = if scored.score >= 1.0 {
            NameMatch::Exact
        } else if scored.score >= config.strong {
            NameMatch::Strong
        } else if scored.partial {
            NameMatch::Partial
        } else if scored.score >= config.weak {
            NameMatch::Weak
        } else {
            return None;
        };
        Some(Self { scored, name_match })
    }

    fn rank(&self) -> (NameMatch, f64) {
        (self.name_match, self.scored.score)
    }
}

/// Buffers `align` reuses from one candidate to the next.
#[derive(Default)]
struct Scratch {
    pairs: Vec<(f64, usize, usize)>,
    q_used: Vec<bool>,
    c_used: Vec<bool>,
    /// The pairs the last alignment kept: (similarity, query token, listed token).
    chosen: Vec<(f64, usize, usize)>,
}

impl Query {
    fn new(tokens: Vec<String>, index: &Index) -> Self {
        Self::build(tokens, index, true)
    }

    /// `prune: false` compares every vocabulary token, to test that pruning loses nothing.
    fn build(tokens: Vec<String>, index: &Index, prune: bool) -> Self {
        let lens: Vec<u32> = tokens
            .iter()
            .map(|t| u32::try_from(t.chars().count()).unwrap_or(u32::MAX))
            .collect();
        let short = is_short_name(&tokens);
        let width = tokens.len();
        let mut query = Self {
            tokens: Vec::new(),
            lens,
            short,
            slot: vec![NO_SLOT; index.vocab.len()],
            similar: Vec::new(),
            sims: Vec::new(),
        };
        for (qi, t) in tokens.iter().enumerate() {
            let Some(&len) = query.lens.get(qi) else {
                continue;
            };
            if short || is_short_token(t) {
                if let Some(id) = index.vocab_ids.get(t.as_str()) {
                    query.record(*id, qi, width, 1.0);
                }
                continue;
            }
            let qbag = bag(t);
            let mut compare = |vid: u32, v: &VocabToken| {
                if v.len <= 2 {
                    return;
                }
                if prune && !may_reach_floor(t, len, &qbag, v) {
                    return;
                }
                let s = token_similarity(t, len, &v.text, v.len);
                if s >= PAIR_FLOOR {
                    query.record(vid, qi, width, s);
                }
            };
            if prune {
                // Only lengths whose difference alone does not sink the pair below the floor.
                for (l, ids) in index.by_len.iter().enumerate() {
                    let l = u32::try_from(l).unwrap_or(u32::MAX);
                    if length_factor(len, l) < PAIR_FLOOR {
                        continue;
                    }
                    for vid in ids {
                        if let Some(v) = index.vocab.get(*vid as usize) {
                            compare(*vid, v);
                        }
                    }
                }
            } else {
                for (vid, v) in index.vocab.iter().enumerate() {
                    compare(u32::try_from(vid).unwrap_or(u32::MAX), v);
                }
            }
        }
        query.tokens = tokens;
        query
    }

    fn record(&mut self, vid: u32, qi: usize, width: usize, sim: f64) {
        let Some(slot) = self.slot.get_mut(vid as usize) else {
            return;
        };
        if *slot == NO_SLOT {
            *slot = u32::try_from(self.similar.len()).unwrap_or(NO_SLOT);
            self.similar.push(vid);
            self.sims.resize(self.sims.len() + width, 0.0);
        }
        let row = *slot as usize;
        if let Some(cell) = self.sims.get_mut(row * width + qi) {
            *cell = sim;
        }
    }

    /// Best one-to-one alignment of the query's tokens with the name's, greedy by
    /// similarity; each pair weighs the two tokens' lengths, each token left over
    /// `UNMATCHED_WEIGHT` of its length. Word order plays no part, so `HASSAN, Mohammed
    /// Ali` and `Mohammed Ali Hassan` score 1.0. Zero unless a token of three or more
    /// characters pairs up.
    fn align(&self, name: &IndexedName, index: &Index, scratch: &mut Scratch) -> Scored {
        const NONE: Scored = Scored {
            score: 0.0,
            partial: false,
        };
        let width = self.tokens.len();
        let Scratch {
            pairs,
            q_used,
            c_used,
            chosen,
        } = scratch;
        pairs.clear();
        chosen.clear();
        for (ci, tid) in name.tokens.iter().enumerate() {
            let Some(&row) = self.slot.get(*tid as usize) else {
                continue;
            };
            if row == NO_SLOT {
                continue;
            }
            let start = row as usize * width;
            let cells = self.sims.get(start..start + width).unwrap_or_default();
            for (qi, s) in cells.iter().enumerate() {
                if *s > 0.0 {
                    pairs.push((*s, qi, ci));
                }
            }
        }
        if pairs.is_empty() {
            return NONE;
        }
        pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
        q_used.clear();
        q_used.resize(width, false);
        c_used.clear();
        c_used.resize(name.tokens.len(), false);
        let (mut num, mut den) = (0.0, 0.0);
        let mut long_pair = false;
        for &(s, qi, ci) in pairs.iter() {
            let (Some(qu), Some(cu)) = (q_used.get_mut(qi), c_used.get_mut(ci)) else {
                continue;
            };
            if *qu || *cu {
                continue;
            }
            (*qu, *cu) = (true, true);
            chosen.push((s, qi, ci));
            let q_len = self.lens.get(qi).copied().unwrap_or(0);
            long_pair |= q_len > 2;
            let w = f64::from(q_len) + f64::from(token_len(index, name.tokens.get(ci)));
            num += s * w;
            den += w;
        }
        // Particles and initials alone (`de la`, `j`) say nothing about who is meant; this
        // also keeps the token index, which only lists longer tokens, lossless.
        if !long_pair {
            return NONE;
        }
        let unmatched_q: u32 = self
            .lens
            .iter()
            .zip(q_used.iter())
            .filter(|(_, u)| !**u)
            .map(|(l, _)| *l)
            .sum();
        let unmatched_c: u32 = name
            .tokens
            .iter()
            .zip(c_used.iter())
            .filter(|(_, u)| !**u)
            .map(|(t, _)| token_len(index, Some(t)))
            .sum();
        let den = den + UNMATCHED_WEIGHT * f64::from(unmatched_q + unmatched_c);
        let score = if den > 0.0 { num / den } else { 0.0 };
        let partial = unmatched_q == 0 && self.is_partial(name, index, chosen, c_used);
        Scored { score, partial }
    }

    /// Whether the alignment just made is a partial name (see [`NameMatch::Partial`]): a
    /// screened name of two or more tokens, every one paired (with at least
    /// `PARTIAL_PAIR_FLOOR`, and one pair equal), the listed first name and a surname among
    /// the pairs, and listed tokens left over. One-token names keep the exact-only rule.
    fn is_partial(
        &self,
        name: &IndexedName,
        index: &Index,
        chosen: &[(f64, usize, usize)],
        c_used: &[bool],
    ) -> bool {
        let Some(parts) = name.parts else {
            return false;
        };
        if self.short || self.tokens.len() < 2 || chosen.len() != self.tokens.len() {
            return false;
        }
        if chosen.iter().any(|(s, _, _)| *s < PARTIAL_PAIR_FLOOR)
            || chosen.iter().all(|(s, _, _)| *s < 1.0)
            || c_used.iter().all(|u| *u)
        {
            return false;
        }
        let text = |ci: usize| {
            name.tokens
                .get(ci)
                .and_then(|t| index.vocab.get(*t as usize))
                .map_or("", |v| &*v.text)
        };
        let first = c_used.get(usize::from(parts.first)) == Some(&true);
        let surname = c_used
            .iter()
            .enumerate()
            .any(|(ci, used)| *used && parts.is_surname(ci, text(ci)));
        first && surname
    }

    /// The pairs of the best alignment with `name`, and the tokens left over on either side;
    /// a name matched run together (`Alzawahiri`) pairs as one.
    fn token_pairs(
        &self,
        name: &IndexedName,
        index: &Index,
        score: f64,
    ) -> (Vec<TokenPair>, Vec<String>, Vec<String>) {
        let listed = |ci: usize| -> String {
            name.tokens
                .get(ci)
                .and_then(|t| index.vocab.get(*t as usize))
                .map_or_else(String::new, |v| v.text.to_string())
        };
        let mut scratch = Scratch::default();
        self.align(name, index, &mut scratch);
        let complete =
            scratch.chosen.len() == self.tokens.len() && scratch.chosen.len() == name.tokens.len();
        if score >= 1.0 && !(complete && scratch.chosen.iter().all(|(s, _, _)| *s >= 1.0)) {
            // Equal once run together, not token by token.
            let all: Vec<String> = (0..name.tokens.len()).map(listed).collect();
            let pair = TokenPair {
                screened: self.tokens.join(" "),
                listed: all.join(" "),
                similarity: 1.0,
            };
            return (vec![pair], Vec::new(), Vec::new());
        }
        let mut chosen = scratch.chosen.clone();
        chosen.sort_by_key(|(_, qi, _)| *qi);
        let pairs = chosen
            .iter()
            .map(|(s, qi, ci)| TokenPair {
                screened: self.tokens.get(*qi).cloned().unwrap_or_default(),
                listed: listed(*ci),
                similarity: (s * 10_000.0).round() / 10_000.0,
            })
            .collect();
        let unmatched_listed = (0..name.tokens.len())
            .filter(|ci| scratch.c_used.get(*ci) != Some(&true))
            .map(listed)
            .collect();
        let unmatched_screened = self
            .tokens
            .iter()
            .enumerate()
            .filter(|(qi, _)| scratch.q_used.get(*qi) != Some(&true))
            .map(|(_, t)| t.clone())
            .collect();
        (pairs, unmatched_listed, unmatched_screened)
    }
}

/// How much the difference in length alone lowers a pair's similarity (see
/// [`token_similarity`]).
fn length_factor(a: u32, b: u32) -> f64 {
    let longest = f64::from(a.max(b).max(1));
    1.0 - LENGTH_PENALTY * f64::from(a.abs_diff(b)) / longest
}

/// Cheap necessary conditions for `token_similarity` to reach `PAIR_FLOOR`.
fn may_reach_floor(t: &str, len: u32, qbag: &Bag, v: &VocabToken) -> bool {
    if length_factor(len, v.len) < PAIR_FLOOR {
        return false;
    }
    let shared = f64::from(overlap(qbag, &v.bag));
    let ratio = shared / f64::from(len) + shared / f64::from(v.len);
    // The loosest bound first (a full four-letter prefix), which needs no prefix.
    if ratio < MIN_SHARED_RATIO[4] - 1e-9 {
        return false;
    }
    let prefix = common_prefix(t, &v.text);
    let bound = MIN_SHARED_RATIO.get(prefix).copied().unwrap_or(1.0);
    ratio >= bound - 1e-9
}

/// Jaro-Winkler, lowered in proportion to the difference in length: Winkler's prefix bonus
/// makes a name and a longer name starting with it look alike (`ming`/`mingfu` 0.93,
/// `smith`/`smithson` 0.93), yet they are different names. A one-letter slip in a name of
/// eight letters costs about 6%.
fn token_similarity(a: &str, a_len: u32, b: &str, b_len: u32) -> f64 {
    if a == b {
        return 1.0;
    }
    let (a_len, b_len) = (f64::from(a_len), f64::from(b_len));
    let longest = a_len.max(b_len);
    let length_factor = 1.0 - LENGTH_PENALTY * (a_len - b_len).abs() / longest;
    jaro_winkler(a, b) * length_factor
}

/// Jaro-Winkler (strsim), on bytes when both tokens are ASCII, which gives the same value
/// without decoding characters.
fn jaro_winkler(a: &str, b: &str) -> f64 {
    if a.is_ascii() && b.is_ascii() {
        strsim::generic_jaro_winkler(&AsciiBytes(a.as_bytes()), &AsciiBytes(b.as_bytes()))
    } else {
        strsim::jaro_winkler(a, b)
    }
}

struct AsciiBytes<'a>(&'a [u8]);

impl<'a> IntoIterator for &AsciiBytes<'a> {
    type Item = &'a u8;
    type IntoIter = std::slice::Iter<'a, u8>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Length of the common prefix, up to the 4 characters Winkler rewards.
fn common_prefix(a: &str, b: &str) -> usize {
    if a.is_ascii() && b.is_ascii() {
        return a
            .bytes()
            .zip(b.bytes())
            .take(4)
            .take_while(|(x, y)| x == y)
            .count();
    }
    a.chars()
        .zip(b.chars())
        .take(4)
        .take_while(|(x, y)| x == y)
        .count()
}

/// Pruning bound, by common prefix length p (0..=4). The similarity is at most
/// Jaro-Winkler = J + 0.1·p·(1 − J), which reaches `PAIR_FLOOR` (F) only if
/// J >= (F − 0.1p) / (1 − 0.1p); and J <= (m/|a| + m/|b| + 1) / 3, where m, the matching
/// characters, is at most what the tokens share. So m/|a| + m/|b| must reach 3·J_min − 1,
/// or the pair cannot reach the floor and Jaro-Winkler need not run.
const MIN_SHARED_RATIO: [f64; 5] = {
    let mut out = [0.0; 5];
    let mut p = 0;
    while p < 5 {
        let bonus = 0.1 * p as f64;
        out[p] = 3.0 * (PAIR_FLOOR - bonus) / (1.0 - bonus) - 1.0;
        p += 1;
    }
    out
};

fn token_len(index: &Index, id: Option<&u32>) -> u32 {
    id.and_then(|id| index.vocab.get(*id as usize))
        .map_or(0, |v| v.len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::given_first;
    use crate::list::bundled_list_dir;

    /// Scores every listed name without pruning the vocabulary and without the postings.
    fn brute_force(list: &SanctionsList, name: &str) -> HashMap<u32, (f64, bool)> {
        let toks = tokens(name);
        let mut sorted_q = toks.clone();
        sorted_q.sort_unstable();
        let compact_q = toks.concat();
        let query = Query::build(toks, &list.index, false);
        let mut scratch = Scratch::default();
        let mut out = HashMap::new();
        for (id, name) in list.index.names.iter().enumerate() {
            let entry = &list.entries[name.entry as usize];
            let raw = match name.source {
                NameSource::Primary => entry.name.as_str(),
                NameSource::Alias(a) => entry.aliases[a as usize].name.as_str(),
            };
            let toks = tokens(raw);
            let mut sorted = toks.clone();
            sorted.sort_unstable();
            let mut compacts = vec![toks.concat()];
            if entry.sdn_type == SdnType::Individual {
                compacts.extend(given_first(raw).map(|t| t.concat()));
            }
            let scored = if sorted == sorted_q || compacts.contains(&compact_q) {
                Scored::EXACT
            } else if query.short || name.short {
                Scored {
                    score: 0.0,
                    partial: false,
                }
            } else {
                query.align(name, &list.index, &mut scratch)
            };
            if scored.score > 0.0 {
                out.insert(id as u32, (scored.score, scored.partial));
            }
        }
        out
    }

    #[test]
    fn the_token_index_and_pruning_lose_no_candidate() {
        let list = SanctionsList::load_dir(bundled_list_dir()).unwrap();
        let mut queries: Vec<String> = [
            "John Smith",
            "Maria Garcia",
            "Mohammed Ali Hassan",
            "Ayman Zawahri",
            "Manuel Noriego",
            "Banco Nacional de Cuba",
            "Hamas",
            "Li Na",
            "Ivan Abdullah",
        ]
        .map(String::from)
        .to_vec();
        // Real names, some with a letter changed, from across the list.
        for (i, entry) in list.entries.iter().enumerate().step_by(1123) {
            let mut name = entry.name.clone();
            if i % 2 == 0 && name.len() > 6 {
                name.replace_range(4..5, "e");
            }
            queries.push(name);
        }
        for q in &queries {
            let toks = tokens(q);
            let query = Query::new(toks, &list.index);
            let fast: HashMap<u32, (f64, bool)> = list
                .candidates(&query)
                .into_iter()
                .map(|(id, s)| (id, (s.score, s.partial)))
                .collect();
            let slow = brute_force(&list, q);
            assert_eq!(fast, slow, "{q}");
        }
    }
}
