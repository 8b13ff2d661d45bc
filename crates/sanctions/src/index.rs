//! Precomputed, normalised forms of every primary name and alias, and the token index that
//! keeps a screening from comparing the query with all ~21,000 names.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::list::{SdnEntry, SdnType};
use crate::normalize::tokens;

/// Counts of `a`–`z`, `0`–`9` and everything else: enough to bound how similar two tokens
/// can possibly be without running Jaro-Winkler on them. `mask` holds the same counts as
/// bits (`slot * 3 + k` for the k-th occurrence, up to three), so that the overlap of two
/// tokens is one popcount; a token with a character four times or more is `dense` and
/// counted exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bag {
    counts: [u8; 37],
    mask: u128,
    dense: bool,
}

pub(crate) fn bag(token: &str) -> Bag {
    let mut counts = [0u8; 37];
    for c in token.chars() {
        let slot = match c {
            'a'..='z' => c as usize - 'a' as usize,
            '0'..='9' => 26 + (c as usize - '0' as usize),
            _ => 36,
        };
        if let Some(n) = counts.get_mut(slot) {
            *n = n.saturating_add(1);
        }
    }
    let mut mask = 0u128;
    let mut dense = false;
    for (slot, n) in counts.iter().enumerate() {
        dense |= *n > 3;
        for k in 0..usize::from((*n).min(3)) {
            mask |= 1u128 << (slot * 3 + k);
        }
    }
    Bag {
        counts,
        mask,
        dense,
    }
}

/// Characters two tokens have in common, counted with multiplicity. `other` bucket
/// counts as shared too, so this never underestimates.
pub(crate) fn overlap(a: &Bag, b: &Bag) -> u32 {
    if a.dense || b.dense {
        return a
            .counts
            .iter()
            .zip(&b.counts)
            .map(|(x, y)| u32::from(*x.min(y)))
            .sum();
    }
    (a.mask & b.mask).count_ones()
}

/// The Fx hash (rustc's): SipHash's flooding resistance buys nothing for keys that come
/// from the operator's list file, and hashing dominated building the index.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        for b in chunks.remainder() {
            self.add(u64::from(*b));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

#[derive(Debug)]
pub(crate) struct VocabToken {
    pub text: Box<str>,
    pub len: u32,
    pub bag: Bag,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameSource {
    Primary,
    /// Position in the entry's `aliases`.
    Alias(u32),
}

#[derive(Debug)]
pub(crate) struct IndexedName {
    /// Position in the list's `entries`.
    pub entry: u32,
    pub source: NameSource,
    pub sdn_type: SdnType,
    /// Vocabulary ids, in the order written.
    pub tokens: Vec<u32>,
    pub short: bool,
    /// Which tokens are the first given name and the surname, for listed individuals.
    pub parts: Option<NameParts>,
}

/// Where an individual's first given name and surname are among its tokens: OFAC writes
/// `SURNAME(S), Given Names`, so the tokens before the comma are the surname and the first
/// given token that is no title (`Sheikh`, `Haji`, `General`) or particle (`al`, `bin`) is
/// the first name. A name written without a comma is read `First ... Last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NameParts {
    /// Position of the first given name.
    pub first: u16,
    /// Positions `surname.0..surname.1` hold the surname.
    pub surname: (u16, u16),
}

impl NameParts {
    /// True when `pos` is a surname token that says who is meant (no particle).
    pub fn is_surname(&self, pos: usize, token: &str) -> bool {
        (usize::from(self.surname.0)..usize::from(self.surname.1)).contains(&pos)
            && !is_particle(token)
    }
}

/// Titles and honorifics OFAC writes among given names (`ALI, Sheikh Hassan Dahir Aweys`,
/// `NORIEGA, General Manuel`): they are not the first name. `dr`, `mr` and the like are
/// already dropped by normalisation.
const TITLES: &[&str] = &[
    "admiral",
    "alhaji",
    "ayatollah",
    "brigadier",
    "captain",
    "col",
    "colonel",
    "commander",
    "eng",
    "gen",
    "general",
    "haj",
    "haji",
    "hajj",
    "hajji",
    "hojatoleslam",
    "imam",
    "lieutenant",
    "maulana",
    "maulvi",
    "mawlana",
    "mawlawi",
    "mawlavi",
    "molvi",
    "mulla",
    "mullah",
    "qari",
    "sayed",
    "sayyed",
    "sayyid",
    "seyed",
    "seyyed",
    "shaikh",
    "shaykh",
    "sheik",
    "sheikh",
    "sheykh",
];

/// Particles of names (`al`, `bin`, `de la`): never the name that tells people apart.
pub(crate) fn is_particle(t: &str) -> bool {
    is_short_token(t)
        || matches!(
            t,
            "bin" | "ben" | "ibn" | "bint" | "del" | "van" | "von" | "der" | "den" | "das" | "dos"
        )
}

pub(crate) fn is_title(t: &str) -> bool {
    TITLES.contains(&t)
}

