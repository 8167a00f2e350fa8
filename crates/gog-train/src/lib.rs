//! GoG-Tiny's training data, made in Rust so that it is exactly what the product does.
//!
//! Training is split the way RL stacks split it: this crate owns everything that touches the
//! product's behaviour (trajectories through the real agent loop and search, the token ids the
//! runtime feeds the model), and a small Python trainer (`train/`) owns the gradient math. The
//! contract between them is a data directory of token ids, loss spans and images ([`data`]).
//!
//! * [`scene`] — what the oracle knows of a scene: kinds, gold boxes, boxes as the model writes
//!   them.
//! * [`plan`] — what the oracle sets out to do on a scene (glance, gaze, a wrong crop first).
//! * [`think`] — the oracle's short, grounded reasoning and its text queries.
//! * [`observed`] — a search backend that lets the oracle see the results as typed values.
//! * [`oracle`] — the oracle [`gog_agent::Policy`].
//! * [`synthesize`] — oracle trajectories over a split's scenes, on every core.
//! * [`trajectory`] — one run on one scene, as synthesis writes it and the export reads it.
//! * [`grounding`] — a turn naming every picture of a scene by kind and box.
//! * [`rename`] — trajectories whose asked-about entity bears a made-up name.
//! * [`reading`] — drills of the turn that reads a search's results, without the picture.
//! * [`data`] — the data directory the trainer reads.
//! * [`export`] — trajectories to token ids, loss spans and images.
//! * [`run_metrics`] — what a run's trace shows of its behaviour against the gold record.
//! * [`intervals`] — bootstrap confidence intervals for the reports.

pub mod data;
pub mod export;
pub mod grounding;
pub mod intervals;
pub mod observed;
pub mod oracle;
pub mod plan;
pub mod reading;
pub mod rename;
pub mod run_metrics;
pub mod scene;
pub mod synthesize;
pub mod think;
pub mod trajectory;

use std::path::Path;

/// What can go wrong making training data.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{file}: {reason}")]
    Format { file: String, reason: String },
    #[error("cannot write JSON: {0}")]
    Json(String),
    #[error(transparent)]
    Load(#[from] gog_vlm::vlm::LoadError),
    #[error(transparent)]
    Prompt(#[from] gog_vlm::prompt::PromptError),
    #[error(
        "the trajectories hold {} prompts but the model is prompted as {}: synthesize them \
         with --family {}",
        .trajectories.dir(), .model.dir(), .model.dir()
    )]
    Family {
        trajectories: gog_agent::Family,
        model: gog_agent::Family,
    },
    #[error("trajectory {id}: {reason}")]
    Trajectory { id: String, reason: String },
    #[error(
        "the oracle writes boxes in thousandths, as Qwen3-VL and GoG-Tiny do; prompt family {0:?} \
         has them in pixels, so its trajectories would teach the wrong boxes"
    )]
    OracleFamily(gog_agent::Family),
    #[error("cannot start {threads} threads: {message}")]
    Threads { threads: usize, message: String },
}

impl TrainError {
    pub(crate) fn io(path: &Path, error: impl std::fmt::Display) -> Self {
        TrainError::Io {
            path: path.display().to_string(),
            message: error.to_string(),
        }
    }

    pub(crate) fn json(error: serde_json::Error) -> Self {
        TrainError::Json(error.to_string())
    }
}

/// A thread pool of `threads` threads (0: one per core).
pub(crate) fn pool(threads: usize) -> Result<rayon::ThreadPool, TrainError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| TrainError::Threads {
            threads,
            message: e.to_string(),
        })
}
