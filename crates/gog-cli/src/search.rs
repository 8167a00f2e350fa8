//! Where the agent's searches go: the offline corpus, or the searches a trace recorded.

use anyhow::{Context, Result, bail};
use gog_agent::Trace;
use gog_agent::replay::RecordedBackend;
use gog_search::{Bundle, OfflineBackend};
use std::path::{Path, PathBuf};

/// Search options shared by the commands that run the agent.
#[derive(Debug, Clone, clap::Args)]
pub struct SearchArgs {
    /// `offline` (the corpus in --corpus; no network) or `replay:TRACE` (only the searches that
    /// trace recorded; anything else is an error the model is shown).
    #[arg(long, default_value = "offline")]
    pub search: String,
    /// The offline corpus bundle, as written by `cargo xtask corpus`.
    #[arg(long, env = "GOG_CORPUS_DIR", default_value = "corpus")]
    pub corpus: PathBuf,
}

/// A search backend chosen on the command line.
#[derive(Debug)]
pub enum Backend {
    Offline(Box<OfflineBackend>),
    Recorded(RecordedBackend),
}

impl SearchArgs {
    pub fn backend(&self) -> Result<Backend> {
        if self.search == "offline" {
            return offline(&self.corpus);
        }
        if let Some(path) = self.search.strip_prefix("replay:") {
            let trace = read_trace(Path::new(path))?;
            return Ok(Backend::Recorded(RecordedBackend::from_trace(&trace)));
        }
        bail!(
            "unknown search backend {:?}: use offline or replay:TRACE",
            self.search
        )
    }
}

fn offline(corpus: &Path) -> Result<Backend> {
    let bundle = Bundle::open_dir(corpus).with_context(|| {
        format!(
            "cannot open the offline corpus in {} (build it with `cargo xtask corpus`, or pass \
             --corpus DIR)",
            corpus.display()
        )
    })?;
    Ok(Backend::Offline(Box::new(OfflineBackend::new(bundle))))
}

/// Reads and checks a trace file.
pub fn read_trace(path: &Path) -> Result<Trace> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the trace {}", path.display()))?;
    Trace::from_json(&text).with_context(|| format!("{} is not a usable trace", path.display()))
}

gog_types::delegate_search_backend!(impl[] Backend { Offline, Recorded });
