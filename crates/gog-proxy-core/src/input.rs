//! Checking what clients send before anything is done with it: body sizes, image type by magic
//! bytes and size by header (never decoding), query lengths, and shared traces against their id
//! and schema. Each refusal is an [`ApiError`] with the status the API documents.

use gog_agent::Trace;
use gog_types::SearchError;
use gog_types::image::{ImageHeader, MIN_SIDE};

use crate::error::{ApiError, ErrorCode};

/// The largest image a search accepts.
pub const MAX_IMAGE_BYTES: usize = 4 << 20;
/// The longest text query, in characters (Brave's limit, applied to every provider).
pub const MAX_QUERY_CHARS: usize = 400;
/// The largest shared trace: an image kept in it is at most 4 MiB before base64, plus results.
pub const MAX_TRACE_BYTES: usize = 8 << 20;
/// The largest JSON body of the other routes.
pub const MAX_JSON_BYTES: usize = 16 << 10;
/// Results a search may ask for.
pub const MAX_K: usize = 10;

/// Refuses a body over `limit` bytes (413). Call with the declared `content-length` first, then
/// with the bytes actually read.
pub fn check_size(len: usize, limit: usize) -> Result<(), ApiError> {
    if len > limit {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the body has {len} bytes; at most {limit} are accepted"),
        ));
    }
    Ok(())
}

/// The most memory decoding one query image may take in the Worker, which has 128 MB with the
/// offline corpus loaded (measured in workerd: `docs/API.md`, "Limits"). Natively and in the
/// browser the search decodes up to `gog_types::image::MAX_PIXELS`.
pub const MAX_DECODE_BYTES: u64 = 24 << 20;

/// An image to search, judged by its bytes and header alone: at most [`MAX_IMAGE_BYTES`] (413),
/// a well-formed PNG, JPEG or WebP header (415), at most 40 megapixels and
/// [`MAX_DECODE_BYTES`] to decode (422), and at least `MIN_SIDE` pixels a side (400).
pub fn check_image(body: &[u8]) -> Result<ImageHeader, ApiError> {
    check_size(body.len(), MAX_IMAGE_BYTES)?;
    let header = gog_types::image::inspect(body).map_err(|err| match err {
        SearchError::ImageTooLarge { .. } => {
            ApiError::new(ErrorCode::ImageTooLarge, err.to_string())
        }
        other => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            format!("not a usable PNG, JPEG or WebP image: {other}"),
        ),
    })?;
    if header.decode_bytes() > MAX_DECODE_BYTES {
        return Err(ApiError::new(
            ErrorCode::ImageTooLarge,
            format!(
                "decoding this {}×{} image would take {:.1} MiB; this proxy decodes at most \
                 {} MiB (scale it down)",
                header.width,
                header.height,
                header.decode_bytes() as f64 / f64::from(1 << 20),
                MAX_DECODE_BYTES >> 20
            ),
        ));
    }
    if header.width.min(header.height) < MIN_SIDE {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            format!(
                "the image is {}×{}; a search needs at least {MIN_SIDE} pixels a side",
                header.width, header.height
            ),
        ));
    }
    Ok(header)
}

/// A text query: not blank, at most [`MAX_QUERY_CHARS`] characters.
pub fn check_query(query: &str) -> Result<(), ApiError> {
    let chars = query.chars().count();
    if query.trim().is_empty() {
        return Err(ApiError::new(ErrorCode::BadRequest, "the query is empty"));
    }
    if chars > MAX_QUERY_CHARS {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            format!("the query has {chars} characters; at most {MAX_QUERY_CHARS} are accepted"),
        ));
    }
    Ok(())
}

/// A number of results: 1 to [`MAX_K`].
pub fn check_k(k: usize) -> Result<(), ApiError> {
    if !(1..=MAX_K).contains(&k) {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            format!("k must be between 1 and {MAX_K}, not {k}"),
        ));
    }
    Ok(())
}

