//! A Qwen-VL model's configuration, read straight from its Hugging Face `config.json`.
//!
//! Both families share one shape: a vision transformer whose patches are merged 2×2 into decoder
//! tokens, and a Qwen decoder with multimodal rotary positions. What differs is named here
//! ([`Family`], [`VisionAttention`], the decoder's `qkv_bias`/`qk_norm`/`mrope_interleaved`).
//!
//! Two layouts exist: transformers ≥ 5 nests the decoder's settings under `text_config` and
//! writes `rope_parameters`; checkpoints saved before that keep Qwen2.5-VL's decoder settings at
//! the top level and write `rope_theta` with `rope_scaling`. Both are read into the same structs.

use crate::config_error::ConfigError;
pub use crate::nn::mlp::Activation;
use serde::Deserialize;
use serde_json::Value;

/// Which Qwen-VL generation a checkpoint belongs to: its architecture, as the runtime builds it.
///
/// `gog_agent::Family` is a different thing with overlapping names: how a model is *prompted*
/// (GoG-Tiny is a Qwen3-VL architecture with prompts of its own). The two crates do not depend
/// on each other (the runtime knows nothing of the agent), and `gog-vlm-policy`, which joins
/// them, maps one to the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `qwen2_5_vl`: window attention, RMSNorm and gated-SiLU vision blocks; sectioned M-RoPE.
    Qwen2_5Vl,
    /// `qwen3_vl`: learned position embeddings, LayerNorm vision blocks, DeepStack; interleaved
    /// M-RoPE and QK-norm in the decoder.
    Qwen3Vl,
}

impl Family {
    /// The `model_type` this family writes in `config.json`.
    pub fn model_type(self) -> &'static str {
        match self {
            Family::Qwen2_5Vl => "qwen2_5_vl",
            Family::Qwen3Vl => "qwen3_vl",
        }
    }

    fn from_model_type(model_type: &str) -> Option<Self> {
        [Family::Qwen2_5Vl, Family::Qwen3Vl]
            .into_iter()
            .find(|family| family.model_type() == model_type)
    }
}

/// The decoder: a Qwen language model with multimodal rotary positions.
#[derive(Debug, Clone, PartialEq)]
pub struct TextConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub num_key_value_heads: usize,
    pub head_dim: usize,
    pub rms_norm_eps: f64,
    pub max_position_embeddings: usize,
    pub rope_theta: f64,
    /// How many rotary frequencies follow the temporal, height and width positions.
    pub mrope_section: [usize; 3],
    /// Qwen3-VL interleaves the three axes' frequencies (t h w t h w …) instead of giving each
    /// axis a contiguous section.
    pub mrope_interleaved: bool,
    /// Biases on the query, key and value projections (Qwen2.5-VL).
    pub qkv_bias: bool,
    /// RMSNorm over each query and key head before the rotation (Qwen3-VL).
    pub qk_norm: bool,
}

/// How the vision transformer's blocks attend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VisionAttention {
    /// Every block attends across the whole image.
    Full,
    /// Blocks attend within square windows, except the listed full-attention blocks.
    Windowed {
        /// Side of a window, in pixels.
        window_size: usize,
        fullatt_block_indexes: Vec<usize>,
    },
}

/// The vision transformer and its patch merger.
#[derive(Debug, Clone, PartialEq)]
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
    pub in_channels: usize,
    pub hidden_act: Activation,
    pub rope_theta: f64,
    pub attention: VisionAttention,
    /// Entries of the learned position-embedding grid (a square), when the family has one.
    pub num_position_embeddings: Option<usize>,
    /// Blocks whose outputs are merged and added to the first decoder layers (DeepStack).
    pub deepstack_visual_indexes: Vec<usize>,
}

impl VisionConfig {
    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_heads
    }

    /// Length of one flattened patch: channels × frames × pixels.
    pub fn patch_len(&self) -> usize {
        self.in_channels * self.temporal_patch_size * self.patch_size * self.patch_size
    }

    /// Width of a merged token before the merger's projection.
    pub fn merged_size(&self) -> usize {
        self.hidden_size * self.spatial_merge_size * self.spatial_merge_size
    }
}

/// The special tokens that frame images in a prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisionTokens {
    pub image: u32,
    pub video: u32,
    pub vision_start: u32,
    pub vision_end: u32,
}

/// A whole Qwen-VL model.
#[derive(Debug, Clone, PartialEq)]
pub struct QwenVlConfig {
    pub family: Family,
    pub text: TextConfig,
    pub vision: VisionConfig,
    pub tokens: VisionTokens,
    /// The output head reuses the token embedding.
    pub tie_word_embeddings: bool,
    /// The prompts the checkpoint was trained on, when it names them
    /// (`"gog_prompt_family"`, as GoG's own models do); the runtime only passes the name on.
    pub prompt_family: Option<String>,
}

