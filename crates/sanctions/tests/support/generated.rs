//! The generated screening set of `tests/rates.rs` and the bench: variants of listed
//! individuals' names, and ordinary names that are on no list. Deterministic: the same list
//! gives the same set on every machine.

#![allow(dead_code)]

use std::collections::HashSet;

use sanctions::{SanctionsList, ScreeningRequest, SdnType, normalize, normalize_sorted};
use time::{Date, Month};

/// splitmix64: small, seeded, the same everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// How a variant was made from the listed name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VariantKind {
    /// First name and surname(s), the middle names dropped: `Ali Khamenei`.
    DroppedMiddleNames,
    /// Given names and the first surname, the second dropped: `Fabio Enrique Ochoa`.
    DroppedSecondSurname,
    /// First name and first surname only: `Fabio Ochoa`.
    FirstAndLastOnly,
    /// Surname first, as some countries write it, without the comma.
    SurnameFirst,
    /// Accents added (`Alí Khaméneí`).
    Diacritics,
    /// One token spelt another common way (`Mohammed`/`Muhammad`, `kh`/`h`, `ou`/`u`).
    Transliteration,
    /// Middle names dropped and one token transliterated.
    DroppedAndTransliterated,
}

impl VariantKind {
    pub const ALL: [VariantKind; 7] = [
        VariantKind::DroppedMiddleNames,
        VariantKind::DroppedSecondSurname,
        VariantKind::FirstAndLastOnly,
        VariantKind::SurnameFirst,
        VariantKind::Diacritics,
        VariantKind::Transliteration,
        VariantKind::DroppedAndTransliterated,
    ];