/// A trace to share: at most [`MAX_TRACE_BYTES`] (413), a trace of the version this proxy reads
/// whose content matches its id, with nothing the schema lacks (400).
pub fn check_trace(body: &[u8]) -> Result<Trace, ApiError> {
    check_size(body.len(), MAX_TRACE_BYTES)?;
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::new(ErrorCode::InvalidTrace, "the trace is not UTF-8 text"))?;
    Trace::from_json_strict(text)
        .map_err(|err| ApiError::new(ErrorCode::InvalidTrace, err.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        gog_types::image::encode_png(&image::RgbImage::new(width, height))
    }

    /// A PNG whose header declares `width`×`height` but which carries almost no data: what a
    /// decompression bomb looks like before decoding.
    fn declared_png(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = png(1, 1);
        // IHDR's width and height follow the 8-byte signature, the chunk length and type.
        bytes[16..20].copy_from_slice(&width.to_be_bytes());
        bytes[20..24].copy_from_slice(&height.to_be_bytes());
        // The chunk's CRC covers its type and data.
        let crc = crc32fast::hash(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        bytes
    }

    #[test]
    fn images_are_judged_by_bytes_and_header() {
        let header = check_image(&png(40, 30)).expect("a small PNG");
        assert_eq!((header.width, header.height), (40, 30));
        assert_eq!(
            check_image(b"GIF89a........").unwrap_err().code,
            ErrorCode::UnsupportedMediaType
        );
        assert_eq!(
            check_image(b"{\"json\": true}").unwrap_err().code,
            ErrorCode::UnsupportedMediaType
        );
        let bomb = check_image(&declared_png(50_000, 50_000)).unwrap_err();
        assert_eq!(bomb.code, ErrorCode::ImageTooLarge);
        assert_eq!(bomb.code.status(), 422);
        let big = vec![0u8; MAX_IMAGE_BYTES + 1];
        assert_eq!(check_image(&big).unwrap_err().code.status(), 413);
        // A signature followed by junk is not an image, however the junk reads as a size.
        let signature = &png(1, 1)[..8];
        for junk in [&b"<html><body>hello</body></html>"[..], &[0u8; 64]] {
            let refused = check_image(&[signature, junk].concat()).unwrap_err();
            assert_eq!(refused.code.status(), 415, "{}", refused.message);
        }
        // Within 40 MP but over the Worker's decode budget: 8-bit RGB takes 10 bytes a pixel
        // to decode, so 1,600 × 1,600 take 24.4 MiB.
        assert!(check_image(&declared_png(1_500, 1_500)).is_ok());
        let over = check_image(&declared_png(1_600, 1_600)).unwrap_err();
        assert_eq!(
            (over.code.status(), over.code),
            (422, ErrorCode::ImageTooLarge)
        );
        assert_eq!(check_image(&png(4, 64)).unwrap_err().code.status(), 400);
    }

    #[test]
    fn queries_and_k_are_bounded() {
        assert!(check_query("eiffel tower").is_ok());
        assert_eq!(check_query("  ").unwrap_err().code, ErrorCode::BadRequest);
        assert!(check_query(&"é".repeat(MAX_QUERY_CHARS)).is_ok());
        assert!(check_query(&"é".repeat(MAX_QUERY_CHARS + 1)).is_err());
        assert!(check_k(1).is_ok() && check_k(MAX_K).is_ok());
        assert!(check_k(0).is_err() && check_k(MAX_K + 1).is_err());
    }

    #[test]
    fn traces_must_match_their_id() {
        let garbage = check_trace(b"{\"version\": 1}").unwrap_err();
        assert_eq!(
            (garbage.code, garbage.code.status()),
            (ErrorCode::InvalidTrace, 400)
        );
        assert_eq!(
            check_trace(&[0xff, 0xfe]).unwrap_err().code,
            ErrorCode::InvalidTrace
        );
        let huge = vec![b' '; MAX_TRACE_BYTES + 1];
        assert_eq!(check_trace(&huge).unwrap_err().code.status(), 413);
    }
}
