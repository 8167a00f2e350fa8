//! Feed-forward blocks: the gated form `down(act(gate(x)) · up(x))` of Qwen decoders and
//! Qwen2.5-VL's vision tower, and the plain form `down(act(up(x)))` of Qwen3-VL's vision tower.

use super::linear::{Projection, Quantization};
use crate::checkpoint::{Checkpoint, CheckpointError};
use burn::module::Module;
use burn::tensor::activation::{gelu, gelu_approximate, silu};
use burn::tensor::{Device, Tensor};
use serde::Deserialize;

/// An activation function named by `hidden_act`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Activation {
    #[serde(rename = "silu")]
    Silu,
    /// The exact, erf-based GELU.
    #[serde(rename = "gelu")]
    Gelu,
    /// GELU's tanh approximation.
    #[serde(rename = "gelu_pytorch_tanh")]
    GeluTanh,
}

#[derive(Module, Debug)]
pub struct Mlp {
    gate: Option<Projection>,
    up: Projection,
    down: Projection,
    #[module(skip)]
    activation: Activation,
}

/// Where an [`Mlp`]'s weights are stored, and its sizes.
#[derive(Debug, Clone, Copy)]
pub struct MlpNames<'a> {
    /// `None` for the plain form.
    pub gate: Option<&'a str>,
    pub up: &'a str,
    pub down: &'a str,
    pub hidden: usize,
    pub intermediate: usize,
    pub bias: bool,
    pub activation: Activation,
    /// Quantise the weights.
    pub quant: Option<Quantization>,
}

impl Mlp {
    pub fn load(
        checkpoint: &mut Checkpoint,
        prefix: &str,
        names: MlpNames<'_>,
        device: &Device,
    ) -> Result<Self, CheckpointError> {
        let mut layer = |name: &str, d_input, d_output| {
            Projection::load(
                checkpoint,
                &format!("{prefix}.{name}"),
                [d_input, d_output],
                names.bias,
                names.quant,
                device,
            )
        };
        Ok(Mlp {
            gate: match names.gate {
                Some(gate) => Some(layer(gate, names.hidden, names.intermediate)?),
                None => None,
            },
            up: layer(names.up, names.hidden, names.intermediate)?,
            down: layer(names.down, names.intermediate, names.hidden)?,
            activation: names.activation,
        })
    }

    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let inner = match &self.gate {
            Some(gate) => activate(self.activation, gate.forward(x.clone())) * self.up.forward(x),
            None => activate(self.activation, self.up.forward(x)),
        };
        self.down.forward(inner)
    }
}

pub fn activate<const D: usize>(activation: Activation, x: Tensor<D>) -> Tensor<D> {
    match activation {
        Activation::Silu => silu(x),
        Activation::Gelu => gelu(x),
        Activation::GeluTanh => gelu_approximate(x),
    }
}
