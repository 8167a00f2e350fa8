//! Linear layers loaded from a checkpoint.
//!
//! Hugging Face stores a linear weight as `[out, in]`; burn's `linear` multiplies by `[in, out]`,
//! so the weight is transposed once, on the host, while loading. A [`Projection`] may instead keep
//! its weight quantised for the CPU kernel.

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::quant::{BLOCK, QuantFormat, QuantMatrix};
use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::quantization::{QuantScheme, QuantStore, QuantValue, ScaleDtype};
use burn::tensor::{DType, Device, Tensor, TensorData};
use std::sync::Arc;

/// Reads `{prefix}.weight` (`[d_output, d_input]`, or any shape whose trailing dimensions
/// flatten to `d_input`, such as a patch-embedding convolution) and `{prefix}.bias` if `bias`.
pub fn load_linear(
    checkpoint: &mut Checkpoint,
    prefix: &str,
    stored_shape: &[usize],
    bias: bool,
    device: &Device,
) -> Result<Linear, CheckpointError> {
    let d_output = stored_shape[0];
    let d_input: usize = stored_shape[1..].iter().product();
    let stored = checkpoint.take(&format!("{prefix}.weight"), stored_shape)?;
    let bias = load_bias(checkpoint, prefix, d_output, bias, device)?;
    Ok(dense_from_rows(&stored, d_output, d_input, bias, device))
}

/// A dense layer from a row-major `[d_output, d_input]` weight, transposed on the host into the
/// `[d_input, d_output]` layout burn multiplies by.
pub fn dense_from_rows(
    weight: &[f32],
    d_output: usize,
    d_input: usize,
    bias: Option<Tensor<1>>,
    device: &Device,
) -> Linear {
    let mut transposed = vec![0.0; weight.len()];
    for (row, values) in weight.chunks_exact(d_input).enumerate() {
        for (col, &value) in values.iter().enumerate() {
            transposed[col * d_output + row] = value;
        }
    }
    let weight = Tensor::from_data(TensorData::new(transposed, [d_input, d_output]), device);
    Linear {
        weight: Param::from_tensor(weight),
        bias: bias.map(Param::from_tensor),
    }
}

/// `{prefix}.bias` when the layer has one.
fn load_bias(
    checkpoint: &mut Checkpoint,
    prefix: &str,
    d_output: usize,
    bias: bool,
    device: &Device,
) -> Result<Option<Tensor<1>>, CheckpointError> {
    if !bias {
        return Ok(None);
    }
    load_vector(checkpoint, &format!("{prefix}.bias"), d_output, device).map(Some)
}

/// A `[d_output, d_input]` linear layer.
pub fn load_dense(
    checkpoint: &mut Checkpoint,
    prefix: &str,
    d_input: usize,
    d_output: usize,
    bias: bool,
    device: &Device,
) -> Result<Linear, CheckpointError> {
    load_linear(checkpoint, prefix, &[d_output, d_input], bias, device)
}

/// A one-dimensional tensor such as a bias or a norm's scale.
pub fn load_vector(
    checkpoint: &mut Checkpoint,
    name: &str,
    len: usize,
    device: &Device,
) -> Result<Tensor<1>, CheckpointError> {
    let values = checkpoint.take(name, &[len])?;
    Ok(Tensor::from_data(TensorData::new(values, [len]), device))
}

/// A two-dimensional tensor kept in its stored layout, such as an embedding table.
pub fn load_matrix(
    checkpoint: &mut Checkpoint,
    name: &str,
    rows: usize,
    cols: usize,
    device: &Device,
) -> Result<Tensor<2>, CheckpointError> {
    let values = checkpoint.take(name, &[rows, cols])?;
    Ok(Tensor::from_data(
        TensorData::new(values, [rows, cols]),
        device,
    ))
}

/// How a quantised layer is multiplied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantKernel {
    /// The project's CPU kernel over blocks in host memory ([`crate::quant`]): for the CPU
    /// device, whose backend has no quantised matmul of its own.
    Host,
    /// burn's quantised matmul over blocks in device memory: on WebGPU, CubeCL's matmul
    /// dequantises each tile inside the kernel, so the weights stay packed on the GPU.
    Device,
}

