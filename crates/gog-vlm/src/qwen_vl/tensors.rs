//! The Qwen-VL families' tensor names, declared once. The loaders ([`super::vision`],
//! [`super::text`], [`super::QwenVl`]) ask the checkpoint for them, and the converter
//! (`crate::convert`) uses them to pick the tensors a package quantises and to order its shards
//! as the loaders read them. Names here are logical (`language_model.…`, `visual.…`, `lm_head`);
//! `crate::checkpoint` maps them to the layouts transformers stores.

use super::config::Family;

/// The vision tower's tensors start with this.
const VISION: &str = "visual.";
/// The patch embedding (a 3-D convolution, stored as such).
pub const PATCH_EMBED: &str = "visual.patch_embed.proj";
/// Qwen3-VL's learned position table.
pub const POSITION_TABLE: &str = "visual.pos_embed.weight";
/// Vision block N's tensors start with this and N.
const VISION_BLOCKS: &str = "visual.blocks.";
/// The merger that turns the tower's patches into the decoder's tokens.
const MERGER: &str = "visual.merger";
/// Qwen3-VL's DeepStack mergers, whose outputs are added to early decoder layers.
const DEEPSTACK_MERGERS: &str = "visual.deepstack_merger_list.";
pub const TOKEN_EMBEDDING: &str = "language_model.embed_tokens";
/// Decoder layer N's tensors start with this and N.
const DECODER_LAYERS: &str = "language_model.layers.";
pub const FINAL_NORM: &str = "language_model.norm";
/// An untied head; a tied one is the token embedding.
pub const HEAD: &str = "lm_head";

/// A vision block's norms, attention and MLP, under [`vision_block`].
pub const VISION_NORM1: &str = "norm1";
pub const VISION_NORM2: &str = "norm2";
pub const VISION_QKV: &str = "attn.qkv";
pub const VISION_OUT: &str = "attn.proj";
/// A decoder layer's norms, attention and MLP, under [`decoder_layer`].
pub const INPUT_NORM: &str = "input_layernorm";
pub const POST_ATTENTION_NORM: &str = "post_attention_layernorm";
pub const Q_NORM: &str = "self_attn.q_norm";
pub const K_NORM: &str = "self_attn.k_norm";
pub const ATTENTION: &str = "self_attn";
pub const Q_PROJ: &str = "q_proj";
pub const K_PROJ: &str = "k_proj";
pub const V_PROJ: &str = "v_proj";
pub const O_PROJ: &str = "o_proj";
/// Where a block's MLP sits, under the block's prefix.
pub const MLP: &str = "mlp";
const GATE_PROJ: &str = "gate_proj";

/// An MLP's projections, under its prefix.
#[derive(Debug, Clone, Copy)]
pub struct MlpParts {
    /// The gate, in a gated MLP.
    pub gate: Option<&'static str>,
    pub up: &'static str,
    pub down: &'static str,
}

/// The decoder's MLP and Qwen2.5-VL's vision blocks': SiLU-gated.
pub const GATED_MLP: MlpParts = MlpParts {
    gate: Some(GATE_PROJ),
    up: "up_proj",
    down: "down_proj",
};
/// Qwen3-VL's vision blocks' MLP: two layers, no gate.
pub const PLAIN_MLP: MlpParts = MlpParts {
    gate: None,
    up: "linear_fc1",
    down: "linear_fc2",
};

/// A vision block's MLP in a family.
pub fn vision_mlp(family: Family) -> MlpParts {
    match family {
        Family::Qwen2_5Vl => GATED_MLP,
        Family::Qwen3Vl => PLAIN_MLP,
    }
}

/// A merger's norm and two linear layers, under its prefix: Qwen2.5-VL's merger, and
/// Qwen3-VL's merger and DeepStack mergers.
const QWEN2_5_MERGER_PARTS: [&str; 3] = ["ln_q", "mlp.0", "mlp.2"];
const QWEN3_MERGER_PARTS: [&str; 3] = ["norm", "linear_fc1", "linear_fc2"];

pub fn vision_block(index: usize) -> String {
    format!("{VISION_BLOCKS}{index}")
}

pub fn decoder_layer(index: usize) -> String {
    format!("{DECODER_LAYERS}{index}")
}

/// The merger's norm and linear layers in a family.
pub fn merger(family: Family) -> [String; 3] {
    let parts = match family {
        Family::Qwen2_5Vl => QWEN2_5_MERGER_PARTS,
        Family::Qwen3Vl => QWEN3_MERGER_PARTS,
    };
    parts.map(|part| format!("{MERGER}.{part}"))
}

/// DeepStack merger `index`'s norm and linear layers (Qwen3-VL).
pub fn deepstack_merger(index: usize) -> [String; 3] {
    QWEN3_MERGER_PARTS.map(|part| format!("{DEEPSTACK_MERGERS}{index}.{part}"))
}

/// Whether a logical tensor is one of the decoder layers' linear weights, or an untied head:
/// what packages quantise.
pub fn is_decoder_projection(logical: &str) -> bool {
    let in_layer = logical
        .strip_prefix(DECODER_LAYERS)
        .and_then(|rest| rest.split_once('.'))
        .map(|(_, within)| within);
    let projections = [Q_PROJ, K_PROJ, V_PROJ, O_PROJ].map(|p| format!("{ATTENTION}.{p}"));
    let mlp = [GATE_PROJ, GATED_MLP.up, GATED_MLP.down].map(|p| format!("{MLP}.{p}"));
    let is_projection = |within: &str| {
        projections
            .iter()
            .chain(&mlp)
            .any(|projection| within == format!("{projection}.weight"))
    };
    in_layer.is_some_and(is_projection) || logical == format!("{HEAD}.weight")
}

