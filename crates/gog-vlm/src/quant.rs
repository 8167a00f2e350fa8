//! Weight-only quantisation for the CPU: Q8 and Q4 per-block symmetric matrices with f32 scales,
//! and the matrix–vector (decode) and matrix–matrix (prefill) products over them.
//!
//! burn's `flex` backend has no quantised matmul (it dequantises the whole weight on every call),
//! so the decoder's linear layers on the CPU use this kernel instead. A weight `[out, in]` is kept
//! row by row, each row cut into blocks of 32 inputs with one f32 scale per block: Q8 stores a
//! signed byte per weight, Q4 a signed nibble (two per byte). Products accumulate in f32 against
//! the unquantised activations, so the result equals the product with the dequantised weight up
//! to summation order. The inner loops are written for the compiler to vectorise, and are built
//! for AVX-512 and AVX2 with a run-time choice natively (simd128 in the browser); output rows are
//! shared among threads natively.

// The inner loops index lanes explicitly: that is the shape the loop vectoriser turns into SIMD.
#![allow(clippy::needless_range_loop)]

use multiversion::multiversion;

/// Weights per block, each block with its own scale.
pub const BLOCK: usize = 32;

/// How weights are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuantFormat {
    /// A signed byte per weight in [-127, 127].
    Q8,
    /// A signed nibble per weight in [-7, 7], two per byte.
    Q4,
}

impl QuantFormat {
    /// The name used on command lines, in manifests and in traces.
    pub fn name(self) -> &'static str {
        match self {
            QuantFormat::Q8 => "q8",
            QuantFormat::Q4 => "q4",
        }
    }

    /// The largest stored magnitude.
    fn levels(self) -> f32 {
        match self {
            QuantFormat::Q8 => 127.0,
            QuantFormat::Q4 => 7.0,
        }
    }

    /// Bytes of values in one block.
    fn block_bytes(self) -> usize {
        match self {
            QuantFormat::Q8 => BLOCK,
            QuantFormat::Q4 => BLOCK / 2,
        }
    }
}

impl std::str::FromStr for QuantFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        [QuantFormat::Q8, QuantFormat::Q4]
            .into_iter()
            .find(|format| format.name() == text)
            .ok_or_else(|| format!("unknown quantisation {text:?}; use q8 or q4"))
    }
}

/// A weight matrix that cannot be quantised.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QuantError {
    #[error(
        "a [{rows}, {cols}] weight cannot be quantised: its input size is not a multiple of {BLOCK}"
    )]
    Shape { rows: usize, cols: usize },
    #[error("a block scale of {0} is not a finite, non-negative number")]
    Scale(f32),
    #[error("a weight of {values} values is not [{rows}, {cols}]")]
    Length {
        values: usize,
        rows: usize,
        cols: usize,
    },
}

/// A quantised `[rows, cols]` weight: `rows` outputs, `cols` inputs.
#[derive(Clone, PartialEq)]
pub struct QuantMatrix {
    format: QuantFormat,
    rows: usize,
    cols: usize,
    /// Row-major blocks of values.
    values: Vec<u8>,
    /// One scale per block, row-major.
    scales: Vec<f32>,
}

impl std::fmt::Debug for QuantMatrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "QuantMatrix({:?}, [{}, {}])",
            self.format, self.rows, self.cols
        )
    }
}

