//! The decoder's key/value cache: every layer's keys and values for the tokens seen so far, so
//! each new token costs one pass over the cache instead of a pass over the whole prompt.

use burn::tensor::Tensor;

/// One layer's cached keys and values, `[1, kv_heads, tokens, head_dim]`.
#[derive(Debug, Clone, Default)]
pub struct LayerCache {
    keys: Option<Tensor<4>>,
    values: Option<Tensor<4>>,
}

impl LayerCache {
    /// Appends the new tokens' keys and values; returns all of them.
    pub fn append(&mut self, keys: Tensor<4>, values: Tensor<4>) -> (Tensor<4>, Tensor<4>) {
        let extend = |cached: Option<Tensor<4>>, new: Tensor<4>| match cached {
            Some(cached) => Tensor::cat(vec![cached, new], 2),
            None => new,
        };
        let keys = extend(self.keys.take(), keys);
        let values = extend(self.values.take(), values);
        self.keys = Some(keys.clone());
        self.values = Some(values.clone());
        (keys, values)
    }
}

/// The whole decoder's cache and how far the sequence has got.
#[derive(Debug, Clone)]
pub struct KvCache {
    pub(crate) layers: Vec<LayerCache>,
    /// Tokens seen so far.
    pub(crate) tokens: usize,
}

impl KvCache {
    pub fn new(layers: usize) -> Self {
        KvCache {
            layers: vec![LayerCache::default(); layers],
            tokens: 0,
        }
    }

    /// Tokens seen so far.
    pub fn len(&self) -> usize {
        self.tokens
    }

    pub fn is_empty(&self) -> bool {
        self.tokens == 0
    }
}
