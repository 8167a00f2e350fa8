//! Whatever a provider answers — or something pretending to be one — parses to results or a
//! typed error; read tokens and signed image URLs of any shape are refused, never a panic.
#![no_main]

use gog_proxy_core::providers::{brave, google_vision, jina, serpapi, serper};
use gog_proxy_core::{image_url, read_token};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = serpapi::parse_lens(data, 5);
    let _ = serpapi::parse_web(data, 5);
    let _ = serper::parse_web(data, 5);
    let _ = brave::parse_web(data, 5);
    let _ = google_vision::parse(data, 5);
    let _ = jina::parse("https://example.org/", data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = gog_proxy_core::providers::plain_text(text);
        let _ = read_token::verify(b"secret", text, 0);
        let _ = image_url::verify(b"secret", "ab", text, 0);
        let _ = jina::request(jina::ORIGIN, None, text);
    }
});
