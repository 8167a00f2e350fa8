//! Linear layers loaded from a checkpoint.
//!
//! Hugging Face stores a linear weight as `[out, in]`; burn's `linear` multiplies by `[in, out]`,
//! so the weight is transposed once, on the host, while loading. A [`Projection`] may instead keep
//! its weight quantised for the CPU kernel.

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::quant::{QuantFormat, QuantMatrix};
use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::{Device, Tensor, TensorData};
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

/// A linear layer whose weight is a dense tensor on the device, or quantised on the host for the
/// CPU kernel ([`crate::quant`]). Quantised layers compute on the host, so they are only for
/// models on the CPU device.
#[derive(Module, Debug)]
pub struct Projection {
    dense: Option<Linear>,
    #[module(skip)]
    quantized: Option<QuantizedLinear>,
}

/// A quantised weight with its bias.
#[derive(Debug, Clone)]
pub struct QuantizedLinear {
    weight: Arc<QuantMatrix>,
    bias: Option<Tensor<1>>,
}

impl Projection {
    /// Reads `{prefix}.weight` (`[d_output, d_input]`) and, if `bias`, `{prefix}.bias`;
    /// quantises the weight to `quant` when given and its shape allows (a whole number of
    /// blocks per row), else keeps it dense.
    ///
    /// A model package may store the weight already quantised (`{prefix}.qweight` blocks and
    /// `{prefix}.qscale` scales): it is kept so when `quant` is given, and dequantised to a dense
    /// weight otherwise.
    pub fn load(
        checkpoint: &mut Checkpoint,
        prefix: &str,
        [d_input, d_output]: [usize; 2],
        bias: bool,
        quant: Option<QuantFormat>,
        device: &Device,
    ) -> Result<Self, CheckpointError> {
        if checkpoint.contains(&format!("{prefix}.qscale")) {
            let matrix = load_quantized(checkpoint, prefix, d_input, d_output)?;
            let bias = load_bias(checkpoint, prefix, d_output, bias, device)?;
            return Ok(match quant {
                Some(_) => Projection::host(matrix, bias),
                None => Projection::dense(dense_from_rows(
                    &matrix.dequantize(),
                    d_output,
                    d_input,
                    bias,
                    device,
                )),
            });
        }
        let Some(format) = quant.filter(|_| d_input.is_multiple_of(crate::quant::BLOCK)) else {
            return Ok(Projection::dense(load_dense(
                checkpoint, prefix, d_input, d_output, bias, device,
            )?));
        };
        let weight = checkpoint.take(&format!("{prefix}.weight"), &[d_output, d_input])?;
        let bias = load_bias(checkpoint, prefix, d_output, bias, device)?;
        Ok(Self::quantized(format, &weight, d_output, d_input, bias))
    }

    /// Quantises a row-major `[d_output, d_input]` weight whose input size is a whole number of
    /// blocks.
    pub fn quantized(
        format: QuantFormat,
        weight: &[f32],
        d_output: usize,
        d_input: usize,
        bias: Option<Tensor<1>>,
    ) -> Self {
        let matrix = QuantMatrix::quantize(format, weight, d_output, d_input)
            .unwrap_or_else(|err| unreachable!("callers check the block size: {err}"));
        Projection::host(matrix, bias)
    }

    /// A layer computed on the host by the quantised kernel.
    fn host(weight: QuantMatrix, bias: Option<Tensor<1>>) -> Self {
        Projection {
            dense: None,
            quantized: Some(QuantizedLinear {
                weight: Arc::new(weight),
                bias,
            }),
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
        let dims = x.dims();
        let [d_output, d_input] = self.weight.shape();
        let rows: usize = dims[..D - 1].iter().product();
        let device = x.device();
        if rows >= PREFILL_ROWS {
            let weight = Tensor::<2>::from_data(
                TensorData::new(self.weight.dequantize(), [d_output, d_input]),
                &device,
            );
            return burn::tensor::module::linear(x, weight.transpose(), self.bias.clone());
        }
        let values: Vec<f32> = x
            .into_data()
            .try_into_vec()
            .unwrap_or_else(|err| unreachable!("activations are f32: {err:?}"));
        debug_assert_eq!(values.len(), rows * d_input);
        let mut out_dims = dims;
        out_dims[D - 1] = d_output;
        let y = Tensor::<D>::from_data(
            TensorData::new(self.weight.matmul(&values, rows), out_dims),
            &device,
        );
        match &self.bias {
            Some(bias) => y + bias.clone().unsqueeze(),
            None => y,
        }
    }
}
