//! What the CLI's tests share: the workspace's fixtures and running the `gog` binary.

#![allow(dead_code, reason = "each test file uses part of this")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A tiny random-weight model made by tests/reference/make_fixtures.py.
pub fn tiny(family: &str) -> PathBuf {
    workspace().join(format!("tests/fixtures/vlm/{family}-tiny"))
}

/// The picture the CLI tests ask about.
pub fn picture() -> PathBuf {
    workspace().join("tests/fixtures/two-landmarks.png")
}

pub fn gog(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gog"))
        .args(args)
        .env_remove("GOG_MODEL")
        .env_remove("GOG_CORPUS_DIR")
        .output()
        .expect("gog runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// An empty scratch directory of this test process.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gog-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

pub fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}
