//! Pictures as the bundle stores them: SVGs rasterised with resvg, photos scaled down, then
//! encoded (PNG for drawings, JPEG for photos).

use std::io::Cursor;

use anyhow::{Context, anyhow};
use image::{RgbImage, RgbaImage, imageops};

/// Longest side of a stored photo.
pub const PHOTO_SIDE: u32 = 384;
/// JPEG quality of stored photos.
const PHOTO_QUALITY: u8 = 85;

/// Rasterises an SVG so that it fits `width × height` (aspect kept, centred) over `ground`.
pub fn svg(
    svg: &[u8],
    width: u32,
    height: u32,
    padding: u32,
    ground: [u8; 3],
) -> anyhow::Result<RgbImage> {
    let tree = resvg::usvg::Tree::from_data(svg, &resvg::usvg::Options::default())
        .context("unreadable SVG")?;
    let size = tree.size();
    let (inner_w, inner_h) = ((width - 2 * padding) as f32, (height - 2 * padding) as f32);
    let scale = (inner_w / size.width()).min(inner_h / size.height());
    let (dx, dy) = (
        padding as f32 + (inner_w - size.width() * scale) / 2.0,
        padding as f32 + (inner_h - size.height() * scale) / 2.0,
    );
    let mut pixmap =
        resvg::tiny_skia::Pixmap::new(width, height).ok_or_else(|| anyhow!("empty raster size"))?;
    pixmap.fill(resvg::tiny_skia::Color::from_rgba8(
        ground[0], ground[1], ground[2], 255,
    ));
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_row(scale, 0.0, 0.0, scale, dx, dy),
        &mut pixmap.as_mut(),
    );
    // The ground is opaque, so premultiplied and straight alpha agree.
    let rgba = RgbaImage::from_raw(width, height, pixmap.take())
        .ok_or_else(|| anyhow!("raster size mismatch"))?;
    Ok(image::DynamicImage::ImageRgba8(rgba).into_rgb8())
}

/// A photo scaled so its longer side is at most [`PHOTO_SIDE`].
pub fn photo(encoded: &[u8]) -> anyhow::Result<RgbImage> {
    let img = image::load_from_memory(encoded)
        .context("undecodable photo")?
        .into_rgb8();
    let (w, h) = img.dimensions();
    let scale = f64::from(PHOTO_SIDE) / f64::from(w.max(h));
    if scale >= 1.0 {
        return Ok(img);
    }
    let (nw, nh) = (
        (f64::from(w) * scale).round() as u32,
        (f64::from(h) * scale).round() as u32,
    );
    Ok(imageops::resize(
        &img,
        nw.max(1),
        nh.max(1),
        imageops::FilterType::Lanczos3,
    ))
}

pub fn jpeg(img: &RgbImage) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(Cursor::new(&mut out), PHOTO_QUALITY)
        .encode_image(img)?;
    Ok(out)
}