/// The decoder fields read as they are; the rest is derived per family.
#[derive(Deserialize)]
struct TextFields {
    vocab_size: usize,
    hidden_size: usize,
    intermediate_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    num_key_value_heads: usize,
    head_dim: Option<usize>,
    #[serde(default = "default_rms_norm_eps")]
    rms_norm_eps: f64,
    max_position_embeddings: usize,
    #[serde(default)]
    attention_bias: bool,
    #[serde(default = "default_silu")]
    hidden_act: Activation,
}

#[derive(Deserialize)]
struct VisionFields {
    depth: usize,
    hidden_size: usize,
    intermediate_size: usize,
    num_heads: usize,
    out_hidden_size: usize,
    patch_size: usize,
    spatial_merge_size: usize,
    temporal_patch_size: usize,
    #[serde(default = "default_in_channels", alias = "in_chans")]
    in_channels: usize,
    hidden_act: Activation,
    window_size: Option<usize>,
    #[serde(default)]
    fullatt_block_indexes: Vec<usize>,
    num_position_embeddings: Option<usize>,
    #[serde(default)]
    deepstack_visual_indexes: Vec<usize>,
    rope_parameters: Option<VisionRope>,
}

#[derive(Deserialize)]
struct VisionRope {
    rope_theta: f64,
}

fn default_rms_norm_eps() -> f64 {
    1e-6
}

fn default_silu() -> Activation {
    Activation::Silu
}

fn default_in_channels() -> usize {
    3
}

/// The vision rotary base every released Qwen-VL uses when the config does not say.
const DEFAULT_VISION_ROPE_THETA: f64 = 10_000.0;

