//! The vision transformer: patches in, one decoder token per `merge × merge` patches out.
//!
//! Patches are embedded by a linear map (the checkpoint's 3-D convolution, flattened), given a
//! learned position embedding resampled to the image's grid (Qwen3-VL), and rotated by a 2-D RoPE
//! over their row and column. Blocks are pre-norm transformer layers that attend within windows
//! (Qwen2.5-VL's windowed blocks) or within each image. The merger normalises, concatenates each
//! 2×2 group of patches and projects it to the decoder's width; Qwen3-VL also merges the outputs of
//! some blocks (DeepStack) for the first decoder layers.

use super::config::{Activation, Family, VisionAttention, VisionConfig};
use super::tensors;
use super::windows::Windows;
use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::nn::attention::Segments;
use crate::nn::linear::{load_dense, load_linear, load_matrix};
use crate::nn::mlp::{Mlp, MlpNames, activate};
use crate::nn::norm::{Norm, NormKind};
use crate::nn::rotary::{RotaryAngles, RotaryLayout};
use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::{Device, Int, Tensor, TensorData};

/// The epsilon of every vision norm in both families.
const NORM_EPS: f64 = 1e-6;

#[derive(Module, Debug)]
pub struct VisionTower {
    patch_embed: Linear,
    /// Qwen3-VL's learned `[side², hidden]` position table.
    pos_embed: Option<Param<Tensor<2>>>,
    blocks: Vec<VisionBlock>,
    merger: PatchMerger,
    deepstack_mergers: Vec<PatchMerger>,
    #[module(skip)]
    config: VisionConfig,
    #[module(skip)]
    rotary: RotaryLayout,
}

#[derive(Module, Debug)]
struct VisionBlock {
    norm1: Norm,
    norm2: Norm,
    qkv: Linear,
    proj: Linear,
    mlp: Mlp,
    #[module(skip)]
    heads: usize,
}

#[derive(Module, Debug)]
struct PatchMerger {
    norm: Norm,
    fc1: Linear,
    fc2: Linear,
    /// Normalise the concatenated group (DeepStack mergers) instead of each patch.
    #[module(skip)]
    norm_after_merge: bool,
}

/// What the vision tower gives the decoder.
#[derive(Debug, Clone)]
pub struct VisionOutput {
    /// One row per image token, in prompt order: `[tokens, text hidden]`.
    pub embeddings: Tensor<2>,
    /// Qwen3-VL's DeepStack features, one `[tokens, text hidden]` tensor per fed decoder layer.
    pub deepstack: Vec<Tensor<2>>,
}

/// Intermediate results, for checking against the reference.
#[derive(Debug, Default)]
pub struct VisionTrace {
    /// Each block's output, in the order the blocks see the patches (window order for
    /// Qwen2.5-VL).
    pub blocks: Vec<Tensor<2>>,
    /// The merger's output in the same order.
    pub merger: Option<Tensor<2>>,
}

impl VisionTower {
    pub fn load(
        family: Family,
        config: &VisionConfig,
        checkpoint: &mut Checkpoint,
        device: &Device,
    ) -> Result<Self, CheckpointError> {
        let hidden = config.hidden_size;
        let patch_embed = load_linear(
            checkpoint,
            tensors::PATCH_EMBED,
            &[
                hidden,
                config.in_channels,
                config.temporal_patch_size,
                config.patch_size,
                config.patch_size,
            ],
            family == Family::Qwen3Vl,
            device,
        )?;
        let pos_embed = match config.num_position_embeddings {
            Some(entries) => Some(Param::from_tensor(load_matrix(
                checkpoint,
                tensors::POSITION_TABLE,
                entries,
                hidden,
                device,
            )?)),
            None => None,
        };
        let norm = match family {
            Family::Qwen2_5Vl => NormKind::Rms,
            Family::Qwen3Vl => NormKind::Layer,
        };
        let blocks = (0..config.depth)
            .map(|i| VisionBlock::load(family, norm, config, checkpoint, i, device))
            .collect::<Result<_, _>>()?;
        let merger = PatchMerger::load(
            checkpoint,
            tensors::merger(family),
            norm,
            false,
            config,
            device,
        )?;
        let deepstack_mergers = (0..config.deepstack_visual_indexes.len())
            .map(|i| {
                PatchMerger::load(
                    checkpoint,
                    tensors::deepstack_merger(i),
                    NormKind::Layer,
                    true,
                    config,
                    device,
                )
            })
            .collect::<Result<_, _>>()?;
        Ok(VisionTower {
            patch_embed,
            pos_embed,
            blocks,
            merger,
            deepstack_mergers,
            config: config.clone(),
            rotary: RotaryLayout::two_dimensional(config.rope_theta, config.head_dim()),
        })
    }

