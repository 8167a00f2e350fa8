//! Text search: BM25F over documents with a title, aliases and a body.

mod bm25;
mod snippet;
mod tokenize;

pub use bm25::{Bm25Params, TextHit, TextIndex};
pub use snippet::snippet;
pub use tokenize::tokens;
