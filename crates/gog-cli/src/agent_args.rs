//! How the agent may act: the options `gog ask`, `gog eval` and `gog replay` share.

use anyhow::{Result, bail};
use gog_agent::{Agent, AgentConfig, Family, Mode, Policy, Prompts, SamplingParams};
use gog_vlm_policy::VlmPolicy;
use std::path::{Path, PathBuf};

use crate::model::{ModelArgs, SamplingArgs};
use crate::search::{Backend, SearchArgs};

/// What running the agent takes: a model, where searches go, how the agent may act and how the
/// model samples.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub search: SearchArgs,
    #[command(flatten)]
    pub agent: AgentArgs,
    #[command(flatten)]
    pub sampling: SamplingArgs,
}

impl RunArgs {
    /// The search backend, the loaded model and the agent, ready to run; the backend first, so
    /// a missing corpus is reported before a model is loaded.
    pub fn prepare(&self) -> Result<(Backend, VlmPolicy, Agent)> {
        let backend = self.search.backend()?;
        let policy = crate::model::load_policy(&self.model)?;
        let agent = self
            .agent
            .agent(policy.info().family, self.sampling.params())?;
        Ok((backend, policy, agent))
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct AgentArgs {
    /// gog (the model decides), direct (no tools) or full-search (whole-image search, one text
    /// search, then answer).
    #[arg(long, value_enum, default_value_t = ModeArg::Gog)]
    pub mode: ModeArg,
    /// Model turns at most.
    #[arg(long, default_value_t = 6)]
    pub max_turns: u32,
    /// Results shown to the model per search.
    #[arg(long, default_value_t = 5)]
    pub results: usize,
    /// A directory of prompt files replacing the built-in ones (`common/` and one directory per
    /// family, as in crates/gog-agent/prompts); files it lacks stay built-in.
    #[arg(long)]
    pub prompts: Option<PathBuf>,
    /// Show image results' thumbnails to the model as pictures.
    #[arg(long)]
    pub thumbnails: bool,
    /// Keep only the image's hash and size in the trace, not its bytes.
    #[arg(long)]
    pub no_image_in_trace: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeArg {
    Gog,
    Direct,
    FullSearch,
}

impl AgentArgs {
    pub fn agent(&self, family: Family, sampling: SamplingParams) -> Result<Agent> {
        let prompts = prompts(self.prompts.as_deref(), family)?;
        Ok(Agent {
            prompts,
            config: AgentConfig {
                mode: match self.mode {
                    ModeArg::Gog => Mode::Gog,
                    ModeArg::Direct => Mode::Direct,
                    ModeArg::FullSearch => Mode::FullSearch,
                },
                max_turns: self.max_turns,
                results_per_search: self.results,
                show_thumbnails: self.thumbnails,
                keep_image: !self.no_image_in_trace,
                ..AgentConfig::default()
            },
            sampling,
        })
    }
}

/// The built-in prompts of `family`, with the files in `dir` in their place.
pub fn prompts(dir: Option<&Path>, family: Family) -> Result<Prompts> {
    let Some(dir) = dir else {
        return Ok(Prompts::built_in(family));
    };
    if !dir.is_dir() {
        bail!("the prompt directory {} does not exist", dir.display());
    }
    Ok(Prompts::overridden(family, |sub, name| {
        std::fs::read_to_string(dir.join(sub).join(name)).ok()
    }))
}
