//! Backgrounds made from the seed, so that scenes are not all laid on a handful of photos:
//! gradients, noise textures, stripes, checks and clutter. A scene draws only the pattern and a
//! seed; the pattern's colours, angles and shapes come from that seed, and pixel noise from a
//! hash of it, so a backdrop is cheap to describe and the same every time.

use image::{Rgb, RgbImage};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The kinds of made backgrounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// Two or three colours blended along a direction.
    Gradient,
    /// Smooth fractal value noise between colours, like paper, stone or clouds.
    Noise,
    /// Bands of two or three colours at an angle.
    Stripes,
    /// A checkerboard at an angle.
    Checks,
    /// Translucent discs, rings, strokes and triangles over a gradient; never axis-aligned
    /// rectangles, which could pass for pictures.
    Clutter,
}

impl Pattern {
    pub const ALL: [Pattern; 5] = [
        Pattern::Gradient,
        Pattern::Noise,
        Pattern::Stripes,
        Pattern::Checks,
        Pattern::Clutter,
    ];

    fn name(self) -> &'static str {
        match self {
            Pattern::Gradient => "gradient",
            Pattern::Noise => "noise",
            Pattern::Stripes => "stripes",
            Pattern::Checks => "checks",
            Pattern::Clutter => "clutter",
        }
    }
}

/// A made background: its pattern and the seed of everything else about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Synthetic {
    pub pattern: Pattern,
    pub seed: u64,
}

/// How far fine grain moves each channel either way, so no area is one flat colour.
const GRAIN: i32 = 6;

impl Synthetic {
    /// `synthetic-stripes`, …: the name a record gives it.
    pub fn name(&self) -> String {
        format!("synthetic-{}", self.pattern.name())
    }

    pub fn render(&self, (w, h): (u32, u32)) -> RgbImage {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let colours = [colour(&mut rng), colour(&mut rng), colour(&mut rng)];
        let angle = rng.random_range(0.0..std::f64::consts::PI);
        let (sin, cos) = angle.sin_cos();
        let short = f64::from(w.min(h));
        let along = |x: u32, y: u32| f64::from(x) * cos + f64::from(y) * sin;
        let across = |x: u32, y: u32| -f64::from(x) * sin + f64::from(y) * cos;
        let span = f64::from(w) * cos.abs() + f64::from(h) * sin.abs();
        let offset = along(0, 0)
            .min(along(w, 0))
            .min(along(0, h))
            .min(along(w, h));
        let gradient = |x: u32, y: u32| blend(&colours, (along(x, y) - offset) / span);
        let mut image = match self.pattern {
            Pattern::Gradient => RgbImage::from_fn(w, h, gradient),
            Pattern::Noise => {
                let cell = short * rng.random_range(0.08..0.4);
                RgbImage::from_fn(w, h, |x, y| {
                    blend(
                        &colours,
                        fractal_noise(self.seed, f64::from(x) / cell, f64::from(y) / cell),
                    )
                })
            }
            Pattern::Stripes => {
                let period = short * rng.random_range(0.02..0.2);
                let bands = rng.random_range(2..=3);
                RgbImage::from_fn(w, h, |x, y| {
                    colours[(along(x, y) / period).floor().rem_euclid(f64::from(bands)) as usize]
                })
            }
            Pattern::Checks => {
                let side = short * rng.random_range(0.03..0.15);
                RgbImage::from_fn(w, h, |x, y| {
                    let parity = (along(x, y) / side).floor() + (across(x, y) / side).floor();
                    colours[parity.rem_euclid(2.0) as usize]
                })
            }
            Pattern::Clutter => {
                let mut image = RgbImage::from_fn(w, h, gradient);
                for _ in 0..rng.random_range(25..90) {
                    shape(&mut image, &mut rng);
                }
                image
            }
        };
        for (x, y, pixel) in image.enumerate_pixels_mut() {
            let grain = (hash(self.seed, x, y) % (2 * GRAIN as u64 + 1)) as i32 - GRAIN;
            for c in &mut pixel.0 {
                *c = (i32::from(*c) + grain).clamp(0, 255) as u8;
            }
        }
        image
    }
}

fn colour(rng: &mut impl Rng) -> Rgb<u8> {
    Rgb([rng.random(), rng.random(), rng.random()])
}

/// The colour at `t` (0 to 1) along the stops, evenly spaced.
fn blend(stops: &[Rgb<u8>; 3], t: f64) -> Rgb<u8> {
    let t = t.clamp(0.0, 1.0) * 2.0;
    let (from, to, t) = if t < 1.0 {
        (stops[0], stops[1], t)
    } else {
        (stops[1], stops[2], t - 1.0)
    };
    Rgb(std::array::from_fn(|i| {
        (f64::from(from[i]) * (1.0 - t) + f64::from(to[i]) * t).round() as u8
    }))
}

