//! Checks a dropped or picked file before the app keeps it: is it an image we can read, and is
//! it small enough to process in a browser tab.

use image::{ImageFormat, ImageReader};
use std::io::Cursor;

/// Largest file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;
/// Largest decoded image accepted, in pixels (40 megapixels, the proxy's limit too).
pub const MAX_PIXELS: u64 = 40_000_000;

/// What the app knows about an accepted image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageFacts {
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
}

impl ImageFacts {
    /// The format as people write it: `PNG`, `JPEG`, `WEBP`, `GIF`.
    pub fn format_name(&self) -> String {
        format_name(self.format)
    }
}

/// The MIME type of an image format GoG reads.
pub fn mime_type(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Jpeg => "image/jpeg",
        ImageFormat::WebP => "image/webp",
        ImageFormat::Gif => "image/gif",
        _ => "image/png",
    }
}

fn format_name(format: ImageFormat) -> String {
    format!("{format:?}").to_uppercase()
}

/// Why a file was refused; each message tells the person what to do instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImageError {
    #[error("this file is not an image GoG can read; use a PNG, JPEG, WebP or GIF")]
    NotAnImage,
    #[error("this file is {megabytes:.1} MB; the limit is {limit} MB")]
    FileTooLarge { megabytes: f64, limit: usize },
    #[error(
        "this image is {width}×{height} ({megapixels:.1} MP); the limit is 40 MP — scale it down first"
    )]
    TooManyPixels {
        width: u32,
        height: u32,
        megapixels: f64,
    },
    #[error("this {format} file is damaged: {reason}")]
    Unreadable { format: String, reason: String },
}

/// Identifies the format from the bytes themselves (never the file name or MIME type) and reads
/// the dimensions from the header, without decoding the pixels.
pub fn inspect(bytes: &[u8]) -> Result<ImageFacts, ImageError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ImageError::FileTooLarge {
            megabytes: bytes.len() as f64 / 1e6,
            limit: MAX_FILE_BYTES / (1024 * 1024),
        });
    }
    let format = image::guess_format(bytes).map_err(|_| ImageError::NotAnImage)?;
    if !matches!(
        format,
        ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP | ImageFormat::Gif
    ) {
        return Err(ImageError::NotAnImage);
    }
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|err| ImageError::Unreadable {
            format: format_name(format),
            reason: err.to_string(),
        })?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS {
        return Err(ImageError::TooManyPixels {
            width,
            height,
            megapixels: pixels as f64 / 1e6,
        });
    }
    Ok(ImageFacts {
        format,
        width,
        height,
    })
}
