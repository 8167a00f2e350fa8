//! Scene backgrounds: scikit-image's sample photos that are public domain or CC0, as the
//! docstrings of `skimage.data` state them, written to `backgrounds/` beside the bundle with
//! a listing (`gog_scenes::background`).

use std::path::Path;

use anyhow::Context;
use gog_scenes::background::{BackgroundEntry, LISTING};
use image::imageops;

use crate::sources::SCIKIT_IMAGE;
use crate::{archive, raster};

/// Where the photos lie in the sdist.
const DATA_DIR: &str = "scikit_image-0.26.0/src/skimage/data/";

/// `(file, licence, attribution)` of each photo used, from `skimage/data/_fetchers.py`.
const PHOTOS: [(&str, &str, &str); 8] = [
    (
        "brick.png",
        "CC0-1.0",
        "CC0Textures (Bricks25), via scikit-image",
    ),
    (
        "grass.png",
        "CC0-1.0",
        "linolafett on DeviantArt (Grass 01), via scikit-image",
    ),
    (
        "gravel.png",
        "CC0-1.0",
        "CC0Textures (Gravel04), via scikit-image",
    ),
    ("coffee.png", "CC0-1.0", "Rachel Michetti, via scikit-image"),
    ("camera.png", "CC0-1.0", "Lav Varshney, via scikit-image"),
    (
        "hubble_deep_field.jpg",
        "Public Domain",
        "NASA, via scikit-image",
    ),
    ("rocket.jpg", "Public Domain", "SpaceX, via scikit-image"),
    (
        "astronaut.png",
        "Public Domain",
        "NASA (Eileen Collins), via scikit-image",
    ),
];

/// Longest side kept: scenes are 800 × 600.
const MAX_SIDE: u32 = 1024;

/// Extracts the photos from the scikit-image sdist into `out` (a new directory) with the
/// listing; returns the listing.
pub fn write(sdist: &[u8], out: &Path) -> anyhow::Result<Vec<BackgroundEntry>> {
    let files = archive::tar_gz(sdist, |path| {
        path.strip_prefix(DATA_DIR)
            .is_some_and(|name| PHOTOS.iter().any(|(file, _, _)| *file == name))
    })?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut listing = Vec::new();
    for (file, licence, attribution) in PHOTOS {
        let path = format!("{DATA_DIR}{file}");
        let bytes = files
            .get(&path)
            .with_context(|| format!("{} has no {path}", SCIKIT_IMAGE.package))?;
        let photo = image::load_from_memory(bytes)
            .with_context(|| format!("{path} is not a picture"))?
            .into_rgb8();
        let (w, h) = photo.dimensions();
        let photo = if w.max(h) > MAX_SIDE {
            let scale = f64::from(MAX_SIDE) / f64::from(w.max(h));
            imageops::resize(
                &photo,
                (f64::from(w) * scale).round() as u32,
                (f64::from(h) * scale).round() as u32,
                imageops::FilterType::Lanczos3,
            )
        } else {
            photo
        };
        let name = file.split('.').next().unwrap_or(file).to_string();
        let stored = format!("{name}.jpg");
        std::fs::write(out.join(&stored), raster::jpeg(&photo)?)
            .with_context(|| format!("cannot write {stored}"))?;
        listing.push(BackgroundEntry {
            name,
            file: stored,
            package: SCIKIT_IMAGE.package.into(),
            path: format!("skimage/data/{file}"),
            licence: licence.into(),
            attribution: attribution.into(),
        });
    }
    std::fs::write(out.join(LISTING), serde_json::to_vec_pretty(&listing)?)
        .context("cannot write the backgrounds listing")?;
    Ok(listing)
}
