//! How a run is allowed to go, in one place: the mode, the turns, each tool's budget, the
//! results per search and the crop rules as a caller asks for them ([`AgentConfig`]), and as
//! the trace records what the run actually allowed ([`Settings`]).

use serde::{Deserialize, Serialize};

use crate::boxes::{BoxConvention, CropRules};

/// How the agent was allowed to act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// The model decides (the paper's method).
    Gog,
    /// No tools: answer from the image alone.
    Direct,
    /// Always search the whole image, then one text search with the model's query, then answer.
    FullSearch,
}

/// Uses allowed per tool in one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budgets {
    pub image_search: u32,
    pub text_search: u32,
    pub read: u32,
}

/// How a caller asks a run to go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentConfig {
    pub mode: Mode,
    /// Model turns at most (the full-search baseline's harness step does not count).
    pub max_turns: u32,
    /// Tool uses allowed in `gog` mode; the baselines fix their own.
    pub budgets: Budgets,
    pub results_per_search: usize,
    pub crop: CropRules,
    /// Show image results' thumbnails to the model as pictures (for models trained on them).
    pub show_thumbnails: bool,
    /// Keep the question's image bytes in the trace (otherwise only its hash and size).
    pub keep_image: bool,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            mode: Mode::Gog,
            max_turns: 6,
            budgets: Budgets {
                image_search: 4,
                text_search: 4,
                read: 2,
            },
            results_per_search: 5,
            crop: CropRules::default(),
            show_thumbnails: false,
            keep_image: true,
        }
    }
}

impl AgentConfig {
    /// The budgets the mode allows.
    pub fn budgets(&self) -> Budgets {
        match self.mode {
            Mode::Gog => self.budgets,
            Mode::Direct => Budgets::default(),
            // The harness glances first; the model then gets one text search.
            Mode::FullSearch => Budgets {
                text_search: 1,
                ..Budgets::default()
            },
        }
    }

    /// What the trace records: this config as the mode allows it, with the model's box
    /// convention for this image and the prompts' hash.
    pub fn settings(&self, box_convention: BoxConvention, prompts_sha256: String) -> Settings {
        Settings {
            mode: self.mode,
            max_turns: self.max_turns,
            budgets: self.budgets(),
            results_per_search: self.results_per_search,
            show_thumbnails: self.show_thumbnails,
            crop: self.crop,
            box_convention,
            prompts_sha256,
        }
    }
}

/// Everything that shaped the run besides the model and its sampling, as its trace records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub mode: Mode,
    pub max_turns: u32,
    pub budgets: Budgets,
    pub results_per_search: usize,
    /// Whether image results' thumbnails were shown to the model as pictures.
    pub show_thumbnails: bool,
    pub crop: CropRules,
    /// How the model wrote boxes for this image.
    pub box_convention: BoxConvention,
    /// sha256 of the prompts used (canonical JSON of the files).
    pub prompts_sha256: String,
}
