//! Reverse-image-search input: any bytes decode to a picture or give a `SearchError`, a decoded
//! picture can always be described, and its size is the one its header declared.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    if let Ok(picture) = gog_types::image::decode(bytes) {
        let header = gog_types::image::inspect(bytes).expect("a decoded image has a header");
        assert_eq!(picture.dimensions(), (header.width, header.height));
        let _ = gog_search::image::Prepared::new(&picture).describe_whole();
    }
});
