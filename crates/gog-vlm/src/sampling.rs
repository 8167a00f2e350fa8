//! Choosing the next token from the logits, on the CPU after one readback: greedy, or
//! temperature and nucleus (top-p) sampling from a seeded ChaCha8 generator, so a run with the
//! same seed picks the same tokens on every platform.

use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// How tokens are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Sampling {
    /// Always the most likely token (the first, on ties).
    Greedy,
    /// Softmax of `logits / temperature`, cut to the smallest set of most likely tokens whose
    /// probability reaches `top_p`, then drawn with the generator seeded by `seed`.
    TopP {
        temperature: f32,
        top_p: f32,
        seed: u64,
    },
}

/// Sampling parameters that make no sense.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SamplingError {
    #[error("temperature must be above 0 (use greedy decoding for 0); got {0}")]
    Temperature(f32),
    #[error("top-p must be in (0, 1]; got {0}")]
    TopP(f32),
}

/// Picks tokens one after another.
#[derive(Debug, Clone)]
pub struct Sampler {
    sampling: Sampling,
    rng: ChaCha8Rng,
}

impl Sampler {
    pub fn new(sampling: Sampling) -> Result<Self, SamplingError> {
        let seed = match sampling {
            Sampling::Greedy => 0,
            Sampling::TopP {
                temperature,
                top_p,
                seed,
            } => {
                if !(temperature.is_finite() && temperature > 0.0) {
                    return Err(SamplingError::Temperature(temperature));
                }
                if !(top_p > 0.0 && top_p <= 1.0) {
                    return Err(SamplingError::TopP(top_p));
                }
                seed
            }
        };
        Ok(Sampler {
            sampling,
            rng: ChaCha8Rng::seed_from_u64(seed),
        })
    }

    /// The next token given the logits over the vocabulary. Tokens whose logit is NaN are
    /// never picked.
    pub fn sample(&mut self, logits: &[f32]) -> u32 {
        match self.sampling {
            Sampling::Greedy => argmax(logits),
            Sampling::TopP {
                temperature, top_p, ..
            } => {
                let max = logits
                    .iter()
                    .copied()
                    .filter(|l| !l.is_nan())
                    .fold(f32::NEG_INFINITY, f32::max);
                let mut weights: Vec<(u32, f64)> = logits
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| !l.is_nan())
                    .map(|(i, &l)| (i as u32, f64::from((l - max) / temperature).exp()))
                    .collect();
                // Most likely first; equal weights in vocabulary order, so the cut is stable.
                weights.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                let total: f64 = weights.iter().map(|w| w.1).sum();
                let mut kept = 0.0;
                let mut cut = weights.len();
                for (index, &(_, weight)) in weights.iter().enumerate() {
                    kept += weight;
                    if kept >= f64::from(top_p) * total {
                        cut = index + 1;
                        break;
                    }
                }
                weights.truncate(cut.max(1));
                let kept: f64 = weights.iter().map(|w| w.1).sum();
                let mut draw = self.rng.random::<f64>() * kept;
                for &(token, weight) in &weights {
                    if draw < weight {
                        return token;
                    }
                    draw -= weight;
                }
                weights.last().map_or(0, |w| w.0)
            }
        }
    }
}

/// The index of the largest value; the first one on ties; NaNs ignored.
pub fn argmax(values: &[f32]) -> u32 {
    let mut best: Option<(usize, f32)> = None;
    for (index, &value) in values.iter().enumerate() {
        if value.is_nan() {
            continue;
        }
        if best.is_none_or(|(_, top)| value > top) {
            best = Some((index, value));
        }
    }
    best.map_or(0, |(index, _)| index as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_takes_the_first_maximum_and_skips_nan() {
        let mut sampler = Sampler::new(Sampling::Greedy).unwrap();
        assert_eq!(sampler.sample(&[0.1, 3.0, 3.0, f32::NAN]), 1);
        assert_eq!(argmax(&[f32::NAN, -1.0]), 1);
    }

    #[test]
    fn the_same_seed_draws_the_same_tokens_and_top_p_cuts_the_tail() {
        let logits = [2.0, 1.9, 1.8, -5.0, -6.0];
        let draw = |seed| {
            let mut sampler = Sampler::new(Sampling::TopP {
                temperature: 1.0,
                top_p: 0.9,
                seed,
            })
            .unwrap();
            (0..200)
                .map(|_| sampler.sample(&logits))
                .collect::<Vec<_>>()
        };
        let first = draw(7);
        assert_eq!(first, draw(7));
        assert_ne!(first, draw(8));
        // The three likely tokens all appear; the tail never does.
        for token in 0..3 {
            assert!(first.contains(&token));
        }
        assert!(first.iter().all(|&t| t < 3));
        // A tiny top-p keeps only the best token.
        let mut narrow = Sampler::new(Sampling::TopP {
            temperature: 1.0,
            top_p: 0.01,
            seed: 1,
        })
        .unwrap();
        assert!((0..50).all(|_| narrow.sample(&logits) == 0));
    }

    #[test]
    fn rejects_meaningless_parameters() {
        for (temperature, top_p) in [(0.0, 0.9), (f32::NAN, 0.9), (1.0, 0.0), (1.0, 1.5)] {
            assert!(
                Sampler::new(Sampling::TopP {
                    temperature,
                    top_p,
                    seed: 0
                })
                .is_err()
            );
        }
    }
}
