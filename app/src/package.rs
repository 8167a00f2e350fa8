//! What the model picker says about a package before it is loaded: its download size, its
//! weights and what it needs to run, from its `manifest.json`. The page reads only these fields
//! of the manifest; the worker reads all of it with `gog_vlm::package`, whose crate brings burn,
//! which the page leaves out to stay small.

use serde::Deserialize;

use crate::webgpu::format_bytes;

/// The parts of a package manifest the picker shows.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PackageSummary {
    /// The checkpoint's `model_type` (`qwen3_vl`, `qwen2_5_vl`).
    pub model_type: String,
    /// `q8`, `q4` or `f16`.
    pub weights: String,
    files: Vec<FileSize>,
    shards: Vec<FileSize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct FileSize {
    bytes: u64,
}

impl PackageSummary {
    /// Reads a manifest.
    pub fn from_json(json: &str) -> Result<Self, String> {
        let summary: PackageSummary = serde_json::from_str(json)
            .map_err(|err| format!("this is not a GoG model package manifest: {err}"))?;
        if summary.shards.is_empty() {
            return Err("this model package lists no weights".into());
        }
        Ok(summary)
    }

    /// Bytes to download: every file and shard.
    pub fn download_bytes(&self) -> u64 {
        self.files.iter().chain(&self.shards).map(|f| f.bytes).sum()
    }

    /// "566.4 KiB to download · Q8 weights · qwen3_vl".
    pub fn describe(&self) -> String {
        format!(
            "{} to download · {} weights · {}",
            format_bytes(self.download_bytes() as f64),
            self.weights.to_uppercase(),
            self.model_type
        )
    }

    /// What the package needs of the device. Weights that are not quantised are widened to f32
    /// when loaded (so no adapter needs `shader-f16`); quantised layers stay packed.
    pub fn requirements(&self) -> String {
        let size = self.download_bytes() as f64;
        let memory = match self.weights.as_str() {
            "q8" | "q4" => format!(
                "between {} and {} of memory (quantised layers stay packed; the rest is widened to f32)",
                format_bytes(size),
                format_bytes(2.0 * size)
            ),
            _ => format!(
                "about {} of memory (its weights are widened to f32)",
                format_bytes(2.0 * size)
            ),
        };
        format!("Runs on any WebGPU adapter or on the CPU; needs {memory}.")
    }
}

/// The summary of the package at `base` (a directory URL, relative to the page or absolute).
pub async fn summary(base: &str) -> Result<PackageSummary, String> {
    let url = format!("{}/manifest.json", base.trim_end_matches('/'));
    let response = crate::http::get(&url).await?;
    PackageSummary::from_json(&crate::http::text(&url, response).await?)
        .map_err(|err| format!("{url}: {err}"))
}
