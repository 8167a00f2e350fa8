//! BM25F text search over documents and entity pages, with title and alias boosting.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::tokenize::tokens;
use crate::SearchError;

/// Queries longer than this are refused rather than silently cut.
pub const MAX_QUERY_CHARS: usize = 512;

/// BM25F parameters: `k1` saturates term frequency, `b` normalises by field length, and each
/// field's weight scales its (length-normalised) term frequency before saturation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bm25Params {
    pub k1: f64,
    pub b: f64,
    /// Weight of the title and aliases field.
    pub title_weight: f64,
    /// Weight of the body field.
    pub body_weight: f64,
}

impl Default for Bm25Params {
    /// Robertson's usual `k1 = 1.2, b = 0.75`; a title word counts three body words, because a
    /// query naming an entity should find that entity's own page before pages that mention it.
    fn default() -> Self {
        Self {
            k1: 1.2,
            b: 0.75,
            title_weight: 3.0,
            body_weight: 1.0,
        }
    }
}

/// One text-search result: the document's position in the index and its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextHit {
    pub doc: usize,
    pub score: f64,
}

/// The two fields a document is indexed under.
#[derive(Debug, Clone, Copy)]
enum Field {
    Title = 0,
    Body = 1,
}

#[derive(Debug, Clone, Copy)]
struct Posting {
    doc: u32,
    /// Term frequency in the title-and-aliases field and in the body.
    freq: [u32; 2],
}

/// An inverted index over documents, each a title field (title and aliases) and a body.
///
/// The index is built in memory when a bundle is opened (a few hundred milliseconds for the
/// whole corpus, even in wasm), so bundles carry only the documents.
#[derive(Debug, Clone)]
pub struct TextIndex {
    params: Bm25Params,
    postings: HashMap<String, Vec<Posting>>,
    /// Per document, the number of terms in each field.
    lengths: Vec<[u32; 2]>,
    average_length: [f64; 2],
}