impl QuantMatrix {
    /// Quantises a row-major `[rows, cols]` weight: each block's scale maps its largest
    /// magnitude to the largest level, and values round to the nearest level.
    pub fn quantize(
        format: QuantFormat,
        weight: &[f32],
        rows: usize,
        cols: usize,
    ) -> Result<Self, QuantError> {
        if weight.len() != rows * cols {
            return Err(QuantError::Length {
                values: weight.len(),
                rows,
                cols,
            });
        }
        if cols == 0 || !cols.is_multiple_of(BLOCK) {
            return Err(QuantError::Shape { rows, cols });
        }
        let blocks = rows * cols / BLOCK;
        let mut values = Vec::with_capacity(blocks * format.block_bytes());
        let mut scales = Vec::with_capacity(blocks);
        let levels = format.levels();
        for block in weight.as_chunks::<BLOCK>().0 {
            let max = block.iter().fold(0.0f32, |m, w| m.max(w.abs()));
            let scale = max / levels;
            let inverse = if scale > 0.0 { 1.0 / scale } else { 0.0 };
            let quantized = block.map(|w| (w * inverse).round().clamp(-levels, levels) as i8);
            scales.push(scale);
            match format {
                QuantFormat::Q8 => values.extend(quantized.iter().map(|&q| q as u8)),
                QuantFormat::Q4 => values.extend(
                    quantized
                        .chunks_exact(2)
                        .map(|pair| ((pair[0] + 8) as u8) | (((pair[1] + 8) as u8) << 4)),
                ),
            }
        }
        Ok(QuantMatrix {
            format,
            rows,
            cols,
            values,
            scales,
        })
    }

    /// A matrix from stored blocks: `values` row-major (`cols` bytes per row for Q8, `cols / 2`
    /// for Q4) and one scale per block of 32.
    pub fn from_parts(
        format: QuantFormat,
        rows: usize,
        cols: usize,
        values: Vec<u8>,
        scales: Vec<f32>,
    ) -> Result<Self, QuantError> {
        if cols == 0 || !cols.is_multiple_of(BLOCK) {
            return Err(QuantError::Shape { rows, cols });
        }
        let blocks = rows * cols / BLOCK;
        if values.len() != blocks * format.block_bytes() || scales.len() != blocks {
            return Err(QuantError::Length {
                values: values.len(),
                rows,
                cols,
            });
        }
        if let Some(&bad) = scales.iter().find(|s| !(s.is_finite() && **s >= 0.0)) {
            return Err(QuantError::Scale(bad));
        }
        Ok(QuantMatrix {
            format,
            rows,
            cols,
            values,
            scales,
        })
    }

    /// The stored blocks and scales, as [`QuantMatrix::from_parts`] takes them.
    pub fn parts(&self) -> (&[u8], &[f32]) {
        (&self.values, &self.scales)
    }

    /// Bytes of stored values in one row.
    pub fn row_bytes(format: QuantFormat, cols: usize) -> usize {
        cols / BLOCK * format.block_bytes()
    }

    pub fn format(&self) -> QuantFormat {
        self.format
    }

    /// `[rows, cols]`.
    pub fn shape(&self) -> [usize; 2] {
        [self.rows, self.cols]
    }

    /// Bytes the matrix occupies (values and scales).
    pub fn size_bytes(&self) -> usize {
        self.values.len() + 4 * self.scales.len()
    }

    /// The matrix cut into consecutive pieces of at most `max_rows` rows (at least one each).
    pub fn split_rows(&self, max_rows: usize) -> Vec<QuantMatrix> {
        let rows_per_piece = max_rows.max(1);
        let row_bytes = Self::row_bytes(self.format, self.cols);
        let row_blocks = self.cols / BLOCK;
        (0..self.rows)
            .step_by(rows_per_piece)
            .map(|first| {
                let rows = rows_per_piece.min(self.rows - first);
                QuantMatrix {
                    format: self.format,
                    rows,
                    cols: self.cols,
                    values: self.values[first * row_bytes..(first + rows) * row_bytes].to_vec(),
                    scales: self.scales[first * row_blocks..(first + rows) * row_blocks].to_vec(),
                }
            })
            .collect()
    }

    /// One row as f32, appended to `out`.
    pub fn dequantize_row(&self, row: usize, out: &mut Vec<f32>) {
        let blocks = self.cols / BLOCK;
        for block in row * blocks..(row + 1) * blocks {
            out.extend(self.block(block));
        }
    }

