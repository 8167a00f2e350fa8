//! Search terms: Unicode words, case- and accent-folded.

use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};
use unicode_segmentation::UnicodeSegmentation;

/// Splits text into search terms: Unicode words (UAX #29), compatibility-decomposed with accents
/// dropped and lower-cased, so "Chichén Itzá", "CHICHEN" and "chichen" meet on the same terms.
///
/// Words are what UAX #29 calls words (letters or digits); punctuation and spaces never form a
/// term. Scripts without spaces (Chinese, Japanese) come out one ideograph per term, which is
/// what BM25 over such text needs.
pub fn tokens(text: &str) -> Vec<String> {
    text.unicode_words()
        .map(fold)
        .filter(|t| !t.is_empty())
        .collect()
}

/// Compatibility decomposition, combining marks dropped, then full Unicode lower-casing.
fn fold(word: &str) -> String {
    word.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_folded_for_case_and_accents() {
        assert_eq!(tokens("Chichén Itzá"), ["chichen", "itza"]);
        assert_eq!(tokens("CHICHEN itza"), ["chichen", "itza"]);
        assert_eq!(tokens("Straße ÉCOLE"), ["straße", "ecole"]);
        // Compatibility forms: the "ﬁ" ligature and full-width digits.
        assert_eq!(tokens("ﬁnal １８８９"), ["final", "1889"]);
    }

    #[test]
    fn punctuation_and_spaces_are_not_terms() {
        assert_eq!(
            tokens("The tower's height: 330 m (1,083 ft)!"),
            ["the", "tower's", "height", "330", "m", "1,083", "ft"]
        );
        assert!(tokens(" \t— … ").is_empty());
    }

    #[test]
    fn scripts_without_spaces_split_per_ideograph() {
        assert_eq!(tokens("東京タワー"), ["東", "京", "タワー"]);
    }
}