impl TextIndex {
    /// Indexes `(title field, body)` pairs; a document's position in the iterator is its id.
    pub fn build<'a>(
        documents: impl IntoIterator<Item = (&'a str, &'a str)>,
        params: Bm25Params,
    ) -> Self {
        let mut postings: HashMap<String, Vec<Posting>> = HashMap::new();
        let mut lengths = Vec::new();
        for (doc, (title, body)) in documents.into_iter().enumerate() {
            let doc = u32::try_from(doc).expect("fewer than 4 billion documents");
            let mut length = [0u32; 2];
            for (field, text) in [(Field::Title, title), (Field::Body, body)] {
                for term in tokens(text) {
                    length[field as usize] += 1;
                    let list = postings.entry(term).or_default();
                    match list.last_mut() {
                        Some(last) if last.doc == doc => last.freq[field as usize] += 1,
                        _ => {
                            let mut freq = [0; 2];
                            freq[field as usize] = 1;
                            list.push(Posting { doc, freq });
                        }
                    }
                }
            }
            lengths.push(length);
        }
        let count = lengths.len().max(1) as f64;
        let average_length =
            [0, 1].map(|f| lengths.iter().map(|l| f64::from(l[f])).sum::<f64>() / count);
        Self {
            params,
            postings,
            lengths,
            average_length,
        }
    }

    /// Number of documents indexed.
    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    /// Whether no document is indexed.
    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// Inverse document frequency, Lucene's non-negative form: `ln(1 + (N − n + ½) / (n + ½))`.
    fn idf(&self, containing: usize) -> f64 {
        let n = containing as f64;
        (1.0 + (self.len() as f64 - n + 0.5) / (n + 0.5)).ln()
    }

    /// The `k` best documents for `query`, best first; equal scores go to the lower document id,
    /// so the same query always gives the same list.
    pub fn search(&self, query: &str, k: usize) -> Result<Vec<TextHit>, SearchError> {
        let chars = query.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(SearchError::QueryTooLong {
                chars,
                max: MAX_QUERY_CHARS,
            });
        }
        let mut terms = tokens(query);
        if terms.is_empty() {
            return Err(SearchError::EmptyQuery);
        }
        // A word repeated in the query is not worth more than once.
        terms.sort();
        terms.dedup();
        let Bm25Params {
            k1,
            b,
            title_weight,
            body_weight,
        } = self.params;
        let weights = [title_weight, body_weight];
        let mut scores: HashMap<u32, f64> = HashMap::new();
        for term in &terms {
            let Some(list) = self.postings.get(term) else {
                continue;
            };
            let idf = self.idf(list.len());
            for posting in list {
                let length = self.lengths[posting.doc as usize];
                let tf: f64 = (0..2)
                    .map(|f| {
                        let norm =
                            1.0 - b + b * f64::from(length[f]) / self.average_length[f].max(1e-9);
                        weights[f] * f64::from(posting.freq[f]) / norm
                    })
                    .sum();
                *scores.entry(posting.doc).or_default() += idf * tf * (k1 + 1.0) / (tf + k1);
            }
        }
        let mut hits: Vec<TextHit> = scores
            .into_iter()
            .map(|(doc, score)| TextHit {
                doc: doc as usize,
                score,
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
        hits.truncate(k);
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    /// Three documents small enough to score by hand.
    fn three_documents(params: Bm25Params) -> TextIndex {
        TextIndex::build(
            [
                ("Eiffel Tower", "iron tower in paris"),
                ("Paris", "capital of france"),
                ("Tokyo Tower", "tower in tokyo tower"),
            ],
            params,
        )
    }

    #[test]
    fn body_only_scores_match_hand_computed_bm25() {
        // Title weight 0: plain BM25 on the bodies. Body lengths 4, 3, 4; average 11/3.
        let params = Bm25Params {
            title_weight: 0.0,
            ..Bm25Params::default()
        };
        let index = three_documents(params);
        let hits = index.search("tower", 10).unwrap();
        // "tower" is in bodies 0 (tf 1) and 2 (tf 2): n = 2 of N = 3.
        let idf = (1.0f64 + (3.0 - 2.0 + 0.5) / (2.0 + 0.5)).ln();
        let norm = 1.0 - 0.75 + 0.75 * 4.0 / (11.0 / 3.0);
        let score = |tf: f64| {
            let tf = tf / norm;
            idf * tf * 2.2 / (tf + 1.2)
        };
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].doc, 2);
        assert!(
            close(hits[0].score, score(2.0)),
            "{} vs {}",
            hits[0].score,
            score(2.0)
        );
        assert_eq!(hits[1].doc, 0);
        assert!(close(hits[1].score, score(1.0)));
    }

    #[test]
    fn title_words_weigh_more_than_body_words() {
        let index = three_documents(Bm25Params::default());
        // "paris" is the title of document 1 and a body word of document 0.
        let hits = index.search("Paris", 10).unwrap();
        assert_eq!(hits.iter().map(|h| h.doc).collect::<Vec<_>>(), [1, 0]);
        // Hand-computed: idf over n = 2 of 3; document 1 has title tf 1 (title lengths 2, 1, 2).
        let idf = (1.0f64 + 1.5 / 2.5).ln();
        let title_norm = 1.0 - 0.75 + 0.75 * 1.0 / (5.0 / 3.0);
        let tf = 3.0 / title_norm;
        assert!(close(hits[0].score, idf * tf * 2.2 / (tf + 1.2)));
    }

    #[test]
    fn ties_break_by_document_id_and_k_cuts() {
        let index = TextIndex::build(
            [
                ("a", "same words"),
                ("b", "same words"),
                ("c", "same words"),
            ],
            Bm25Params::default(),
        );
        let hits = index.search("same", 2).unwrap();
        assert_eq!(hits.iter().map(|h| h.doc).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(hits[0].score, hits[1].score);
    }

    #[test]
    fn repeated_query_words_count_once_and_unknown_words_match_nothing() {
        let index = three_documents(Bm25Params::default());
        assert_eq!(
            index.search("tower", 10).unwrap(),
            index.search("tower TOWER tower", 10).unwrap()
        );
        assert!(index.search("zanzibar", 10).unwrap().is_empty());
    }

    #[test]
    fn empty_and_oversized_queries_are_refused() {
        let index = three_documents(Bm25Params::default());
        assert!(matches!(
            index.search("  ?! ", 5),
            Err(SearchError::EmptyQuery)
        ));
        let long = "tower ".repeat(100);
        assert!(matches!(
            index.search(&long, 5),
            Err(SearchError::QueryTooLong {
                chars: 600,
                max: 512
            })
        ));
    }
}