    /// The weight as f32, row-major: what the products compute with.
    pub fn dequantize(&self) -> Vec<f32> {
        let mut out = Vec::with_capacity(self.rows * self.cols);
        for block in 0..self.scales.len() {
            out.extend(self.block(block));
        }
        out
    }

    /// One block's weights as f32.
    fn block(&self, index: usize) -> [f32; BLOCK] {
        let bytes = self.format.block_bytes();
        let values = &self.values[index * bytes..(index + 1) * bytes];
        let scale = self.scales[index];
        let mut out = [0.0; BLOCK];
        match self.format {
            QuantFormat::Q8 => {
                for (o, &v) in out.iter_mut().zip(values) {
                    *o = f32::from(v as i8) * scale;
                }
            }
            QuantFormat::Q4 => {
                for (pair, &v) in out.chunks_exact_mut(2).zip(values) {
                    pair[0] = f32::from((v & 0x0f) as i8 - 8) * scale;
                    pair[1] = f32::from((v >> 4) as i8 - 8) * scale;
                }
            }
        }
        out
    }

    /// `x · Wᵀ` for `m` rows of activations `x` (`[m, cols]`, row-major): `[m, rows]`.
    pub fn matmul(&self, x: &[f32], m: usize) -> Vec<f32> {
        assert_eq!(
            x.len(),
            m * self.cols,
            "activations are not [{m}, {}]",
            self.cols
        );
        let mut transposed = vec![0.0; self.rows * m];
        // A few tasks per thread: enough to balance, few enough that scheduling is cheap.
        #[cfg(not(target_family = "wasm"))]
        let tasks = 4 * rayon::current_num_threads();
        #[cfg(target_family = "wasm")]
        let tasks = 1;
        let rows_per_task = self.rows.div_ceil(tasks).max(1);
        let task = |(index, out): (usize, &mut [f32])| {
            let first_row = index * rows_per_task;
            for (offset, row_out) in out.chunks_exact_mut(m).enumerate() {
                self.row_products(first_row + offset, x, row_out);
            }
        };
        #[cfg(not(target_family = "wasm"))]
        {
            use rayon::prelude::*;
            transposed
                .par_chunks_mut(rows_per_task * m)
                .enumerate()
                .for_each(task);
        }
        #[cfg(target_family = "wasm")]
        transposed
            .chunks_mut(rows_per_task * m)
            .enumerate()
            .for_each(task);
        if m == 1 {
            return transposed;
        }
        let mut out = vec![0.0; m * self.rows];
        for (row, outputs) in transposed.chunks_exact(m).enumerate() {
            for (i, &value) in outputs.iter().enumerate() {
                out[i * self.rows + row] = value;
            }
        }
        out
    }

    /// Output `row` for each of the `out.len()` activation rows.
    fn row_products(&self, row: usize, x: &[f32], out: &mut [f32]) {
        let blocks_per_row = self.cols / BLOCK;
        let bytes = self.format.block_bytes();
        let values = &self.values[row * blocks_per_row * bytes..(row + 1) * blocks_per_row * bytes];
        let scales = &self.scales[row * blocks_per_row..(row + 1) * blocks_per_row];
        if out.len() == 1 {
            out[0] = match self.format {
                QuantFormat::Q8 => dot_q8_row(values, scales, x),
                QuantFormat::Q4 => dot_q4_row(values, scales, x),
            };
            return;
        }
        // Several activation rows share each dequantised block.
        out.fill(0.0);
        for block in 0..blocks_per_row {
            let weights = self.block(row * blocks_per_row + block);
            for (i, o) in out.iter_mut().enumerate() {
                let start = i * self.cols + block * BLOCK;
                *o += dot_f32(&weights, &x[start..start + BLOCK]);
            }
        }
    }
}

/// Lanes of the accumulators: two AVX2 registers or one AVX-512 register.
const LANES: usize = 16;

