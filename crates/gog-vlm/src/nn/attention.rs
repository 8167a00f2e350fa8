//! Scaled dot-product attention in the two shapes the models need: causal attention of a
//! decoder over its cache with grouped key/value heads, and the vision tower's attention within
//! segments (windows or whole images) of one packed sequence of patches.

use burn::tensor::module::attention;
use burn::tensor::ops::AttentionModuleOptions;
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};

/// Causal attention of `query` (`[1, heads, new, head_dim]`) over `key`/`value`
/// (`[1, kv_heads, all, head_dim]`, the new tokens last). Each key/value head serves
/// `heads / kv_heads` query heads.
pub fn causal_grouped(query: Tensor<4>, key: Tensor<4>, value: Tensor<4>) -> Tensor<4> {
    let [batch, heads, _, _] = query.dims();
    let [_, kv_heads, len, head_dim] = key.dims();
    let repeat = |x: Tensor<4>| -> Tensor<4> {
        if heads == kv_heads {
            return x;
        }
        x.unsqueeze_dim::<5>(2)
            .expand([batch, kv_heads, heads / kv_heads, len, head_dim])
            .reshape([batch, heads, len, head_dim])
    };
    let options = AttentionModuleOptions {
        is_causal: true,
        ..Default::default()
    };
    attention(query, repeat(key), repeat(value), None, None, options)
}

/// How a packed sequence splits into segments that attend only within themselves, laid out as
/// a batch of equal-length rows with the short segments padded.
#[derive(Debug, Clone)]
pub struct Segments {
    /// For each padded slot, the sequence row it holds (padding repeats row 0).
    gather: Tensor<1, Int>,
    /// For each sequence row, its padded slot.
    scatter: Tensor<1, Int>,
    /// `true` at padded keys, `[segments, 1, len, len]`; `None` when no segment is short.
    padding: Option<Tensor<4, Bool>>,
    count: usize,
    len: usize,
}

impl Segments {
    /// Segments of the given lengths, in order, covering the sequence.
    pub fn new(lengths: &[usize], device: &Device) -> Self {
        let count = lengths.len();
        let len = lengths.iter().copied().max().unwrap_or(0);
        let total: usize = lengths.iter().sum();
        let mut gather = vec![0i64; count * len];
        let mut scatter = Vec::with_capacity(total);
        let mut padded_keys = Vec::with_capacity(count * len * len);
        let mut row = 0;
        for (segment, &length) in lengths.iter().enumerate() {
            for slot in 0..length {
                gather[segment * len + slot] = row as i64;
                scatter.push((segment * len + slot) as i64);
                row += 1;
            }
            for _ in 0..len {
                padded_keys.extend((0..len).map(|key| key >= length));
            }
        }
        let padding = (len * count != total)
            .then(|| Tensor::from_data(TensorData::new(padded_keys, [count, 1, len, len]), device));
        Segments {
            gather: Tensor::from_data(TensorData::new(gather, [count * len]), device),
            scatter: Tensor::from_data(TensorData::new(scatter, [total]), device),
            padding,
            count,
            len,
        }
    }

    /// Attention of packed `[rows, heads, head_dim]` queries, keys and values within each
    /// segment; returns `[rows, heads · head_dim]`.
    pub fn attend(&self, query: Tensor<3>, key: Tensor<3>, value: Tensor<3>) -> Tensor<2> {
        let [rows, heads, head_dim] = query.dims();
        let batch = |x: Tensor<3>| -> Tensor<4> {
            x.select(0, self.gather.clone())
                .reshape([self.count, self.len, heads, head_dim])
                .swap_dims(1, 2)
        };
        let mask = self
            .padding
            .clone()
            .map(|mask| mask.expand([self.count, heads, self.len, self.len]));
        let output = attention(
            batch(query),
            batch(key),
            batch(value),
            mask,
            None,
            AttentionModuleOptions::default(),
        );
        output
            .swap_dims(1, 2)
            .reshape([self.count * self.len, heads * head_dim])
            .select(0, self.scatter.clone())
            .reshape([rows, heads * head_dim])
    }
}
