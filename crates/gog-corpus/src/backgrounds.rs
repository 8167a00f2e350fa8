//! Scene backgrounds: every permissively licensed sample photo the pinned registry packages
//! ship (scikit-image, matplotlib, scikit-learn), as the packages state each licence, written
//! to `backgrounds/` beside the bundle with a listing (`gog_scenes::background`). Drawings,
//! logos, synthetic test patterns, photos too small to crop and photos whose package states no
//! licence are left out, and so is any photo of a corpus entity. Grayscale photos become RGB.

use std::path::Path;

use anyhow::Context;
use gog_scenes::background::{BackgroundEntry, LISTING};
use image::imageops;

use crate::archive::{self, Files};
use crate::raster;
use crate::sources::{self, MATPLOTLIB, Pinned, SCIKIT_IMAGE, SCIKIT_LEARN};

/// Where scikit-image's photos lie in its sdist, and how the listing names that place.
const SCIKIT_IMAGE_DIR: (&str, &str) = ("scikit_image-0.26.0/src/skimage/data/", "skimage/data/");
const MATPLOTLIB_DIR: (&str, &str) = (
    "matplotlib/mpl-data/sample_data/",
    "matplotlib/mpl-data/sample_data/",
);
const SCIKIT_LEARN_DIR: (&str, &str) = ("sklearn/datasets/images/", "sklearn/datasets/images/");

/// One photo: where it is, its licence and credit as its package states them, and the first
/// generator version that uses it.
struct Photo {
    archive: Pinned,
    /// The archive's directory, as stored and as listed.
    dir: (&'static str, &'static str),
    file: &'static str,
    licence: &'static str,
    attribution: &'static str,
    since_version: u32,
}

const fn photo(
    archive: Pinned,
    dir: (&'static str, &'static str),
    file: &'static str,
    licence: &'static str,
    attribution: &'static str,
    since_version: u32,
) -> Photo {
    Photo {
        archive,
        dir,
        file,
        licence,
        attribution,
        since_version,
    }
}

/// The photos, version 1's first and in its order (its scenes pick photos by position).
/// scikit-image's from the docstrings in `skimage/data/_fetchers.py`; matplotlib's Grace
/// Hopper is the US Navy portrait matplotlib adopted as public domain (matplotlib#1599);
/// scikit-learn's from `sklearn/datasets/images/README.txt`, which credits `flower.jpg` to
/// danielbuechele but links it to vultilion's Flickr page, whose photo it is.
const PHOTOS: [Photo; 16] = {
    const SK: (Pinned, (&str, &str)) = (SCIKIT_IMAGE, SCIKIT_IMAGE_DIR);
    const MPL: (Pinned, (&str, &str)) = (MATPLOTLIB, MATPLOTLIB_DIR);
    const SKL: (Pinned, (&str, &str)) = (SCIKIT_LEARN, SCIKIT_LEARN_DIR);
    [
        photo(
            SK.0,
            SK.1,
            "brick.png",
            "CC0-1.0",
            "CC0Textures (Bricks25), via scikit-image",
            1,
        ),
        photo(
            SK.0,
            SK.1,
            "grass.png",
            "CC0-1.0",
            "linolafett on DeviantArt (Grass 01), via scikit-image",
            1,
        ),
        photo(
            SK.0,
            SK.1,
            "gravel.png",
            "CC0-1.0",
            "CC0Textures (Gravel04), via scikit-image",
            1,
        ),
        photo(
            SK.0,
            SK.1,
            "coffee.png",
            "CC0-1.0",
            "Rachel Michetti, via scikit-image",
            1,
        ),
        photo(
            SK.0,
            SK.1,
            "camera.png",
            "CC0-1.0",
            "Lav Varshney, via scikit-image",
            1,
        ),
        photo(
            SK.0,
            SK.1,
            "hubble_deep_field.jpg",
            "Public Domain",
            "NASA, via scikit-image",
            1,
        ),
        photo(
            SK.0,
            SK.1,
            "rocket.jpg",
            "Public Domain",
            "SpaceX, via scikit-image",
            1,
        ),
        photo(
            SK.0,
            SK.1,
            "astronaut.png",
            "Public Domain",
            "NASA (Eileen Collins), via scikit-image",
            1,
        ),
        photo(
            SK.0,
            SK.1,
            "chelsea.png",
            "CC0-1.0",
            "Stefan van der Walt (Chelsea the cat), via scikit-image",
            2,
        ),
        photo(
            SK.0,
            SK.1,
            "clock_motion.png",
            "Public Domain",
            "Stefan van der Walt (motion-blurred clock), via scikit-image",
            2,
        ),
        photo(
            SK.0,
            SK.1,
            "text.png",
            "Public Domain",
            "Wikipedia (File:Corner.png, handwritten text), via scikit-image",
            2,
        ),
        photo(
            SK.0,
            SK.1,
            "cell.png",
            "CC0-1.0",
            "Paul Müller et al. (quantitative phase image of a cell), via scikit-image",
            2,
        ),
        photo(
            SK.0,
            SK.1,
            "retina.jpg",
            "CC0-1.0",
            "Mikael Häggström (fundus photograph), via scikit-image",
            2,
        ),
        photo(
            MPL.0,
            MPL.1,
            "grace_hopper.jpg",
            "Public Domain",
            "U.S. Navy (portrait of Grace Hopper), via matplotlib",
            2,
        ),
        photo(
            SKL.0,
            SKL.1,
            "china.jpg",
            "CC-BY-2.0",
            "danielbuechele on Flickr (photo 6061409035), via scikit-learn",
            2,
        ),
        photo(
            SKL.0,
            SKL.1,
            "flower.jpg",
            "CC-BY-2.0",
            "vultilion on Flickr (photo 6056698931), via scikit-learn",
            2,
        ),
    ]
};

