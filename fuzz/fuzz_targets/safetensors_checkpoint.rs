//! safetensors shards: any bytes give a checkpoint whose tensors read back, or a
//! `CheckpointError`, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    gog_vlm::fuzzing::checkpoint(bytes);
});
