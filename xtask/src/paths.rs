//! Where things are: the workspace, the tool cache, build outputs.

use std::path::{Path, PathBuf};

/// The workspace root (the directory holding the top-level `Cargo.toml`).
///
/// Taken from the `CARGO_MANIFEST_DIR` that `cargo run` sets at run time, not the one compiled in:
/// clones that share a target directory share the xtask binary, and cargo may hand one clone the
/// binary another clone built.
pub fn workspace() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The tool cache: `$GOG_TOOLS_DIR`, else `$XDG_CACHE_HOME/gog/tools`, else `~/.cache/gog/tools`.
/// It lives outside the repository so fresh clones on one machine share installed tools.
pub fn tool_cache() -> PathBuf {
    if let Some(dir) = std::env::var_os("GOG_TOOLS_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("gog").join("tools")
}

/// Artefacts people look at (screenshots, benchmark reports) go under the workspace's own
/// `target/`, whatever `CARGO_TARGET_DIR` says, so they are found in one place.
pub fn artefacts(kind: &str) -> PathBuf {
    workspace().join("target").join(kind)
}
