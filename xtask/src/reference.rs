//! `cargo xtask reference`: regenerate the reference fixtures the model runtime is checked
//! against, with pinned torch and transformers in a venv outside the repository (dev-time only:
//! about 5.6 GB; CI and `cargo xtask test` never need it).

use crate::{paths, process};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Committed fixtures must stay small.
const FIXTURE_BUDGET_BYTES: u64 = 3 * 1024 * 1024;

#[derive(Debug, clap::Args)]
pub struct ReferenceArgs {}

pub fn run(_args: &ReferenceArgs) -> Result<()> {
    let workspace = paths::workspace();
    let requirements = workspace.join("tests/reference/requirements.txt");
    let venv = ensure_venv(&requirements)?;
    let out = workspace.join("tests/fixtures/vlm");
    process::run(
        Command::new(venv.join("bin/python"))
            .current_dir(&workspace)
            .arg("tests/reference/make_fixtures.py")
            .arg("--out")
            .arg(&out),
    )?;
    let total = directory_size(&out)?;
    println!("fixtures: {total} bytes in {}", out.display());
    if total > FIXTURE_BUDGET_BYTES {
        bail!(
            "the fixtures take {total} bytes, over the {FIXTURE_BUDGET_BYTES}-byte budget; shrink the tiny models or the cases"
        );
    }
    Ok(())
}

/// The reference venv's Python, set up first if needed.
pub fn python() -> Result<PathBuf> {
    let requirements = paths::workspace().join("tests/reference/requirements.txt");
    Ok(ensure_venv(&requirements)?.join("bin/python"))
}

/// The venv, created or updated when `requirements.txt` changed since it was last installed.
fn ensure_venv(requirements: &Path) -> Result<PathBuf> {
    // Beside the tool cache: ~/.cache/gog/reference-venv by default.
    let venv = paths::tool_cache().with_file_name("reference-venv");
    let wanted = std::fs::read_to_string(requirements)
        .with_context(|| format!("cannot read {}", requirements.display()))?;
    let stamp = venv.join("gog-requirements.txt");
    if std::fs::read_to_string(&stamp).is_ok_and(|installed| installed == wanted) {
        println!("reference venv {} is up to date", venv.display());
        return Ok(venv);
    }
    println!(
        "installing the reference venv in {} (several GB; minutes)",
        venv.display()
    );
    process::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    process::run(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "-r"])
            .arg(requirements),
    )?;
    std::fs::write(&stamp, wanted)?;
    Ok(venv)
}

fn directory_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            directory_size(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}