/// Longest side kept. Version 1's photos were stored at this size; raising it would change
/// their bytes and so version 1's scenes.
const MAX_SIDE: u32 = 1024;

/// Fetches the archives (or finds them in `cache`) and writes the photos into `out` (a new
/// directory) with the listing; returns the listing.
pub fn write(cache: &Path, out: &Path) -> anyhow::Result<Vec<BackgroundEntry>> {
    let mut unpacked: Vec<(&str, Files)> = Vec::new();
    for archive in [SCIKIT_IMAGE, MATPLOTLIB, SCIKIT_LEARN] {
        let bytes = sources::fetch(&archive, cache)?;
        let wanted = |path: &str| {
            PHOTOS.iter().any(|p| {
                p.archive.package == archive.package && path == format!("{}{}", p.dir.0, p.file)
            })
        };
        let files = if archive.file_name().ends_with(".whl") {
            archive::zip(&bytes, wanted)?
        } else {
            archive::tar_gz(&bytes, wanted)?
        };
        unpacked.push((archive.package, files));
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut listing = Vec::new();
    for photo in &PHOTOS {
        let path = format!("{}{}", photo.dir.0, photo.file);
        let bytes = unpacked
            .iter()
            .find(|(package, _)| *package == photo.archive.package)
            .and_then(|(_, files)| files.get(&path))
            .with_context(|| format!("{} has no {path}", photo.archive.package))?;
        let decoded = image::load_from_memory(bytes)
            .with_context(|| format!("{path} is not a picture"))?
            .into_rgb8();
        let (w, h) = decoded.dimensions();
        let decoded = if w.max(h) > MAX_SIDE {
            let scale = f64::from(MAX_SIDE) / f64::from(w.max(h));
            imageops::resize(
                &decoded,
                (f64::from(w) * scale).round() as u32,
                (f64::from(h) * scale).round() as u32,
                imageops::FilterType::Lanczos3,
            )
        } else {
            decoded
        };
        let name = photo
            .file
            .split('.')
            .next()
            .unwrap_or(photo.file)
            .to_string();
        let stored = format!("{name}.jpg");
        std::fs::write(out.join(&stored), raster::jpeg(&decoded)?)
            .with_context(|| format!("cannot write {stored}"))?;
        listing.push(BackgroundEntry {
            name,
            file: stored,
            package: photo.archive.package.into(),
            path: format!("{}{}", photo.dir.1, photo.file),
            licence: photo.licence.into(),
            attribution: photo.attribution.into(),
            since_version: photo.since_version,
        });
    }
    std::fs::write(out.join(LISTING), serde_json::to_vec_pretty(&listing)?)
        .context("cannot write the backgrounds listing")?;
    Ok(listing)
}