/// Σ over a row's Q8 blocks of scale · (x · q).
#[multiversion(targets("x86_64+avx512f+avx512bw", "x86_64+avx2+fma"))]
fn dot_q8_row(values: &[u8], scales: &[f32], x: &[f32]) -> f32 {
    let mut total = [0.0f32; LANES];
    let (values, _) = values.as_chunks::<BLOCK>();
    let (x, _) = x.as_chunks::<BLOCK>();
    for ((q, &scale), x) in values.iter().zip(scales).zip(x) {
        let mut block = [0.0f32; LANES];
        for half in 0..BLOCK / LANES {
            for lane in 0..LANES {
                let i = half * LANES + lane;
                block[lane] += x[i] * f32::from(q[i] as i8);
            }
        }
        for lane in 0..LANES {
            total[lane] += scale * block[lane];
        }
    }
    total.iter().sum()
}

/// Σ over a row's Q4 blocks of scale · (x · q). A byte holds weights 2i (low nibble) and
/// 2i + 1 (high nibble).
#[multiversion(targets("x86_64+avx512f+avx512bw", "x86_64+avx2+fma"))]
fn dot_q4_row(values: &[u8], scales: &[f32], x: &[f32]) -> f32 {
    let mut total = [0.0f32; LANES];
    let (values, _) = values.as_chunks::<{ BLOCK / 2 }>();
    let (x, _) = x.as_chunks::<BLOCK>();
    for ((q, &scale), x) in values.iter().zip(scales).zip(x) {
        let mut even = [0.0f32; LANES];
        let mut odd = [0.0f32; LANES];
        for lane in 0..LANES {
            even[lane] = f32::from((q[lane] & 0x0f) as i8 - 8);
            odd[lane] = f32::from((q[lane] >> 4) as i8 - 8);
        }
        let mut block = [0.0f32; LANES];
        for lane in 0..LANES {
            block[lane] += x[2 * lane] * even[lane] + x[2 * lane + 1] * odd[lane];
        }
        for lane in 0..LANES {
            total[lane] += scale * block[lane];
        }
    }
    total.iter().sum()
}

