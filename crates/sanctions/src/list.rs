//! The SDN list in memory: entries with their aliases and addresses, loaded from OFAC's
//! legacy CSV files, plus the search index screening uses.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::LoadError;
use crate::index::Index;
use crate::jurisdiction::code_for_country_name;
use crate::ofac_csv::{Record, malformed, read_records};
use crate::remarks::{self, ListedDob};

pub const SDN_FILE: &str = "sdn.csv";
pub const ALT_FILE: &str = "alt.csv";
pub const ADD_FILE: &str = "add.csv";
pub const COMMENTS_FILE: &str = "sdn_comments.csv";

/// What kind of party an SDN entry is. OFAC leaves the type null for entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SdnType {
    Individual,
    Entity,
    Vessel,
    Aircraft,
}

/// How an alternate name relates to the entry: also known as, formerly, now known as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AliasType {
    Aka,
    Fka,
    Nka,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alias {
    pub alt_num: u64,
    pub alias_type: AliasType,
    pub name: String,
    pub remarks: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Address {
    pub add_num: u64,
    pub address: Option<String>,
    /// OFAC's single `City/State/Province/Postal Code` column.
    pub city_state_postal: Option<String>,
    pub country: Option<String>,
    pub remarks: Option<String>,
}

/// One SDN entry, as published, with what screening reads from its remarks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SdnEntry {
    pub ent_num: u64,
    /// Individuals are written `LAST, First Middle`.
    pub name: String,
    pub sdn_type: SdnType,
    /// `SDGT] [IRAN` in the file becomes `["SDGT", "IRAN"]`.
    pub programs: Vec<String>,
    pub title: Option<String>,
    pub call_sign: Option<String>,
    pub vessel_type: Option<String>,
    pub tonnage: Option<String>,
    pub gross_registered_tonnage: Option<String>,
    pub vessel_flag: Option<String>,
    pub vessel_owner: Option<String>,
    /// Remarks, with the part OFAC moved to `sdn_comments.csv` (beyond 1,000 characters)
    /// appended back.
    pub remarks: Option<String>,
    pub aliases: Vec<Alias>,
    pub addresses: Vec<Address>,
    /// `DOB ...` items of the remarks.
    pub dates_of_birth: Vec<ListedDob>,
    /// `nationality ...` and `citizen ...` items of the remarks.
    pub nationalities: Vec<String>,
    /// `POB ...` items of the remarks.
    pub places_of_birth: Vec<String>,
    /// Alpha-2 codes of the address countries and nationalities that have one.
    pub country_codes: Vec<&'static str>,
    /// Alpha-2 codes of the nationalities and citizenships that have one.
    pub nationality_codes: Vec<&'static str>,
    /// Alpha-2 codes of the countries the places of birth name, where they name one.
    pub birth_country_codes: Vec<&'static str>,
    /// Alpha-2 codes of the address countries that have one.
    pub address_country_codes: Vec<&'static str>,
}

impl SdnEntry {
    /// The address countries as published, each once, in file order.
    pub fn address_countries(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in self.addresses.iter().filter_map(|a| a.country.as_ref()) {
            if !out.contains(c) {
                out.push(c.clone());
            }
        }
        out
    }
}

/// Which list was loaded. The legacy CSV carries no publication date, so the marker is a
/// digest of the files' bytes (what an auditor needs to tell two lists apart) and the
/// highest `ent_num` (which grows with each new designation, so a human can tell which of
/// two lists is newer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListInfo {
    pub entries: usize,
    pub aliases: usize,
    pub addresses: usize,
    pub max_ent_num: u64,
    /// SHA-256 over sdn.csv, alt.csv, add.csv and sdn_comments.csv, in that order, each
    /// preceded by its name and length; lowercase hex.
    pub sha256: String,
    /// The directory it was loaded from, when it was.
    pub source: Option<PathBuf>,
}

impl ListInfo {
    /// A short marker to record with each screening, e.g. `ofac-sdn:37061:1a2b3c4d5e6f`.
    pub fn version(&self) -> String {
        let short = self.sha256.get(..12).unwrap_or(&self.sha256);
        format!("ofac-sdn:{}:{short}", self.max_ent_num)
    }
}

