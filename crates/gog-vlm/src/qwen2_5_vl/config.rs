//! Qwen2.5-VL's configuration, read straight from a Hugging Face `config.json`.
//!
//! Two layouts exist: transformers ≥ 5 nests the decoder's settings under `text_config` and
//! writes `rope_parameters`; checkpoints saved before that keep them at the top level with
//! `rope_theta` and `rope_scaling.mrope_section`. Both are read into the same structs.

use crate::config_error::ConfigError;
use serde::Deserialize;
use serde_json::Value;

/// The decoder (a Qwen2 language model with M-RoPE).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TextConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub num_key_value_heads: usize,
    #[serde(default = "default_rms_norm_eps")]
    pub rms_norm_eps: f64,
    pub max_position_embeddings: usize,
    #[serde(skip)]
    pub rope_theta: f64,
    /// Frequencies of each head given to the temporal, height and width positions.
    #[serde(skip)]
    pub mrope_section: [usize; 3],
}

fn default_rms_norm_eps() -> f64 {
    1e-6
}

impl TextConfig {
    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads
    }
}

/// The vision transformer and its patch merger.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VisionConfig {
    pub depth: usize,
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_heads: usize,
    /// Width of the merged tokens handed to the decoder (its hidden size).
    pub out_hidden_size: usize,
    pub patch_size: usize,
    pub spatial_merge_size: usize,
    pub temporal_patch_size: usize,
    /// Side of an attention window, in pixels.
    pub window_size: usize,
    /// Blocks that attend across the whole image instead of within windows.
    pub fullatt_block_indexes: Vec<usize>,
    #[serde(default = "default_in_channels", alias = "in_chans")]
    pub in_channels: usize,
}

fn default_in_channels() -> usize {
    3
}

impl VisionConfig {
    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_heads
    }
}

/// A whole Qwen2.5-VL model.
#[derive(Debug, Clone, PartialEq)]
pub struct Qwen2_5VlConfig {
    pub text: TextConfig,
    pub vision: VisionConfig,
    pub image_token_id: u32,
    pub video_token_id: u32,
    pub vision_start_token_id: u32,
    pub vision_end_token_id: u32,
    /// The output head reuses the token embedding.
    pub tie_word_embeddings: bool,
}

impl Qwen2_5VlConfig {
    pub const MODEL_TYPE: &'static str = "qwen2_5_vl";