#[multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))]
fn dot_f32(a: &[f32; BLOCK], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; LANES];
    for (a, b) in a.chunks_exact(LANES).zip(b.chunks_exact(LANES)) {
        for lane in 0..LANES {
            lanes[lane] += a[lane] * b[lane];
        }
    }
    lanes.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pseudo_random(len: usize, seed: u32) -> Vec<f32> {
        let mut state = seed;
        (0..len)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / (1u32 << 23) as f32 - 1.0
            })
            .collect()
    }

    /// The plain product with the dequantised weight, in f64.
    fn reference(weight: &[f32], x: &[f32], m: usize, rows: usize, cols: usize) -> Vec<f32> {
        let mut out = vec![0.0; m * rows];
        for i in 0..m {
            for r in 0..rows {
                out[i * rows + r] = (0..cols)
                    .map(|c| f64::from(x[i * cols + c]) * f64::from(weight[r * cols + c]))
                    .sum::<f64>() as f32;
            }
        }
        out
    }

    #[test]
    fn products_equal_the_dequantised_product() {
        for format in [QuantFormat::Q8, QuantFormat::Q4] {
            for (rows, cols, m) in [
                (1, 32, 1),
                (37, 96, 1),
                (64, 256, 3),
                (130, 2048, 1),
                (5, 64, 17),
            ] {
                let weight = pseudo_random(rows * cols, 1);
                let x = pseudo_random(m * cols, 2);
                let quantized = QuantMatrix::quantize(format, &weight, rows, cols).unwrap();
                let expected = reference(&quantized.dequantize(), &x, m, rows, cols);
                let got = quantized.matmul(&x, m);
                let diff = got
                    .iter()
                    .zip(&expected)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f32::max);
                assert!(
                    diff < 1e-5 * (cols as f32).sqrt(),
                    "{format:?} [{rows}, {cols}] × {m}: differs by {diff}"
                );
            }
        }
    }

    #[test]
    fn quantisation_error_is_bounded_by_half_a_step() {
        for format in [QuantFormat::Q8, QuantFormat::Q4] {
            let weight = pseudo_random(8 * 64, 3);
            let quantized = QuantMatrix::quantize(format, &weight, 8, 64).unwrap();
            for (block, (original, restored)) in weight
                .chunks_exact(BLOCK)
                .zip(quantized.dequantize().chunks_exact(BLOCK))
                .enumerate()
            {
                let step = quantized.scales[block];
                for (w, r) in original.iter().zip(restored) {
                    assert!((w - r).abs() <= 0.5 * step + 1e-7, "{format:?}: {w} → {r}");
                }
            }
            let expected = match format {
                QuantFormat::Q8 => 8 * 64 + 4 * 16,
                QuantFormat::Q4 => 8 * 32 + 4 * 16,
            };
            assert_eq!(quantized.size_bytes(), expected);
        }
    }

    /// Quantisation quality on a real-size layer (Qwen decoders' 2048 × 2048 projections) with
    /// uniform random weights and activations: cosine similarity of the products with the f32
    /// product, and how often the largest output stays the largest.
    #[test]
    fn quality_on_a_real_size_layer() {
        let (rows, cols, m) = (2048, 2048, 16);
        let weight = pseudo_random(rows * cols, 5);
        let x = pseudo_random(m * cols, 6);
        let exact = reference(&weight, &x, m, rows, cols);
        for (format, min_cosine) in [(QuantFormat::Q8, 0.9999), (QuantFormat::Q4, 0.99)] {
            let got = QuantMatrix::quantize(format, &weight, rows, cols)
                .unwrap()
                .matmul(&x, m);
            let (dot, a2, b2) = got
                .iter()
                .zip(&exact)
                .fold((0.0, 0.0, 0.0), |acc, (&a, &b)| {
                    let (a, b) = (f64::from(a), f64::from(b));
                    (acc.0 + a * b, acc.1 + a * a, acc.2 + b * b)
                });
            let cosine = dot / (a2 * b2).sqrt();
            let top1 = got
                .chunks_exact(rows)
                .zip(exact.chunks_exact(rows))
                .filter(|(a, b)| crate::sampling::argmax(a) == crate::sampling::argmax(b))
                .count();
            println!("{format:?} [{rows}, {cols}]: cosine {cosine:.6}, top-1 {top1}/{m}");
            assert!(cosine > min_cosine, "{format:?}: cosine {cosine}");
        }
    }

    #[test]
    fn row_pieces_restore_the_matrix() {
        for format in [QuantFormat::Q8, QuantFormat::Q4] {
            let quantized =
                QuantMatrix::quantize(format, &pseudo_random(7 * 64, 4), 7, 64).unwrap();
            let pieces = quantized.split_rows(3);
            let shapes: Vec<_> = pieces.iter().map(QuantMatrix::shape).collect();
            assert_eq!(shapes, [[3, 64], [3, 64], [1, 64]], "{format:?}");
            let joined: Vec<f32> = pieces.iter().flat_map(QuantMatrix::dequantize).collect();
            assert_eq!(joined, quantized.dequantize(), "{format:?}");
            let mut rows = Vec::new();
            (0..7).for_each(|row| quantized.dequantize_row(row, &mut rows));
            assert_eq!(rows, quantized.dequantize(), "{format:?}");
        }
    }

    #[test]
    fn zero_blocks_and_bad_shapes() {
        let zeros = QuantMatrix::quantize(QuantFormat::Q4, &[0.0; 64], 2, 32).unwrap();
        assert_eq!(zeros.matmul(&[1.0; 32], 1), [0.0, 0.0]);
        assert_eq!(
            QuantMatrix::quantize(QuantFormat::Q8, &[0.0; 30], 1, 30),
            Err(QuantError::Shape { rows: 1, cols: 30 })
        );
        assert!(matches!(
            QuantMatrix::quantize(QuantFormat::Q8, &[0.0; 31], 1, 32),
            Err(QuantError::Length { .. })
        ));
    }
}
