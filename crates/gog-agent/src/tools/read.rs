//! `read`: the page behind result number `result` (from 1) of the latest search, its first
//! [`PAGE_CHARS`] characters shown to the model.

use gog_types::SearchBackend;
use serde::Deserialize;

use super::{Context, Ran, arguments_of};
use crate::conversation::Part;
use crate::settings::Budgets;
use crate::trace::{SearchRequest, SearchResults};
use crate::turn::{Action, ProtocolError};

/// The tool's name as the model calls it.
pub const NAME: &str = "read";

/// The most characters of a page shown to the model.
pub const PAGE_CHARS: usize = 4000;

#[derive(Debug, Deserialize)]
struct Arguments {
    result: u32,
}

/// The call's action: results are numbered from 1.
pub(super) fn parse(arguments: serde_json::Value) -> Result<Action, ProtocolError> {
    let args: Arguments = arguments_of(NAME, arguments)?;
    if args.result == 0 {
        return Err(ProtocolError::BadArguments {
            tool: NAME,
            reason: "results are numbered from 1".into(),
        });
    }
    Ok(Action::Read {
        result: args.result,
    })
}

pub(super) fn uses(budgets: &mut Budgets) -> &mut u32 {
    &mut budgets.read
}

/// Reads the page of the latest search's result `result`. `Err`: there is no such result.
pub(super) async fn run<B: SearchBackend>(
    context: Context<'_, B>,
    result: u32,
) -> Result<Ran, String> {
    let Some(page) = usize::try_from(result)
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| context.last_pages.get(i))
        .cloned()
    else {
        return Err(if context.last_pages.is_empty() {
            "there are no search results to read yet; search first".to_string()
        } else {
            format!(
                "the latest search has results 1 to {}, not {result}",
                context.last_pages.len()
            )
        });
    };
    let request = SearchRequest::Read {
        result,
        page: page.clone(),
    };
    Ok(match context.backend.read(&page).await {
        Ok(found) => {
            let text: String = found.text.chars().take(PAGE_CHARS).collect();
            let shown = vec![Part::Text {
                text: format!("Page {result}: {}\n{text}", found.title),
            }];
            Ran {
                request,
                results: SearchResults::Page(found),
                shown,
            }
        }
        Err(e) => Ran::failed(request, &e),
    })
}