    /// Parses and checks a `config.json`.
    pub fn from_json(json: &str) -> Result<Self, ConfigError> {
        let root: Value =
            serde_json::from_str(json).map_err(|err| ConfigError::Json(err.to_string()))?;
        let model_type = root.get("model_type").and_then(Value::as_str).unwrap_or("");
        if model_type != Self::MODEL_TYPE {
            return Err(ConfigError::Architecture {
                expected: Self::MODEL_TYPE,
                found: model_type.to_owned(),
            });
        }
        let text_root = root.get("text_config").unwrap_or(&root);
        let mut text: TextConfig = field_struct(text_root, "text_config")?;
        let (rope_theta, mrope_section) = rope(text_root)?;
        text.rope_theta = rope_theta;
        text.mrope_section = mrope_section;
        let vision: VisionConfig = field_struct(
            root.get("vision_config").ok_or(ConfigError::Missing {
                field: "vision_config".into(),
            })?,
            "vision_config",
        )?;
        let token = |name: &str| -> Result<u32, ConfigError> {
            let value = root
                .get(name)
                .or_else(|| text_root.get(name))
                .ok_or_else(|| ConfigError::Missing { field: name.into() })?;
            value
                .as_u64()
                .and_then(|id| u32::try_from(id).ok())
                .ok_or_else(|| ConfigError::invalid(name, "is not a token id"))
        };
        let tie_word_embeddings = root
            .get("tie_word_embeddings")
            .or_else(|| text_root.get("tie_word_embeddings"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let config = Qwen2_5VlConfig {
            image_token_id: token("image_token_id")?,
            video_token_id: token("video_token_id")?,
            vision_start_token_id: token("vision_start_token_id")?,
            vision_end_token_id: token("vision_end_token_id")?,
            tie_word_embeddings,
            text,
            vision,
        };
        config.check()?;
        Ok(config)
    }

    /// The shape rules the model's code relies on.
    fn check(&self) -> Result<(), ConfigError> {
        let text = &self.text;
        if text.num_attention_heads == 0
            || !text.hidden_size.is_multiple_of(text.num_attention_heads)
        {
            return Err(ConfigError::invalid(
                "text_config.num_attention_heads",
                format!("must divide hidden_size {}", text.hidden_size),
            ));
        }
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
        if 2 * text.mrope_section.iter().sum::<usize>() != text.head_dim() {
            return Err(ConfigError::invalid(
                "mrope_section",
                format!(
                    "{:?} must add up to half the head dimension ({})",
                    text.mrope_section,
                    text.head_dim() / 2
                ),
            ));
        }
        let vision = &self.vision;
        if vision.num_heads == 0
            || !vision.hidden_size.is_multiple_of(vision.num_heads)
            || !vision.head_dim().is_multiple_of(4)
        {
            return Err(ConfigError::invalid(
                "vision_config.num_heads",
                "must divide hidden_size into heads whose size is a multiple of 4 (2-D rotary halves)",
            ));
        }
        let token_side = vision.patch_size * vision.spatial_merge_size;
        if token_side == 0 || !vision.window_size.is_multiple_of(token_side) {
            return Err(ConfigError::invalid(
                "vision_config.window_size",
                format!("must be a multiple of patch_size × spatial_merge_size ({token_side})"),
            ));
        }
        if let Some(block) = vision
            .fullatt_block_indexes
            .iter()
            .find(|&&b| b >= vision.depth)
        {
            return Err(ConfigError::invalid(
                "vision_config.fullatt_block_indexes",
                format!("names block {block}, but depth is {}", vision.depth),
            ));
        }
        if vision.in_channels != 3 {
            return Err(ConfigError::invalid(
                "vision_config.in_channels",
                "must be 3 (RGB)",
            ));
        }
        Ok(())
    }
}

/// Deserialises a section, naming the section and field on failure.
fn field_struct<T: for<'de> Deserialize<'de>>(
    value: &Value,
    section: &str,
) -> Result<T, ConfigError> {
    T::deserialize(value).map_err(|err| {
        let message = err.to_string();
        match message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split_once('`'))
        {
            Some((field, _)) => ConfigError::Missing {
                field: format!("{section}.{field}"),
            },
            None => ConfigError::invalid(section, message),
        }
    })
}

/// `(rope_theta, mrope_section)` from either layout.
fn rope(text: &Value) -> Result<(f64, [usize; 3]), ConfigError> {
    let parameters = text.get("rope_parameters");
    let theta = parameters
        .and_then(|p| p.get("rope_theta"))
        .or_else(|| text.get("rope_theta"))
        .and_then(Value::as_f64)
        .ok_or_else(|| ConfigError::Missing {
            field: "rope_theta".into(),
        })?;
    let section = parameters
        .and_then(|p| p.get("mrope_section"))
        .or_else(|| {
            text.get("rope_scaling")
                .and_then(|s| s.get("mrope_section"))
        })
        .ok_or_else(|| ConfigError::Missing {
            field: "mrope_section".into(),
        })?;
    let section: Vec<usize> = serde_json::from_value(section.clone())
        .map_err(|_| ConfigError::invalid("mrope_section", "must be a list of three counts"))?;
    let section: [usize; 3] = section.try_into().map_err(|_| {
        ConfigError::invalid("mrope_section", "must have exactly three entries (t, h, w)")
    })?;
    Ok((theta, section))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of a pre-transformers-5 hub checkpoint (Qwen2.5-VL-3B-Instruct's layout).
    const FLAT_3B: &str = r#"{
        "architectures": ["Qwen2_5_VLForConditionalGeneration"],
        "model_type": "qwen2_5_vl",
        "vocab_size": 151936, "hidden_size": 2048, "intermediate_size": 11008,
        "num_hidden_layers": 36, "num_attention_heads": 16, "num_key_value_heads": 2,
        "rms_norm_eps": 1e-06, "max_position_embeddings": 128000, "rope_theta": 1000000.0,
        "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]},
        "tie_word_embeddings": true,
        "image_token_id": 151655, "video_token_id": 151656,
        "vision_start_token_id": 151652, "vision_end_token_id": 151653,
        "vision_config": {
            "depth": 32, "hidden_size": 1280, "intermediate_size": 3420, "num_heads": 16,
            "out_hidden_size": 2048, "patch_size": 14, "spatial_merge_size": 2,
            "temporal_patch_size": 2, "window_size": 112, "fullatt_block_indexes": [7, 15, 23, 31],
            "in_chans": 3, "hidden_act": "silu", "tokens_per_second": 2
        }
    }"#;

    #[test]
    fn reads_the_flat_hub_layout() {
        let config = Qwen2_5VlConfig::from_json(FLAT_3B).unwrap();
        assert_eq!(config.text.head_dim(), 128);
        assert_eq!(config.text.mrope_section, [16, 24, 24]);
        assert_eq!(config.text.rope_theta, 1e6);
        assert_eq!(config.vision.fullatt_block_indexes, [7, 15, 23, 31]);
        assert_eq!(config.image_token_id, 151_655);
        assert!(config.tie_word_embeddings);
    }

    #[test]
    fn names_what_is_wrong() {
        let other = FLAT_3B.replace("\"qwen2_5_vl\"", "\"llava\"");
        assert_eq!(
            Qwen2_5VlConfig::from_json(&other).unwrap_err().to_string(),
            "config.json describes a \"llava\" model; this loader reads \"qwen2_5_vl\""
        );
        let no_layers = FLAT_3B.replace("\"num_hidden_layers\": 36,", "");
        assert_eq!(
            Qwen2_5VlConfig::from_json(&no_layers).unwrap_err(),
            ConfigError::Missing {
                field: "text_config.num_hidden_layers".into()
            }
        );
        let bad_rope = FLAT_3B.replace("[16, 24, 24]", "[16, 24, 16]");
        assert!(
            Qwen2_5VlConfig::from_json(&bad_rope)
                .unwrap_err()
                .to_string()
                .contains("must add up to half the head dimension (64)")
        );
        let bad_window = FLAT_3B.replace("\"window_size\": 112", "\"window_size\": 100");
        assert!(matches!(
            Qwen2_5VlConfig::from_json(&bad_window),
            Err(ConfigError::Invalid { .. })
        ));
        assert!(matches!(
            Qwen2_5VlConfig::from_json("{"),
            Err(ConfigError::Json(_))
        ));
    }
}
