//! Image headers read strictly and without allocating: the size comes from the chunk or segment
//! that carries it, and only after that chunk's structure is checked (a PNG's IHDR and its
//! checksum, a JPEG's frame header, a WebP's VP8, VP8L or VP8X header). A signature followed
//! by anything else is not an image: it must not yield a size read from junk.

use image::ImageFormat;

/// What a header says: the image's size and how many bytes a pixel takes as decoded, before
/// any conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub width: u32,
    pub height: u32,
    pub bytes_per_pixel: u32,
}

/// Why a header was refused.
pub type Refusal = &'static str;

/// The header of `bytes`, an image of `format` (PNG, JPEG or WebP by its magic bytes).
pub fn read(format: ImageFormat, bytes: &[u8]) -> Result<Header, Refusal> {
    let header = match format {
        ImageFormat::Png => png(bytes)?,
        ImageFormat::Jpeg => jpeg(bytes)?,
        ImageFormat::WebP => webp(bytes)?,
        _ => return Err("not a PNG, JPEG or WebP image"),
    };
    if header.width == 0 || header.height == 0 {
        return Err("its header declares no pixels");
    }
    Ok(header)
}

/// The largest width or height a PNG may declare (2³¹ − 1).
const PNG_MAX_SIDE: u32 = (1 << 31) - 1;

/// The signature, then IHDR: 13 bytes of data, valid field values, a matching CRC.
fn png(bytes: &[u8]) -> Result<Header, Refusal> {
    let chunk = bytes
        .get(8..33)
        .ok_or("the PNG ends before its header chunk")?;
    if chunk[..8] != [0, 0, 0, 13, b'I', b'H', b'D', b'R'] {
        return Err("the PNG does not begin with its header chunk (IHDR)");
    }
    let crc = u32::from_be_bytes([chunk[21], chunk[22], chunk[23], chunk[24]]);
    if crc32fast::hash(&chunk[4..21]) != crc {
        return Err("the PNG's header chunk fails its checksum");
    }
    let width = u32::from_be_bytes([chunk[8], chunk[9], chunk[10], chunk[11]]);
    let height = u32::from_be_bytes([chunk[12], chunk[13], chunk[14], chunk[15]]);
    let (depth, colour) = (chunk[16], chunk[17]);
    let channels = match (colour, depth) {
        (0, 1 | 2 | 4 | 8 | 16) | (3, 1 | 2 | 4 | 8) => 1,
        (4, 8 | 16) => 2,
        (2, 8 | 16) => 3,
        (6, 8 | 16) => 4,
        _ => return Err("the PNG's header chunk names no valid colour type and bit depth"),
    };
    if chunk[18] != 0 || chunk[19] != 0 || chunk[20] > 1 || width.max(height) > PNG_MAX_SIDE {
        return Err("the PNG's header chunk holds invalid values");
    }
    // A palette expands to RGB(A) when decoded.
    let bytes_per_pixel = if colour == 3 {
        4
    } else {
        channels * u32::from(depth.div_ceil(8))
    };
    Ok(Header {
        width,
        height,
        bytes_per_pixel,
    })
}

/// Segments from the start of the image up to the frame header (SOF), whose length must fit
/// its components; image data before a frame header is refused.
fn jpeg(bytes: &[u8]) -> Result<Header, Refusal> {
    let truncated = "the JPEG ends before its frame header";
    let mut at = 2;
    loop {
        if *bytes.get(at).ok_or(truncated)? != 0xFF {
            return Err("the JPEG's segments are not well formed");
        }
        // Fill bytes: any number of 0xFF before a marker.
        while bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        let marker = *bytes.get(at + 1).ok_or(truncated)?;
        match marker {
            0x01 | 0xD0..=0xD8 => {
                at += 2;
                continue;
            }
            0xD9 | 0xDA => return Err("the JPEG has no frame header before its image data"),
            _ => {}
        }
        let length = bytes.get(at + 2..at + 4).ok_or(truncated)?;
        let length = usize::from(u16::from_be_bytes([length[0], length[1]]));
        let segment = bytes.get(at + 4..at + 2 + length).ok_or(truncated)?;
        let frame = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if frame {
            let [precision, h1, h0, w1, w0, components, ..] = *segment else {
                return Err("the JPEG's frame header is too short");
            };
            if !matches!(precision, 8 | 12 | 16)
                || !(1..=4).contains(&components)
                || length != 8 + 3 * usize::from(components)
            {
                return Err("the JPEG's frame header holds invalid values");
            }
            return Ok(Header {
                width: u32::from(u16::from_be_bytes([w1, w0])),
                height: u32::from(u16::from_be_bytes([h1, h0])),
                bytes_per_pixel: u32::from(components) * u32::from(precision.div_ceil(8)),
            });
        }
        at += 2 + length;
    }
}