/// The raw bytes of a release, for loading from memory.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListFiles<'a> {
    pub sdn: &'a [u8],
    pub alt: &'a [u8],
    pub add: &'a [u8],
    /// Older releases and minimal test fixtures have none.
    pub sdn_comments: Option<&'a [u8]>,
}

/// A loaded SDN list, ready to screen names against. Immutable: to take a new release,
/// load it and swap the whole value.
#[derive(Debug)]
pub struct SanctionsList {
    pub(crate) entries: Vec<SdnEntry>,
    by_ent_num: HashMap<u64, usize>,
    pub(crate) index: Index,
    info: ListInfo,
}

impl SanctionsList {
    /// Loads `sdn.csv`, `alt.csv`, `add.csv` and, when present, `sdn_comments.csv` from
    /// `dir`: the folder an operator replaces with OFAC's current release.
    ///
    /// Strict: any malformed row, an alias or address of an unknown entry (files from two
    /// different releases), or an empty list fails the whole load with the file and line, so
    /// that a damaged release is never screened against silently. Keep serving the previous
    /// list when a reload fails.
    pub fn load_dir(dir: impl AsRef<Path>) -> Result<Self, LoadError> {
        let dir = dir.as_ref();
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|source| LoadError::Io { path, source })
        };
        let sdn = read(SDN_FILE)?;
        let alt = read(ALT_FILE)?;
        let add = read(ADD_FILE)?;
        let comments = match read(COMMENTS_FILE) {
            Ok(bytes) => Some(bytes),
            Err(LoadError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                None
            }
            Err(e) => return Err(e),
        };
        let mut list = Self::from_files(ListFiles {
            sdn: &sdn,
            alt: &alt,
            add: &add,
            sdn_comments: comments.as_deref(),
        })?;
        list.info.source = Some(dir.to_path_buf());
        Ok(list)
    }

    /// Loads from readers (no comments file); see [`SanctionsList::load_dir`] for the rules.
    pub fn from_readers(sdn: impl Read, alt: impl Read, add: impl Read) -> Result<Self, LoadError> {
        let sdn = slurp(sdn, SDN_FILE)?;
        let alt = slurp(alt, ALT_FILE)?;
        let add = slurp(add, ADD_FILE)?;
        Self::from_files(ListFiles {
            sdn: &sdn,
            alt: &alt,
            add: &add,
            sdn_comments: None,
        })
    }

    /// Loads from bytes in memory; see [`SanctionsList::load_dir`] for the rules.
    pub fn from_files(files: ListFiles<'_>) -> Result<Self, LoadError> {
        let mut entries = parse_sdn(files.sdn)?;
        let by_ent_num: HashMap<u64, usize> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.ent_num, i))
            .collect();
        let entry_of = |file: &str, rec: &Record, ent_num: u64| {
            by_ent_num.get(&ent_num).copied().ok_or_else(|| {
                malformed(
                    file,
                    rec.line,
                    format!("ent_num {ent_num} is not in {SDN_FILE}"),
                )
            })
        };

        let mut aliases = 0;
        for mut rec in read_records(ALT_FILE, files.alt, 5)? {
            let ent_num = number(ALT_FILE, &rec, 0, "ent_num")?;
            let i = entry_of(ALT_FILE, &rec, ent_num)?;
            let alias_type = match rec.field(2).map(str::to_ascii_lowercase).as_deref() {
                Some("aka") => AliasType::Aka,
                Some("fka") => AliasType::Fka,
                Some("nka") => AliasType::Nka,
                Some(other) => {
                    return Err(malformed(
                        ALT_FILE,
                        rec.line,
                        format!("unknown alt_type {other:?}"),
                    ));
                }
                None => return Err(malformed(ALT_FILE, rec.line, "alt_type is missing")),
            };
            let alias = Alias {
                alt_num: number(ALT_FILE, &rec, 1, "alt_num")?,
                alias_type,
                name: required(ALT_FILE, &mut rec, 3, "alt_name")?,
                remarks: rec.take(4),
            };
            if let Some(entry) = entries.get_mut(i) {
                entry.aliases.push(alias);
                aliases += 1;
            }
        }

        let mut addresses = 0;
        for mut rec in read_records(ADD_FILE, files.add, 6)? {
            let ent_num = number(ADD_FILE, &rec, 0, "ent_num")?;
            let i = entry_of(ADD_FILE, &rec, ent_num)?;
            let address = Address {
                add_num: number(ADD_FILE, &rec, 1, "add_num")?,
                address: rec.take(2),
                city_state_postal: rec.take(3),
                country: rec.take(4),
                remarks: rec.take(5),
            };
            if let Some(entry) = entries.get_mut(i) {
                entry.addresses.push(address);
                addresses += 1;
            }
        }

        if let Some(comments) = files.sdn_comments {
            for rec in read_records(COMMENTS_FILE, comments, 2)? {
                let ent_num = number(COMMENTS_FILE, &rec, 0, "ent_num")?;
                let i = entry_of(COMMENTS_FILE, &rec, ent_num)?;
                if let (Some(entry), Some(more)) = (entries.get_mut(i), rec.field(1)) {
                    // OFAC cut the remarks at exactly 1,000 characters, mid-word if need be.
                    entry.remarks.get_or_insert_with(String::new).push_str(more);
                }
            }
        }
        // ~170 distinct countries over ~14,000 addresses: resolve each name once.
        let mut country_codes: HashMap<String, Option<&'static str>> = HashMap::new();
        for entry in &mut entries {
            enrich(entry, &mut country_codes);
        }

        let info = ListInfo {
            entries: entries.len(),
            aliases,
            addresses,
            max_ent_num: entries.iter().map(|e| e.ent_num).max().unwrap_or(0),
            sha256: digest(&files),
            source: None,
        };
        let index = Index::build(&entries);
        Ok(Self {
            entries,
            by_ent_num,
            index,
            info,
        })
    }

    /// Number of primary entries (not counting aliases).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Always false for a loaded list: an empty one is refused.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn info(&self) -> &ListInfo {
        &self.info
    }

    pub fn entries(&self) -> &[SdnEntry] {
        &self.entries
    }

    pub fn get(&self, ent_num: u64) -> Option<&SdnEntry> {
        self.by_ent_num
            .get(&ent_num)
            .and_then(|i| self.entries.get(*i))
    }
}

