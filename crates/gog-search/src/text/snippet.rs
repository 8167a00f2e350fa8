//! Snippets: the passage of a page around the query's terms, as plain text.

use super::tokenize::tokens;
use unicode_segmentation::UnicodeSegmentation;

/// A passage of about `max_chars` characters of `body` around the densest run of `query`'s
/// terms, cut at word boundaries, with "…" where text was left out. Plain text: callers must
/// render it as text, never as markup.
pub fn snippet(body: &str, query: &str, max_chars: usize) -> String {
    let wanted = tokens(query);
    // Word boundaries with their byte offsets, and whether each word is a query term.
    let words: Vec<(usize, &str)> = body.split_word_bound_indices().collect();
    if body.chars().count() <= max_chars {
        return body.trim().to_string();
    }
    let is_hit = |w: &str| tokens(w).iter().any(|t| wanted.contains(t));
    // Slide a window of whole segments no longer than max_chars; keep the one with most hits
    // (the earliest on ties).
    let mut best = (0usize, 0usize, 0usize); // (hits, first segment, end segment)
    let mut end = 0;
    let mut chars = 0;
    let mut hits = 0;
    for start in 0..words.len() {
        while end < words.len() && chars + words[end].1.chars().count() <= max_chars {
            chars += words[end].1.chars().count();
            hits += usize::from(is_hit(words[end].1));
            end += 1;
        }
        if hits > best.0 || (start == 0 && best.2 == 0) {
            best = (hits, start, end);
        }
        if end == start {
            end += 1; // a single segment longer than the window: step over it
            continue;
        }
        chars -= words[start].1.chars().count();
        hits -= usize::from(is_hit(words[start].1));
    }
    let (_, first, last) = best;
    let from = words[first].0;
    let to = words.get(last).map_or(body.len(), |w| w.0);
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    out.push_str(body[from..to].trim());
    if to < body.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_bodies_come_back_whole() {
        assert_eq!(snippet("  A short text. ", "text", 100), "A short text.");
    }

    #[test]
    fn the_window_centres_on_the_query_terms() {
        let body = format!(
            "{} The tower was finished in 1889 for the fair. {}",
            "filler ".repeat(40),
            "more ".repeat(40)
        );
        let s = snippet(&body, "tower finished", 60);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("tower was finished"), "{s}");
        assert!(s.chars().count() <= 62, "{s}");
    }

    #[test]
    fn no_match_gives_the_opening() {
        let body = "word ".repeat(50);
        let s = snippet(&body, "absent", 20);
        assert!(s.starts_with("word") && s.ends_with('…'), "{s}");
    }
}
