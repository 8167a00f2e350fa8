//! Background photos: permissively licensed sample photos that `cargo xtask corpus` writes to
//! `corpus/backgrounds/` with a listing. They are only for making scenes, so they stay out of
//! the bundle the browser downloads.

use std::path::Path;

use image::RgbImage;
use serde::{Deserialize, Serialize};

use crate::SceneError;

/// The listing's file name inside the backgrounds directory.
pub const LISTING: &str = "backgrounds.json";

/// One photo as the listing describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackgroundEntry {
    /// Short name, recorded in each scene (`brick`, `hubble_deep_field`).
    pub name: String,
    /// The JPEG's file name beside the listing.
    pub file: String,
    /// The registry package it came from, pinned.
    pub package: String,
    /// Its path inside the package.
    pub path: String,
    pub licence: String,
    pub attribution: String,
    /// The first generator version that lays scenes on it, so that a version's scenes stay the
    /// same when later photos join the listing (listings from before it existed: 1).
    #[serde(default = "first_version")]
    pub since_version: u32,
}

fn first_version() -> u32 {
    1
}

/// A decoded background photo.
#[derive(Debug, Clone)]
pub struct Background {
    pub name: String,
    pub image: RgbImage,
    /// As [`BackgroundEntry::since_version`].
    pub since_version: u32,
}

/// Reads the listing in `dir` and decodes every photo it names, in the listing's order.
pub fn load_dir(dir: &Path) -> Result<Vec<Background>, SceneError> {
    let listing_path = dir.join(LISTING);
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| SceneError::Io { path, source }
    };
    let listing = std::fs::read(&listing_path).map_err(io(&listing_path))?;
    let entries: Vec<BackgroundEntry> =
        serde_json::from_slice(&listing).map_err(|e| SceneError::Listing {
            path: listing_path.display().to_string(),
            reason: e.to_string(),
        })?;
    if entries.is_empty() {
        return Err(SceneError::NoBackgrounds(format!(
            "{} lists none",
            listing_path.display()
        )));
    }
    entries
        .into_iter()
        .map(|entry| {
            let path = dir.join(&entry.file);
            let bytes = std::fs::read(&path).map_err(io(&path))?;
            let image = image::load_from_memory(&bytes)
                .map_err(|e| SceneError::Picture {
                    what: path.display().to_string(),
                    reason: e.to_string(),
                })?
                .into_rgb8();
            Ok(Background {
                name: entry.name,
                image,
                since_version: entry.since_version,
            })
        })
        .collect()
}

/// `count` smooth colour gradients, named `gradient-0`, `gradient-1`, …: backgrounds for scenes
/// made from a made-up corpus, which has no photos beside it.
pub fn gradients(count: usize) -> Vec<Background> {
    (0..count)
        .map(|i| Background {
            name: format!("gradient-{i}"),
            image: RgbImage::from_fn(640, 480, |x, y| {
                image::Rgb([(x / 3) as u8, (y / 2) as u8, ((60 + 100 * i) % 256) as u8])
            }),
            since_version: 1,
        })
        .collect()
}
