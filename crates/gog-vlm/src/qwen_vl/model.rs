//! A whole Qwen-VL model: token embedding, vision tower, decoder layers, final norm and head.

use super::config::{Family, QwenVlConfig};
use super::kv_cache::KvCache;
use super::tensors;
use super::text::DecoderLayer;
use super::vision::{VisionOutput, VisionTower, VisionTrace};
use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::device::MAX_BINDING_BYTES;
use crate::nn::linear::{Quantization, StoredWeight};
use crate::nn::norm::{Norm, NormKind};
use crate::nn::rotary::RotaryLayout;
use crate::nn::vocab_head::VocabHead;
use crate::quant::{BLOCK, QuantFormat, QuantMatrix};
use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use std::sync::Arc;

/// The model's weights on a device, and the token-embedding table on the host.
#[derive(Module, Debug)]
pub struct QwenVl {
    vision: VisionTower,
    layers: Vec<DecoderLayer>,
    norm: Norm,
    lm_head: VocabHead,
    /// `[vocab, hidden]`, kept on the host: a prompt needs only a few of its rows, and a GPU
    /// buffer of the whole table would be the model's largest.
    #[module(skip)]
    embedding: TokenEmbedding,
    #[module(skip)]
    config: QwenVlConfig,
    #[module(skip)]
    rotary: RotaryLayout,
    #[module(skip)]
    device: Device,
}

/// The token-embedding table on the host: f32 rows, or Q8 blocks (a quarter of the memory)
/// dequantised row by row as tokens are looked up.
#[derive(Debug, Clone)]
pub struct TokenEmbedding {
    table: Arc<StoredWeight>,
    hidden: usize,
}

impl TokenEmbedding {
    /// Appends the embedding of token `index` (< vocab) to `out`.
    fn push_row(&self, index: usize, out: &mut Vec<f32>) {
        match self.table.as_ref() {
            StoredWeight::Rows(table) => {
                out.extend_from_slice(&table[index * self.hidden..(index + 1) * self.hidden])
            }
            StoredWeight::Blocks(table) => table.dequantize_row(index, out),
        }
    }
}

/// A forward pass cannot run on these inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForwardError {
    #[error("token id {token} is outside the vocabulary of {vocab}")]
    TokenOutOfVocabulary { token: u32, vocab: usize },
    #[error("the tokens hold {tokens} image tokens but {rows} image embeddings were given")]
    ImageTokens { tokens: usize, rows: usize },
    #[error("{axes} position axes of lengths {lengths:?} do not fit {tokens} tokens")]
    Positions {
        axes: usize,
        lengths: Vec<usize>,
        tokens: usize,
    },
    #[error("image patches are {found:?}; the grids {grids:?} need [{rows}, {patch_len}]")]
    Patches {
        found: [usize; 2],
        grids: Vec<[usize; 3]>,
        rows: usize,
        patch_len: usize,
    },
    #[error("image grid {grid:?} is not whole {merge}×{merge} groups of patches")]
    Grid { grid: [usize; 3], merge: usize },
    #[error("the context would hold {needed} tokens; this model allows {limit}")]
    ContextFull { needed: usize, limit: usize },
}

/// New tokens for the decoder, with their positions and the vision features of the image
/// tokens among them.
#[derive(Debug, Clone, Copy)]
pub struct DecoderInput<'a> {
    pub tokens: &'a [u32],
    /// Temporal, height and width positions of each token.
    pub positions: [&'a [i64]; 3],
    /// Features for the image tokens, in order; `None` when there are none.
    pub images: Option<&'a VisionOutput>,
}

