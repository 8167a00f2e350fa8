//! The trace: one versioned JSON document per run, used everywhere (CLI, browser, share links,
//! replay). `docs/TRACE.md` describes it field by field.
//!
//! A trace is complete enough to re-render the run with no model and no network (every model
//! text, parsed action, box, request and full result is in it) and to re-run it with the same
//! model against the recorded results. Its id is the sha256 of its canonical JSON (keys sorted,
//! no spaces) with the id left empty, so the same trace always has the same id.

use gog_types::sha256_hex;
use gog_types::{ImageResult, Page, TextResult};
use serde::{Deserialize, Serialize};

use crate::boxes::PixelBox;
use crate::policy::{ModelInfo, ReplyEnd, SamplingParams};
use crate::settings::Settings;
use crate::turn::Action;

/// The schema's version; readers refuse others.
pub const TRACE_VERSION: u32 = 1;

/// The question's image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputImage {
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    /// The image's bytes, base64, unless the trace only refers to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base64: Option<String>,
}

/// Who took a step: the model, or the harness (the full-search baseline's fixed glance).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Model,
    Harness,
}

/// What was sent to the search backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SearchRequest {
    /// A glance (no `crop`) or a gaze: the crop in original pixels.
    Image {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        crop: Option<PixelBox>,
        /// sha256 of the bytes searched (the original image's for a glance, the crop's PNG
        /// for a gaze).
        sha256: String,
    },
    Text {
        query: String,
    },
    Read {
        result: u32,
        page: String,
    },
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum SearchResults {
    Images(Vec<ImageResult>),
    Texts(Vec<TextResult>),
    Page(Page),
    /// The backend failed; the model was told so.
    Failed(String),
}

/// A search a step made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchRecord {
    pub request: SearchRequest,
    /// The backend's name (`offline`, a provider).
    pub provider: String,
    /// `hit`/`miss` when the backend reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<String>,
    pub latency_ms: f64,
    pub results: SearchResults,
}

/// One step: a model turn (or the harness's), what it asked for, and what happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub index: usize,
    pub actor: Actor,
    /// The model's text as generated.
    pub raw: String,
    #[serde(default)]
    pub tokens: Vec<u32>,
    #[serde(default)]
    pub prompt_tokens: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_end: Option<ReplyEnd>,
    #[serde(default)]
    pub model_ms: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub think: Option<String>,
    /// The action parsed from `raw`, when it parsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    /// What the model was told went wrong (a protocol, box, budget or search error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<SearchRecord>,
}

/// Why a run ended without an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    MaxTurns,
    /// The model repeated a tool call it had already made.
    RepeatedCall,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    Answered {
        answer: String,
    },
    Stopped {
        reason: StopReason,
    },
    /// The run could not go on: an unreadable image, an empty question, a failing model.
    Failed {
        error: String,
    },
}

/// A verdict on the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judgement {
    pub exact_match: bool,
    pub token_f1: f64,
    /// The LLM judge's verdict, when one was asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<bool>,
    /// The gold answers it was judged against.
    pub gold: Vec<String>,
}

/// One run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    pub version: u32,
    /// `sha256:` and the hex digest of the canonical JSON with this field empty.
    pub id: String,
    pub model: ModelInfo,
    pub sampling: SamplingParams,
    pub settings: Settings,
    pub question: String,
    pub image: InputImage,
    pub steps: Vec<Step>,
    /// Absent while the run is going on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judgement: Option<Judgement>,
}

/// A trace that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("not a GoG trace: {0}")]
    Malformed(String),
    #[error("trace version {found} is not the version {TRACE_VERSION} this build reads")]
    Version { found: u32 },
    #[error("the trace's id {stated} does not match its content ({computed}): it was edited")]
    Tampered { stated: String, computed: String },
    #[error("the trace holds {path}, which trace version {TRACE_VERSION} does not have")]
    UnknownField { path: String },
}

impl Trace {
    /// The canonical JSON: keys sorted, no whitespace.
    pub fn canonical_json(&self) -> String {
        let value = serde_json::to_value(self).expect("a trace is plain data");
        gog_types::canonical_json(&value)
    }

    /// The content id this trace should carry.
    pub fn content_id(&self) -> String {
        let mut unnamed = serde_json::to_value(self).expect("a trace is plain data");
        unnamed["id"] = serde_json::Value::from("");
        format!(
            "sha256:{}",
            sha256_hex(gog_types::canonical_json(&unnamed).as_bytes())
        )
    }

    /// Sets `id` to the content id; called whenever the trace is saved.
    pub fn seal(&mut self) {
        self.id = self.content_id();
    }

    /// Reads a trace, checking its version and that its id matches its content.
    pub fn from_json(text: &str) -> Result<Self, TraceError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| TraceError::Malformed(e.to_string()))?;
        let found = value
            .get("version")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| TraceError::Malformed("no version".into()))?;
        if found != u64::from(TRACE_VERSION) {
            return Err(TraceError::Version {
                found: u32::try_from(found).unwrap_or(u32::MAX),
            });
        }
        let trace: Trace =
            serde_json::from_value(value).map_err(|e| TraceError::Malformed(e.to_string()))?;
        let computed = trace.content_id();
        if trace.id != computed {
            return Err(TraceError::Tampered {
                stated: trace.id,
                computed,
            });
        }
        Ok(trace)
    }
}

impl Trace {
    /// Reads a trace as [`Trace::from_json`] does, and also refuses anything the schema does
    /// not have, at any depth (an extra field, an array where an object belongs): a store that
    /// keeps a trace under its id must know that the id covers all of it. A `null` where the
    /// schema leaves a field out counts as leaving it out.
    pub fn from_json_strict(text: &str) -> Result<Self, TraceError> {
        let trace = Self::from_json(text)?;
        let sent: serde_json::Value =
            serde_json::from_str(text).map_err(|e| TraceError::Malformed(e.to_string()))?;
        let known = serde_json::to_value(&trace).expect("a trace is plain data");
        match unknown_part(&sent, &known, "") {
            Some(path) => Err(TraceError::UnknownField { path }),
            None => Ok(trace),
        }
    }
}

/// The first place where `sent` has something `known` (the same value as the schema writes
/// it) does not: a key it lacks, or an object or array where it has something else.
fn unknown_part(sent: &serde_json::Value, known: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value;
    match (sent, known) {
        (Value::Object(sent), Value::Object(known)) => sent.iter().find_map(|(key, value)| {
            let path = format!("{path}.{key}");
            match known.get(key) {
                Some(known) => unknown_part(value, known, &path),
                None if value.is_null() => None,
                None => Some(path),
            }
        }),
        (Value::Array(sent), Value::Array(known)) if sent.len() == known.len() => sent
            .iter()
            .zip(known)
            .enumerate()
            .find_map(|(i, (sent, known))| unknown_part(sent, known, &format!("{path}[{i}]"))),
        (Value::Object(_) | Value::Array(_), _) => Some(if path.is_empty() {
            "(the whole trace)".into()
        } else {
            path.to_owned()
        }),
        _ => None,
    }
}

/// Where a trace is saved as it grows: after every step, so a crash loses nothing (a file
/// natively, storage in the browser).
pub trait TraceSink {
    fn save(&mut self, trace: &Trace);
}
