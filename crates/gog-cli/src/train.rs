//! `gog train`: GoG-Tiny's training data. `synthesize` runs the oracle through the agent over a
//! split's scenes; `export` turns its trajectories into the token ids, loss spans and images the
//! trainer (`train/sft.py`) reads. `cargo xtask train sft` runs them with the trainer.

use std::path::PathBuf;

use anyhow::{Context, Result};
use gog_agent::Family;
use gog_search::{Bundle, OfflineBackend};
use gog_train::export::ExportConfig;
use gog_train::plan::Variant;
use gog_train::synthesize::SynthesisConfig;

#[derive(Debug, clap::Subcommand)]
pub enum TrainCommand {
    /// Oracle trajectories over a split's scenes, through the agent and the offline search.
    Synthesize(SynthesizeArgs),
    /// Trajectories to token ids, loss spans and images, for a model's tokenizer and template.
    Export(ExportArgs),
}

#[derive(Debug, clap::Args)]
pub struct SynthesizeArgs {
    /// The offline corpus bundle the agent searches.
    #[arg(long, env = "GOG_CORPUS_DIR", default_value = "corpus")]
    corpus: PathBuf,
    /// A GoG-Offline scenes file (`corpus/gog-offline/train.jsonl`).
    #[arg(long)]
    scenes: PathBuf,
    /// Only the first N scenes.
    #[arg(long)]
    limit: Option<usize>,
    /// Whose prompts the agent shows: `gog_tiny` (GoG-Tiny's compact ones), `qwen3_vl` or
    /// `qwen2_5_vl`; the model later trained on the trajectories must be of this family.
    #[arg(long, default_value = "gog_tiny", value_parser = parse_family)]
    family: Family,
    /// `gog`, or `no-gaze` for the ablation that always searches the whole image.
    #[arg(long, default_value = "gog", value_parser = parse_variant)]
    variant: Variant,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Add a grounding turn for every scene: each picture's kind and box.
    #[arg(long)]
    grounding: bool,
    /// Rename the asked-about entity in three quarters of the trajectories, so names are read
    /// from results.
    #[arg(long)]
    rename: bool,
    /// Add reading drills: a second turn that names the entity off the first search's results,
    /// again without the picture and under a new made-up name (drawn for three fifths of the
    /// trajectories).
    #[arg(long)]
    reading: bool,
    /// Threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Directory written: trajectories.jsonl, synthesis.json, text.txt.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// A directory `gog train synthesize` wrote.
    #[arg(long)]
    trajectories: PathBuf,
    /// The Hugging Face model directory whose tokenizer, chat template and processor are used.
    #[arg(long)]
    model: PathBuf,
    /// Longest trajectory kept, in tokens (default: the model's context); longer ones are
    /// dropped and counted.
    #[arg(long)]
    max_length: Option<usize>,
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// The data directory written (replaced).
    #[arg(long)]
    out: PathBuf,
}

fn parse_family(text: &str) -> Result<Family, String> {
    Family::from_prompt_family(text).ok_or_else(|| {
        format!("unknown prompt family {text:?}: use gog_tiny, qwen3_vl or qwen2_5_vl")
    })
}

fn parse_variant(text: &str) -> Result<Variant, String> {
    match text {
        "gog" => Ok(Variant::Gog),
        "no-gaze" => Ok(Variant::NoGaze),
        other => Err(format!("unknown variant {other:?}: use gog or no-gaze")),
    }
}

pub fn run(command: &TrainCommand) -> Result<()> {
    match command {
        TrainCommand::Synthesize(args) => synthesize(args),
        TrainCommand::Export(args) => export(args),
    }
}

fn synthesize(args: &SynthesizeArgs) -> Result<()> {
    let bundle = Bundle::open_dir(&args.corpus)
        .with_context(|| format!("cannot open the corpus in {}", args.corpus.display()))?;
    let backend = OfflineBackend::new(bundle);
    let config = SynthesisConfig {
        family: args.family,
        variant: args.variant,
        seed: args.seed,
        threads: args.threads,
        grounding: args.grounding,
        rename: args.rename,
        reading: args.reading,
    };
    let summary =
        gog_train::synthesize::synthesize(&backend, &args.scenes, args.limit, &config, &args.out)?;
    println!(
        "{} trajectories from {} scenes ({} reflective, {} renamed), {} dropped; {} grounding \
         turns, {} reading drills",
        summary.trajectories,
        summary.scenes_read,
        summary.reflective,
        summary.renamed,
        summary.dropped.values().sum::<usize>(),
        summary.grounding,
        summary.reading
    );
    for (behaviour, count) in &summary.behaviours {
        println!("  {count:>6}  {behaviour}");
    }
    for (reason, count) in &summary.dropped {
        println!("  dropped {count:>6}  {reason}");
    }
    println!("wrote {}", args.out.display());
    Ok(())
}

fn export(args: &ExportArgs) -> Result<()> {
    let config = ExportConfig {
        max_length: args.max_length,
        threads: args.threads,
    };
    let manifest = gog_train::export::export(&args.trajectories, &args.model, &args.out, config)?;
    println!(
        "{} records in {} shards, {} images; summary: {}",
        manifest
            .shards
            .iter()
            .filter_map(|s| s.records)
            .sum::<usize>(),
        manifest.shards.len(),
        manifest.images.len(),
        manifest.summary
    );
    Ok(())
}