impl QwenVl {
    /// Reads every tensor of the model from `checkpoint`, which must hold nothing else. With
    /// `quant`, the decoder's linear layers and output head are quantised (a package's blocks
    /// are kept as stored) and multiplied where `quant.kernel` says. A head kept on the device
    /// is cut by vocabulary into pieces of at most [`MAX_BINDING_BYTES`].
    pub fn load(
        config: &QwenVlConfig,
        mut checkpoint: Checkpoint,
        device: &Device,
        quant: Option<Quantization>,
    ) -> Result<Self, CheckpointError> {
        let text = &config.text;
        let vision = VisionTower::load(config.family, &config.vision, &mut checkpoint, device)?;
        // With quantised layers the table is kept in Q8 blocks (a package stores it so); Q8
        // rather than the layers' format, as llama.cpp's Q4 models keep their embeddings finer.
        let table = match StoredWeight::read(
            &mut checkpoint,
            tensors::TOKEN_EMBEDDING,
            [text.hidden_size, text.vocab_size],
        )? {
            StoredWeight::Rows(rows)
                if quant.is_some() && text.hidden_size.is_multiple_of(BLOCK) =>
            {
                StoredWeight::Blocks(Arc::new(
                    QuantMatrix::quantize(
                        QuantFormat::Q8,
                        &rows,
                        text.vocab_size,
                        text.hidden_size,
                    )
                    .unwrap_or_else(|err| unreachable!("the block size was checked: {err}")),
                ))
            }
            stored => stored,
        };
        let layers = (0..text.num_hidden_layers)
            .map(|i| DecoderLayer::load(text, &mut checkpoint, i, quant, device))
            .collect::<Result<_, _>>()?;
        let norm = Norm::load(
            NormKind::Rms,
            &mut checkpoint,
            tensors::FINAL_NORM,
            text.hidden_size,
            text.rms_norm_eps,
            device,
        )?;
        // A tied head is the embedding table. Some tied checkpoints still store
        // `lm_head.weight`; it is the same table and is read so that nothing is left over.
        let head_shape = [text.hidden_size, text.vocab_size];
        let lm_head = if config.tie_word_embeddings {
            let stored_head = format!("{}.weight", tensors::HEAD);
            if checkpoint.contains(&stored_head) {
                checkpoint.take(&stored_head, &[text.vocab_size, text.hidden_size])?;
            }
            // On the host kernel the head shares the embedding's blocks.
            VocabHead::build(&table, head_shape, quant, MAX_BINDING_BYTES, device)
        } else {
            let weight = StoredWeight::read(&mut checkpoint, tensors::HEAD, head_shape)?;
            VocabHead::build(&weight, head_shape, quant, MAX_BINDING_BYTES, device)
        };
        checkpoint.finish()?;
        Ok(QwenVl {
            vision,
            layers,
            norm,
            lm_head,
            embedding: TokenEmbedding {
                table: Arc::new(table),
                hidden: text.hidden_size,
            },
            rotary: RotaryLayout::multimodal(
                text.rope_theta,
                text.head_dim,
                text.mrope_section,
                text.mrope_interleaved,
            ),
            config: config.clone(),
            device: device.clone(),
        })
    }

    pub fn config(&self) -> &QwenVlConfig {
        &self.config
    }

    pub fn family(&self) -> Family {
        self.config.family
    }

    /// A cache for one sequence.
    pub fn new_cache(&self) -> KvCache {
        KvCache::new(self.layers.len())
    }

    /// Encodes images: `patches` as the image processor flattened them, `grids` their `[t, h, w]`.
    pub fn encode_images(
        &self,
        patches: Tensor<2>,
        grids: &[[usize; 3]],
        trace: Option<&mut VisionTrace>,
    ) -> Result<VisionOutput, ForwardError> {
        let vision = &self.config.vision;
        let merge = vision.spatial_merge_size;
        if let Some(&grid) = grids
            .iter()
            .find(|[t, h, w]| *t == 0 || *h == 0 || h % merge != 0 || w % merge != 0)
        {
            return Err(ForwardError::Grid { grid, merge });
        }
        let rows = grids.iter().map(|g| g.iter().product::<usize>()).sum();
        let found = patches.dims();
        if found != [rows, vision.patch_len()] {
            return Err(ForwardError::Patches {
                found,
                grids: grids.to_vec(),
                rows,
                patch_len: vision.patch_len(),
            });
        }
        Ok(self.vision.forward(patches, grids, trace))
    }

    /// One decode step: `token` at the next position of the sequence in `cache` (a generated
    /// token has the same position on all three M-RoPE axes, shifted by the prompt's `delta`);
    /// returns its final hidden state.
    pub fn decode_step(
        &self,
        token: u32,
        delta: i64,
        cache: &mut KvCache,
    ) -> Result<Tensor<2>, ForwardError> {
        let position = [cache.len() as i64 + delta];
        self.decode(
            DecoderInput {
                tokens: &[token],
                positions: [&position, &position, &position],
                images: None,
            },
            cache,
            None,
        )
    }

