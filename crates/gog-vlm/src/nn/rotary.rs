//! Rotary position embeddings in the rotate-half (NeoX) layout that Qwen models use.
//!
//! The angles are computed on the host, in f32 exactly as transformers does, from one position
//! per axis and token: the decoder's M-RoPE has three axes (temporal, height, width), the vision
//! tower's 2-D RoPE two (height, width). Each rotary frequency follows one axis; which one is the
//! only difference between the layouts, so a layout is just that list.

use burn::tensor::{Device, Tensor, TensorData};

/// `1 / theta^(2i / dim)` for `i < dim / 2`, in f32 like `torch.arange(0, dim, 2).float() / dim`.
pub fn inverse_frequencies(theta: f64, dim: usize) -> Vec<f32> {
    let base = theta as f32;
    (0..dim / 2)
        .map(|i| 1.0 / base.powf((2 * i) as f32 / dim as f32))
        .collect()
}

/// For each of a head's rotary frequencies, the position axis it follows and its inverse
/// frequency.
#[derive(Debug, Clone, PartialEq)]
pub struct RotaryLayout {
    frequencies: Vec<(usize, f32)>,
}

impl RotaryLayout {
    /// The decoder's M-RoPE: `section[a]` frequencies follow axis `a`, either in contiguous
    /// sections (Qwen2/2.5-VL) or interleaved `t h w t h w …` (Qwen3-VL), where the temporal axis
    /// also takes whatever the height and width sections leave over.
    pub fn multimodal(theta: f64, head_dim: usize, section: [usize; 3], interleaved: bool) -> Self {
        let inverse = inverse_frequencies(theta, head_dim);
        let axis = |j: usize| -> usize {
            if interleaved {
                match j % 3 {
                    1 if j < 3 * section[1] => 1,
                    2 if j < 3 * section[2] => 2,
                    _ => 0,
                }
            } else if j < section[0] {
                0
            } else if j < section[0] + section[1] {
                1
            } else {
                2
            }
        };
        RotaryLayout {
            frequencies: inverse
                .into_iter()
                .enumerate()
                .map(|(j, f)| (axis(j), f))
                .collect(),
        }
    }

    /// The vision tower's 2-D RoPE: the first half of the frequencies follow the patch's row,
    /// the second half its column, with the same inverse frequencies.
    pub fn two_dimensional(theta: f64, head_dim: usize) -> Self {
        let inverse = inverse_frequencies(theta, head_dim / 2);
        RotaryLayout {
            frequencies: [0, 1]
                .into_iter()
                .flat_map(|axis| inverse.iter().map(move |&f| (axis, f)))
                .collect(),
        }
    }

    /// Cosines and sines for tokens whose positions are `axes[a][token]`, each `[1, 1, tokens,
    /// head_dim]` so they broadcast over a batch of one and every head.
    pub fn angles(&self, axes: &[&[i64]], device: &Device) -> RotaryAngles {
        let tokens = axes.first().map_or(0, |axis| axis.len());
        let half = self.frequencies.len();
        let mut cos = Vec::with_capacity(tokens * half * 2);
        let mut sin = Vec::with_capacity(tokens * half * 2);
        for token in 0..tokens {
            let position: Vec<i64> = axes.iter().map(|axis| axis[token]).collect();
            let row: Vec<f32> = self
                .frequencies
                .iter()
                .map(|&(axis, inverse)| position[axis] as f32 * inverse)
                .collect();
            for _ in 0..2 {
                cos.extend(row.iter().map(|angle| angle.cos()));
                sin.extend(row.iter().map(|angle| angle.sin()));
            }
        }
        let shape = [1, 1, tokens, half * 2];
        RotaryAngles {
            cos: Tensor::from_data(TensorData::new(cos, shape), device),
            sin: Tensor::from_data(TensorData::new(sin, shape), device),
        }
    }
}

/// The cosines and sines of a run of tokens' rotation angles.
#[derive(Debug, Clone)]
pub struct RotaryAngles {
    pub cos: Tensor<4>,
    pub sin: Tensor<4>,
}

impl RotaryAngles {
    /// Rotates `x` (`[batch, heads, tokens, head_dim]`): `x·cos + rotate_half(x)·sin`.
    pub fn apply(&self, x: Tensor<4>) -> Tensor<4> {
        let [_, _, _, dim] = x.dims();
        let first = x.clone().narrow(3, 0, dim / 2);
        let second = x.clone().narrow(3, dim / 2, dim / 2);
        let rotated = Tensor::cat(vec![second.neg(), first], 3);
        x * self.cos.clone() + rotated * self.sin.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_interleaving_assign_axes_like_transformers() {
        let axes = |layout: RotaryLayout| -> Vec<usize> {
            layout.frequencies.iter().map(|&(axis, _)| axis).collect()
        };
        // Qwen2.5-VL: [2, 3, 3] over 8 frequencies.
        assert_eq!(
            axes(RotaryLayout::multimodal(1e6, 16, [2, 3, 3], false)),
            [0, 0, 1, 1, 1, 2, 2, 2]
        );
        // Qwen3-VL: h at 1, 4, 7 (< 9), w at 2, 5 (< 9), t elsewhere.
        assert_eq!(
            axes(RotaryLayout::multimodal(5e6, 16, [2, 3, 3], true)),
            [0, 1, 2, 0, 1, 2, 0, 1]
        );
        assert_eq!(
            axes(RotaryLayout::two_dimensional(1e4, 16)),
            [0, 0, 0, 0, 1, 1, 1, 1]
        );
    }
}
