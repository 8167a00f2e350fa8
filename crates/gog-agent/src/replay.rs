//! Replaying a trace: rendering it with no model and no network, and re-running it with the
//! same model against the searches it recorded, to see whether the model says the same.

use std::collections::HashMap;
use std::fmt::Write as _;

use gog_types::{ImageResult, Page, TextResult};
use gog_types::{SearchBackend, SearchError};

use base64::Engine as _;

use crate::agent::Agent;
use crate::prompts::Prompts;
use crate::settings::AgentConfig;
use crate::trace::{Outcome, SearchRequest, SearchResults, Step, Trace};
use crate::turn::Action;

/// The most characters of an unparsable turn that [`render`] shows.
const RAW_SHOWN: usize = 300;

/// The run as text: every step with its box, request and results, then how it ended.
pub fn render(trace: &Trace) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "trace {}", trace.id);
    let _ = writeln!(
        w,
        "model {} ({:?}, {}), mode {:?}, seed {}",
        trace.model.id,
        trace.model.family,
        trace.model.quantisation,
        trace.settings.mode,
        trace.sampling.seed
    );
    let _ = writeln!(
        w,
        "image {}×{} sha256:{}",
        trace.image.width, trace.image.height, trace.image.sha256
    );
    let _ = writeln!(w, "question: {}", trace.question);
    for step in &trace.steps {
        let _ = writeln!(w, "\n[{}] {:?}", step.index + 1, step.actor);
        match (&step.think, &step.action) {
            (Some(think), _) => {
                let _ = writeln!(w, "  thinks: {think}");
            }
            // A turn that did not parse is shown as written, up to a point.
            (None, None) => {
                let shown: String = step.raw.chars().take(RAW_SHOWN).collect();
                let more = if shown.len() < step.raw.len() {
                    "…"
                } else {
                    ""
                };
                let _ = writeln!(w, "  wrote: {shown}{more}");
            }
            (None, Some(_)) => {}
        }
        w.push_str(&render_effects(step));
    }
    let _ = writeln!(w, "\n{}", render_outcome(trace.outcome.as_ref()));
    out
}

/// What a step did, as text: its answer, or its search with the box and results, and the error
/// the model was shown. `gog ask` prints it after streaming the step's text.
pub fn render_effects(step: &Step) -> String {
    let mut out = String::new();
    let w = &mut out;
    match (&step.action, &step.search) {
        (Some(Action::Answer { text }), _) => {
            let _ = writeln!(w, "  answers: {text}");
        }
        (_, Some(search)) => {
            let request = match &search.request {
                SearchRequest::Image { crop: None, .. } => {
                    "glance: image search of the whole image".to_string()
                }
                SearchRequest::Image { crop: Some(c), .. } => {
                    format!(
                        "gaze: image search of [{}, {}, {}, {}]",
                        c.x1, c.y1, c.x2, c.y2
                    )
                }
                SearchRequest::Text { query } => format!("text search \"{query}\""),
                SearchRequest::Read { result, page } => {
                    format!("reads result {result} ({page})")
                }
            };
            let _ = writeln!(
                w,
                "  {request} — {}, {:.1} ms",
                search.provider, search.latency_ms
            );
            match &search.results {
                SearchResults::Images(found) => {
                    for (i, r) in found.iter().enumerate() {
                        let _ = writeln!(w, "    {}. {} ({:.2})", i + 1, r.title, r.score);
                    }
                }
                SearchResults::Texts(found) => {
                    for (i, r) in found.iter().enumerate() {
                        let _ = writeln!(w, "    {}. {}", i + 1, r.title);
                    }
                }
                SearchResults::Page(page) => {
                    let _ = writeln!(
                        w,
                        "    {} ({} characters)",
                        page.title,
                        page.text.chars().count()
                    );
                }
                SearchResults::Failed(error) => {
                    let _ = writeln!(w, "    failed: {error}");
                }
            }
        }
        _ => {}
    }
    if let Some(error) = &step.error {
        let _ = writeln!(w, "  error shown to the model: {error}");
    }
    out
}

/// How a run ended, as one line.
pub fn render_outcome(outcome: Option<&Outcome>) -> String {
    match outcome {
        Some(Outcome::Answered { answer }) => format!("answer: {answer}"),
        Some(Outcome::Stopped { reason }) => format!("stopped without an answer: {reason:?}"),
        Some(Outcome::Failed { error }) => format!("failed: {error}"),
        None => "unfinished".to_string(),
    }
}

/// The agent as the trace says it ran: its mode, turns, budgets, results per search,
/// thumbnails, crop rules and sampling, with `prompts` (a trace records only their hash: compare
/// it with [`prompts_match`]).
pub fn rerun_agent(trace: &Trace, prompts: Prompts) -> Agent {
    let settings = &trace.settings;
    Agent {
        prompts,
        config: AgentConfig {
            mode: settings.mode,
            max_turns: settings.max_turns,
            budgets: settings.budgets,
            results_per_search: settings.results_per_search,
            crop: settings.crop,
            show_thumbnails: settings.show_thumbnails,
            keep_image: trace.image.base64.is_some(),
        },
        sampling: trace.sampling,
    }
}

