//! `cargo xtask train sft`: GoG-Tiny from scenes to a model package, on this machine.
//!
//! Every stage writes into a work directory outside the repository
//! (`~/.cache/gog/train/{name}` by default) and leaves a stamp naming what it was made from, so
//! a second run skips what is done and a killed run resumes: the trainer itself resumes from its
//! newest valid checkpoint. The stages:
//!
//! 1. scenes — GoG-Offline train and validation scenes (`gog-corpus scenes`);
//! 2. synthesize — oracle trajectories through the agent (`gog train synthesize`);
//! 3. tokenizer — a byte-level BPE on the trajectories' and the corpus's text (`train/tokenizer.py`);
//! 4. init — a seeded random Qwen3-VL of the chosen size (`train/sft.py init`);
//! 5. export — token ids, loss spans and images (`gog train export`);
//! 6. train — supervised fine-tuning (`train/sft.py train`);
//! 7. package — `gog convert --quant q8`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{corpus, paths, process, reference};

#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    #[command(subcommand)]
    stage: TrainCommand,
}

#[derive(Debug, clap::Subcommand)]
enum TrainCommand {
    /// Stage 1 of the paper's recipe: supervised fine-tuning on oracle trajectories.
    Sft(SftArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct SftArgs {
    /// Training scenes (one trajectory each, minus those the oracle drops).
    #[arg(long, default_value_t = 10_000)]
    scenes: usize,
    /// Validation scenes (entity-disjoint from training).
    #[arg(long, default_value_t = 400)]
    validation: usize,
    /// A model size preset of `train/gog_tiny.py`.
    #[arg(long, default_value = "3m")]
    size: String,
    /// `gog`, or `no-gaze` for the ablation that never crops.
    #[arg(long, default_value = "gog")]
    variant: String,
    /// Leave out the grounding turns (each picture's kind and box, one turn per scene;
    /// `gog_train::grounding`), which the shipped model is trained with.
    #[arg(long = "no-grounding", action = clap::ArgAction::SetFalse)]
    grounding: bool,
    /// Never rename the asked-about entity (`gog_train::rename`; the shipped model is trained
    /// with three quarters of the trajectories renamed).
    #[arg(long = "no-rename", action = clap::ArgAction::SetFalse)]
    rename: bool,
    /// Leave out the reading drills (`gog_train::reading`: the turn that reads a search's
    /// results, without the picture, under a new made-up name).
    #[arg(long = "no-reading", action = clap::ArgAction::SetFalse)]
    reading: bool,
    /// Optimizer steps of the reading stage, trained at a constant learning rate on the reading
    /// drills alone before the full mix (0: none). Copying appears suddenly once drills are
    /// dense: after 1,000 such steps the model copied 86 % of read names' later tokens on
    /// validation drills; it never did in 1,000 steps of the full mix (docs/TRAINING.md).
    #[arg(long, default_value_t = 1000)]
    reading_steps: u64,
    /// Passes over the training trajectories: two take the 3m preset about 70 minutes on two
    /// cores, well within one working session.
    #[arg(long, default_value_t = 2)]
    epochs: u32,
    /// Stop after this many optimiser steps instead of `--epochs`.
    #[arg(long)]
    steps: Option<u64>,
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// BPE vocabulary, special tokens included. 1,024 spells a name with pieces the model writes
    /// hundreds of times; 4,096 gave names tokens it had never written (docs/TRAINING.md).
    #[arg(long, default_value_t = 1024)]
    pub(crate) vocab: u32,
    /// Log the training loss every N steps.
    #[arg(long, default_value_t = 10)]
    log_every: u64,
    /// The work directory (default `~/.cache/gog/train/{variant}-{size}`).
    #[arg(long)]
    work: Option<PathBuf>,
    /// The corpus bundle the scenes come from and the trajectories search (default: the one
    /// `cargo xtask corpus` builds, built first if missing).
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Copy the package over the shipped one (`public/models/gog-tiny-q8`).
    #[arg(long)]
    ship: bool,
}

impl SftArgs {
    /// The smoke run of `cargo xtask test`: a tiny model, a few steps, on `corpus` in `work`.
    pub fn smoke(corpus: PathBuf, work: PathBuf) -> Self {
        Self {
            scenes: 48,
            validation: 8,
            size: "tiny".into(),
            variant: "gog".into(),
            grounding: true,
            rename: true,
            reading: true,
            reading_steps: 4,
            epochs: 1,
            steps: Some(16),
            lr: 3e-3,
            seed: 0,
            vocab: 512,
            log_every: 2,
            work: Some(work),
            corpus: Some(corpus),
            ship: false,
        }
    }
}

/// What a finished `sft` run left behind.
pub struct SftOutput {
    /// The gog command it used.
    pub gog: PathBuf,
    /// The corpus it searched.
    pub corpus: PathBuf,
    /// The validation scenes (a benchmark file for `gog eval`).
    pub validation_scenes: PathBuf,
    /// The validation records (format `gog-train-data`).
    pub validation_data: PathBuf,
    /// The trainer's run directory: `log.jsonl`, `summary.json`, `final/`.
    pub run: PathBuf,
    /// The Q8 model package.
    pub package: PathBuf,
}

pub fn run(args: &TrainArgs) -> Result<()> {
    match &args.stage {
        TrainCommand::Sft(args) => sft(args).map(drop),
    }
}

pub fn sft(args: &SftArgs) -> Result<SftOutput> {
    let work = args.work.clone().unwrap_or_else(|| {
        paths::tool_cache()
            .with_file_name("train")
            .join(format!("{}-{}", args.variant, args.size))
    });
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;
    println!("GoG-Tiny SFT in {}", work.display());
    let corpus = match &args.corpus {
        Some(dir) => std::path::absolute(dir)?,
        None => {
            let built = corpus::bundle_dir();
            if !built.join("manifest.json").exists() {
                corpus::run(&corpus::CorpusArgs {})?;
            }
            built
        }
    };
    let python = reference::python()?;
    let gog = build_gog()?;
    let scripts = paths::workspace().join("train");

    let scenes = work.join("scenes");
    stage(
        &work,
        "scenes",
        &format!("{} {} {}", corpus.display(), args.scenes, args.validation),
        || {
            process::run(
                corpus::gog_corpus("optimized", "scenes")
                    .arg("--corpus")
                    .arg(&corpus)
                    .arg("--out")
                    .arg(&scenes)
                    .args(["--train", &args.scenes.to_string()])
                    .args(["--validation", &args.validation.to_string()])
                    .args(["--test", "0"]),
            )
        },
    )?;

    let synth = work.join("synthesis");
    let synth_val = work.join("synthesis-validation");
    stage(
        &work,
        "synthesize",
        &format!(
            "{} {}{}{}{}",
            args.variant,
            args.seed,
            if args.grounding { " grounding" } else { "" },
            if args.rename { " rename" } else { "" },
            if args.reading { " reading" } else { "" }
        ),
        || {
            for (split, out) in [("train", &synth), ("validation", &synth_val)] {
                process::run(
                    Command::new(&gog)
                        .args(["train", "synthesize", "--corpus"])
                        .arg(&corpus)
                        .arg("--scenes")
                        .arg(scenes.join(format!("{split}.jsonl")))
                        .args(["--variant", &args.variant, "--seed", &args.seed.to_string()])
                        .args(args.grounding.then_some("--grounding"))
                        .args(args.rename.then_some("--rename"))
                        .args(args.reading.then_some("--reading"))
                        .arg("--out")
                        .arg(out),
                )?;
            }
            Ok(())
        },
    )?;

    let tokenizer = work.join("tokenizer");
    stage(&work, "tokenizer", &args.vocab.to_string(), || {
        process::run(
            Command::new(&python)
                .arg(scripts.join("tokenizer.py"))
                .arg("--text")
                .arg(synth.join("text.txt"))
                .args(["--vocab-size", &args.vocab.to_string()])
                .arg("--out")
                .arg(&tokenizer),
        )
    })?;

    let init = work.join("init");
    stage(
        &work,
        "init",
        &format!("{} {}", args.size, args.seed),
        || {
            process::run(
                Command::new(&python)
                    .arg(scripts.join("sft.py"))
                    .arg("init")
                    .arg("--tokenizer")
                    .arg(&tokenizer)
                    .args(["--size", &args.size, "--seed", &args.seed.to_string()])
                    .arg("--out")
                    .arg(&init),
            )
        },
    )?;

    let data = work.join("data");
    let data_val = work.join("data-validation");
    let run_dir = work.join("run");
    let reading_dir = work.join("run-reading");
    stage(&work, "export", "", || {
        // Runs trained on the data this replaces are of no use, finished or not.
        for dir in [&reading_dir, &run_dir] {
            if dir.exists() {
                std::fs::remove_dir_all(dir)
                    .with_context(|| format!("cannot remove {}", dir.display()))?;
            }
        }
        for (from, out) in [(&synth, &data), (&synth_val, &data_val)] {
            process::run(
                Command::new(&gog)
                    .args(["train", "export", "--trajectories"])
                    .arg(from)
                    .arg("--model")
                    .arg(&init)
                    .arg("--out")
                    .arg(out),
            )?;
        }
        Ok(())
    })?;

    // The trainer resumes on its own: no stamp, each run goes on until its own summary exists.
    let trainer = |start: &Path, out: &Path| {
        let mut train = Command::new(&python);
        train
            .arg(scripts.join("sft.py"))
            .arg("train")
            .arg("--model")
            .arg(start)
            .arg("--data")
            .arg(&data)
            .arg("--val")
            .arg(&data_val)
            .arg("--out")
            .arg(out)
            .args([
                "--lr",
                &args.lr.to_string(),
                "--seed",
                &args.seed.to_string(),
                "--log-every",
                &args.log_every.to_string(),
            ]);
        train
    };
    // The trainer always runs: it resumes a run, finds a finished one finished (and rewrites
    // the same final/), and refuses a run directory trained with other arguments or data.
    let start = if args.reading && args.reading_steps > 0 {
        process::run(trainer(&init, &reading_dir).args([
            "--behaviour",
            "reading", // gog_train::reading::BEHAVIOUR
            "--steps",
            &args.reading_steps.to_string(),
            // No decay: the copying turn came late, at full learning rate.
            "--min-lr-ratio",
            "1",
        ]))?;
        reading_dir.join("final")
    } else {
        init.clone()
    };
    let model = run_dir.join("final");
    let mut train = trainer(&start, &run_dir);
    match args.steps {
        Some(steps) => train.args(["--steps", &steps.to_string()]),
        None => train.args(["--epochs", &args.epochs.to_string()]),
    };
    process::run(&mut train)?;

    let package = work.join("package-q8");
    // Keyed on the trained weights: a model trained again is packaged again.
    let weights = model.join("model.safetensors");
    let weights_sha256 = gog_types::sha256_hex(
        &std::fs::read(&weights).with_context(|| format!("cannot read {}", weights.display()))?,
    );
    stage(&work, "package", &format!("q8 of {weights_sha256}"), || {
        if package.exists() {
            std::fs::remove_dir_all(&package)?;
        }
        process::run(
            Command::new(&gog)
                .args(["convert", "--quant", "q8", "--model"])
                .arg(&model)
                .arg("--out")
                .arg(&package),
        )
    })?;
    println!("model: {}\npackage: {}", model.display(), package.display());
    let shipped = paths::workspace().join(SHIPPED_PACKAGE);
    if args.ship {
        copy_package(&package, &shipped)?;
        println!("shipped: {}", shipped.display());
    } else {
        println!("{}", compare_with_shipped(&package, &shipped)?);
    }
    Ok(SftOutput {
        gog,
        corpus,
        validation_scenes: scenes.join("validation.jsonl"),
        validation_data: data_val,
        run: run_dir,
        package,
    })
}

/// Where the repository keeps the GoG-Tiny package the app and `gog` run by default.
const SHIPPED_PACKAGE: &str = "public/models/gog-tiny-q8";

/// Replaces the package in `to` with the one in `from`.
fn copy_package(from: &Path, to: &Path) -> Result<()> {
    if to.exists() {
        std::fs::remove_dir_all(to).with_context(|| format!("cannot remove {}", to.display()))?;
    }
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        std::fs::copy(entry.path(), to.join(entry.file_name()))
            .with_context(|| format!("cannot copy {}", entry.path().display()))?;
    }
    Ok(())
}

/// Whether the package is the shipped one, file for file (a package's manifest lists each
/// file's size and SHA-256).
fn compare_with_shipped(package: &Path, shipped: &Path) -> Result<String> {
    let files = |dir: &Path| -> Result<Option<serde_json::Value>> {
        let manifest = dir.join("manifest.json");
        if !manifest.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&manifest)
            .with_context(|| format!("cannot read {}", manifest.display()))?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not JSON", manifest.display()))?;
        Ok(Some(json["files"].clone()))
    };
    Ok(match (files(package)?, files(shipped)?) {
        (_, None) => format!(
            "no shipped package in {} to compare with",
            shipped.display()
        ),
        (Some(made), Some(kept)) if made == kept => {
            format!("identical to the shipped package ({})", shipped.display())
        }
        _ => format!(
            "differs from the shipped package ({}); --ship replaces it",
            shipped.display()
        ),
    })
}

