//! Linear layers loaded from a checkpoint.
//!
//! Hugging Face stores a linear weight as `[out, in]`; burn's `linear` multiplies by `[in, out]`,
//! so the weight is transposed once, on the host, while loading.

use crate::checkpoint::{Checkpoint, CheckpointError};
use burn::module::Param;
use burn::nn::Linear;
use burn::tensor::{Device, Tensor, TensorData};

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
    let mut weight = vec![0.0; stored.len()];
    for (row, values) in stored.chunks_exact(d_input).enumerate() {
        for (col, &value) in values.iter().enumerate() {
            weight[col * d_output + row] = value;
        }
    }
    let weight = Tensor::from_data(TensorData::new(weight, [d_input, d_output]), device);
    let bias = if bias {
        Some(load_vector(
            checkpoint,
            &format!("{prefix}.bias"),
            d_output,
            device,
        )?)
    } else {
        None
    };
    Ok(Linear {
        weight: Param::from_tensor(weight),
        bias: bias.map(Param::from_tensor),
    })
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