/// Quantised weights for the decoder's linear layers and head, and where they are multiplied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantization {
    pub format: QuantFormat,
    pub kernel: QuantKernel,
}

impl Quantization {
    /// Blocks multiplied by the CPU kernel.
    pub fn host(format: QuantFormat) -> Self {
        Quantization {
            format,
            kernel: QuantKernel::Host,
        }
    }

    /// Blocks multiplied on the device.
    pub fn device(format: QuantFormat) -> Self {
        Quantization {
            format,
            kernel: QuantKernel::Device,
        }
    }
}

/// A linear layer whose weight is a dense tensor on the device, quantised blocks on the host
/// for the CPU kernel, or quantised blocks on the device.
#[derive(Module, Debug)]
pub struct Projection {
    dense: Option<Linear>,
    #[module(skip)]
    quantized: Option<QuantizedLinear>,
}

/// A quantised weight with its bias.
#[derive(Debug, Clone)]
struct QuantizedLinear {
    weight: QuantizedWeight,
    bias: Option<Tensor<1>>,
}

#[derive(Debug, Clone)]
enum QuantizedWeight {
    Host(Arc<QuantMatrix>),
    /// `[d_output, d_input]` in burn's symmetric per-block scheme, the same blocks and scales.
    Device(Box<Tensor<2>>),
}

/// A layer's weight as a checkpoint or package stores it.
pub enum StoredWeight {
    /// Row-major `[d_output, d_input]` values.
    Rows(Vec<f32>),
    /// Quantised blocks (a package's, or shared with the token embedding).
    Blocks(Arc<QuantMatrix>),
}

impl std::fmt::Debug for StoredWeight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.view().fmt(f)
    }
}

impl StoredWeight {
    /// Reads `{prefix}.weight` (`[d_output, d_input]`), or a package's `{prefix}.qweight`
    /// blocks and `{prefix}.qscale` scales.
    pub fn read(
        checkpoint: &mut Checkpoint,
        prefix: &str,
        [d_input, d_output]: [usize; 2],
    ) -> Result<Self, CheckpointError> {
        if checkpoint.contains(&format!("{prefix}.qscale")) {
            return load_quantized(checkpoint, prefix, d_input, d_output)
                .map(|matrix| StoredWeight::Blocks(Arc::new(matrix)));
        }
        checkpoint
            .take(&format!("{prefix}.weight"), &[d_output, d_input])
            .map(StoredWeight::Rows)
    }

    /// Bytes of one output row as [`Projection::build`] keeps it with `quant`.
    pub fn kept_row_bytes(&self, d_input: usize, quant: Option<Quantization>) -> usize {
        let blocks = |format| QuantMatrix::row_bytes(format, d_input) + 4 * (d_input / BLOCK);
        match (self, quant) {
            (StoredWeight::Blocks(matrix), Some(_)) => blocks(matrix.format()),
            (StoredWeight::Rows(_), Some(quant)) if d_input.is_multiple_of(BLOCK) => {
                blocks(quant.format)
            }
            _ => 4 * d_input,
        }
    }

    /// The whole weight, borrowed.
    pub fn view(&self) -> WeightView<'_> {
        match self {
            StoredWeight::Rows(rows) => WeightView::Rows(rows),
            StoredWeight::Blocks(matrix) => WeightView::Blocks(matrix.clone()),
        }
    }

    /// The weight cut into consecutive pieces of at most `max_rows` output rows; dense rows are
    /// borrowed, not copied.
    pub fn pieces(&self, d_input: usize, max_rows: usize) -> Vec<WeightView<'_>> {
        let whole = self.view();
        if max_rows >= whole.rows(d_input) {
            return vec![whole];
        }
        match self {
            StoredWeight::Rows(rows) => rows
                .chunks(max_rows.max(1) * d_input)
                .map(WeightView::Rows)
                .collect(),
            StoredWeight::Blocks(matrix) => matrix
                .split_rows(max_rows)
                .into_iter()
                .map(|piece| WeightView::Blocks(Arc::new(piece)))
                .collect(),
        }
    }
}

