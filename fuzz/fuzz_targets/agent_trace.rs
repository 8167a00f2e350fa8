//! A trace file, as someone shares it (a link, or a `PUT` to the proxy, which reads it strictly):
//! any bytes give a trace or a typed error, and a strictly read trace is a trace.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let lenient = gog_agent::Trace::from_json(text);
        if let Ok(strict) = gog_agent::Trace::from_json_strict(text) {
            assert_eq!(lenient.ok().as_ref(), Some(&strict));
        }
    }
});
