//! Name normalisation, shared by the list index and the screened names so both sides are
//! compared in exactly the same form.
//!
//! The steps, in order:
//! 1. NFKD, then combining marks dropped (`Müller` → `muller`, `ﬁ` → `fi`);
//! 2. lowercase;
//! 3. letters NFKD does not decompose are transliterated (`ß` → `ss`, `æ` → `ae`, `ø` → `o`,
//!    `œ` → `oe`, `đ`/`ð` → `d`, `þ` → `th`, `ł` → `l`, `ı` → `i`);
//! 4. apostrophes and dots are deleted, so `O'Brien` is `obrien` and `S.A.` is `sa`, the way
//!    OFAC spells such names either joined or not;
//! 5. every other character that is not a letter or digit separates tokens;
//! 6. legal forms and honorifics (`ltd`, `llc`, `s.a.`, `gmbh`, `dr`, `mr`, ...) are dropped,
//!    unless nothing else would be left.
//!
//! Letters of non-Latin scripts survive as they are; see [`has_non_latin`].

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Tokens that say what kind of legal person or which honorific, not who. Customers
/// write them inconsistently (`Acme Ltd` vs `ACME LIMITED`), so they would only add noise.
const NOISE_TOKENS: &[&str] = &[
    "ag",
    "bv",
    "cjsc",
    "co",
    "company",
    "corp",
    "corporation",
    "cv",
    "dr",
    "fze",
    "fzco",
    "fzc",
    "fzllc",
    "gmbh",
    "inc",
    "incorporated",
    "jsc",
    "limited",
    "llc",
    "llp",
    "lp",
    "ltd",
    "miss",
    "mr",
    "mrs",
    "ms",
    "nv",
    "oao",
    "ojsc",
    "ooo",
    "pjsc",
    "plc",
    "prof",
    "pte",
    "pvt",
    "sa",
    "sab",
    "sarl",
    "sas",
    "spa",
    "srl",
    "zao",
];

fn transliterate(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' | 'ẞ' => "ss",
        'æ' | 'Æ' => "ae",
        'ø' | 'Ø' => "o",
        'œ' | 'Œ' => "oe",
        'đ' | 'Đ' | 'ð' | 'Ð' => "d",
        'þ' | 'Þ' => "th",
        'ł' | 'Ł' => "l",
        'ı' => "i",
        'ħ' | 'Ħ' => "h",
        'ŧ' | 'Ŧ' => "t",
        'ŋ' | 'Ŋ' => "ng",
        'ĸ' => "k",
        _ => return None,
    })
}

/// Characters that join the letters on either side instead of separating words.
fn is_joiner(c: char) -> bool {
    matches!(
        c,
        '\'' | '.' | '`' | '\u{2018}' | '\u{2019}' | '\u{02BC}' | '\u{02BB}' | '\u{00B4}'
    )
}

/// Splits a name into normalised tokens in the order written (see the module docs).
pub fn tokens(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, out: &mut Vec<String>| {
        if !current.is_empty() {
            out.push(std::mem::take(current));
        }
    };
    if name.is_ascii() {
        // The whole SDN list and most customers' names: no decomposition to do.
        for b in name.bytes() {
            if b.is_ascii_alphanumeric() {
                current.push(char::from(b.to_ascii_lowercase()));
            } else if !is_joiner(char::from(b)) {
                flush(&mut current, &mut out);
            }
        }
        flush(&mut current, &mut out);
        return drop_noise(out);
    }
    for c in name.nfkd().filter(|c| !is_combining_mark(*c)) {
        for lower in c.to_lowercase() {
            // Lowercasing can produce characters NFKD would decompose again (`İ` → `i̇`);
            // decomposing a second time keeps the output a fixpoint.
            for d in std::iter::once(lower)
                .nfkd()
                .filter(|d| !is_combining_mark(*d))
            {
                if let Some(t) = transliterate(d) {
                    current.push_str(t);
                } else if d.is_alphanumeric() {
                    current.push(d);
                } else if !is_joiner(d) {
                    flush(&mut current, &mut out);
                }
            }
        }
    }
    flush(&mut current, &mut out);
    drop_noise(out)
}

fn drop_noise(mut out: Vec<String>) -> Vec<String> {
    let meaningful = out
        .iter()
        .filter(|t| !NOISE_TOKENS.contains(&t.as_str()))
        .count();
    if meaningful > 0 {
        out.retain(|t| !NOISE_TOKENS.contains(&t.as_str()));
    }
    out
}

/// The normalised name: its tokens in the order written, separated by single spaces.
pub fn normalize(name: &str) -> String {
    tokens(name).join(" ")
}

/// The normalised name with its tokens sorted, so `HASSAN, Mohammed Ali` and
/// `Mohammed Ali Hassan` give the same key.
pub fn normalize_sorted(name: &str) -> String {
    let mut t = tokens(name);
    t.sort_unstable();
    t.join(" ")
}

/// True when the normalised name still holds letters outside ASCII, i.e. a script the
/// Latin-only SDN list cannot be compared with.
pub fn has_non_latin(normalized: &str) -> bool {
    !normalized.is_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_accents_and_ligatures() {
        assert_eq!(normalize("Zoë  MÜLLER-Straße"), "zoe muller strasse");
        assert_eq!(normalize("Ærø Øster"), "aero oster");
        assert_eq!(normalize("ﬁnn Łukasz"), "finn lukasz");
        assert_eq!(normalize("İstanbul"), "istanbul");
    }

    #[test]
    fn joins_on_apostrophes_and_dots_and_splits_on_other_punctuation() {
        assert_eq!(normalize("O'Brien, Seán"), "obrien sean");
        assert_eq!(normalize("AL-ZAWAHIRI, Dr. Ayman"), "al zawahiri ayman");
        assert_eq!(normalize("ANGLO-CARIBBEAN CO., LTD."), "anglo caribbean");
    }

    #[test]
    fn noise_tokens_go_unless_nothing_else_is_left() {
        assert_eq!(normalize("Acme Trading S.A."), "acme trading");
        assert_eq!(normalize("Co. Ltd."), "co ltd");
    }

    #[test]
    fn sorted_form_ignores_word_order() {
        assert_eq!(
            normalize_sorted("HASSAN, Mohammed Ali"),
            normalize_sorted("Mohammed Ali Hassan")
        );
    }

    #[test]
    fn flags_non_latin_scripts() {
        assert!(has_non_latin(&normalize("Иван Петров")));
        assert!(!has_non_latin(&normalize("Ivan Petrov")));
    }
}
