//! What the page and the model's Web Worker say to each other. Each message is JSON text; the
//! question's image travels beside it as a transferred `ArrayBuffer`, so it is never copied
//! into JSON.

use gog_agent::Mode;
use gog_agent::{ModelInfo, Trace};
use serde::{Deserialize, Serialize};

/// The page asks the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Request {
    /// Download (or take from the cache), verify, load and warm up a model package.
    Load {
        /// The package's URL prefix: `manifest.json` and its files are under it.
        package: String,
        /// Where the model is to run.
        device: DevicePreference,
    },
    /// Download (or take from the cache) and index the offline corpus now, so that it is there
    /// for the first question, with or without a network by then.
    LoadCorpus { url: String },
    /// Run the agent on a question about the image sent beside this message.
    Ask {
        question: String,
        settings: RunSettings,
        search: SearchChoice,
    },
    /// Run a trace's question again with the same settings, answering its searches from what
    /// it recorded (the image comes from the trace).
    Rerun { trace: Box<Trace> },
}

/// Where the person wants the model to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DevicePreference {
    /// Whichever is faster for this model here (`gog_vlm::device_choice`).
    #[default]
    Auto,
    /// WebGPU whenever the browser has it.
    WebGpu,
    /// The CPU kernel even when WebGPU is there.
    Cpu,
}

/// How a run may go, as the page's settings set it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    pub mode: Mode,
    pub max_turns: u32,
    pub max_new_tokens: usize,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            mode: Mode::Gog,
            max_turns: 6,
            max_new_tokens: 512,
        }
    }
}

/// Where searches go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SearchChoice {
    /// The offline corpus, downloaded once from `url` and searched inside the worker.
    Offline { url: String },
    /// The search proxy at `url` (whatever mode it serves: offline, live or replay).
    Proxy { url: String },
}

/// What the worker reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Report {
    /// The worker is listening (messages sent before this are lost).
    Started,
    /// The package's manifest was read.
    Package {
        files: usize,
        bytes: u64,
        weights: String,
        model_type: String,
    },
    /// Bytes of the package in hand so far (`cached` when the file came from the cache).
    Download {
        file: String,
        done: u64,
        total: u64,
        cached: bool,
    },
    /// Every file is in hand; the model is loading onto its device and warming up.
    WarmingUp { device: DeviceReport },
    /// Ready to answer.
    Ready {
        model: ModelInfo,
        device: DeviceReport,
        warm_up_ms: f64,
    },
    /// The model could not be loaded; the worker stays usable for another try.
    LoadFailed { error: String },
    /// The offline corpus is being fetched (bytes so far) or is ready.
    Corpus { done: u64, total: u64, ready: bool },
    /// The offline corpus could not be loaded; searches with it will fail until it can.
    CorpusFailed { error: String },
    /// The model has read `done` of its prompt's `total` tokens.
    Reading { done: usize, total: usize },
    /// A piece of the model's text as it is generated.
    Text { piece: String },
    /// The run so far, after each step (without the image, which the page has).
    Progress { trace: Box<Trace> },
    /// The run ended.
    Finished { trace: Box<Trace> },
    /// A run could not start (no model, a corpus that does not load, an unreadable trace).
    Failed { error: String },
}

/// Where the model runs, and why there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceReport {
    /// `webgpu` or `cpu`.
    pub kind: String,
    /// The adapter's name, on WebGPU.
    pub adapter: Option<String>,
    /// Why this device: the setting, an automatic choice, or WebGPU missing.
    pub reason: String,
}
