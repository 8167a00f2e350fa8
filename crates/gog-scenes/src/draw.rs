//! Random draws whose parameter may be fixed. A fixed parameter (one option, an empty range, a
//! share of 0 or 1) consumes nothing from the stream, so a generator version that fixes what a
//! later version varies makes exactly the draws it made before that variation existed.

use rand::Rng;
use rand::seq::IndexedRandom;

/// True with probability `share`; draws only when `share` is strictly between 0 and 1.
pub fn chance(rng: &mut impl Rng, share: f64) -> bool {
    if share <= 0.0 {
        false
    } else if share >= 1.0 {
        true
    } else {
        rng.random_bool(share)
    }
}

/// One of `options`, drawn only when there are several.
///
/// # Panics
/// If `options` is empty: parameters always offer at least one.
pub fn one_of<T: Copy>(rng: &mut impl Rng, options: &[T]) -> T {
    match options {
        [only] => *only,
        _ => *options
            .choose(rng)
            .expect("a parameter offers at least one option"),
    }
}

/// A number in `low..=high`, drawn only when the range is not a single value.
pub fn between(rng: &mut impl Rng, (low, high): (f64, f64)) -> f64 {
    if low == high {
        low
    } else {
        rng.random_range(low..=high)
    }
}

/// A whole number in `low..=high`, drawn only when the range is not a single value.
pub fn whole_between(rng: &mut impl Rng, (low, high): (u32, u32)) -> u32 {
    if low == high {
        low
    } else {
        rng.random_range(low..=high)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn fixed_parameters_leave_the_stream_untouched() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let untouched = ChaCha8Rng::seed_from_u64(1);
        assert!(!chance(&mut rng, 0.0));
        assert!(chance(&mut rng, 1.0));
        assert_eq!(one_of(&mut rng, &[7]), 7);
        assert_eq!(between(&mut rng, (0.5, 0.5)), 0.5);
        assert_eq!(whole_between(&mut rng, (3, 3)), 3);
        assert_eq!(rng, untouched);
        let _ = one_of(&mut rng, &[1, 2]);
        assert_ne!(rng, untouched);
    }
}
