//! Normalisation layers: RMSNorm (Qwen decoders, Qwen2.5-VL's vision tower) and LayerNorm with a
//! bias (Qwen3-VL's vision tower).

use super::linear::load_vector;
use crate::checkpoint::{Checkpoint, CheckpointError};
use burn::module::{Module, Param};
use burn::nn::{LayerNorm, LayerNormConfig, RmsNorm};
use burn::tensor::{Device, Tensor};

/// A normalisation whose kind is fixed by the model family.
#[derive(Module, Debug)]
pub enum Norm {
    Rms(RmsNorm),
    Layer(LayerNorm),
}

/// Which [`Norm`] to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NormKind {
    Rms,
    Layer,
}

impl Norm {
    /// Reads `{prefix}.weight` (and `{prefix}.bias` for LayerNorm).
    pub fn load(
        kind: NormKind,
        checkpoint: &mut Checkpoint,
        prefix: &str,
        size: usize,
        epsilon: f64,
        device: &Device,
    ) -> Result<Self, CheckpointError> {
        let gamma = load_vector(checkpoint, &format!("{prefix}.weight"), size, device)?;
        Ok(match kind {
            NormKind::Rms => Norm::Rms(RmsNorm {
                gamma: Param::from_tensor(gamma),
                epsilon,
            }),
            NormKind::Layer => {
                let beta = load_vector(checkpoint, &format!("{prefix}.bias"), size, device)?;
                let mut norm = LayerNormConfig::new(size)
                    .with_epsilon(epsilon)
                    .init(device);
                norm.gamma = Param::from_tensor(gamma);
                norm.beta = Some(Param::from_tensor(beta));
                Norm::Layer(norm)
            }
        })
    }

    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        match self {
            Norm::Rms(norm) => norm.forward(x),
            Norm::Layer(norm) => norm.forward(x),
        }
    }
}
