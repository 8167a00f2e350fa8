//! Confidence intervals for the reports: the percentile bootstrap over questions. It is seeded,
//! so the same runs give the same report, and it needs no assumption about the metric's
//! distribution, which is why it serves accuracy, shares and means alike.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Resamples per interval: enough that the 2.5th and 97.5th percentiles move by well under a
/// point between seeds.
pub const RESAMPLES: usize = 2000;

/// A two-sided interval around a mean.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// The 95 % percentile-bootstrap interval of the mean of `values`; `None` when there are none.
pub fn bootstrap_mean_95(values: &[f64], seed: u64) -> Option<Interval> {
    if values.is_empty() {
        return None;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = values.len();
    let mut means: Vec<f64> = (0..RESAMPLES)
        .map(|_| (0..n).map(|_| values[rng.random_range(0..n)]).sum::<f64>() / n as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    let at = |q: f64| means[((RESAMPLES - 1) as f64 * q).round() as usize];
    Some(Interval {
        low: at(0.025),
        high: at(0.975),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_holds_the_mean_narrows_with_more_questions_and_repeats() {
        let half = |n: usize| (0..n).map(|i| (i % 2) as f64).collect::<Vec<_>>();
        let small = bootstrap_mean_95(&half(40), 7).expect("an interval");
        let large = bootstrap_mean_95(&half(4000), 7).expect("an interval");
        assert!(small.low < 0.5 && 0.5 < small.high, "{small:?}");
        assert!(large.low < 0.5 && 0.5 < large.high, "{large:?}");
        assert!(large.high - large.low < (small.high - small.low) / 5.0);
        // The normal approximation's half-width for p = 0.5, n = 40 is 0.155.
        assert!((small.high - small.low - 0.31).abs() < 0.06, "{small:?}");
        assert_eq!(bootstrap_mean_95(&half(40), 7), Some(small));
        assert_eq!(
            bootstrap_mean_95(&[1.0; 9], 1),
            Some(Interval {
                low: 1.0,
                high: 1.0
            })
        );
        assert_eq!(bootstrap_mean_95(&[], 1), None);
    }
}
