//! The checks a Qwen-VL `config.json` passes before a model is built: every size within bounds
//! before any arithmetic on it, then the shape rules the model's code relies on, each failure
//! naming its field.

use super::config::{QwenVlConfig, VisionAttention};
use crate::config_error::ConfigError;

impl QwenVlConfig {
    /// The shape rules the model's code relies on.
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        self.check_bounds()?;
        let text = &self.text;
        check_nonzero(
            "text_config",
            &[
                ("vocab_size", text.vocab_size),
                ("hidden_size", text.hidden_size),
                ("intermediate_size", text.intermediate_size),
                ("num_hidden_layers", text.num_hidden_layers),
                ("head_dim", text.head_dim),
                ("max_position_embeddings", text.max_position_embeddings),
                ("num_attention_heads", text.num_attention_heads),
            ],
        )?;
        if text.num_key_value_heads == 0
            || !text
                .num_attention_heads
                .is_multiple_of(text.num_key_value_heads)
        {
            return Err(ConfigError::invalid(
                "text_config.num_key_value_heads",
                format!(
                    "must divide num_attention_heads {}",
                    text.num_attention_heads
                ),
            ));
        }
        if 2 * text.mrope_section.iter().sum::<usize>() != text.head_dim {
            return Err(ConfigError::invalid(
                "mrope_section",
                format!(
                    "{:?} must add up to half the head dimension ({})",
                    text.mrope_section,
                    text.head_dim / 2
                ),
            ));
        }
        let vision = &self.vision;
        check_nonzero(
            "vision_config",
            &[
                ("depth", vision.depth),
                ("intermediate_size", vision.intermediate_size),
                ("out_hidden_size", vision.out_hidden_size),
                ("patch_size", vision.patch_size),
                ("spatial_merge_size", vision.spatial_merge_size),
                ("temporal_patch_size", vision.temporal_patch_size),
            ],
        )?;
        if vision.num_heads == 0
            || !vision.hidden_size.is_multiple_of(vision.num_heads)
            || !vision.head_dim().is_multiple_of(4)
            || vision.head_dim() == 0
        {
            return Err(ConfigError::invalid(
                "vision_config.num_heads",
                "must divide hidden_size into heads whose size is a multiple of 4 (2-D rotary halves)",
            ));
        }
        if let VisionAttention::Windowed {
            window_size,
            fullatt_block_indexes,
        } = &vision.attention
        {
            let token_side = vision.patch_size * vision.spatial_merge_size;
            if *window_size == 0 || !window_size.is_multiple_of(token_side) {
                return Err(ConfigError::invalid(
                    "vision_config.window_size",
                    format!(
                        "must be a positive multiple of patch_size × spatial_merge_size ({token_side})"
                    ),
                ));
            }
            check_blocks(
                "vision_config.fullatt_block_indexes",
                fullatt_block_indexes,
                vision.depth,
            )?;
        }
        check_blocks(
            "vision_config.deepstack_visual_indexes",
            &vision.deepstack_visual_indexes,
            vision.depth,
        )?;
        if vision.deepstack_visual_indexes.len() > text.num_hidden_layers {
            return Err(ConfigError::invalid(
                "vision_config.deepstack_visual_indexes",
                "feeds more decoder layers than there are",
            ));
        }
        if let Some(entries) = vision.num_position_embeddings {
            let side = entries.isqrt();
            if side < 2 || side * side != entries {
                return Err(ConfigError::invalid(
                    "vision_config.num_position_embeddings",
                    "must be a square grid of at least 2×2",
                ));
            }
        }
        if vision.in_channels != 3 {
            return Err(ConfigError::invalid(
                "vision_config.in_channels",
                "must be 3 (RGB)",
            ));
        }
        if vision.out_hidden_size != text.hidden_size {
            return Err(ConfigError::invalid(
                "vision_config.out_hidden_size",
                format!("must equal the decoder's hidden_size {}", text.hidden_size),
            ));
        }
        Ok(())
    }
}

