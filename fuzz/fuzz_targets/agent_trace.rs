//! A trace file, as someone shares it: any bytes give a trace or a typed error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = gog_agent::Trace::from_json(text);
    }
});
