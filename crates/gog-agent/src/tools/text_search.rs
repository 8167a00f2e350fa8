//! `text_search`: a web search for the model's query, shown as ranked titles and snippets.

use gog_types::{SearchBackend, TextResult};
use serde::Deserialize;

use super::{Context, Ran, arguments_of, one_entry};
use crate::conversation::Part;
use crate::settings::Budgets;
use crate::trace::{SearchRequest, SearchResults};
use crate::turn::{Action, ProtocolError};

/// The tool's name as the model calls it.
pub const NAME: &str = "text_search";

#[derive(Debug, Deserialize)]
struct Arguments {
    query: String,
}

/// The call's action: the query, trimmed, must say something.
pub(super) fn parse(arguments: serde_json::Value) -> Result<Action, ProtocolError> {
    let args: Arguments = arguments_of(NAME, arguments)?;
    let query = args.query.trim();
    if query.is_empty() {
        return Err(ProtocolError::BadArguments {
            tool: NAME,
            reason: "the query is empty".into(),
        });
    }
    Ok(Action::TextSearch {
        query: query.to_string(),
    })
}

pub(super) fn uses(budgets: &mut Budgets) -> &mut u32 {
    &mut budgets.text_search
}

/// Searches for `query`; it always runs (a failing backend is a result the model is shown).
pub(super) async fn run<B: SearchBackend>(context: Context<'_, B>, query: &str) -> Ran {
    let request = SearchRequest::Text {
        query: query.to_string(),
    };
    let k = context.config.results_per_search;
    match context.backend.search_text(query, k).await {
        Ok(found) => {
            *context.last_pages = found.iter().map(|r| r.page.clone()).collect();
            let shown = shown(&context, query, &found);
            Ran {
                request,
                results: SearchResults::Texts(found),
                shown,
            }
        }
        Err(e) => Ran::failed(request, &e),
    }
}

/// The results as the model sees them: the query, then one entry each.
fn shown<B>(context: &Context<'_, B>, query: &str, found: &[TextResult]) -> Vec<Part> {
    let mut text = format!("Text search for \"{query}\":\n");
    if found.is_empty() {
        text.push_str("No results.\n");
    }
    for (i, result) in found.iter().enumerate() {
        let entry = context.prompts.fill(
            "text_result.txt",
            &[
                ("rank", &(i + 1).to_string()),
                ("title", &result.title),
                ("snippet", &result.snippet),
            ],
        );
        text.push_str(&one_entry(&entry));
    }
    vec![Part::Text { text }]
}