impl QwenVlConfig {
    /// Parses and checks a `config.json` of either family.
    pub fn from_json(json: &str) -> Result<Self, ConfigError> {
        let root: Value =
            serde_json::from_str(json).map_err(|err| ConfigError::Json(err.to_string()))?;
        let model_type = root.get("model_type").and_then(Value::as_str).unwrap_or("");
        let family =
            Family::from_model_type(model_type).ok_or_else(|| ConfigError::Architecture {
                expected: "qwen2_5_vl or qwen3_vl",
                found: model_type.to_owned(),
            })?;
        let text_root = root.get("text_config").unwrap_or(&root);
        let text_fields: TextFields = field_struct(text_root, "text_config")?;
        if text_fields.hidden_act != Activation::Silu {
            return Err(ConfigError::invalid(
                "text_config.hidden_act",
                "must be \"silu\" (the decoder's gated MLP)",
            ));
        }
        let rope = Rope::read(text_root)?;
        let heads = text_fields.num_attention_heads;
        let text = TextConfig {
            head_dim: text_fields
                .head_dim
                .unwrap_or(text_fields.hidden_size / heads.max(1)),
            vocab_size: text_fields.vocab_size,
            hidden_size: text_fields.hidden_size,
            intermediate_size: text_fields.intermediate_size,
            num_hidden_layers: text_fields.num_hidden_layers,
            num_attention_heads: heads,
            num_key_value_heads: text_fields.num_key_value_heads,
            rms_norm_eps: text_fields.rms_norm_eps,
            max_position_embeddings: text_fields.max_position_embeddings,
            rope_theta: rope.theta,
            mrope_section: rope.section,
            mrope_interleaved: rope.interleaved,
            qkv_bias: family == Family::Qwen2_5Vl || text_fields.attention_bias,
            qk_norm: family == Family::Qwen3Vl,
        };
        let vision_fields: VisionFields = field_struct(
            root.get("vision_config").ok_or(ConfigError::Missing {
                field: "vision_config".into(),
            })?,
            "vision_config",
        )?;
        let vision = VisionConfig {
            attention: match (family, vision_fields.window_size) {
                (Family::Qwen2_5Vl, Some(window_size)) => VisionAttention::Windowed {
                    window_size,
                    fullatt_block_indexes: vision_fields.fullatt_block_indexes,
                },
                (Family::Qwen2_5Vl, None) => {
                    return Err(ConfigError::Missing {
                        field: "vision_config.window_size".into(),
                    });
                }
                (Family::Qwen3Vl, _) => VisionAttention::Full,
            },
            num_position_embeddings: match family {
                Family::Qwen2_5Vl => None,
                Family::Qwen3Vl => Some(vision_fields.num_position_embeddings.ok_or(
                    ConfigError::Missing {
                        field: "vision_config.num_position_embeddings".into(),
                    },
                )?),
            },
            deepstack_visual_indexes: vision_fields.deepstack_visual_indexes,
            depth: vision_fields.depth,
            hidden_size: vision_fields.hidden_size,
            intermediate_size: vision_fields.intermediate_size,
            num_heads: vision_fields.num_heads,
            out_hidden_size: vision_fields.out_hidden_size,
            patch_size: vision_fields.patch_size,
            spatial_merge_size: vision_fields.spatial_merge_size,
            temporal_patch_size: vision_fields.temporal_patch_size,
            in_channels: vision_fields.in_channels,
            hidden_act: vision_fields.hidden_act,
            rope_theta: vision_fields
                .rope_parameters
                .map_or(DEFAULT_VISION_ROPE_THETA, |rope| rope.rope_theta),
        };
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
        let prompt_family = match root.get("gog_prompt_family") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(name.clone()),
            Some(_) => {
                return Err(ConfigError::invalid(
                    "gog_prompt_family",
                    "must be the name of a prompt family",
                ));
            }
        };
        let config = QwenVlConfig {
            family,
            prompt_family,
            tokens: VisionTokens {
                image: token("image_token_id")?,
                video: token("video_token_id")?,
                vision_start: token("vision_start_token_id")?,
                vision_end: token("vision_end_token_id")?,
            },
            tie_word_embeddings,
            text,
            vision,
        };
        config.check()?;
        Ok(config)
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

/// The decoder's rotary settings from either layout.
struct Rope {
    theta: f64,
    section: [usize; 3],
    interleaved: bool,
}

impl Rope {
    fn read(text: &Value) -> Result<Self, ConfigError> {
        let parameters = text
            .get("rope_parameters")
            .or_else(|| text.get("rope_scaling"));
        let theta = parameters
            .and_then(|p| p.get("rope_theta"))
            .or_else(|| text.get("rope_theta"))
            .and_then(Value::as_f64)
            .ok_or_else(|| ConfigError::Missing {
                field: "rope_theta".into(),
            })?;
        if !(theta.is_finite() && theta > 1.0) {
            return Err(ConfigError::invalid("rope_theta", "must be above 1"));
        }
        let section = parameters
            .and_then(|p| p.get("mrope_section"))
            .ok_or_else(|| ConfigError::Missing {
                field: "mrope_section".into(),
            })?;
        let section: Vec<usize> = serde_json::from_value(section.clone())
            .map_err(|_| ConfigError::invalid("mrope_section", "must be a list of three counts"))?;
        let section: [usize; 3] = section.try_into().map_err(|_| {
            ConfigError::invalid("mrope_section", "must have exactly three entries (t, h, w)")
        })?;
        let interleaved = parameters
            .and_then(|p| p.get("mrope_interleaved"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        Ok(Rope {
            theta,
            section,
            interleaved,
        })
    }
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
        "tie_word_embeddings": true, "hidden_act": "silu",
        "image_token_id": 151655, "video_token_id": 151656,
        "vision_start_token_id": 151652, "vision_end_token_id": 151653,
        "vision_config": {
            "depth": 32, "hidden_size": 1280, "intermediate_size": 3420, "num_heads": 16,
            "out_hidden_size": 2048, "patch_size": 14, "spatial_merge_size": 2,
            "temporal_patch_size": 2, "window_size": 112, "fullatt_block_indexes": [7, 15, 23, 31],
            "in_chans": 3, "hidden_act": "silu", "tokens_per_second": 2
        }
    }"#;

    /// The shape of Qwen3-VL-2B-Instruct's hub `config.json`.
    const QWEN3_2B: &str = r#"{
        "architectures": ["Qwen3VLForConditionalGeneration"],
        "model_type": "qwen3_vl",
        "image_token_id": 151655, "video_token_id": 151656,
        "vision_start_token_id": 151652, "vision_end_token_id": 151653,
        "tie_word_embeddings": true,
        "text_config": {
            "attention_bias": false, "head_dim": 128, "hidden_act": "silu",
            "hidden_size": 2048, "intermediate_size": 6144, "max_position_embeddings": 262144,
            "num_attention_heads": 16, "num_hidden_layers": 28, "num_key_value_heads": 8,
            "rms_norm_eps": 1e-06, "rope_theta": 5000000, "vocab_size": 151936,
            "rope_scaling": {"mrope_interleaved": true, "mrope_section": [24, 20, 20], "rope_type": "default"}
        },
        "vision_config": {
            "deepstack_visual_indexes": [5, 11, 17], "depth": 24, "hidden_act": "gelu_pytorch_tanh",
            "hidden_size": 1024, "in_channels": 3, "intermediate_size": 4096, "num_heads": 16,
            "num_position_embeddings": 2304, "out_hidden_size": 2048, "patch_size": 16,
            "spatial_merge_size": 2, "temporal_patch_size": 2
        }
    }"#;

