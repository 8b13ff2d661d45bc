//! Properties of name normalisation.

use proptest::prelude::*;
use sanctions::{normalize, normalize_sorted};

/// Words as customers and the list write them: Latin letters with and without
/// diacritics, ligatures, apostrophes, hyphens, dots, commas, digits.
fn word() -> impl Strategy<Value = String> {
    prop::string::string_regex("[A-Za-zÀ-ÖØ-öø-ÿßæœøŁłĐđ0-9'’.,\\-]{1,12}").expect("a valid regex")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn normalising_twice_changes_nothing(name in "\\PC{0,40}") {
        let once = normalize(&name);
        prop_assert_eq!(normalize(&once), once.clone());
        let sorted = normalize_sorted(&name);
        prop_assert_eq!(normalize_sorted(&sorted), sorted);
    }

    #[test]
    fn normalising_latin_names_twice_changes_nothing(words in prop::collection::vec(word(), 0..6)) {
        let name = words.join(" ");
        let once = normalize(&name);
        prop_assert_eq!(normalize(&once), once);
    }

    #[test]
    fn word_order_does_not_matter(
        words in prop::collection::vec(word(), 1..6),
        seed in any::<u64>(),
    ) {
        let mut shuffled = words.clone();
        // A deterministic Fisher-Yates driven by the seed keeps failures reproducible.
        let mut state = seed;
        for i in (1..shuffled.len()).rev() {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let j = usize::try_from(state >> 33).unwrap() % (i + 1);
            shuffled.swap(i, j);
        }
        prop_assert_eq!(normalize_sorted(&words.join(" ")), normalize_sorted(&shuffled.join(" ")));
        prop_assert_eq!(
            normalize_sorted(&words.join(", ")),
            normalize_sorted(&shuffled.join("  "))
        );
    }

    #[test]
    fn output_is_lowercase_tokens_separated_by_single_spaces(name in "\\PC{0,40}") {
        let n = normalize(&name);
        prop_assert!(!n.starts_with(' ') && !n.ends_with(' ') && !n.contains("  "));
        prop_assert!(n.chars().all(|c| c == ' ' || c.is_alphanumeric()));
        // Not `!is_uppercase()`: a few symbols (`🅐`) are uppercase with no lowercase form.
        prop_assert_eq!(n.to_lowercase(), n.clone());
    }
}

#[test]
fn case_accents_punctuation_and_order_fold_together() {
    let forms = [
        "HASSAN, Mohammed Ali",
        "Mohammed Ali Hassan",
        "mohammed  ali-hassan",
        "Mohammed Ali Hassan.",
        "Möhammed Âli Hässan",
    ];
    for f in forms {
        assert_eq!(normalize_sorted(f), "ali hassan mohammed", "{f}");
    }
}