/// A well-mixed 64-bit hash of the seed and a lattice point.
fn hash(seed: u64, x: u32, y: u32) -> u64 {
    let mut z = seed ^ (u64::from(x) << 32 | u64::from(y)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Value noise at `(x, y)` in lattice units: random values at lattice points, blended
/// smoothly; four octaves, each half the size and weight of the one before; 0 to 1.
fn fractal_noise(seed: u64, x: f64, y: f64) -> f64 {
    let mut total = 0.0;
    let mut weight = 1.0;
    let mut sum = 0.0;
    for octave in 0..4u32 {
        let scale = f64::from(1u32 << octave);
        total += weight * value_noise(seed.wrapping_add(u64::from(octave)), x * scale, y * scale);
        sum += weight;
        weight /= 2.0;
    }
    total / sum
}

fn value_noise(seed: u64, x: f64, y: f64) -> f64 {
    let (x0, y0) = (x.floor(), y.floor());
    let smooth = |t: f64| t * t * (3.0 - 2.0 * t);
    let (fx, fy) = (smooth(x - x0), smooth(y - y0));
    let at = |dx: u32, dy: u32| {
        (hash(seed, x0 as u32 + dx, y0 as u32 + dy) >> 11) as f64 / (1u64 << 53) as f64
    };
    let top = at(0, 0) * (1.0 - fx) + at(1, 0) * fx;
    let bottom = at(0, 1) * (1.0 - fx) + at(1, 1) * fx;
    top * (1.0 - fy) + bottom * fy
}

/// Draws one translucent disc, ring, stroke or triangle at random.
fn shape(image: &mut RgbImage, rng: &mut impl Rng) {
    let (w, h) = (f64::from(image.width()), f64::from(image.height()));
    let size = w.min(h) * rng.random_range(0.02..0.25);
    let (cx, cy) = (rng.random_range(0.0..w), rng.random_range(0.0..h));
    let ink = colour(rng);
    let opacity = rng.random_range(0.35..0.9);
    // Each shape says whether a point is inside it, and how far from its centre it reaches.
    let (inside, reach): (Box<dyn Fn(f64, f64) -> bool>, f64) = match rng.random_range(0..4) {
        0 => (Box::new(move |x, y| (x - cx).hypot(y - cy) <= size), size),
        1 => {
            let thickness = size * rng.random_range(0.1..0.4);
            (
                Box::new(move |x, y| ((x - cx).hypot(y - cy) - size).abs() <= thickness / 2.0),
                size + thickness,
            )
        }
        2 => {
            let angle = rng.random_range(0.0..std::f64::consts::PI);
            let (sin, cos) = angle.sin_cos();
            let thickness = size * rng.random_range(0.05..0.2);
            (
                Box::new(move |x, y| {
                    let (dx, dy) = (x - cx, y - cy);
                    (dx * cos + dy * sin).abs() <= size && (-dx * sin + dy * cos).abs() <= thickness
                }),
                size + thickness,
            )
        }
        _ => {
            let corners: [(f64, f64); 3] = std::array::from_fn(|_| {
                (
                    cx + rng.random_range(-size..size),
                    cy + rng.random_range(-size..size),
                )
            });
            (
                Box::new(move |x, y| {
                    let side = |(ax, ay): (f64, f64), (bx, by): (f64, f64)| {
                        (bx - ax) * (y - ay) - (by - ay) * (x - ax)
                    };
                    let s = [
                        side(corners[0], corners[1]),
                        side(corners[1], corners[2]),
                        side(corners[2], corners[0]),
                    ];
                    s.iter().all(|&v| v >= 0.0) || s.iter().all(|&v| v <= 0.0)
                }),
                size,
            )
        }
    };
    let x_range = (cx - reach).max(0.0) as u32..((cx + reach).ceil().min(w)) as u32;
    let y_range = (cy - reach).max(0.0) as u32..((cy + reach).ceil().min(h)) as u32;
    for y in y_range {
        for x in x_range.clone() {
            if inside(f64::from(x) + 0.5, f64::from(y) + 0.5) {
                let pixel = image.get_pixel_mut(x, y);
                for (c, i) in pixel.0.iter_mut().zip(ink.0) {
                    *c = (f64::from(*c) * (1.0 - opacity) + f64::from(i) * opacity).round() as u8;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_is_the_same_for_the_same_seed_and_not_flat() {
        for pattern in Pattern::ALL {
            let made = Synthetic { pattern, seed: 11 };
            let image = made.render((160, 90));
            assert_eq!(image, made.render((160, 90)), "{pattern:?}");
            assert_ne!(image, Synthetic { pattern, seed: 12 }.render((160, 90)));
            let first = image.get_pixel(0, 0);
            let far = image.pixels().filter(|p| {
                p.0.iter()
                    .zip(first.0)
                    .map(|(a, b)| a.abs_diff(b) as u32)
                    .sum::<u32>()
                    > 40
            });
            assert!(far.count() > 0, "{pattern:?} is one colour");
        }
    }
}
