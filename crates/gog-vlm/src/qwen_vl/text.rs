//! The decoder: pre-norm transformer layers with grouped-query attention over a key/value cache,
//! rotated by multimodal positions, and a gated-SiLU MLP.

use super::config::{Activation, TextConfig};
use super::kv_cache::LayerCache;
use super::tensors;
use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::nn::attention::causal_grouped;
use crate::nn::linear::{Projection, Quantization};
use crate::nn::mlp::{Mlp, MlpNames};
use crate::nn::norm::{Norm, NormKind};
use crate::nn::rotary::RotaryAngles;
use burn::module::Module;
use burn::tensor::{Device, Tensor};

#[derive(Module, Debug)]
pub struct DecoderLayer {
    input_norm: Norm,
    q_proj: Projection,
    k_proj: Projection,
    v_proj: Projection,
    o_proj: Projection,
    /// Qwen3-VL normalises each query and key head before rotating it.
    q_norm: Option<Norm>,
    k_norm: Option<Norm>,
    post_attention_norm: Norm,
    mlp: Mlp,
    #[module(skip)]
    heads: usize,
    #[module(skip)]
    kv_heads: usize,
    #[module(skip)]
    head_dim: usize,
}

impl DecoderLayer {
    /// Reads layer `index`; its linear layers are quantised to `quant` when given.
    pub fn load(
        config: &TextConfig,
        checkpoint: &mut Checkpoint,
        index: usize,
        quant: Option<Quantization>,
        device: &Device,
    ) -> Result<Self, CheckpointError> {
        let prefix = tensors::decoder_layer(index);
        let hidden = config.hidden_size;
        let eps = config.rms_norm_eps;
        let mut norm = |name: &str, size: usize| {
            Norm::load(
                NormKind::Rms,
                checkpoint,
                &format!("{prefix}.{name}"),
                size,
                eps,
                device,
            )
        };
        let input_norm = norm(tensors::INPUT_NORM, hidden)?;
        let post_attention_norm = norm(tensors::POST_ATTENTION_NORM, hidden)?;
        let (q_norm, k_norm) = if config.qk_norm {
            (
                Some(norm(tensors::Q_NORM, config.head_dim)?),
                Some(norm(tensors::K_NORM, config.head_dim)?),
            )
        } else {
            (None, None)
        };
        let q_width = config.num_attention_heads * config.head_dim;
        let kv_width = config.num_key_value_heads * config.head_dim;
        let mut projection = |name: &str, d_input, d_output, bias| {
            Projection::load(
                checkpoint,
                &format!("{prefix}.{}.{name}", tensors::ATTENTION),
                [d_input, d_output],
                bias,
                quant,
                device,
            )
        };
        let q_proj = projection(tensors::Q_PROJ, hidden, q_width, config.qkv_bias)?;
        let k_proj = projection(tensors::K_PROJ, hidden, kv_width, config.qkv_bias)?;
        let v_proj = projection(tensors::V_PROJ, hidden, kv_width, config.qkv_bias)?;
        let o_proj = projection(tensors::O_PROJ, q_width, hidden, false)?;
        let mlp = Mlp::load(
            checkpoint,
            &format!("{prefix}.{}", tensors::MLP),
            MlpNames {
                gate: tensors::GATED_MLP.gate,
                up: tensors::GATED_MLP.up,
                down: tensors::GATED_MLP.down,
                hidden,
                intermediate: config.intermediate_size,
                bias: false,
                activation: Activation::Silu,
                quant,
            },
            device,
        )?;
        Ok(DecoderLayer {
            input_norm,
            q_proj,
            k_proj,
            v_proj,
            o_proj,
            q_norm,
            k_norm,
            post_attention_norm,
            mlp,
            heads: config.num_attention_heads,
            kv_heads: config.num_key_value_heads,
            head_dim: config.head_dim,
        })
    }

    /// Runs `x` (`[tokens, hidden]`, the tokens after those in `cache`) through the layer,
    /// appending their keys and values to `cache`.
    pub fn forward(
        &self,
        x: Tensor<2>,
        angles: &RotaryAngles,
        cache: &mut LayerCache,
    ) -> Tensor<2> {
        let [tokens, _] = x.dims();
        let normed = self.input_norm.forward(x.clone());
        let heads = |projection: &Projection, norm: &Option<Norm>, count: usize| -> Tensor<4> {
            let split =
                projection
                    .forward(normed.clone())
                    .reshape([1, tokens, count, self.head_dim]);
            let split = match norm {
                Some(norm) => norm.forward(split),
                None => split,
            };
            split.swap_dims(1, 2)
        };
        let query = angles.apply(heads(&self.q_proj, &self.q_norm, self.heads));
        let key = angles.apply(heads(&self.k_proj, &self.k_norm, self.kv_heads));
        let value = heads(&self.v_proj, &None, self.kv_heads);
        let (key, value) = cache.append(key, value);
        let attended = causal_grouped(query, key, value)
            .swap_dims(1, 2)
            .reshape([tokens, self.heads * self.head_dim]);
        let x = x + self.o_proj.forward(attended);
        x.clone() + self.mlp.forward(self.post_attention_norm.forward(x))
    }
}