    /// Encodes the flattened patches of one or more images (`[patches, patch_len]`, as the image
    /// processor makes them) whose grids are `[t, h, w]` in patches.
    pub fn forward(
        &self,
        patches: Tensor<2>,
        grids: &[[usize; 3]],
        mut trace: Option<&mut VisionTrace>,
    ) -> VisionOutput {
        let device = patches.device();
        let merge = self.config.spatial_merge_size;
        let unit = merge * merge;
        let mut hidden = self.patch_embed.forward(patches);
        let (rows, cols) = patch_positions(grids, merge);
        if let Some(table) = &self.pos_embed {
            hidden = hidden + self.interpolated_positions(table.val(), grids, &rows, &cols);
        }
        let image_lengths: Vec<usize> = grids
            .iter()
            .flat_map(|&[t, h, w]| std::iter::repeat_n(h * w, t))
            .collect();
        let whole_images = Segments::new(&image_lengths, &device);
        // Qwen2.5-VL reorders the patches so that every window is contiguous.
        let (windows, restore, angles) = match &self.config.attention {
            VisionAttention::Windowed { window_size, .. } => {
                let side = window_size / (merge * self.config.patch_size);
                let windows = Windows::new(grids, merge, side);
                let patch_order: Vec<usize> = windows
                    .order
                    .iter()
                    .flat_map(|&token| token * unit..(token + 1) * unit)
                    .collect();
                let reorder = |axis: &[i64]| -> Vec<i64> {
                    patch_order.iter().map(|&patch| axis[patch]).collect()
                };
                let angles = self
                    .rotary
                    .angles(&[&reorder(&rows), &reorder(&cols)], &device);
                hidden = hidden.select(0, indices(&patch_order, &device));
                let mut restore = vec![0; windows.order.len()];
                for (position, &token) in windows.order.iter().enumerate() {
                    restore[token] = position;
                }
                (
                    Some(Segments::new(&windows.lengths, &device)),
                    Some(indices(&restore, &device)),
                    angles,
                )
            }
            VisionAttention::Full => (None, None, self.rotary.angles(&[&rows, &cols], &device)),
        };
        let full_blocks: &[usize] = match &self.config.attention {
            VisionAttention::Windowed {
                fullatt_block_indexes,
                ..
            } => fullatt_block_indexes,
            VisionAttention::Full => &[],
        };
        let mut deepstack = Vec::new();
        for (index, block) in self.blocks.iter().enumerate() {
            let segments = match &windows {
                Some(windows) if !full_blocks.contains(&index) => windows,
                _ => &whole_images,
            };
            hidden = block.forward(hidden, &angles, segments);
            if let Some(trace) = trace.as_deref_mut() {
                trace.blocks.push(hidden.clone());
            }
            if let Some(k) = self
                .config
                .deepstack_visual_indexes
                .iter()
                .position(|&i| i == index)
            {
                deepstack.push(self.deepstack_mergers[k].forward(hidden.clone(), unit));
            }
        }
        let merged = self.merger.forward(hidden, unit);
        if let Some(trace) = trace {
            trace.merger = Some(merged.clone());
        }
        let in_prompt_order = |x: Tensor<2>| match &restore {
            Some(restore) => x.select(0, restore.clone()),
            None => x,
        };
        VisionOutput {
            embeddings: in_prompt_order(merged),
            deepstack: deepstack.into_iter().map(in_prompt_order).collect(),
        }
    }

    /// Qwen3-VL's position table resampled to each image's grid: bilinear with aligned corners,
    /// as four weighted taps per patch (transformers' `get_vision_interpolation_indices_and_weights`).
    fn interpolated_positions(
        &self,
        table: Tensor<2>,
        grids: &[[usize; 3]],
        rows: &[i64],
        cols: &[i64],
    ) -> Tensor<2> {
        let device = table.device();
        let [entries, hidden] = table.dims();
        let side = entries.isqrt();
        let taps = |index: i64, size: usize| -> [(usize, f32); 2] {
            let source = index as f32 * (side - 1) as f32 / (size.max(2) - 1) as f32;
            let floor = source.floor();
            let fraction = source - floor;
            let low = (floor as usize).min(side - 1);
            [(low, 1.0 - fraction), ((low + 1).min(side - 1), fraction)]
        };
        let sizes = grids
            .iter()
            .flat_map(|&[t, h, w]| std::iter::repeat_n((h, w), t * h * w));
        let mut tap_indices = Vec::with_capacity(rows.len() * 4);
        let mut tap_weights = Vec::with_capacity(rows.len() * 4);
        for ((&row, &col), (height, width)) in rows.iter().zip(cols).zip(sizes) {
            for (row_tap, row_weight) in taps(row, height) {
                for (col_tap, col_weight) in taps(col, width) {
                    tap_indices.push(row_tap * side + col_tap);
                    tap_weights.push(row_weight * col_weight);
                }
            }
        }
        let patches = rows.len();
        let weights: Tensor<3> =
            Tensor::from_data(TensorData::new(tap_weights, [patches, 4, 1]), &device);
        table
            .select(0, indices(&tap_indices, &device))
            .reshape([patches, 4, hidden])
            .mul(weights)
            .sum_dim(1)
            .reshape([patches, hidden])
    }
}

