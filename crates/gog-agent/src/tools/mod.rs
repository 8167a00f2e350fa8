//! The agent's tools, one module each. A tool's module holds everything about it: its name as
//! the model calls it, its arguments and how they are checked, the budget it spends, what
//! running it sends to the search backend, and how the results are shown to the model. (What
//! the system prompt says of it is prompt data, in `prompts/*/system.txt`.)
//!
//! * [`image_search`] — a glance (the whole image) or a gaze (a region) through reverse image
//!   search.
//! * [`text_search`] — a web search for a query.
//! * [`read`] — the page behind one of the latest search's results.

pub mod image_search;
pub mod read;
pub mod text_search;

use gog_types::{SearchBackend, SearchError};

use crate::conversation::{Conversation, Part};
use crate::prompts::Prompts;
use crate::settings::{AgentConfig, Budgets, Settings};
use crate::trace::{SearchRequest, SearchResults};
use crate::turn::{Action, ProtocolError};

/// The action a `<tool_call>` asks for, once its tool is known and its arguments are checked.
pub(crate) fn parse(name: &str, arguments: serde_json::Value) -> Result<Action, ProtocolError> {
    match name {
        image_search::NAME => image_search::parse(arguments),
        text_search::NAME => text_search::parse(arguments),
        read::NAME => read::parse(arguments),
        other => Err(ProtocolError::UnknownTool(other.to_string())),
    }
}

/// The name of the tool an action calls; `None` for an answer.
pub fn name(action: &Action) -> Option<&'static str> {
    match action {
        Action::ImageSearch { .. } => Some(image_search::NAME),
        Action::TextSearch { .. } => Some(text_search::NAME),
        Action::Read { .. } => Some(read::NAME),
        Action::Answer { .. } => None,
    }
}

/// The uses of the tool an action calls, in a set of budgets (those allowed, or those spent);
/// `None` for an answer.
pub(crate) fn uses<'b>(budgets: &'b mut Budgets, action: &Action) -> Option<&'b mut u32> {
    match action {
        Action::ImageSearch { .. } => Some(image_search::uses(budgets)),
        Action::TextSearch { .. } => Some(text_search::uses(budgets)),
        Action::Read { .. } => Some(read::uses(budgets)),
        Action::Answer { .. } => None,
    }
}

/// What a tool runs with: the run's search backend, prompts and settings, and the state the
/// tools share.
pub(crate) struct Context<'a, B> {
    pub backend: &'a B,
    pub prompts: &'a Prompts,
    pub config: &'a AgentConfig,
    pub settings: &'a Settings,
    /// The question's image as it was given (PNG, JPEG or WebP bytes).
    pub original: &'a [u8],
    /// The conversation so far: its image 0 is the question's, decoded; a tool adds the
    /// pictures it shows.
    pub conversation: &'a mut Conversation,
    /// Pages of the latest search's results, which `read` numbers from 1.
    pub last_pages: &'a mut Vec<String>,
}

/// A tool that ran: what it asked the backend, what came back, and what the model is shown.
pub(crate) struct Ran {
    pub request: SearchRequest,
    pub results: SearchResults,
    pub shown: Vec<Part>,
}

impl Ran {
    /// A search the backend failed: the model is told why.
    fn failed(request: SearchRequest, error: &SearchError) -> Ran {
        let error = error.to_string();
        Ran {
            request,
            shown: vec![Part::Text {
                text: format!("The search failed: {error}"),
            }],
            results: SearchResults::Failed(error),
        }
    }
}

/// Runs a tool call. `Err` says why it could not run, for the model to correct; `None` for an
/// answer, which runs nothing.
pub(crate) async fn run<B: SearchBackend>(
    context: Context<'_, B>,
    action: &Action,
) -> Option<Result<Ran, String>> {
    Some(match action {
        Action::ImageSearch { bbox_2d, label } => {
            image_search::run(context, *bbox_2d, label.as_deref()).await
        }
        Action::TextSearch { query } => Ok(text_search::run(context, query).await),
        Action::Read { result } => read::run(context, *result).await,
        Action::Answer { .. } => return None,
    })
}

/// A tool's arguments, read into its own type.
fn arguments_of<T: serde::de::DeserializeOwned>(
    tool: &'static str,
    arguments: serde_json::Value,
) -> Result<T, ProtocolError> {
    serde_json::from_value(arguments).map_err(|e| ProtocolError::BadArguments {
        tool,
        reason: e.to_string(),
    })
}

/// A filled result template as one entry of a list: it ends with exactly one line break.
fn one_entry(filled: &str) -> String {
    format!("{}\n", filled.trim_end_matches('\n'))
}
