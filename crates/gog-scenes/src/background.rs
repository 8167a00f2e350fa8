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

/// Writes synthetic `backgrounds` (such as [`gradients`]) to `dir` as PNGs with a listing, so a
/// corpus without photos, the made-up one, is laid out like a built one and `gog-corpus scenes`
/// can make scenes of any split from it. PNG is lossless: [`load_dir`] reads back the same pixels.
pub fn write_synthetic(
    dir: &Path,
    backgrounds: &[Background],
) -> Result<Vec<BackgroundEntry>, SceneError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| SceneError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut listing = Vec::with_capacity(backgrounds.len());
    for background in backgrounds {
        let file = format!("{}.png", background.name);
        let path = dir.join(&file);
        background
            .image
            .save_with_format(&path, image::ImageFormat::Png)
            .map_err(|e| SceneError::Encode {
                id: background.name.clone(),
                reason: e.to_string(),
            })?;
        listing.push(BackgroundEntry {
            name: background.name.clone(),
            file,
            package: format!("gog-scenes {}", env!("CARGO_PKG_VERSION")),
            path: "synthetic".into(),
            licence: "CC0-1.0".into(),
            attribution: "drawn by the generator".into(),
            since_version: background.since_version,
        });
    }
    let listing_path = dir.join(LISTING);
    let json = serde_json::to_vec_pretty(&listing).map_err(|e| SceneError::Listing {
        path: listing_path.display().to_string(),
        reason: e.to_string(),
    })?;
    std::fs::write(&listing_path, json).map_err(io(&listing_path))?;
    Ok(listing)
}