/// The list shipped in the repository (`data/ofac/`), for tests and the local stack.
/// A deployed service must be pointed at the operator's copy instead: this path only
/// exists where the source tree does.
pub fn bundled_list_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/ofac")
}

fn slurp(mut reader: impl Read, name: &str) -> Result<Vec<u8>, LoadError> {
    let mut buf = Vec::new();
    reader
        .read_to_end(&mut buf)
        .map_err(|source| LoadError::Io {
            path: PathBuf::from(name),
            source,
        })?;
    Ok(buf)
}

fn parse_sdn(bytes: &[u8]) -> Result<Vec<SdnEntry>, LoadError> {
    let records = read_records(SDN_FILE, bytes, 12)?;
    if records.is_empty() {
        return Err(LoadError::Empty {
            file: SDN_FILE.to_owned(),
        });
    }
    let mut seen: HashMap<u64, u64> = HashMap::with_capacity(records.len());
    let mut entries = Vec::with_capacity(records.len());
    for mut rec in records {
        let ent_num = number(SDN_FILE, &rec, 0, "ent_num")?;
        if let Some(first) = seen.insert(ent_num, rec.line) {
            return Err(malformed(
                SDN_FILE,
                rec.line,
                format!("ent_num {ent_num} already appeared on line {first}"),
            ));
        }
        let sdn_type = match rec.field(2).map(str::to_ascii_lowercase).as_deref() {
            None => SdnType::Entity,
            Some("individual") => SdnType::Individual,
            Some("vessel") => SdnType::Vessel,
            Some("aircraft") => SdnType::Aircraft,
            Some(other) => {
                return Err(malformed(
                    SDN_FILE,
                    rec.line,
                    format!("unknown SDN_Type {other:?}"),
                ));
            }
        };
        let programs = rec
            .field(3)
            .map(|p| {
                p.split("] [")
                    .map(|s| s.trim_matches(|c: char| c == '[' || c == ']' || c.is_whitespace()))
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        entries.push(SdnEntry {
            ent_num,
            name: required(SDN_FILE, &mut rec, 1, "SDN_Name")?,
            sdn_type,
            programs,
            title: rec.take(4),
            call_sign: rec.take(5),
            vessel_type: rec.take(6),
            tonnage: rec.take(7),
            gross_registered_tonnage: rec.take(8),
            vessel_flag: rec.take(9),
            vessel_owner: rec.take(10),
            remarks: rec.take(11),
            aliases: Vec::new(),
            addresses: Vec::new(),
            dates_of_birth: Vec::new(),
            nationalities: Vec::new(),
            places_of_birth: Vec::new(),
            country_codes: Vec::new(),
            nationality_codes: Vec::new(),
            birth_country_codes: Vec::new(),
            address_country_codes: Vec::new(),
        });
    }
    Ok(entries)
}

fn enrich(entry: &mut SdnEntry, cache: &mut HashMap<String, Option<&'static str>>) {
    if let Some(r) = &entry.remarks {
        let facts = remarks::parse(r);
        entry.dates_of_birth = facts.dates_of_birth;
        entry.nationalities = facts.nationalities;
        entry.places_of_birth = facts.places_of_birth;
    }
    let mut code_of = |name: &str| {
        if let Some(code) = cache.get(name) {
            return *code;
        }
        let code = code_for_country_name(name);
        cache.insert(name.to_owned(), code);
        code
    };
    let addresses: Vec<&'static str> = entry
        .addresses
        .iter()
        .filter_map(|a| a.country.as_deref())
        .filter_map(&mut code_of)
        .collect();
    let nationalities: Vec<&'static str> = entry
        .nationalities
        .iter()
        .filter_map(|n| code_of(n))
        .collect();
    let births: Vec<&'static str> = entry
        .places_of_birth
        .iter()
        .filter_map(|p| remarks::place_country(p, &mut code_of))
        .collect();
    let mut all: Vec<&'static str> = addresses.iter().chain(&nationalities).copied().collect();
    entry.country_codes = sorted_unique(&mut all);
    entry.nationality_codes = sorted_unique(&mut nationalities.clone());
    entry.birth_country_codes = sorted_unique(&mut births.clone());
    entry.address_country_codes = sorted_unique(&mut addresses.clone());
}

fn sorted_unique(codes: &mut Vec<&'static str>) -> Vec<&'static str> {
    codes.sort_unstable();
    codes.dedup();
    std::mem::take(codes)
}

fn number(file: &str, rec: &Record, i: usize, column: &str) -> Result<u64, LoadError> {
    let raw = rec
        .field(i)
        .ok_or_else(|| malformed(file, rec.line, format!("{column} is missing")))?;
    raw.parse()
        .map_err(|_| malformed(file, rec.line, format!("{column} {raw:?} is not a number")))
}

fn required(file: &str, rec: &mut Record, i: usize, column: &str) -> Result<String, LoadError> {
    let line = rec.line;
    rec.take(i)
        .ok_or_else(|| malformed(file, line, format!("{column} is missing")))
}

fn digest(files: &ListFiles<'_>) -> String {
    let mut hasher = Sha256::new();
    let parts = [
        (SDN_FILE, Some(files.sdn)),
        (ALT_FILE, Some(files.alt)),
        (ADD_FILE, Some(files.add)),
        (COMMENTS_FILE, files.sdn_comments),
    ];
    for (name, bytes) in parts {
        if let Some(bytes) = bytes {
            hasher.update(name.as_bytes());
            hasher.update((bytes.len() as u64).to_be_bytes());
            hasher.update(bytes);
        }
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
