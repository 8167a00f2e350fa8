//! Decoding: PNG, JPEG and WebP bytes to RGB pixels, within a pixel budget read from the header.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits, RgbImage};

use super::header;
use crate::SearchError;

/// The most pixels a query image may have (40 MP); checked from the header, before decoding.
pub const MAX_PIXELS: u64 = 40_000_000;

/// The shortest side worth describing: smaller crops carry too little to match.
pub const MIN_SIDE: u32 = 8;

/// What an image's header says, read without decoding a pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageHeader {
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
    /// Bytes a pixel takes as the decoder first writes it (a 16-bit RGBA PNG: 8).
    pub bytes_per_pixel: u32,
}

impl ImageHeader {
    /// The most memory [`decode`] takes for this image at once: the decoder's own pixels, the
    /// RGBA copy and the RGB result (the decoders' working buffers fit within the first).
    pub fn decode_bytes(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height) * u64::from(self.bytes_per_pixel + 4 + 3)
    }
}

/// Reads the format from the magic bytes (never a declared content type) and the size from the
/// header, checked strictly (`header`), refusing anything but well-formed PNG, JPEG and WebP
/// headers and anything over [`MAX_PIXELS`]: a decompression bomb is refused before it is
/// decoded, and a signature followed by junk is not an image.
pub fn inspect(bytes: &[u8]) -> Result<ImageHeader, SearchError> {
    let format =
        image::guess_format(bytes).map_err(|e| SearchError::UndecodableImage(e.to_string()))?;
    if !matches!(
        format,
        ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP
    ) {
        return Err(SearchError::UndecodableImage(format!(
            "{format:?} is not a PNG, JPEG or WebP image"
        )));
    }
    // Read by a parser that allocates nothing: a decoder's own header reading can refuse a
    // huge size as an allocation failure (on wasm32, where `usize` is 32 bits), which would
    // hide that the image is simply too large.
    let header::Header {
        width,
        height,
        bytes_per_pixel,
    } = header::read(format, bytes).map_err(|why| SearchError::UndecodableImage(why.into()))?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(SearchError::ImageTooLarge {
            width,
            height,
            max_pixels: MAX_PIXELS,
        });
    }
    Ok(ImageHeader {
        format,
        width,
        height,
        bytes_per_pixel,
    })
}

/// Decodes PNG, JPEG or WebP bytes to RGB (alpha composited over white, as pictures with
/// transparency are shown), refusing images over [`MAX_PIXELS`] before any pixel is decoded.
pub fn decode(bytes: &[u8]) -> Result<RgbImage, SearchError> {
    let undecodable = |e: &dyn std::fmt::Display| SearchError::UndecodableImage(e.to_string());
    let ImageHeader {
        format,
        width,
        height,
        ..
    } = inspect(bytes)?;
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(SearchError::ImageTooSmall {
            width,
            height,
            min: MIN_SIDE,
        });
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    limits.max_alloc = Some(MAX_PIXELS * 4 * 2);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| undecodable(&e))?;
    Ok(over_white(decoded.into_rgba8()))
}

/// A picture as lossless PNG bytes: how crops are handed to a search, and how drawings are
/// stored. Encoding to memory has no I/O to fail; an error would be a bug in the encoder.
pub fn encode_png(picture: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    picture
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .expect("PNG encoding to memory does not fail");
    out
}

/// Composites RGBA over white.
fn over_white(rgba: image::RgbaImage) -> RgbImage {
    let (w, h) = rgba.dimensions();
    let mut out = RgbImage::new(w, h);
    for (dst, src) in out.pixels_mut().zip(rgba.pixels()) {
        let a = u16::from(src[3]);
        for c in 0..3 {
            dst[c] = ((u16::from(src[c]) * a + 255 * (255 - a) + 127) / 255) as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        encode_png(&RgbImage::new(w, h))
    }

    #[test]
    fn bad_bytes_give_typed_errors() {
        assert!(matches!(
            decode(b"not an image"),
            Err(SearchError::UndecodableImage(_))
        ));
        let whole = png(64, 64);
        assert!(matches!(
            decode(&whole[..whole.len() / 2]),
            Err(SearchError::UndecodableImage(_))
        ));
        assert!(matches!(
            decode(&png(4, 64)),
            Err(SearchError::ImageTooSmall { width: 4, .. })
        ));
        assert_eq!(decode(&whole).unwrap().dimensions(), (64, 64));
    }

    #[test]
    fn huge_images_are_refused_from_the_header() {
        // A PNG header announcing 50 000 × 50 000 pixels, with no pixel data behind it.
        let mut header = png(8, 8);
        header[16..20].copy_from_slice(&50_000u32.to_be_bytes());
        header[20..24].copy_from_slice(&50_000u32.to_be_bytes());
        let crc = crc32fast::hash(&header[12..29]);
        header[29..33].copy_from_slice(&crc.to_be_bytes());
        assert!(matches!(
            decode(&header),
            Err(SearchError::ImageTooLarge { width: 50_000, .. })
        ));
    }

    #[test]
    fn transparency_is_shown_over_white() {
        let mut rgba = image::RgbaImage::new(8, 8);
        rgba.put_pixel(0, 0, image::Rgba([0, 0, 0, 0]));
        rgba.put_pixel(1, 0, image::Rgba([0, 0, 0, 255]));
        let rgb = over_white(rgba);
        assert_eq!(rgb.get_pixel(0, 0).0, [255, 255, 255]);
        assert_eq!(rgb.get_pixel(1, 0).0, [0, 0, 0]);
    }
}