/// Runs `make` unless `{work}/{name}.done` says it already ran on the same `inputs`; every
/// earlier stage's stamp is part of the inputs, so redoing a stage redoes what follows it.
fn stage(work: &Path, name: &str, inputs: &str, make: impl FnOnce() -> Result<()>) -> Result<()> {
    let stamp = work.join(format!("{name}.done"));
    let earlier: String = STAGES
        .iter()
        .take_while(|s| **s != name)
        .filter_map(|s| std::fs::read_to_string(work.join(format!("{s}.done"))).ok())
        .collect();
    let wanted = format!("{earlier}{name}: {inputs}\n");
    if std::fs::read_to_string(&stamp).is_ok_and(|done| done == wanted) {
        println!("{name}: done before ({})", stamp.display());
        return Ok(());
    }
    println!("{name}:");
    make().with_context(|| format!("stage {name}"))?;
    std::fs::write(&stamp, wanted).with_context(|| format!("cannot write {}", stamp.display()))
}

/// The stages with stamps, in order.
const STAGES: [&str; 6] = [
    "scenes",
    "synthesize",
    "tokenizer",
    "init",
    "export",
    "package",
];

/// Builds the `gog` command (release speed without whole-program LTO) and returns its path.
pub fn build_gog() -> Result<PathBuf> {
    process::run(
        Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .current_dir(paths::workspace())
            .args([
                "build",
                "--locked",
                "--profile",
                "optimized",
                "-p",
                "gog-cli",
            ]),
    )?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| paths::workspace().join("target"));
    let gog = target.join("optimized").join("gog");
    if !gog.exists() {
        bail!("cargo built gog-cli but {} is missing", gog.display());
    }
    Ok(gog)
}
