//! The picture descriptor: colour layout, colour histogram and gradient orientations.

use image::RgbImage;

/// Side of the square patch a window is resampled to before it is described.
const PATCH: usize = 48;
/// Colour layout: mean opponent colour over a 4 × 4 grid.
const LAYOUT_GRID: usize = 4;
const LAYOUT_LEN: usize = LAYOUT_GRID * LAYOUT_GRID * 3;
/// Colour histogram: 4 levels per RGB channel, joint.
const HIST_LEVELS: usize = 4;
const HIST_LEN: usize = HIST_LEVELS * HIST_LEVELS * HIST_LEVELS;
/// Gradient orientations (signed, 8 bins) over a 6 × 6 grid.
const GRADIENT_GRID: usize = 6;
const ORIENTATIONS: usize = 8;
const GRADIENT_LEN: usize = GRADIENT_GRID * GRADIENT_GRID * ORIENTATIONS;

/// Length of a [`Descriptor`].
pub const DESCRIPTOR_LEN: usize = LAYOUT_LEN + HIST_LEN + GRADIENT_LEN;

/// Longest side a picture is brought down to before windows are cut from it: enough detail for
/// a 48-pixel patch of a window a third of the picture wide.
const WORKING_SIDE: u32 = 384;

/// The windows a query is compared through, as `[left, top, width, height]` fractions of the
/// query: the whole of it, then 80 % and 67 % windows on a 3 × 3 grid of positions. A loose crop
/// with up to a quarter of background around its subject has one of them close to the subject.
pub const QUERY_WINDOWS: [[f32; 4]; 19] = {
    let mut windows = [[0.0, 0.0, 1.0, 1.0]; 19];
    let scales = [0.8f32, 2.0 / 3.0];
    let mut i = 1;
    let mut s = 0;
    while s < 2 {
        let size = scales[s];
        let mut row = 0;
        while row < 3 {
            let mut col = 0;
            while col < 3 {
                let step = (1.0 - size) / 2.0;
                windows[i] = [col as f32 * step, row as f32 * step, size, size];
                i += 1;
                col += 1;
            }
            row += 1;
        }
        s += 1;
    }
    windows
};

/// A unit-length description of a picture; the dot product of two is their similarity, the
/// mean of the cosine similarities of the three parts (layout, histogram, gradients).
#[derive(Debug, Clone, PartialEq)]
pub struct Descriptor(pub Vec<f32>);

impl Descriptor {
    /// Similarity in [−1, 1]; 1 for the same picture.
    pub fn similarity(&self, other: &[f32]) -> f32 {
        // Eight running sums rather than one: a single float sum must be added in order, so
        // the compiler cannot spread it over SIMD lanes; eight independent ones it can.
        const LANES: usize = 8;
        let (ours, theirs) = (self.0.chunks_exact(LANES), other.chunks_exact(LANES));
        let tail: f32 = ours
            .remainder()
            .iter()
            .zip(theirs.remainder())
            .map(|(a, b)| a * b)
            .sum();
        let mut sums = [0f32; LANES];
        for (a, b) in ours.zip(theirs) {
            for ((sum, x), y) in sums.iter_mut().zip(a).zip(b) {
                *sum += x * y;
            }
        }
        sums.iter().sum::<f32>() + tail
    }
}

/// A picture made ready for describing windows of it: brought down to [`WORKING_SIDE`] and
/// turned into summed-area tables, so any window's patch costs a few lookups per pixel.
#[derive(Debug, Clone)]
pub struct Prepared {
    width: usize,
    height: usize,
    /// Per channel, `(width + 1) × (height + 1)` prefix sums of values in [0, 1].
    integral: [Vec<f64>; 3],
}

impl Prepared {
    pub fn new(picture: &RgbImage) -> Self {
        let (w, h) = picture.dimensions();
        let scale = f64::from(WORKING_SIDE) / f64::from(w.max(h));
        let small;
        let picture = if scale < 1.0 {
            let nw = ((f64::from(w) * scale).round() as u32).max(1);
            let nh = ((f64::from(h) * scale).round() as u32).max(1);
            small = image::imageops::thumbnail(picture, nw, nh);
            &small
        } else {
            picture
        };
        let (width, height) = (picture.width() as usize, picture.height() as usize);
        let stride = width + 1;
        let mut integral = [0, 1, 2].map(|_| vec![0.0f64; stride * (height + 1)]);
        for y in 0..height {
            let mut row = [0.0f64; 3];
            for x in 0..width {
                let px = picture.get_pixel(x as u32, y as u32);
                for c in 0..3 {
                    row[c] += f64::from(px[c]) / 255.0;
                    integral[c][(y + 1) * stride + x + 1] =
                        integral[c][y * stride + x + 1] + row[c];
                }
            }
        }
        Self {
            width,
            height,
            integral,
        }
    }