/// The parts of an individual's name `raw`, whose normalised tokens are `toks`.
pub(crate) fn name_parts(raw: &str, toks: &[String]) -> Option<NameParts> {
    let pos = |i: usize| u16::try_from(i).ok();
    let is_name = |t: &String| !is_particle(t) && !is_title(t);
    match raw.split_once(',') {
        Some((last, first)) => {
            let (last, first) = (tokens(last), tokens(first));
            // Normalisation drops noise per call; when the parts do not add up to the whole,
            // the structure is not trusted.
            if last.is_empty() || first.is_empty() || last.len() + first.len() != toks.len() {
                return None;
            }
            let given = first.iter().position(is_name)?;
            if !last.iter().any(is_name) {
                return None;
            }
            Some(NameParts {
                first: pos(last.len() + given)?,
                surname: (0, pos(last.len())?),
            })
        }
        None => {
            let first = toks.iter().position(is_name)?;
            let last = toks.iter().rposition(is_name)?;
            (first < last).then_some(NameParts {
                first: pos(first)?,
                surname: (pos(last)?, pos(last + 1)?),
            })
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Index {
    pub vocab: Vec<VocabToken>,
    pub vocab_ids: FastMap<Box<str>, u32>,
    /// Vocabulary ids by length in characters, so a query token is compared only with
    /// tokens of a length that can reach the pair floor.
    pub by_len: Vec<Vec<u32>>,
    /// Vocabulary id → names holding that token; only for tokens long enough to be
    /// compared fuzzily (see [`is_short_token`]).
    pub postings: Vec<Vec<u32>>,
    pub names: Vec<IndexedName>,
    /// Sorted-token key → names, for exact matches of short names.
    pub by_sorted: FastMap<String, Vec<u32>>,
    /// Tokens run together (written order, and `First Last` order for individuals) →
    /// names, so `Alqaida` finds `AL QAIDA`.
    pub by_compact: FastMap<String, Vec<u32>>,
}

/// Tokens of one or two characters (initials, `al`, `el`, `de`) only ever match exactly:
/// fuzzy similarity between them is noise.
pub(crate) fn is_short_token(t: &str) -> bool {
    t.chars().count() <= 2
}

/// A name is too short to compare fuzzily when it has a single token or only short ones:
/// `Ali`, `Li Na`. Such names match only exactly.
pub(crate) fn is_short_name<S: AsRef<str>>(tokens: &[S]) -> bool {
    tokens.len() < 2 || tokens.iter().all(|t| is_short_token(t.as_ref()))
}

/// `NORIEGA, Manuel Antonio` → the tokens again in `First Last` order.
pub(crate) fn given_first(raw: &str) -> Option<Vec<String>> {
    let (last, first) = raw.split_once(',')?;
    let mut out = tokens(first);
    if out.is_empty() {
        return None;
    }
    out.extend(tokens(last));
    Some(out)
}

impl Index {
    pub fn build(entries: &[SdnEntry]) -> Self {
        let names = entries.iter().map(|e| 1 + e.aliases.len()).sum();
        let mut index = Index {
            names: Vec::with_capacity(names),
            by_sorted: FastMap::with_capacity_and_hasher(names, Default::default()),
            by_compact: FastMap::with_capacity_and_hasher(names * 2, Default::default()),
            ..Index::default()
        };
        for (e, entry) in entries.iter().enumerate() {
            let e = u32::try_from(e).unwrap_or(u32::MAX);
            index.add(e, entry, NameSource::Primary, &entry.name);
            for (a, alias) in entry.aliases.iter().enumerate() {
                let a = u32::try_from(a).unwrap_or(u32::MAX);
                index.add(e, entry, NameSource::Alias(a), &alias.name);
            }
        }
        index
    }

    fn add(&mut self, entry: u32, sdn: &SdnEntry, source: NameSource, raw: &str) {
        let toks = tokens(raw);
        if toks.is_empty() {
            return;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        let short = is_short_name(&toks);
        let mut sorted = toks.clone();
        sorted.sort_unstable();
        push_unique(self.by_sorted.entry(sorted.join(" ")).or_default(), id);
        push_unique(self.by_compact.entry(toks.concat()).or_default(), id);
        if sdn.sdn_type == SdnType::Individual
            && let Some(reordered) = given_first(raw)
        {
            push_unique(self.by_compact.entry(reordered.concat()).or_default(), id);
        }
        let ids = toks
            .iter()
            .map(|t| {
                let tid = self.token_id(t);
                if !is_short_token(t)
                    && let Some(p) = self.postings.get_mut(tid as usize)
                {
                    push_unique(p, id);
                }
                tid
            })
            .collect();
        self.names.push(IndexedName {
            entry,
            source,
            sdn_type: sdn.sdn_type,
            tokens: ids,
            short,
            parts: if sdn.sdn_type == SdnType::Individual {
                name_parts(raw, &toks)
            } else {
                None
            },
        });
    }

    fn token_id(&mut self, t: &str) -> u32 {
        if let Some(id) = self.vocab_ids.get(t) {
            return *id;
        }
        let id = u32::try_from(self.vocab.len()).unwrap_or(u32::MAX);
        let len = t.chars().count();
        if self.by_len.len() <= len {
            self.by_len.resize_with(len + 1, Vec::new);
        }
        if let Some(ids) = self.by_len.get_mut(len) {
            ids.push(id);
        }
        self.vocab.push(VocabToken {
            text: t.into(),
            len: u32::try_from(len).unwrap_or(u32::MAX),
            bag: bag(t),
        });
        self.postings.push(Vec::new());
        self.vocab_ids.insert(t.into(), id);
        id
    }
}

fn push_unique(v: &mut Vec<u32>, id: u32) {
    if v.last() != Some(&id) {
        v.push(id);
    }
}
