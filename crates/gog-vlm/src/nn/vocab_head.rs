//! The output head, cut by vocabulary into pieces that one device buffer can hold.
//!
//! A Qwen head is `[vocab, hidden]` with a vocabulary of about 152k: 1.2 GB in f32 for a
//! 2048-wide model, far past the 128 MiB storage-buffer binding every WebGPU adapter allows.
//! Each piece is an ordinary [`Projection`] over a range of token ids, and the logits are the
//! pieces' outputs side by side. A head on the host kernel has no such limit and stays whole.

use super::linear::{Projection, QuantKernel, Quantization, StoredWeight};
use burn::module::Module;
use burn::tensor::{Device, Tensor};

#[derive(Module, Debug)]
pub struct VocabHead {
    /// Consecutive ranges of the vocabulary, in order.
    pieces: Vec<Projection>,
}

impl VocabHead {
    /// A head from its `[vocab, hidden]` weight, in pieces of at most `max_piece_bytes` of
    /// device memory each (at least one row each).
    pub fn build(
        weight: &StoredWeight,
        [hidden, vocab]: [usize; 2],
        quant: Option<Quantization>,
        max_piece_bytes: usize,
        device: &Device,
    ) -> Self {
        let on_host = quant.is_some_and(|quant| quant.kernel == QuantKernel::Host);
        let max_rows = if on_host {
            vocab
        } else {
            max_piece_bytes / weight.kept_row_bytes(hidden, quant).max(1)
        };
        let pieces = weight
            .pieces(hidden, max_rows)
            .into_iter()
            .map(|piece| {
                let rows = piece.rows(hidden);
                Projection::build(piece, [hidden, rows], None, quant, device)
            })
            .collect();
        VocabHead { pieces }
    }

    /// How many pieces the vocabulary is cut into.
    pub fn pieces(&self) -> usize {
        self.pieces.len()
    }

    /// Logits over the whole vocabulary.
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        match self.pieces.as_slice() {
            [whole] => whole.forward(x),
            pieces => Tensor::cat(
                pieces
                    .iter()
                    .map(|piece| piece.forward(x.clone()))
                    .collect(),
                D - 1,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::QuantFormat;
    use burn::tensor::TensorData;

    /// Every placement of a head cut into pieces gives the logits of the whole head.
    #[test]
    fn pieces_give_the_whole_heads_logits() {
        let device = Device::flex();
        let (hidden, vocab) = (64, 37);
        let weight: Vec<f32> = (0..vocab * hidden)
            .map(|i| ((i * 7919) % 101) as f32 / 50.0 - 1.0)
            .collect();
        let x: Vec<f32> = (0..3 * hidden)
            .map(|i| (i % 13) as f32 / 6.0 - 1.0)
            .collect();
        let input = || Tensor::<2>::from_data(TensorData::new(x.clone(), [3, hidden]), &device);
        let logits = |head: &VocabHead| -> Vec<f32> {
            head.forward(input())
                .into_data()
                .try_to_vec::<f32>()
                .expect("f32 logits")
        };
        for quant in [
            None,
            Some(Quantization::host(QuantFormat::Q8)),
            Some(Quantization::device(QuantFormat::Q8)),
            Some(Quantization::device(QuantFormat::Q4)),
        ] {
            let build = |max_bytes| {
                VocabHead::build(
                    &StoredWeight::Rows(weight.clone()),
                    [hidden, vocab],
                    quant,
                    max_bytes,
                    &device,
                )
            };
            let whole = build(usize::MAX);
            let split = build(10 * hidden);
            assert_eq!(whole.pieces(), 1);
            let expected_pieces = match quant {
                Some(Quantization {
                    kernel: QuantKernel::Host,
                    ..
                }) => 1,
                _ => vocab.div_ceil(
                    10 * hidden / StoredWeight::Rows(weight.clone()).kept_row_bytes(hidden, quant),
                ),
            };
            assert_eq!(split.pieces(), expected_pieces, "{quant:?}");
            let (whole, split) = (logits(&whole), logits(&split));
            assert_eq!(split.len(), 3 * vocab);
            let diff = whole
                .iter()
                .zip(&split)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(diff < 1e-5, "{quant:?}: pieces differ by {diff}");
        }
    }
}
