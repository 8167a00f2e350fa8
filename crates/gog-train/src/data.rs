//! The data directory the Python trainer reads (format `gog-train-data`, version 1; described
//! for people in `docs/TRAINING.md`, read by `train/data.py`):
//!
//! * `manifest.json` — a [`DataManifest`]: the tokenizer's hash, the image processor's settings,
//!   the context length, and every shard and image with its size and SHA-256;
//! * `shard-NNNNN.jsonl` — [`DataRecord`]s, one trajectory a line;
//! * `images/{scene}.png` — each scene's image exactly as the processor resized it, so the
//!   trainer's processor (Pillow's) reproduces the runtime's patches bit for bit, which
//!   `pixel_sha256` lets it check.

use serde::{Deserialize, Serialize};

pub const FORMAT: &str = "gog-train-data";
pub const VERSION: u32 = 1;

/// A file of the data directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFile {
    /// Relative to the data directory.
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
    /// Trajectories in a shard; absent for images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<usize>,
}

/// The image processor's settings, which the trainer's processor must share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessorSettings {
    pub patch_size: u32,
    pub merge_size: u32,
    pub temporal_patch_size: u32,
    pub min_pixels: u64,
    pub max_pixels: u64,
    pub image_mean: [f64; 3],
    pub image_std: [f64; 3],
}

impl From<&gog_vlm::image_processor::ImageProcessorConfig> for ProcessorSettings {
    fn from(config: &gog_vlm::image_processor::ImageProcessorConfig) -> Self {
        ProcessorSettings {
            patch_size: config.patch_size,
            merge_size: config.merge_size,
            temporal_patch_size: config.temporal_patch_size,
            min_pixels: config.min_pixels,
            max_pixels: config.max_pixels,
            image_mean: config.image_mean,
            image_std: config.image_std,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataManifest {
    pub format: String,
    pub version: u32,
    /// `sft` (oracle trajectories).
    pub kind: String,
    /// SHA-256 of the `tokenizer.json` the ids were made with.
    pub tokenizer_sha256: String,
    pub processor: ProcessorSettings,
    /// The longest trajectory kept, in tokens (the model's context).
    pub max_length: usize,
    pub shards: Vec<DataFile>,
    pub images: Vec<DataFile>,
    /// Counts for people: behaviours, categories, what was dropped and why.
    pub summary: serde_json::Value,
}

/// An image of a trajectory, in the order its `<|image_pad|>` run appears.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataImage {
    /// Relative to the data directory.
    pub file: String,
    pub grid_thw: [u32; 3],
    /// SHA-256 of the processor's patches as little-endian f32 bytes.
    pub pixel_sha256: String,
    /// The pictures the scene drew on it, in drawing order (a later one over an earlier one),
    /// for the trainer's picture-kind loss; absent in older data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<DataRegion>,
}

/// A picture on an image: its kind and box in the resized image's pixels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataRegion {
    /// `flag`, `monument`, `animal`, `logo` or `picture`.
    pub kind: String,
    /// `[x1, y1, x2, y2]`, end exclusive, within the resized image.
    #[serde(rename = "box")]
    pub bbox: [u32; 4],
}

/// One trajectory as the trainer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataRecord {
    pub id: String,
    pub scene: String,
    pub split: String,
    pub category: String,
    pub behaviour: String,
    /// Exactly the ids the runtime feeds the model, images expanded to their tokens.
    pub input_ids: Vec<u32>,
    /// Half-open ranges of `input_ids` the model learns: its own replies, each with the token
    /// that ends it.
    pub loss_spans: Vec<[usize; 2]>,
    pub images: Vec<DataImage>,
}