/// Where a logical tensor comes in the order the loaders read weights: the vision tower (patch
/// embedding and position table, blocks in order, merger, DeepStack mergers in order), the
/// token embedding, the decoder layers in order, the final norm, the head; within a block, its
/// norms, attention, then MLP projections; each projection's scales, weight, then bias.
pub fn loading_rank(logical: &str) -> (u8, usize, u8, u8) {
    let index_after = |prefix: &str| -> Option<usize> {
        logical
            .strip_prefix(prefix)?
            .split('.')
            .next()?
            .parse()
            .ok()
    };
    let (group, index) = if logical.starts_with(VISION) {
        if let Some(block) = index_after(VISION_BLOCKS) {
            (1, block)
        } else if let Some(merger) = index_after(DEEPSTACK_MERGERS) {
            (3, merger)
        } else if logical.starts_with(MERGER) {
            (2, 0)
        } else {
            (0, 0)
        }
    } else if logical.starts_with(TOKEN_EMBEDDING) {
        (4, 0)
    } else if let Some(layer) = index_after(DECODER_LAYERS) {
        (5, layer)
    } else if logical.starts_with(HEAD) {
        (7, 0)
    } else {
        (6, 0)
    };
    // The first part the name contains decides: every norm ("norm", "ln_q") first, then
    // attention, then the MLP's layers in the order they run.
    let within_block: [(&str, u8); 15] = [
        ("norm", 0),
        (QWEN2_5_MERGER_PARTS[0], 0),
        (VISION_QKV, 1),
        (Q_PROJ, 1),
        (K_PROJ, 2),
        (V_PROJ, 3),
        (VISION_OUT, 4),
        (O_PROJ, 4),
        (GATE_PROJ, 5),
        (GATED_MLP.up, 6),
        (PLAIN_MLP.up, 6),
        (QWEN2_5_MERGER_PARTS[1], 6),
        (GATED_MLP.down, 7),
        (PLAIN_MLP.down, 7),
        (QWEN2_5_MERGER_PARTS[2], 7),
    ];
    let layer = within_block
        .iter()
        .find(|(part, _)| logical.contains(part))
        .map_or(8, |&(_, rank)| rank);
    let piece = if logical.contains(".qscale") {
        0
    } else if logical.contains(".bias") {
        2
    } else {
        1
    };
    (group, index, layer, piece)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decoder_projections_and_an_untied_head_are_what_packages_quantise() {
        for quantised in [
            "language_model.layers.0.self_attn.q_proj.weight",
            "language_model.layers.11.self_attn.o_proj.weight",
            "language_model.layers.3.mlp.gate_proj.weight",
            "language_model.layers.3.mlp.down_proj.weight",
            "lm_head.weight",
        ] {
            assert!(is_decoder_projection(quantised), "{quantised}");
        }
        for kept in [
            "language_model.layers.0.self_attn.q_proj.bias",
            "language_model.layers.0.input_layernorm.weight",
            "language_model.embed_tokens.weight",
            "visual.blocks.0.mlp.gate_proj.weight",
            "visual.blocks.0.attn.qkv.weight",
        ] {
            assert!(!is_decoder_projection(kept), "{kept}");
        }
    }

    #[test]
    fn tensors_are_ranked_in_the_order_the_loaders_read_them() {
        let read_in_order = [
            "visual.patch_embed.proj.weight",
            "visual.blocks.0.norm1.weight",
            "visual.blocks.0.attn.qkv.weight",
            "visual.blocks.0.attn.proj.weight",
            "visual.blocks.0.mlp.linear_fc1.weight",
            "visual.blocks.0.mlp.linear_fc2.weight",
            "visual.blocks.2.norm1.weight",
            "visual.blocks.10.norm1.weight",
            "visual.merger.norm.weight",
            "visual.merger.linear_fc1.weight",
            "visual.deepstack_merger_list.0.norm.weight",
            "language_model.embed_tokens.weight",
            "language_model.layers.0.input_layernorm.weight",
            "language_model.layers.0.self_attn.q_proj.qscale",
            "language_model.layers.0.self_attn.q_proj.qweight",
            "language_model.layers.0.self_attn.q_proj.bias",
            "language_model.layers.0.self_attn.k_proj.qweight",
            "language_model.layers.0.mlp.gate_proj.qweight",
            "language_model.layers.0.mlp.up_proj.qweight",
            "language_model.layers.0.mlp.down_proj.qweight",
            "language_model.layers.1.input_layernorm.weight",
            "language_model.norm.weight",
            "lm_head.qweight",
        ];
        let ranks: Vec<_> = read_in_order
            .iter()
            .map(|name| loading_rank(name))
            .collect();
        for (pair, names) in ranks.windows(2).zip(read_in_order.windows(2)) {
            assert!(
                pair[0] < pair[1],
                "{} should come before {}",
                names[0],
                names[1]
            );
        }
    }
}
