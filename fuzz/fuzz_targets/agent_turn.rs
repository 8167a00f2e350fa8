//! An assistant turn, as the model wrote it: any text gives a turn or a typed protocol error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = gog_agent::parse_turn(text);
    }
});