/// A weight, or a range of its output rows, to build a layer from.
pub enum WeightView<'a> {
    /// Row-major `[d_output, d_input]` values.
    Rows(&'a [f32]),
    Blocks(Arc<QuantMatrix>),
}

impl std::fmt::Debug for WeightView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WeightView::Rows(rows) => write!(f, "Rows({} values)", rows.len()),
            WeightView::Blocks(matrix) => write!(f, "Blocks({matrix:?})"),
        }
    }
}

impl WeightView<'_> {
    /// Output rows.
    pub fn rows(&self, d_input: usize) -> usize {
        match self {
            WeightView::Rows(rows) => rows.len() / d_input.max(1),
            WeightView::Blocks(matrix) => matrix.shape()[0],
        }
    }
}

impl Projection {
    /// Reads `{prefix}.weight` (`[d_output, d_input]`), or a package's quantised blocks, and, if
    /// `bias`, `{prefix}.bias`; see [`Projection::build`] for what it becomes.
    pub fn load(
        checkpoint: &mut Checkpoint,
        prefix: &str,
        [d_input, d_output]: [usize; 2],
        bias: bool,
        quant: Option<Quantization>,
        device: &Device,
    ) -> Result<Self, CheckpointError> {
        let weight = StoredWeight::read(checkpoint, prefix, [d_input, d_output])?;
        let bias = load_bias(checkpoint, prefix, d_output, bias, device)?;
        Ok(Self::build(
            weight.view(),
            [d_input, d_output],
            bias,
            quant,
            device,
        ))
    }

    /// A layer from its weight. With `quant`, a dense weight is quantised to its format when
    /// its shape allows (a whole number of blocks per row), and a package's blocks are kept as
    /// they are (their own format wins); without, blocks are dequantised to a dense weight.
    pub fn build(
        weight: WeightView<'_>,
        [d_input, d_output]: [usize; 2],
        bias: Option<Tensor<1>>,
        quant: Option<Quantization>,
        device: &Device,
    ) -> Self {
        let quantizable = d_input.is_multiple_of(BLOCK);
        let matrix = match (weight, quant) {
            (WeightView::Blocks(matrix), Some(_)) => matrix,
            (WeightView::Rows(rows), Some(quant)) if quantizable => Arc::new(
                QuantMatrix::quantize(quant.format, rows, d_output, d_input)
                    .unwrap_or_else(|err| unreachable!("the block size was checked: {err}")),
            ),
            (WeightView::Blocks(matrix), None) => {
                return Projection::dense(dense_from_rows(
                    &matrix.dequantize(),
                    d_output,
                    d_input,
                    bias,
                    device,
                ));
            }
            (WeightView::Rows(rows), _) => {
                return Projection::dense(dense_from_rows(rows, d_output, d_input, bias, device));
            }
        };
        let kernel = quant.map_or(QuantKernel::Host, |quant| quant.kernel);
        let weight = match kernel {
            QuantKernel::Host => QuantizedWeight::Host(matrix),
            QuantKernel::Device => {
                QuantizedWeight::Device(Box::new(device_blocks(&matrix, device)))
            }
        };
        let quantized = QuantizedLinear { weight, bias };
        Projection {
            dense: None,
            quantized: Some(quantized),
        }
    }

    /// A dense layer.
    pub fn dense(linear: Linear) -> Self {
        Projection {
            dense: Some(linear),
            quantized: None,
        }
    }

    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        match (&self.dense, &self.quantized) {
            (Some(linear), _) => linear.forward(x),
            (None, Some(quantized)) => quantized.forward(x),
            (None, None) => unreachable!("a projection is dense or quantised"),
        }
    }
}

