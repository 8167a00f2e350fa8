//! Qt resource files (GCompris's `.rcc`): any bytes give files or an `RccError`, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let _ = gog_corpus::rcc::files(bytes);
});