/// `RIFF`, a size, `WEBP`, then a lossy (VP8 with its start code), lossless (VP8L with its
/// signature byte and version 0) or extended (VP8X) header.
fn webp(bytes: &[u8]) -> Result<Header, Refusal> {
    let truncated = "the WebP ends before its image header";
    if bytes.get(..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"WEBP") {
        return Err("not a RIFF WebP file");
    }
    let fourcc = bytes.get(12..16).ok_or(truncated)?;
    let data = bytes.get(20..).ok_or(truncated)?;
    let le16 = |b: &[u8]| u32::from(u16::from_le_bytes([b[0], b[1]]));
    let le24 = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], 0]);
    let (width, height) = match fourcc {
        b"VP8 " => {
            let frame = data.get(..10).ok_or(truncated)?;
            if frame[3..6] != [0x9D, 0x01, 0x2A] {
                return Err("the WebP's VP8 header lacks its start code");
            }
            (le16(&frame[6..8]) & 0x3FFF, le16(&frame[8..10]) & 0x3FFF)
        }
        b"VP8L" => {
            let header = data.get(..5).ok_or(truncated)?;
            let bits = u32::from_le_bytes([header[1], header[2], header[3], header[4]]);
            if header[0] != 0x2F || bits >> 29 != 0 {
                return Err("the WebP's VP8L header is not valid");
            }
            ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
        }
        b"VP8X" => {
            let header = data.get(..10).ok_or(truncated)?;
            (le24(&header[4..7]) + 1, le24(&header[7..10]) + 1)
        }
        _ => return Err("the WebP holds no VP8, VP8L or VP8X image header"),
    };
    Ok(Header {
        width,
        height,
        bytes_per_pixel: 4,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{DynamicImage, RgbImage, Rgba, RgbaImage};
    use std::io::Cursor;

    fn encoded(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut out), format)
            .expect("encodes");
        out
    }

    #[test]
    fn real_images_give_their_size() {
        let rgb = DynamicImage::ImageRgb8(RgbImage::new(37, 21));
        for format in [ImageFormat::Png, ImageFormat::Jpeg] {
            let header = read(format, &encoded(rgb.clone(), format)).expect("a header");
            assert_eq!(
                (header.width, header.height, header.bytes_per_pixel),
                (37, 21, 3)
            );
        }
        let rgba = DynamicImage::ImageRgba8(RgbaImage::from_pixel(37, 21, Rgba([1, 2, 3, 4])));
        let webp = read(ImageFormat::WebP, &encoded(rgba, ImageFormat::WebP)).expect("a header");
        assert_eq!((webp.width, webp.height), (37, 21));
        let deep = DynamicImage::ImageRgba16(image::ImageBuffer::new(5, 4));
        let png = read(ImageFormat::Png, &encoded(deep, ImageFormat::Png)).expect("a header");
        assert_eq!(png.bytes_per_pixel, 8);
    }

    /// Every truncation and many single-byte edits of real images: the header is read or
    /// refused, never a panic, and whatever decodes has the size its header declared.
    #[test]
    fn damaged_headers_are_refused_or_read_never_a_panic() {
        let rgb = DynamicImage::ImageRgb8(RgbImage::from_fn(24, 16, |x, y| {
            image::Rgb([x as u8 * 9, y as u8 * 13, 77])
        }));
        let rgba = DynamicImage::ImageRgba8(RgbaImage::from_pixel(24, 16, Rgba([9, 8, 7, 200])));
        for (format, bytes) in [
            (ImageFormat::Png, encoded(rgb.clone(), ImageFormat::Png)),
            (ImageFormat::Jpeg, encoded(rgb, ImageFormat::Jpeg)),
            (ImageFormat::WebP, encoded(rgba, ImageFormat::WebP)),
        ] {
            for cut in 0..bytes.len().min(400) {
                let _ = read(format, &bytes[..cut]);
            }
            for at in 0..bytes.len().min(120) {
                for value in [0x00, 0x01, 0x7F, 0x80, 0xFF, bytes[at] ^ 0x20] {
                    let mut edited = bytes.clone();
                    edited[at] = value;
                    if let Ok(picture) = crate::image::decode(&edited) {
                        let header =
                            crate::image::inspect(&edited).expect("a decoded image's header");
                        assert_eq!(picture.dimensions(), (header.width, header.height));
                    }
                }
            }
        }
    }

    #[test]
    fn a_signature_followed_by_junk_is_not_an_image() {
        let signature = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
        let html = [
            &signature[..],
            b"<html><body>not a picture at all</body></html>",
        ]
        .concat();
        let zeros = [&signature[..], &[0u8; 64]].concat();
        for junk in [&html, &zeros, &signature.to_vec()] {
            assert!(read(ImageFormat::Png, junk).is_err(), "{junk:?}");
        }
        // A real header whose checksum no longer matches after an edit.
        let mut png = encoded(
            DynamicImage::ImageRgb8(RgbImage::new(8, 8)),
            ImageFormat::Png,
        );
        png[17] ^= 1;
        assert_eq!(
            read(ImageFormat::Png, &png),
            Err("the PNG's header chunk fails its checksum")
        );
        let jpeg = [&[0xFF, 0xD8, 0xFF][..], b"<html>"].concat();
        assert!(read(ImageFormat::Jpeg, &jpeg).is_err());
        let scan_first = [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02];
        assert!(read(ImageFormat::Jpeg, &scan_first).is_err());
        let webp = [&b"RIFF\x20\x00\x00\x00WEBPVP8 "[..], &[0u8; 20]].concat();
        assert!(read(ImageFormat::WebP, &webp).is_err());
    }
}
