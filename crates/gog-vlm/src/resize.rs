//! Bicubic resizing that gives Pillow's bytes exactly.
//!
//! The Qwen-VL processors resize with `PIL.Image.resize(size, BICUBIC)`, and the models were
//! trained on what that produces, so the runtime reproduces Pillow's algorithm rather than any
//! bicubic: a separable convolution (horizontal pass first, 8-bit result in between) with the
//! Keys kernel at a = −0.5, widened by the scale factor when shrinking (antialiasing), and 22-bit
//! fixed-point weights (`Resample.c`, `ImagingResample*_8bpc`).

use image::RgbImage;

/// Fixed-point precision of Pillow's 8-bit resampling weights.
const PRECISION_BITS: u32 = 32 - 8 - 2;
/// Half-width of the bicubic kernel at scale 1.
const BICUBIC_SUPPORT: f64 = 2.0;

fn bicubic(x: f64) -> f64 {
    const A: f64 = -0.5;
    let x = x.abs();
    if x < 1.0 {
        ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        (((x - 5.0) * x + 8.0) * x - 4.0) * A
    } else {
        0.0
    }
}

/// For each output sample: the first input sample it reads and its fixed-point weights.
#[derive(Debug)]
struct Taps {
    first: Vec<usize>,
    weights: Vec<Vec<i32>>,
}

fn taps(in_size: usize, out_size: usize) -> Taps {
    let scale = in_size as f64 / out_size as f64;
    let filter_scale = scale.max(1.0);
    let support = BICUBIC_SUPPORT * filter_scale;
    let mut first = Vec::with_capacity(out_size);
    let mut weights = Vec::with_capacity(out_size);
    for out in 0..out_size {
        let center = (out as f64 + 0.5) * scale;
        // Pillow truncates toward zero, then clamps.
        let start = ((center - support + 0.5) as i64).max(0) as usize;
        let end = ((center + support + 0.5) as i64).clamp(0, in_size as i64) as usize;
        let raw: Vec<f64> = (start..end)
            .map(|x| bicubic((x as f64 - center + 0.5) / filter_scale))
            .collect();
        let total: f64 = raw.iter().sum();
        let fixed = raw
            .iter()
            .map(|w| {
                let w = if total != 0.0 { w / total } else { *w };
                let scaled = w * f64::from(1u32 << PRECISION_BITS);
                if w < 0.0 {
                    (scaled - 0.5) as i32
                } else {
                    (scaled + 0.5) as i32
                }
            })
            .collect();
        first.push(start);
        weights.push(fixed);
    }
    Taps { first, weights }
}

fn clip8(accumulator: i64) -> u8 {
    (accumulator >> PRECISION_BITS).clamp(0, 255) as u8
}

/// Where samples sit in a buffer: a line is a row (horizontal pass) or a column (vertical pass).
#[derive(Debug, Clone, Copy)]
struct Layout {
    /// Distance between neighbouring samples of one line, in bytes.
    sample: usize,
    /// Distance between the starts of neighbouring lines, in bytes.
    line: usize,
}

/// One separable pass: every line of `source` is convolved with `taps` into `out`.
fn convolve(source: &[u8], from: Layout, lines: usize, taps: &Taps, out: &mut [u8], to: Layout) {
    for line in 0..lines {
        for (o, (start, weights)) in taps.first.iter().zip(&taps.weights).enumerate() {
            for channel in 0..3 {
                let mut acc: i64 = 1 << (PRECISION_BITS - 1);
                for (k, weight) in weights.iter().enumerate() {
                    let index = line * from.line + (start + k) * from.sample + channel;
                    acc += i64::from(source[index]) * i64::from(*weight);
                }
                out[line * to.line + o * to.sample + channel] = clip8(acc);
            }
        }
    }
}

/// Resizes `image` to `width`×`height` exactly as `PIL.Image.resize((width, height), BICUBIC)`.
pub fn resize_bicubic(image: &RgbImage, width: u32, height: u32) -> RgbImage {
    let (in_w, in_h) = (image.width() as usize, image.height() as usize);
    let (out_w, out_h) = (width as usize, height as usize);
    if (in_w, in_h) == (out_w, out_h) {
        return image.clone();
    }
    if in_w == 0 || in_h == 0 {
        return RgbImage::new(width, height);
    }
    let mut pixels = image.as_raw().clone();
    if out_w != in_w {
        let mut out = vec![0u8; in_h * out_w * 3];
        let from = Layout {
            sample: 3,
            line: in_w * 3,
        };
        let to = Layout {
            sample: 3,
            line: out_w * 3,
        };
        convolve(&pixels, from, in_h, &taps(in_w, out_w), &mut out, to);
        pixels = out;
    }
    if out_h != in_h {
        let mut out = vec![0u8; out_h * out_w * 3];
        let columns = Layout {
            sample: out_w * 3,
            line: 3,
        };
        convolve(
            &pixels,
            columns,
            out_w,
            &taps(in_h, out_h),
            &mut out,
            columns,
        );
        pixels = out;
    }
    RgbImage::from_raw(width, height, pixels).unwrap_or_else(|| RgbImage::new(width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_sum_to_one_in_fixed_point() {
        for (input, output) in [(150, 140), (60, 56), (200, 112), (90, 84), (10, 37)] {
            let taps = taps(input, output);
            for weights in &taps.weights {
                let sum: i64 = weights.iter().map(|w| i64::from(*w)).sum();
                assert!(
                    (sum - (1 << PRECISION_BITS)).abs() <= weights.len() as i64,
                    "{sum}"
                );
            }
        }
    }

    #[test]
    fn a_flat_image_stays_flat() {
        let image = RgbImage::from_pixel(31, 17, image::Rgb([12, 200, 77]));
        let resized = resize_bicubic(&image, 13, 40);
        assert!(resized.pixels().all(|p| p.0 == [12, 200, 77]));
    }
}