    #[test]
    fn reads_the_flat_hub_layout() {
        let config = QwenVlConfig::from_json(FLAT_3B).unwrap();
        assert_eq!(config.family, Family::Qwen2_5Vl);
        assert_eq!(config.text.head_dim, 128);
        assert_eq!(config.text.mrope_section, [16, 24, 24]);
        assert!(!config.text.mrope_interleaved);
        assert_eq!(config.text.rope_theta, 1e6);
        assert!(config.text.qkv_bias && !config.text.qk_norm);
        assert_eq!(
            config.vision.attention,
            VisionAttention::Windowed {
                window_size: 112,
                fullatt_block_indexes: vec![7, 15, 23, 31]
            }
        );
        assert_eq!(config.vision.rope_theta, 10_000.0);
        assert_eq!(config.vision.patch_len(), 1176);
        assert_eq!(config.tokens.image, 151_655);
        assert!(config.tie_word_embeddings);
    }

    #[test]
    fn reads_qwen3_vl() {
        let config = QwenVlConfig::from_json(QWEN3_2B).unwrap();
        assert_eq!(config.family, Family::Qwen3Vl);
        assert_eq!(config.text.mrope_section, [24, 20, 20]);
        assert!(config.text.mrope_interleaved);
        assert!(!config.text.qkv_bias && config.text.qk_norm);
        assert_eq!(config.text.rope_theta, 5e6);
        assert_eq!(config.vision.attention, VisionAttention::Full);
        assert_eq!(config.vision.num_position_embeddings, Some(2304));
        assert_eq!(config.vision.deepstack_visual_indexes, [5, 11, 17]);
        assert_eq!(config.vision.hidden_act, Activation::GeluTanh);
        assert_eq!(config.prompt_family, None);
    }

    #[test]
    fn passes_on_the_prompt_family_a_checkpoint_names() {
        let named = QWEN3_2B.replacen('{', r#"{"gog_prompt_family": "gog_tiny", "#, 1);
        let config = QwenVlConfig::from_json(&named).unwrap();
        assert_eq!(config.prompt_family.as_deref(), Some("gog_tiny"));
        let not_a_name = QWEN3_2B.replacen('{', r#"{"gog_prompt_family": 3, "#, 1);
        assert!(matches!(
            QwenVlConfig::from_json(&not_a_name),
            Err(ConfigError::Invalid { field, .. }) if field == "gog_prompt_family"
        ));
    }

    #[test]
    fn names_what_is_wrong() {
        let other = FLAT_3B.replace("\"qwen2_5_vl\"", "\"llava\"");
        assert_eq!(
            QwenVlConfig::from_json(&other).unwrap_err().to_string(),
            "config.json describes a \"llava\" model; this loader reads \"qwen2_5_vl or qwen3_vl\""
        );
        let no_layers = FLAT_3B.replace("\"num_hidden_layers\": 36,", "");
        assert_eq!(
            QwenVlConfig::from_json(&no_layers).unwrap_err(),
            ConfigError::Missing {
                field: "text_config.num_hidden_layers".into()
            }
        );
        let bad_rope = FLAT_3B.replace("[16, 24, 24]", "[16, 24, 16]");
        assert!(
            QwenVlConfig::from_json(&bad_rope)
                .unwrap_err()
                .to_string()
                .contains("must add up to half the head dimension (64)")
        );
        let bad_window = FLAT_3B.replace("\"window_size\": 112", "\"window_size\": 100");
        assert!(matches!(
            QwenVlConfig::from_json(&bad_window),
            Err(ConfigError::Invalid { .. })
        ));
        let bad_act = QWEN3_2B.replace("gelu_pytorch_tanh", "relu");
        assert!(matches!(
            QwenVlConfig::from_json(&bad_act),
            Err(ConfigError::Invalid { field, .. }) if field == "vision_config"
        ));
        let bad_grid = QWEN3_2B.replace("2304", "2300");
        assert!(
            QwenVlConfig::from_json(&bad_grid)
                .unwrap_err()
                .to_string()
                .contains("square grid")
        );
        assert!(matches!(
            QwenVlConfig::from_json("{"),
            Err(ConfigError::Json(_))
        ));
    }
}