impl VisionBlock {
    fn load(
        family: Family,
        norm: NormKind,
        config: &VisionConfig,
        checkpoint: &mut Checkpoint,
        index: usize,
        device: &Device,
    ) -> Result<Self, CheckpointError> {
        let prefix = tensors::vision_block(index);
        let hidden = config.hidden_size;
        let parts = tensors::vision_mlp(family);
        let mlp_names = MlpNames {
            gate: parts.gate,
            up: parts.up,
            down: parts.down,
            hidden,
            intermediate: config.intermediate_size,
            bias: true,
            activation: config.hidden_act,
            quant: None,
        };
        Ok(VisionBlock {
            norm1: Norm::load(
                norm,
                checkpoint,
                &format!("{prefix}.{}", tensors::VISION_NORM1),
                hidden,
                NORM_EPS,
                device,
            )?,
            norm2: Norm::load(
                norm,
                checkpoint,
                &format!("{prefix}.{}", tensors::VISION_NORM2),
                hidden,
                NORM_EPS,
                device,
            )?,
            qkv: load_dense(
                checkpoint,
                &format!("{prefix}.{}", tensors::VISION_QKV),
                hidden,
                3 * hidden,
                true,
                device,
            )?,
            proj: load_dense(
                checkpoint,
                &format!("{prefix}.{}", tensors::VISION_OUT),
                hidden,
                hidden,
                true,
                device,
            )?,
            mlp: Mlp::load(
                checkpoint,
                &format!("{prefix}.{}", tensors::MLP),
                mlp_names,
                device,
            )?,
            heads: config.num_heads,
        })
    }

    fn forward(&self, x: Tensor<2>, angles: &RotaryAngles, segments: &Segments) -> Tensor<2> {
        let x = x.clone() + self.attention(self.norm1.forward(x), angles, segments);
        x.clone() + self.mlp.forward(self.norm2.forward(x))
    }

    fn attention(&self, x: Tensor<2>, angles: &RotaryAngles, segments: &Segments) -> Tensor<2> {
        let [patches, hidden] = x.dims();
        let head_dim = hidden / self.heads;
        let qkv = self
            .qkv
            .forward(x)
            .reshape([patches, 3, self.heads, head_dim]);
        let part = |i: usize| {
            qkv.clone()
                .narrow(1, i, 1)
                .reshape([patches, self.heads, head_dim])
        };
        let rotate = |x: Tensor<3>| -> Tensor<3> {
            let x = x
                .reshape([1, patches, self.heads, head_dim])
                .swap_dims(1, 2);
            angles
                .apply(x)
                .swap_dims(1, 2)
                .reshape([patches, self.heads, head_dim])
        };
        let output = segments.attend(rotate(part(0)), rotate(part(1)), part(2));
        self.proj.forward(output)
    }
}

impl PatchMerger {
    fn load(
        checkpoint: &mut Checkpoint,
        [norm, fc1, fc2]: [String; 3],
        kind: NormKind,
        norm_after_merge: bool,
        config: &VisionConfig,
        device: &Device,
    ) -> Result<Self, CheckpointError> {
        let merged = config.merged_size();
        let norm_size = if norm_after_merge {
            merged
        } else {
            config.hidden_size
        };
        Ok(PatchMerger {
            norm: Norm::load(kind, checkpoint, &norm, norm_size, NORM_EPS, device)?,
            fc1: load_dense(checkpoint, &fc1, merged, merged, true, device)?,
            fc2: load_dense(
                checkpoint,
                &fc2,
                merged,
                config.out_hidden_size,
                true,
                device,
            )?,
            norm_after_merge,
        })
    }

    /// `[patches, hidden]` → `[patches / unit, out_hidden]`.
    fn forward(&self, x: Tensor<2>, unit: usize) -> Tensor<2> {
        let [patches, hidden] = x.dims();
        let shape = [patches / unit, hidden * unit];
        let merged = if self.norm_after_merge {
            self.norm.forward(x.reshape(shape))
        } else {
            self.norm.forward(x).reshape(shape)
        };
        self.fc2
            .forward(activate(Activation::Gelu, self.fc1.forward(merged)))
    }
}

/// Each patch's row and column in its image, in the processor's merge-window order.
fn patch_positions(grids: &[[usize; 3]], merge: usize) -> (Vec<i64>, Vec<i64>) {
    let mut rows = Vec::new();
    let mut cols = Vec::new();
    for &[frames, height, width] in grids {
        for _ in 0..frames {
            for block_row in 0..height / merge {
                for block_col in 0..width / merge {
                    for inner_row in 0..merge {
                        for inner_col in 0..merge {
                            rows.push((block_row * merge + inner_row) as i64);
                            cols.push((block_col * merge + inner_col) as i64);
                        }
                    }
                }
            }
        }
    }
    (rows, cols)
}

fn indices(values: &[usize], device: &Device) -> Tensor<1, Int> {
    let values: Vec<i64> = values.iter().map(|&v| v as i64).collect();
    let len = values.len();
    Tensor::from_data(TensorData::new(values, [len]), device)
}
