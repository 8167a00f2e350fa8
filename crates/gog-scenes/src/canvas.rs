//! The scene's size: an aspect ratio and a length for its longer side, both drawn, so that no
//! size or shape marks a kind of scene.

use rand::Rng;

use crate::draw;

/// The sizes a generator version makes scenes in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CanvasSizes {
    /// Width : height ratios, portrait ones included.
    pub aspects: &'static [(u32, u32)],
    /// Range of the longer side, in pixels.
    pub long_side: (u32, u32),
    /// Neither side is shorter than this.
    pub min_side: u32,
}

impl CanvasSizes {
    /// A canvas size, `(width, height)`.
    pub fn draw(&self, rng: &mut impl Rng) -> (u32, u32) {
        let (a, b) = draw::one_of(rng, self.aspects);
        let (long, short) = (a.max(b), a.min(b));
        // The longer side is long enough that the shorter one keeps its minimum.
        let lowest = (self.min_side * long).div_ceil(short);
        let long_side = draw::whole_between(
            rng,
            (
                self.long_side.0.max(lowest).min(self.long_side.1),
                self.long_side.1,
            ),
        );
        let short_side = (f64::from(long_side) * f64::from(short) / f64::from(long)).round() as u32;
        if a >= b {
            (long_side, short_side)
        } else {
            (short_side, long_side)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn sizes_keep_their_aspect_and_bounds() {
        let sizes = CanvasSizes {
            aspects: &[(16, 9), (1, 1), (9, 16), (2, 3)],
            long_side: (480, 1600),
            min_side: 480,
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut portrait = false;
        for _ in 0..200 {
            let (w, h) = sizes.draw(&mut rng);
            assert!(
                (480..=1600).contains(&w) && (480..=1600).contains(&h),
                "{w}×{h}"
            );
            portrait |= h > w;
        }
        assert!(portrait);
        let fixed = CanvasSizes {
            aspects: &[(4, 3)],
            long_side: (800, 800),
            min_side: 600,
        };
        assert_eq!(fixed.draw(&mut rng), (800, 600));
    }
}