/// No real model comes near these; above them sizes would overflow the arithmetic on them.
const MAX_SIZE: usize = 1 << 20;
const MAX_VOCAB: usize = 1 << 22;
const MAX_POSITIONS: usize = 1 << 24;

impl QwenVlConfig {
    /// Every size within bounds, before any arithmetic on them.
    fn check_bounds(&self) -> Result<(), ConfigError> {
        let (text, vision) = (&self.text, &self.vision);
        let sizes = [
            ("text_config.hidden_size", text.hidden_size, MAX_SIZE),
            (
                "text_config.intermediate_size",
                text.intermediate_size,
                MAX_SIZE,
            ),
            (
                "text_config.num_hidden_layers",
                text.num_hidden_layers,
                4096,
            ),
            (
                "text_config.num_attention_heads",
                text.num_attention_heads,
                4096,
            ),
            (
                "text_config.num_key_value_heads",
                text.num_key_value_heads,
                4096,
            ),
            ("text_config.head_dim", text.head_dim, 4096),
            ("text_config.vocab_size", text.vocab_size, MAX_VOCAB),
            (
                "text_config.max_position_embeddings",
                text.max_position_embeddings,
                MAX_POSITIONS,
            ),
            (
                "mrope_section",
                text.mrope_section.iter().copied().max().unwrap_or(0),
                4096,
            ),
            ("vision_config.depth", vision.depth, 4096),
            ("vision_config.hidden_size", vision.hidden_size, MAX_SIZE),
            (
                "vision_config.intermediate_size",
                vision.intermediate_size,
                MAX_SIZE,
            ),
            ("vision_config.num_heads", vision.num_heads, 4096),
            (
                "vision_config.out_hidden_size",
                vision.out_hidden_size,
                MAX_SIZE,
            ),
            ("vision_config.patch_size", vision.patch_size, 256),
            (
                "vision_config.spatial_merge_size",
                vision.spatial_merge_size,
                16,
            ),
            (
                "vision_config.temporal_patch_size",
                vision.temporal_patch_size,
                16,
            ),
            ("vision_config.in_channels", vision.in_channels, 16),
            (
                "vision_config.num_position_embeddings",
                vision.num_position_embeddings.unwrap_or(0),
                MAX_SIZE,
            ),
        ];
        for (field, value, limit) in sizes {
            if value > limit {
                return Err(ConfigError::invalid(
                    field,
                    format!("is {value}; at most {limit} is supported"),
                ));
            }
        }
        if let VisionAttention::Windowed { window_size, .. } = &vision.attention
            && *window_size > MAX_SIZE
        {
            return Err(ConfigError::invalid(
                "vision_config.window_size",
                format!("is {window_size}; at most {MAX_SIZE} is supported"),
            ));
        }
        if !(text.rope_theta.is_finite()
            && vision.rope_theta.is_finite()
            && vision.rope_theta > 1.0)
        {
            return Err(ConfigError::invalid(
                "vision_config.rope_parameters.rope_theta",
                "must be a finite number above 1",
            ));
        }
        Ok(())
    }
}

/// The first of `fields` (in `section`) that is 0, as the error naming it.
fn check_nonzero(section: &str, fields: &[(&str, usize)]) -> Result<(), ConfigError> {
    match fields.iter().find(|(_, value)| *value == 0) {
        Some((field, _)) => Err(ConfigError::invalid(
            &format!("{section}.{field}"),
            "must not be 0",
        )),
        None => Ok(()),
    }
}

fn check_blocks(field: &str, blocks: &[usize], depth: usize) -> Result<(), ConfigError> {
    match blocks.iter().find(|&&block| block >= depth) {
        Some(block) => Err(ConfigError::invalid(
            field,
            format!("names block {block}, but depth is {depth}"),
        )),
        None => Ok(()),
    }
}