    pub fn label(self) -> &'static str {
        match self {
            VariantKind::DroppedMiddleNames => "middle names dropped",
            VariantKind::DroppedSecondSurname => "second surname dropped",
            VariantKind::FirstAndLastOnly => "first name and first surname only",
            VariantKind::SurnameFirst => "surname first, no comma",
            VariantKind::Diacritics => "accents added",
            VariantKind::Transliteration => "one token transliterated",
            VariantKind::DroppedAndTransliterated => "middle names dropped and transliterated",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Variant {
    pub ent_num: u64,
    pub listed: String,
    pub kind: VariantKind,
    pub name: String,
    /// The entry's first readable date of birth (its first day), to screen the variant as
    /// the listed person would give it.
    pub listed_dob: Option<Date>,
}

#[derive(Debug, Clone)]
pub struct Ordinary {
    pub name: String,
    pub culture: &'static str,
    pub country: &'static str,
    pub date_of_birth: Date,
}

impl Ordinary {
    pub fn request(&self, with_dob: bool) -> ScreeningRequest {
        let r = ScreeningRequest::individual(self.name.as_str()).with_country(self.country);
        if with_dob {
            r.with_date_of_birth(self.date_of_birth)
        } else {
            r
        }
    }
}

/// Titles and particles are kept in a variant but never taken for the first name or the
/// surname that is kept.
const TITLES: &[&str] = &[
    "haji", "hajji", "sheikh", "shaykh", "sheik", "shaikh", "general", "colonel", "mullah",
    "mawlawi", "maulvi", "qari", "imam", "sayyed", "sayyid", "seyed", "seyyed", "alhaji",
];

fn is_filler(t: &str) -> bool {
    t.len() <= 2
        || TITLES.contains(&t)
        || matches!(t, "bin" | "ben" | "ibn" | "del" | "van" | "von")
}

fn title_case(t: &str) -> String {
    let mut c = t.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn join(tokens: &[String]) -> String {
    tokens
        .iter()
        .map(|t| title_case(t))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Common alternative spellings, applied to one token: each turns a written form into one
/// that OFAC's aliases or customers' passports use for the same name.
const TRANSLITERATIONS: &[(&str, &str)] = &[
    ("mohammed", "muhammad"),
    ("muhammad", "mohammed"),
    ("mohamed", "mohammed"),
    ("mohammad", "muhammad"),
    ("hussein", "husain"),
    ("husayn", "hussein"),
    ("kh", "h"),
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("ei", "ey"),
    ("ai", "ay"),
    ("ay", "ai"),
    ("iy", "i"),
    ("sh", "ch"),
    ("dh", "d"),
    ("th", "t"),
    ("ph", "f"),
    ("q", "k"),
    ("w", "v"),
    ("v", "w"),
    ("j", "dj"),
    ("y", "i"),
    ("ck", "k"),
    ("x", "ks"),
    ("ss", "s"),
    ("ll", "l"),
    ("tt", "t"),
    ("ie", "i"),
    ("z", "s"),
    ("c", "k"),
    ("ov", "off"),
];

/// One token of `tokens` (of four letters or more) spelt another way, starting the search
/// at a random rule; `None` when no rule applies.
fn transliterate(tokens: &[String], rng: &mut Rng) -> Option<Vec<String>> {
    let start = rng.below(TRANSLITERATIONS.len());
    let order: Vec<usize> = (0..tokens.len()).collect();
    let first_token = rng.below(tokens.len());
    for k in 0..TRANSLITERATIONS.len() {
        let (from, to) = TRANSLITERATIONS[(start + k) % TRANSLITERATIONS.len()];
        for j in 0..order.len() {
            let i = (first_token + j) % tokens.len();
            let t = &tokens[i];
            if t.len() >= 4 && !is_filler(t) && t.contains(from) {
                let mut out = tokens.to_vec();
                out[i] = t.replacen(from, to, 1);
                return Some(out);
            }
        }
    }
    None
}

fn accent(t: &str) -> String {
    let mut done = false;
    t.chars()
        .map(|c| {
            let a = match c {
                'a' => 'á',
                'e' => 'é',
                'i' => 'í',
                'o' => 'ó',
                'u' => 'ü',
                'n' => 'ñ',
                _ => return c,
            };
            if done {
                c
            } else {
                done = true;
                a
            }
        })
        .collect()
}

/// Variants of about `entries` listed individuals, spread over the whole list.
pub fn variants(list: &SanctionsList, entries: usize) -> Vec<Variant> {
    let individuals: Vec<_> = list
        .entries()
        .iter()
        .filter(|e| e.sdn_type == SdnType::Individual && e.name.contains(','))
        .collect();
    let stride = (individuals.len() / entries.max(1)).max(1);
    let mut rng = Rng::new(0x005E_ED0F_0FAC);
    let mut out = Vec::new();
    for entry in individuals.iter().step_by(stride) {
        let Some((last, first)) = entry.name.split_once(',') else {
            continue;
        };
        let surname: Vec<String> = normalize(last).split(' ').map(str::to_owned).collect();
        let given: Vec<String> = normalize(first)
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        let names: Vec<&String> = given.iter().filter(|t| !is_filler(t)).collect();
        let surnames: Vec<&String> = surname.iter().filter(|t| !is_filler(t)).collect();
        let (Some(first_name), Some(first_surname)) = (names.first(), surnames.first()) else {
            continue;
        };
        let full: Vec<String> = given.iter().chain(&surname).cloned().collect();
        let listed_dob = entry
            .dates_of_birth
            .iter()
            .find_map(|d| d.span.map(|(from, _)| from));
        let mut push = |kind: VariantKind, tokens: Vec<String>| {
            out.push(Variant {
                ent_num: entry.ent_num,
                listed: entry.name.clone(),
                kind,
                name: join(&tokens),
                listed_dob,
            });
        };
        let dropped: Vec<String> = std::iter::once((*first_name).clone())
            .chain(surname.iter().cloned())
            .collect();
        if names.len() >= 2 {
            push(VariantKind::DroppedMiddleNames, dropped.clone());
        }
        if surnames.len() >= 2 {
            let tokens = given
                .iter()
                .cloned()
                .chain(std::iter::once((*first_surname).clone()))
                .collect();
            push(VariantKind::DroppedSecondSurname, tokens);
        }
        if names.len() >= 2 && surnames.len() >= 2 {
            push(
                VariantKind::FirstAndLastOnly,
                vec![(*first_name).clone(), (*first_surname).clone()],
            );
        }
        push(
            VariantKind::SurnameFirst,
            surname.iter().chain(&given).cloned().collect(),
        );
        push(
            VariantKind::Diacritics,
            full.iter().map(|t| accent(t)).collect(),
        );
        if let Some(tokens) = transliterate(&full, &mut rng) {
            push(VariantKind::Transliteration, tokens);
        }
        if names.len() >= 2
            && let Some(tokens) = transliterate(&dropped, &mut rng)
        {
            push(VariantKind::DroppedAndTransliterated, tokens);
        }
    }
    out
}

/// A culture's name, countries its bearers often live in, common first names and surnames.
type Culture = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

/// Common first names and surnames by culture, with a country their bearers often live in.
const CULTURES: &[Culture] = &[
    (
        "English",
        &["US", "GB", "CA", "AU"],
        &[
            "James",
            "Mary",
            "John",
            "Patricia",
            "Robert",
            "Jennifer",
            "Michael",
            "Linda",
            "William",
            "Elizabeth",
            "David",
            "Barbara",
            "Richard",
            "Susan",
            "Joseph",
            "Jessica",
            "Thomas",
            "Sarah",
            "Charles",
            "Karen",
            "Christopher",
            "Nancy",
            "Daniel",
            "Lisa",
            "Matthew",
        ],
        &[
            "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
            "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson",
            "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King",
        ],
    ),
    (
        "Hispanic",
        &["MX", "CO", "ES", "AR"],
        &[
            "José",
            "María",
            "Juan",
            "Carlos",
            "Luis",
            "Ana",
            "Jorge",
            "Miguel",
            "Pedro",
            "Javier",
            "Carmen",
            "Rosa",
            "Fernando",
            "Sofía",
            "Diego",
            "Andrés",
            "Lucía",
            "Manuel",
            "Francisco",
            "Antonio",
            "Alejandro",
            "Gabriela",
            "Ricardo",
            "Daniela",
            "Pablo",
        ],
        &[
            "García",
            "Rodríguez",
            "Martínez",
            "López",
            "González",
            "Hernández",
            "Pérez",
            "Sánchez",
            "Ramírez",
            "Torres",
            "Flores",
            "Rivera",
            "Gómez",
            "Díaz",
            "Reyes",
            "Morales",
            "Cruz",
            "Ortiz",
            "Gutiérrez",
            "Chávez",
            "Ramos",
            "Vargas",
            "Castillo",
            "Jiménez",
            "Moreno",
        ],
    ),
    (
        "Arabic",
        &["EG", "JO", "AE", "LB", "MA"],
        &[
            "Mohammed", "Ahmed", "Ali", "Omar", "Youssef", "Khaled", "Hassan", "Ibrahim",
            "Mahmoud", "Mustafa", "Fatima", "Aisha", "Mariam", "Nour", "Layla", "Sara", "Huda",
            "Rania", "Amira", "Karim", "Tarek", "Samir", "Walid", "Hani", "Adel",
        ],
        &[
            "Hassan", "Ali", "Ahmed", "Ibrahim", "Mahmoud", "Abdullah", "Saleh", "Khalil",
            "Haddad", "Nasser", "Mansour", "Aziz", "Youssef", "Farouk", "Rahman", "Hamdan",
            "Saeed", "Qasim", "Hussein", "Othman", "Said", "Salem", "Hamid", "Karam", "Darwish",
        ],
    ),
    (
        "Chinese",
        &["CN", "TW", "SG", "HK"],
        &[
            "Wei", "Fang", "Na", "Min", "Jing", "Li", "Lei", "Jun", "Yan", "Hui", "Yong", "Jie",
            "Tao", "Ming", "Chao", "Xin", "Qiang", "Ping", "Hong", "Yu", "Hao", "Lin", "Ying",
            "Bo", "Gang",
        ],
        &[
            "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu",
            "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Gao", "Luo", "Zheng", "Liang", "Xie",
            "Song", "Tang",
        ],
    ),
    (
        "Russian",
        &["RU", "UA", "KZ", "BY"],
        &[
            "Aleksandr",
            "Sergey",
            "Dmitry",
            "Andrey",
            "Alexey",
            "Maxim",
            "Ivan",
            "Mikhail",
            "Nikolay",
            "Vladimir",
            "Olga",
            "Elena",
            "Tatiana",
            "Natalia",
            "Irina",
            "Svetlana",
            "Anna",
            "Maria",
            "Yulia",
            "Ekaterina",
            "Pavel",
            "Igor",
            "Oleg",
            "Yuri",
            "Viktor",
        ],
        &[
            "Ivanov",
            "Smirnov",
            "Kuznetsov",
            "Popov",
            "Vasiliev",
            "Petrov",
            "Sokolov",
            "Mikhailov",
            "Novikov",
            "Fedorov",
            "Morozov",
            "Volkov",
            "Alekseev",
            "Lebedev",
            "Semenov",
            "Egorov",
            "Pavlov",
            "Kozlov",
            "Stepanov",
            "Nikolaev",
            "Orlov",
            "Andreev",
            "Makarov",
            "Nikitin",
            "Zakharov",
        ],
    ),
    (
        "South Asian",
        &["IN", "PK", "BD", "GB"],
        &[
            "Amit", "Priya", "Rahul", "Anjali", "Vikram", "Sunita", "Rajesh", "Pooja", "Arjun",
            "Neha", "Sanjay", "Kavita", "Ravi", "Deepa", "Anil", "Meera", "Suresh", "Lakshmi",
            "Imran", "Ayesha", "Farhan", "Sana", "Asif", "Zainab", "Tariq",
        ],
        &[
            "Sharma", "Patel", "Singh", "Kumar", "Gupta", "Khan", "Reddy", "Rao", "Iyer", "Nair",
            "Mehta", "Joshi", "Shah", "Verma", "Malik", "Chaudhry", "Qureshi", "Ahmed", "Hussain",
            "Bhatt", "Desai", "Kapoor", "Agarwal", "Siddiqui", "Mirza",
        ],
    ),
    (
        "European",
        &["DE", "FR", "IT", "NL"],
        &[
            "Lukas",
            "Sophie",
            "Jean",
            "Marie",
            "Giuseppe",
            "Giulia",
            "Hans",
            "Claire",
            "Pierre",
            "Chiara",
            "Matteo",
            "Elena",
            "Thomas",
            "Laura",
            "Nicolas",
            "Emma",
            "Luca",
            "Sarah",
            "Felix",
            "Camille",
            "Marco",
            "Francesca",
            "Julien",
            "Léa",
            "Paul",
        ],
        &[
            "Müller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Meyer",
            "Wagner",
            "Becker",
            "Martin",
            "Bernard",
            "Dubois",
            "Durand",
            "Lefebvre",
            "Moreau",
            "Laurent",
            "Rossi",
            "Russo",
            "Ferrari",
            "Esposito",
            "Bianchi",
            "Romano",
            "Colombo",
            "Ricci",
            "Marino",
            "Greco",
        ],
    ),
];

/// Every listed name and alias, as sorted normalised tokens: a generated ordinary name
/// equal to one of them is a listed name, not an ordinary one.
fn listed_keys(list: &SanctionsList) -> HashSet<String> {
    list.entries()
        .iter()
        .flat_map(|e| std::iter::once(&e.name).chain(e.aliases.iter().map(|a| &a.name)))
        .map(|n| normalize_sorted(n))
        .collect()
}

/// `count` ordinary names, the same number from each culture: first name and surname, one
/// in five with a second given name, a date of birth between 1940 and 2005 and a country
/// of the culture. Names on the list (see [`listed_keys`]) are skipped.
pub fn ordinary_names(list: &SanctionsList, count: usize) -> Vec<Ordinary> {
    let listed = listed_keys(list);
    let mut rng = Rng::new(0x000D_1AA7_7E57);
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(count);
    let per_culture = count.div_ceil(CULTURES.len());
    for &(culture, countries, firsts, lasts) in CULTURES {
        let mut made = 0;
        let mut tries = 0;
        while made < per_culture && tries < per_culture * 50 {
            tries += 1;
            let first = rng.pick(firsts);
            let last = rng.pick(lasts);
            let name = if rng.below(5) == 0 {
                let middle = rng.pick(firsts);
                if middle == first {
                    continue;
                }
                format!("{first} {middle} {last}")
            } else {
                format!("{first} {last}")
            };
            let key = normalize_sorted(&name);
            if listed.contains(&key) || !seen.insert(key) {
                continue;
            }
            let year = 1940 + rng.below(66) as i32;
            let month = Month::try_from(1 + rng.below(12) as u8).unwrap_or(Month::January);
            let day = 1 + rng.below(28) as u8;
            let Ok(date_of_birth) = Date::from_calendar_date(year, month, day) else {
                continue;
            };
            let country = *rng.pick(countries);
            out.push(Ordinary {
                name,
                culture,
                country,
                date_of_birth,
            });
            made += 1;
        }
    }
    out
}

/// Whether `ScreeningRequest` found the entry `ent_num` (in review or a hit).
pub fn caught(result: &sanctions::ScreeningResult, ent_num: u64) -> bool {
    result.matches.iter().any(|m| m.ent_num == ent_num)
}
