//! What this browser's WebGPU adapter is and allows, as the status panel shows it.
//!
//! The model runtime negotiates its own device inside the model worker; this only asks the
//! browser (through `gog-webgpu`), so the start page can say early whether the model will run on
//! the GPU.

pub use gog_webgpu::{AdapterReport, WebGpuStatus, probe};

/// Bytes as a person reads them: `1 GiB`, `256 MiB`, `4096 B`.
pub fn format_bytes(bytes: f64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 {
        format!("{value} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
