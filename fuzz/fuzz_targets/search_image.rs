//! Reverse-image-search input: any bytes decode to a picture or give a `SearchError`, and a
//! decoded picture can always be described.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    if let Ok(picture) = gog_search::image::decode(bytes) {
        let _ = gog_search::image::Prepared::new(&picture).describe_whole();
    }
});