/// Blocks as a burn quantised tensor: the same levels and f32 scales in burn's symmetric
/// per-block scheme (blocks of 32 along each row; levels packed little-endian into u32 words,
/// then the scales). Q8 levels are the stored bytes; a Q4 level is a two's-complement nibble
/// where the CPU kernel stores it offset by 8, so each nibble's top bit flips.
fn device_blocks(matrix: &QuantMatrix, device: &Device) -> Tensor<2> {
    let (value, nibble_flip) = match matrix.format() {
        QuantFormat::Q8 => (QuantValue::Q8S, 0x00),
        QuantFormat::Q4 => (QuantValue::Q4S, 0x88),
    };
    let scheme = QuantScheme::default()
        .with_value(value)
        .with_store(QuantStore::PackedU32(0))
        .per_block([BLOCK as u8], ScaleDtype::F32);
    let (values, scales) = matrix.parts();
    let mut bytes: Vec<u8> = values.iter().map(|v| v ^ nibble_flip).collect();
    bytes.extend(scales.iter().flat_map(|scale| scale.to_le_bytes()));
    Tensor::from_data(
        TensorData::from_bytes_vec(bytes, matrix.shape(), DType::QFloat(scheme)),
        device,
    )
}

/// A packaged quantised weight; its format follows from the size of its blocks.
fn load_quantized(
    checkpoint: &mut Checkpoint,
    prefix: &str,
    d_input: usize,
    d_output: usize,
) -> Result<QuantMatrix, CheckpointError> {
    let blocks = d_input / crate::quant::BLOCK;
    let scales = checkpoint.take(&format!("{prefix}.qscale"), &[d_output, blocks])?;
    let name = format!("{prefix}.qweight");
    let format = [QuantFormat::Q8, QuantFormat::Q4]
        .into_iter()
        .find(|&format| {
            checkpoint.has_shape(&name, &[d_output, QuantMatrix::row_bytes(format, d_input)])
        })
        .ok_or_else(|| CheckpointError::Missing {
            tensor: format!("{name} as Q8 or Q4 blocks of [{d_output}, {d_input}]"),
            tried: name.clone(),
        })?;
    let values = checkpoint.take_u8(&name, &[d_output, QuantMatrix::row_bytes(format, d_input)])?;
    QuantMatrix::from_parts(format, d_output, d_input, values, scales).map_err(|err| {
        CheckpointError::Quantized {
            tensor: name,
            message: err.to_string(),
        }
    })
}

/// From this many rows of activations on (a prompt, not a decode step), a quantised layer is
/// expanded to f32 and multiplied by the backend's tuned GEMM: one expansion costs less than the
/// blockwise kernel over many rows (measured by `cargo xtask bench vlm`'s prefill rows).
const PREFILL_ROWS: usize = 16;

impl QuantizedLinear {
    fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        match &self.weight {
            QuantizedWeight::Host(weight) => host_forward(weight, &self.bias, x),
            QuantizedWeight::Device(weight) => burn::tensor::module::linear(
                x,
                weight.as_ref().clone().transpose(),
                self.bias.clone(),
            ),
        }
    }
}

/// `x · Wᵀ + b` on the host kernel; prompts take the expanded weight through the backend's GEMM.
fn host_forward<const D: usize>(
    weight: &QuantMatrix,
    bias: &Option<Tensor<1>>,
    x: Tensor<D>,
) -> Tensor<D> {
    let dims = x.dims();
    let [d_output, d_input] = weight.shape();
    let rows: usize = dims[..D - 1].iter().product();
    let device = x.device();
    if rows >= PREFILL_ROWS {
        let weight = Tensor::<2>::from_data(
            TensorData::new(weight.dequantize(), [d_output, d_input]),
            &device,
        );
        return burn::tensor::module::linear(x, weight.transpose(), bias.clone());
    }
    let values: Vec<f32> = x
        .into_data()
        .try_into_vec()
        .unwrap_or_else(|err| unreachable!("activations are f32: {err:?}"));
    debug_assert_eq!(values.len(), rows * d_input);
    let mut out_dims = dims;
    out_dims[D - 1] = d_output;
    let y = Tensor::<D>::from_data(
        TensorData::new(weight.matmul(&values, rows), out_dims),
        &device,
    );
    match bias {
        Some(bias) => y + bias.clone().unsqueeze(),
        None => y,
    }
}
