//! Loading a model for the commands that run one, on the CPU.

use anyhow::{Context, Result, bail};
use gog_agent::SamplingParams;
use gog_vlm::quant::QuantFormat;
use gog_vlm::{ComputeDevice, LoadOptions, ModelFiles, Vlm};
use gog_vlm_policy::VlmPolicy;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Which model to run, and how.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelArgs {
    /// A Hugging Face model directory (config.json, safetensors, tokenizer files) or a model
    /// package made by `gog convert` (default: the shipped GoG-Tiny package).
    #[arg(long, env = "GOG_MODEL")]
    pub model: Option<PathBuf>,
    /// Quantise the decoder's weights for the CPU kernel: q8 or q4 (f32 otherwise; a quantised
    /// package keeps its own format).
    #[arg(long)]
    pub quant: Option<QuantFormat>,
    /// Cap each image at this many language-model tokens (the checkpoint's own limit otherwise).
    #[arg(long)]
    pub max_image_tokens: Option<u64>,
}

/// How replies are sampled.
#[derive(Debug, Clone, clap::Args)]
pub struct SamplingArgs {
    /// Stop a reply after this many new tokens.
    #[arg(long, default_value_t = 512)]
    pub max_new_tokens: usize,
    /// Sample at this temperature instead of decoding greedily.
    #[arg(long)]
    pub temperature: Option<f32>,
    /// Nucleus sampling: keep the most likely tokens up to this probability.
    #[arg(long, default_value_t = 0.9, requires = "temperature")]
    pub top_p: f32,
    /// Seed of the sampler, for repeatable samples.
    #[arg(long, default_value_t = 0, requires = "temperature")]
    pub seed: u64,
}

impl SamplingArgs {
    pub fn params(&self) -> SamplingParams {
        SamplingParams {
            temperature: self.temperature.unwrap_or(0.0),
            top_p: if self.temperature.is_some() {
                self.top_p
            } else {
                1.0
            },
            seed: self.seed,
            max_new_tokens: self.max_new_tokens,
        }
    }
}

impl ModelArgs {
    /// The model directory: the one named, or else the shipped GoG-Tiny package.
    pub fn dir(&self) -> Result<&Path> {
        if let Some(dir) = &self.model {
            return Ok(dir);
        }
        let shipped = Path::new(SHIPPED_MODEL);
        if !shipped.join("manifest.json").exists() {
            bail!(
                "no model: pass --model DIR or set GOG_MODEL (the shipped GoG-Tiny package is \
                 not at {SHIPPED_MODEL}, where this source tree keeps it)"
            );
        }
        Ok(shipped)
    }
}

/// The GoG-Tiny package the repository ships, which `gog` runs when no model is named; a
/// `gog` built from this source tree finds it there.
pub const SHIPPED_MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../public/models/gog-tiny-q8"
);

/// Loads the model, telling stderr how long it took.
pub fn load(args: &ModelArgs) -> Result<Vlm> {
    let dir = args.dir()?;
    let started = Instant::now();
    let cannot = |what: &str| format!("cannot {what} the model in {}", dir.display());
    let files = ModelFiles::read(dir, |_| {}).with_context(|| cannot("read"))?;
    let options = LoadOptions { quant: args.quant };
    let mut vlm =
        Vlm::load(files, ComputeDevice::cpu(), options).with_context(|| cannot("load"))?;
    if let Some(tokens) = args.max_image_tokens {
        let processor = vlm.processor_mut();
        *processor = processor.clone().with_token_budget(tokens);
    }
    eprintln!(
        "loaded {:?} ({} layers) from {} in {:.2} s",
        vlm.config().family,
        vlm.config().text.num_hidden_layers,
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(vlm)
}

/// Loads the model as the agent's policy, with what a trace records about it.
pub fn load_policy(args: &ModelArgs) -> Result<VlmPolicy> {
    let dir = args.dir()?;
    let weights = ModelFiles::weight_sha256(dir)
        .with_context(|| format!("cannot hash the weights in {}", dir.display()))?;
    let vlm = load(args)?;
    Ok(VlmPolicy::new(vlm, model_id(dir), weights))
}

/// A model's name for people: its directory's name.
fn model_id(dir: &Path) -> String {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    dir.file_name().map_or_else(
        || dir.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}