    /// Runs new tokens through the decoder, extending `cache`; returns their final hidden states
    /// (`[tokens, hidden]`, after the last norm). With `hidden_states`, also collects the input
    /// embeddings and each layer's output.
    pub fn decode(
        &self,
        input: DecoderInput<'_>,
        cache: &mut KvCache,
        mut hidden_states: Option<&mut Vec<Tensor<2>>>,
    ) -> Result<Tensor<2>, ForwardError> {
        let tokens = input.tokens.len();
        let lengths: Vec<usize> = input.positions.iter().map(|axis| axis.len()).collect();
        if lengths.iter().any(|&len| len != tokens) {
            return Err(ForwardError::Positions {
                axes: 3,
                lengths,
                tokens,
            });
        }
        let limit = self.config.text.max_position_embeddings;
        if cache.tokens + tokens > limit {
            return Err(ForwardError::ContextFull {
                needed: cache.tokens + tokens,
                limit,
            });
        }
        let device = self.device.clone();
        let (mut x, visual) = self.embed(input, &device)?;
        if let Some(states) = hidden_states.as_deref_mut() {
            states.push(x.clone());
        }
        let angles = self.rotary.angles(&input.positions, &device);
        for (index, (layer, layer_cache)) in self.layers.iter().zip(&mut cache.layers).enumerate() {
            x = layer.forward(x, &angles, layer_cache);
            if let Some(states) = hidden_states.as_deref_mut() {
                states.push(x.clone());
            }
            // DeepStack: the first layers' outputs get the matching vision blocks' features
            // added at the image tokens.
            if let (Some(images), Some(runs)) = (input.images, &visual)
                && let Some(features) = images.deepstack.get(index)
            {
                x = x + scatter_rows(features, runs, tokens, &device);
            }
        }
        cache.tokens += tokens;
        Ok(self.norm.forward(x))
    }

    /// Scores over the vocabulary for each row of `hidden`.
    pub fn logits(&self, hidden: Tensor<2>) -> Tensor<2> {
        self.lm_head.forward(hidden)
    }

    /// Scores over the vocabulary for the next token: the last row of `hidden` only (`[1, vocab]`).
    pub fn next_token_logits(&self, hidden: Tensor<2>) -> Tensor<2> {
        let [rows, _] = hidden.dims();
        self.logits(hidden.narrow(0, rows.saturating_sub(1), 1))
    }

    /// The input embeddings of `input`'s tokens, with the image features in place of the image
    /// tokens, and where the image runs are.
    fn embed(
        &self,
        input: DecoderInput<'_>,
        device: &Device,
    ) -> Result<(Tensor<2>, Option<Vec<Run>>), ForwardError> {
        let image_token = self.config.tokens.image;
        let vocab = self.config.text.vocab_size;
        let hidden = self.embedding.hidden;
        let runs = Run::split(input.tokens, image_token);
        let image_tokens: usize = runs.iter().filter(|r| r.image).map(|r| r.len).sum();
        let image_rows = input.images.map_or(0, |images| images.embeddings.dims()[0]);
        if image_tokens != image_rows {
            return Err(ForwardError::ImageTokens {
                tokens: image_tokens,
                rows: image_rows,
            });
        }
        let mut pieces = Vec::with_capacity(runs.len());
        let mut image_row = 0;
        for run in &runs {
            let ids = &input.tokens[run.start..run.start + run.len];
            if run.image {
                if let Some(images) = input.images {
                    pieces.push(images.embeddings.clone().narrow(0, image_row, run.len));
                }
                image_row += run.len;
                continue;
            }
            let mut rows = Vec::with_capacity(run.len * hidden);
            for &token in ids {
                let index = token as usize;
                if index >= vocab {
                    return Err(ForwardError::TokenOutOfVocabulary { token, vocab });
                }
                self.embedding.push_row(index, &mut rows);
            }
            pieces.push(Tensor::from_data(
                TensorData::new(rows, [run.len, hidden]),
                device,
            ));
        }
        let x = Tensor::cat(pieces, 0);
        Ok((x, (image_tokens > 0).then_some(runs)))
    }
}

/// A maximal run of image tokens or of other tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    start: usize,
    len: usize,
    image: bool,
}

impl Run {
    fn split(tokens: &[u32], image_token: u32) -> Vec<Run> {
        let mut runs: Vec<Run> = Vec::new();
        for (index, &token) in tokens.iter().enumerate() {
            let image = token == image_token;
            match runs.last_mut() {
                Some(run) if run.image == image => run.len += 1,
                _ => runs.push(Run {
                    start: index,
                    len: 1,
                    image,
                }),
            }
        }
        runs
    }
}

/// `[tokens, hidden]` zeros with `features`' rows placed at the image runs.
fn scatter_rows(features: &Tensor<2>, runs: &[Run], tokens: usize, device: &Device) -> Tensor<2> {
    let [_, hidden] = features.dims();
    let mut pieces = Vec::with_capacity(runs.len());
    let mut row = 0;
    for run in runs {
        if run.image {
            pieces.push(features.clone().narrow(0, row, run.len));
            row += run.len;
        } else {
            pieces.push(Tensor::zeros([run.len, hidden], device));
        }
    }
    debug_assert_eq!(runs.iter().map(|r| r.len).sum::<usize>(), tokens);
    Tensor::cat(pieces, 0)
}