/// Whether `prompts` are the ones the trace was made with.
pub fn prompts_match(trace: &Trace, prompts: &Prompts) -> bool {
    trace.settings.prompts_sha256 == prompts.sha256()
}

/// The question's image bytes; `None` when the trace kept only their hash.
pub fn input_image(trace: &Trace) -> Result<Option<Vec<u8>>, base64::DecodeError> {
    trace
        .image
        .base64
        .as_ref()
        .map(|encoded| base64::engine::general_purpose::STANDARD.decode(encoded))
        .transpose()
}

/// A search backend answering from a trace's recorded searches: re-runs need no network and
/// see exactly what the original run saw.
#[derive(Debug, Default)]
pub struct RecordedBackend {
    provider: String,
    images: HashMap<String, Result<Vec<ImageResult>, String>>,
    texts: HashMap<String, Result<Vec<TextResult>, String>>,
    pages: HashMap<String, Result<Page, String>>,
}

impl RecordedBackend {
    pub fn from_trace(trace: &Trace) -> Self {
        let mut backend = RecordedBackend {
            provider: format!("replay of {}", trace.id),
            ..Default::default()
        };
        for search in trace.steps.iter().filter_map(|s| s.search.as_ref()) {
            let failed = |results: &SearchResults| match results {
                SearchResults::Failed(error) => Some(error.clone()),
                _ => None,
            };
            match (&search.request, &search.results) {
                (SearchRequest::Image { sha256, .. }, SearchResults::Images(found)) => {
                    backend.images.insert(sha256.clone(), Ok(found.clone()));
                }
                (SearchRequest::Text { query }, SearchResults::Texts(found)) => {
                    backend.texts.insert(query.clone(), Ok(found.clone()));
                }
                (SearchRequest::Read { page, .. }, SearchResults::Page(found)) => {
                    backend.pages.insert(page.clone(), Ok(found.clone()));
                }
                (request, results) => {
                    let Some(error) = failed(results) else {
                        continue;
                    };
                    match request {
                        SearchRequest::Image { sha256, .. } => {
                            backend.images.insert(sha256.clone(), Err(error));
                        }
                        SearchRequest::Text { query } => {
                            backend.texts.insert(query.clone(), Err(error));
                        }
                        SearchRequest::Read { page, .. } => {
                            backend.pages.insert(page.clone(), Err(error));
                        }
                    }
                }
            }
        }
        backend
    }
}

fn recorded<T: Clone>(
    found: Option<&Result<T, String>>,
    what: impl FnOnce() -> String,
) -> Result<T, SearchError> {
    match found {
        Some(Ok(results)) => Ok(results.clone()),
        Some(Err(error)) => Err(SearchError::Unavailable(error.clone())),
        None => Err(SearchError::Unavailable(format!(
            "the trace recorded no {}",
            what()
        ))),
    }
}

impl SearchBackend for RecordedBackend {
    fn name(&self) -> &str {
        &self.provider
    }

    async fn search_image(&self, image: &[u8], _k: usize) -> Result<Vec<ImageResult>, SearchError> {
        let sha = gog_types::sha256_hex(image);
        recorded(self.images.get(&sha), || {
            format!("image search of sha256:{sha}")
        })
    }

    async fn search_text(&self, query: &str, _k: usize) -> Result<Vec<TextResult>, SearchError> {
        recorded(self.texts.get(query), || {
            format!("text search for \"{query}\"")
        })
    }

    async fn read(&self, page: &str) -> Result<Page, SearchError> {
        recorded(self.pages.get(page), || format!("reading of {page}"))
    }
}

/// How a re-run compares with the original.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReplayReport {
    /// Steps whose text and tokens match, from the start.
    pub matching_steps: usize,
    pub original_steps: usize,
    pub rerun_steps: usize,
    /// The first step that differs, if any.
    pub first_divergence: Option<usize>,
    pub same_outcome: bool,
}

impl ReplayReport {
    /// The re-run said exactly what the original said.
    pub fn identical(&self) -> bool {
        self.first_divergence.is_none() && self.same_outcome
    }
}

/// Compares a re-run with the original, step by step.
pub fn compare(original: &Trace, rerun: &Trace) -> ReplayReport {
    let matching_steps = original
        .steps
        .iter()
        .zip(&rerun.steps)
        .take_while(|(a, b)| a.raw == b.raw && a.tokens == b.tokens && a.action == b.action)
        .count();
    let same_length = original.steps.len() == rerun.steps.len();
    ReplayReport {
        matching_steps,
        original_steps: original.steps.len(),
        rerun_steps: rerun.steps.len(),
        first_divergence: (matching_steps < original.steps.len() || !same_length)
            .then_some(matching_steps),
        same_outcome: original.outcome == rerun.outcome,
    }
}