    /// The prefix sum at a fractional position, interpolated bilinearly, so a box with
    /// fractional edges averages the pixels it covers in proportion.
    fn prefix(&self, c: usize, x: f64, y: f64) -> f64 {
        let x = x.clamp(0.0, self.width as f64);
        let y = y.clamp(0.0, self.height as f64);
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(self.width), (y0 + 1).min(self.height));
        let (fx, fy) = (x - x0 as f64, y - y0 as f64);
        let stride = self.width + 1;
        let t = &self.integral[c];
        let top = t[y0 * stride + x0] * (1.0 - fx) + t[y0 * stride + x1] * fx;
        let bottom = t[y1 * stride + x0] * (1.0 - fx) + t[y1 * stride + x1] * fx;
        top * (1.0 - fy) + bottom * fy
    }

    /// The window resampled to a `PATCH × PATCH` RGB patch by area averaging.
    fn patch(&self, window: [f32; 4]) -> Vec<[f32; 3]> {
        let [left, top, w, h] = window.map(f64::from);
        let (x0, y0) = (left * self.width as f64, top * self.height as f64);
        let (cw, ch) = (
            w * self.width as f64 / PATCH as f64,
            h * self.height as f64 / PATCH as f64,
        );
        let mut out = Vec::with_capacity(PATCH * PATCH);
        for py in 0..PATCH {
            let (ya, yb) = (y0 + py as f64 * ch, y0 + (py + 1) as f64 * ch);
            for px in 0..PATCH {
                let (xa, xb) = (x0 + px as f64 * cw, x0 + (px + 1) as f64 * cw);
                let area = ((xb - xa) * (yb - ya)).max(1e-12);
                out.push([0, 1, 2].map(|c| {
                    let sum =
                        self.prefix(c, xb, yb) - self.prefix(c, xa, yb) - self.prefix(c, xb, ya)
                            + self.prefix(c, xa, ya);
                    (sum / area) as f32
                }));
            }
        }
        out
    }

    /// The descriptor of one window (`[left, top, width, height]` as fractions).
    pub fn describe(&self, window: [f32; 4]) -> Descriptor {
        let patch = self.patch(window);
        let mut parts = [
            colour_layout(&patch),
            colour_histogram(&patch),
            gradients(&patch),
        ];
        let mut out = Vec::with_capacity(DESCRIPTOR_LEN);
        for part in &mut parts {
            normalise(part);
            out.extend(part.iter().map(|v| v / 3f32.sqrt()));
        }
        Descriptor(out)
    }

    /// The whole picture's descriptor: what the corpus stores for an entity.
    pub fn describe_whole(&self) -> Descriptor {
        self.describe(QUERY_WINDOWS[0])
    }
}

fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 1e-9 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Mean opponent colour (red–green, yellow–blue, brightness) per cell of a 4 × 4 grid, the
/// brightness centred so that a uniformly lighter or darker copy describes the same.
fn colour_layout(patch: &[[f32; 3]]) -> Vec<f32> {
    let cell = PATCH / LAYOUT_GRID;
    let mut out = vec![0.0f32; LAYOUT_LEN];
    for (i, [r, g, b]) in patch.iter().enumerate() {
        let (x, y) = (i % PATCH, i / PATCH);
        let k = ((y / cell) * LAYOUT_GRID + x / cell) * 3;
        out[k] += (r - g) / 2f32.sqrt();
        out[k + 1] += (r + g - 2.0 * b) / 6f32.sqrt();
        out[k + 2] += (r + g + b) / 3f32.sqrt();
    }
    let n = (cell * cell) as f32;
    out.iter_mut().for_each(|v| *v /= n);
    let mean = out.iter().skip(2).step_by(3).sum::<f32>() / (LAYOUT_GRID * LAYOUT_GRID) as f32;
    out.iter_mut().skip(2).step_by(3).for_each(|v| *v -= mean);
    out
}

/// Joint RGB histogram with 4 levels per channel, square-rooted (Hellinger), so the dot
/// product of two compares distributions rather than being dominated by the largest bin.
fn colour_histogram(patch: &[[f32; 3]]) -> Vec<f32> {
    let mut out = vec![0.0f32; HIST_LEN];
    let level = |v: f32| ((v * HIST_LEVELS as f32) as usize).min(HIST_LEVELS - 1);
    for [r, g, b] in patch {
        out[(level(*r) * HIST_LEVELS + level(*g)) * HIST_LEVELS + level(*b)] += 1.0;
    }
    out.iter_mut().for_each(|v| *v = v.sqrt());
    out
}

/// Histograms of gradient orientation (signed, magnitude-weighted, split between the two
/// nearest bins) per cell of a 6 × 6 grid of the brightness, square-rooted.
fn gradients(patch: &[[f32; 3]]) -> Vec<f32> {
    let lum = |x: usize, y: usize| {
        let [r, g, b] = patch[y * PATCH + x];
        (r + g + b) / 3.0
    };
    let cell = PATCH / GRADIENT_GRID;
    let mut out = vec![0.0f32; GRADIENT_LEN];
    for y in 1..PATCH - 1 {
        for x in 1..PATCH - 1 {
            let gx = lum(x + 1, y) - lum(x - 1, y);
            let gy = lum(x, y + 1) - lum(x, y - 1);
            let magnitude = (gx * gx + gy * gy).sqrt();
            if magnitude < 1e-6 {
                continue;
            }
            let angle = gy.atan2(gx).rem_euclid(std::f32::consts::TAU);
            let bin = angle / std::f32::consts::TAU * ORIENTATIONS as f32;
            let lower = bin.floor() as usize % ORIENTATIONS;
            let upper = (lower + 1) % ORIENTATIONS;
            let frac = bin - bin.floor();
            let k = ((y / cell) * GRADIENT_GRID + x / cell) * ORIENTATIONS;
            out[k + lower] += magnitude * (1.0 - frac);
            out[k + upper] += magnitude * frac;
        }
    }
    out.iter_mut().for_each(|v| *v = v.sqrt());
    out
}
