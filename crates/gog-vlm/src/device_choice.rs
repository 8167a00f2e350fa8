//! Which device a model runs on when the person leaves the choice to the runtime.
//!
//! WebGPU pays a fixed cost per kernel dispatch and a readback per generated token; the CPU
//! kernel pays per weight read. A small model's arithmetic is cheaper than WebGPU's overheads,
//! so it runs faster on the CPU: the shipped tiny test model decoded at 170–360 tokens/s on the
//! in-browser CPU kernel against 0.4–1.6 on Chromium's software adapter (measured by hand in
//! the demo). A software adapter (SwiftShader, llvmpipe) is the CPU
//! emulating a GPU, slower than the CPU kernel for every model size.

use crate::AdapterInfo;
use crate::qwen_vl::config::TextConfig;

/// Under this many weights read per decoded token, `Auto` keeps a model on the CPU even with a
/// hardware adapter: there the CPU kernel decodes in a few milliseconds a token, which a GPU's
/// per-dispatch and readback latency (about a hundred dispatches a token) does not beat.
pub const CPU_BELOW_WEIGHTS_PER_TOKEN: u64 = 30_000_000;

/// The weights read to decode one token: every decoder layer's projections and the output
/// head. The vision encoder runs once per image and does not count.
pub fn weights_per_token(text: &TextConfig) -> u64 {
    let h = text.hidden_size as u64;
    let q = (text.num_attention_heads * text.head_dim) as u64;
    let kv = (text.num_key_value_heads * text.head_dim) as u64;
    let mlp = text.intermediate_size as u64;
    let layer = h * q + 2 * h * kv + q * h + 3 * h * mlp;
    text.num_hidden_layers as u64 * layer + text.vocab_size as u64 * h
}

/// Why `Auto` runs a model of `weights` weights per token on the CPU before asking for an
/// adapter; `None` when it should try WebGPU.
pub fn auto_cpu_for_size(weights: u64) -> Option<String> {
    (weights < CPU_BELOW_WEIGHTS_PER_TOKEN).then(|| {
        format!(
            "chosen automatically: a model this small ({} weights per token) runs faster on the \
             CPU than through WebGPU's dispatches",
            in_words(weights)
        )
    })
}

/// "5.8 M", "166 k": a count as people read it.
fn in_words(count: u64) -> String {
    if count >= 1_000_000 {
        format!("{:.1} M", count as f64 / 1e6)
    } else {
        format!("{:.0} k", count as f64 / 1e3)
    }
}

/// Why `Auto` runs on the CPU although WebGPU gave `adapter`; `None` when the adapter is worth
/// using.
pub fn auto_cpu_for_adapter(adapter: &AdapterInfo) -> Option<String> {
    is_software(adapter).then(|| {
        format!(
            "chosen automatically: this browser's WebGPU adapter ({}) is a software one, slower \
             than the CPU kernel",
            adapter.name
        )
    })
}

/// A software adapter: flagged as a fallback, or named as one of the known software renderers.
fn is_software(adapter: &AdapterInfo) -> bool {
    let named = format!("{} {}", adapter.name, adapter.driver).to_lowercase();
    adapter.is_fallback
        || ["swiftshader", "llvmpipe", "lavapipe", "software", "warp"]
            .iter()
            .any(|word| named.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapter(name: &str, is_fallback: bool) -> AdapterInfo {
        AdapterInfo {
            name: name.into(),
            is_fallback,
            backend: "BrowserWebGpu".into(),
            driver: String::new(),
            shader_f16: false,
            max_buffer_size: 1 << 30,
            max_storage_buffer_binding_size: 1 << 27,
        }
    }

    fn text(hidden: usize, layers: usize, mlp: usize, vocab: usize) -> TextConfig {
        TextConfig {
            vocab_size: vocab,
            hidden_size: hidden,
            intermediate_size: mlp,
            num_hidden_layers: layers,
            num_attention_heads: hidden / 128,
            num_key_value_heads: hidden / 256,
            head_dim: 128,
            rms_norm_eps: 1e-6,
            max_position_embeddings: 4096,
            rope_theta: 5e6,
            mrope_section: [24, 20, 20],
            mrope_interleaved: true,
            qkv_bias: false,
            qk_norm: true,
        }
    }

    #[test]
    fn gog_tiny_stays_on_the_cpu_and_a_2b_model_tries_webgpu() {
        // GoG-Tiny's 10m preset: 6 layers of 256 wide, a 768-wide MLP, 4,096 tokens; two query
        // heads and one key-value head of 128 here.
        let tiny = weights_per_token(&text(256, 6, 768, 4096));
        assert_eq!(
            tiny,
            6 * (256 * 256 * 2 + 2 * 256 * 128 + 3 * 256 * 768) + 4096 * 256
        );
        assert!(
            auto_cpu_for_size(tiny).is_some_and(|why| why.contains("(5.8 M weights per token)"))
        );
        assert_eq!(in_words(165_856), "166 k");
        // Qwen3-VL-2B's decoder: 28 layers of 2,048, a 6,144-wide MLP, 151,936 tokens.
        let two_b = weights_per_token(&text(2048, 28, 6144, 151_936));
        assert!(two_b > 1_500_000_000, "{two_b}");
        assert_eq!(auto_cpu_for_size(two_b), None);
    }

    #[test]
    fn software_adapters_are_passed_over_and_hardware_ones_kept() {
        let swiftshader = adapter("Google SwiftShader", false);
        assert!(auto_cpu_for_adapter(&swiftshader).is_some_and(|why| why.contains("software")));
        assert!(auto_cpu_for_adapter(&adapter("anything", true)).is_some());
        assert_eq!(
            auto_cpu_for_adapter(&adapter("NVIDIA GeForce RTX 4090", false)),
            None
        );
    }
}
