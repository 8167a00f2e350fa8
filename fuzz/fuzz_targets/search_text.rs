//! Text-search queries and snippets: any text gives hits or a `SearchError`, never a panic.
#![no_main]

use gog_search::text::{Bm25Params, TextIndex, snippet};

libfuzzer_sys::fuzz_target!(|text: &str| {
    let index = TextIndex::build([("Eiffel Tower", text), (text, "iron tower in Paris")], Bm25Params::default());
    let _ = index.search(text, 5);
    let _ = snippet(text, "tower", 40);
});
