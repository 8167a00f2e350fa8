//! Files the web app serves that are built elsewhere: the offline corpus bundle, searched inside
//! the browser. They are copied into `app/generated/` (ignored by git), which `app/index.html`
//! hands to Trunk.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// Where the staged files go.
pub fn generated_dir() -> PathBuf {
    crate::paths::workspace().join("app").join("generated")
}

/// Copies the bundle in `corpus` (its `manifest.json` and the files it lists; not the scenes or
/// backgrounds beside it) to `app/generated/corpus`.
pub fn stage_corpus(corpus: &Path) -> Result<()> {
    let dest = generated_dir().join("corpus");
    let manifest_path = corpus.join("manifest.json");
    let manifest = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("cannot read {}", manifest_path.display()))?;
    let manifest: serde_json::Value = serde_json::from_str(&manifest)
        .with_context(|| format!("{} is not JSON", manifest_path.display()))?;
    let files = manifest["files"]
        .as_object()
        .with_context(|| format!("{} lists no files", manifest_path.display()))?;
    if dest.exists() {
        std::fs::remove_dir_all(&dest)
            .with_context(|| format!("cannot clear {}", dest.display()))?;
    }
    std::fs::create_dir_all(&dest).with_context(|| format!("cannot create {}", dest.display()))?;
    for name in files.keys().map(String::as_str).chain(["manifest.json"]) {
        std::fs::copy(corpus.join(name), dest.join(name))
            .with_context(|| format!("cannot copy {name} from {}", corpus.display()))?;
    }
    Ok(())
}
