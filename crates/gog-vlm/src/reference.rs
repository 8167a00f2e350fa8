//! Checking a model against a reference fixture made by `tests/reference/make_fixtures.py`:
//! for each case, run the recorded pixel values, grids, token ids and positions through the model
//! and compare its logits with the ones transformers recorded.

use crate::ComputeDevice;
use crate::device::DeviceError;
use crate::qwen_vl::{DecoderInput, ForwardError, QwenVl};
use burn::tensor::{Tensor, TensorData};
use safetensors::{Dtype, SafeTensors};

/// A fixture that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    #[error("the fixture is not a safetensors file: {0}")]
    Format(String),
    #[error("the fixture has no \"gog\" metadata listing its cases")]
    NoCases,
    #[error("fixture tensor {name}: {reason}")]
    Tensor { name: String, reason: String },
    #[error("case {case}: {error}")]
    Forward { case: String, error: ForwardError },
    #[error(transparent)]
    Device(#[from] DeviceError),
}

/// How one case compares.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseReport {
    pub case: String,
    pub prompt_tokens: usize,
    /// Largest absolute difference between the model's logits and the reference's.
    pub max_abs_diff: f32,
    /// Cosine similarity of the model's logits and the reference's, over all positions.
    pub cosine: f64,
    /// Share of positions where the most likely next token agrees.
    pub top1_agreement: f32,
}

/// Runs every case of `fixture` (the bytes of a `fixture.safetensors`) through `model`.
pub async fn check_logits(
    model: &QwenVl,
    device: &ComputeDevice,
    fixture: &[u8],
) -> Result<Vec<CaseReport>, ReferenceError> {
    let tensors =
        SafeTensors::deserialize(fixture).map_err(|err| ReferenceError::Format(err.to_string()))?;
    let (_, metadata) = SafeTensors::read_metadata(fixture)
        .map_err(|err| ReferenceError::Format(err.to_string()))?;
    let cases: Vec<String> = metadata
        .metadata()
        .as_ref()
        .and_then(|m| m.get("gog"))
        .and_then(|json| serde_json::from_str::<serde_json::Value>(json).ok())
        .and_then(|settings| serde_json::from_value(settings.get("cases")?.clone()).ok())
        .ok_or(ReferenceError::NoCases)?;
    let mut reports = Vec::with_capacity(cases.len());
    for case in cases {
        let read = |name: &str| -> Result<(Vec<usize>, Vec<u8>, Dtype), ReferenceError> {
            let name = format!("{case}.{name}");
            let view = tensors
                .tensor(&name)
                .map_err(|err| ReferenceError::Tensor {
                    name: name.clone(),
                    reason: err.to_string(),
                })?;
            Ok((view.shape().to_vec(), view.data().to_vec(), view.dtype()))
        };
        let floats = |name: &str| -> Result<(Vec<usize>, Vec<f32>), ReferenceError> {
            let (shape, bytes, dtype) = read(name)?;
            expect_dtype(&case, name, dtype, Dtype::F32)?;
            let values = bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            Ok((shape, values))
        };
        let integers = |name: &str| -> Result<Vec<i64>, ReferenceError> {
            let (_, bytes, dtype) = read(name)?;
            expect_dtype(&case, name, dtype, Dtype::I64)?;
            Ok(bytes
                .chunks_exact(8)
                .map(|b| i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
                .collect())
        };
        let (pixel_shape, pixels) = floats("pixel_values")?;
        let grids: Vec<[usize; 3]> = integers("image_grid_thw")?
            .chunks_exact(3)
            .map(|g| [g[0], g[1], g[2]].map(|v| usize::try_from(v).unwrap_or(0)))
            .collect();
        let tokens: Vec<u32> = integers("input_ids")?
            .iter()
            .map(|&t| u32::try_from(t).unwrap_or(u32::MAX))
            .collect();
        let positions = integers("position_ids")?;
        if positions.len() != 3 * tokens.len() || pixel_shape.len() != 2 {
            return Err(ReferenceError::Tensor {
                name: format!("{case}.position_ids"),
                reason: "does not fit the case's tokens and pixels".into(),
            });
        }
        let (_, expected) = floats("logits")?;
        let patches = Tensor::<2>::from_data(TensorData::new(pixels, pixel_shape), device.device());
        let images = model
            .encode_images(patches, &grids, None)
            .map_err(|error| ReferenceError::Forward {
                case: case.clone(),
                error,
            })?;
        let axes: Vec<&[i64]> = positions.chunks_exact(tokens.len()).collect();
        let mut cache = model.new_cache();
        let hidden = model
            .decode(
                DecoderInput {
                    tokens: &tokens,
                    positions: [axes[0], axes[1], axes[2]],
                    images: Some(&images),
                },
                &mut cache,
                None,
            )
            .map_err(|error| ReferenceError::Forward {
                case: case.clone(),
                error,
            })?;
        let logits = device.read_f32(model.logits(hidden)).await?;
        if logits.len() != expected.len() {
            return Err(ReferenceError::Tensor {
                name: format!("{case}.logits"),
                reason: format!(
                    "has {} values; the model gives {}",
                    expected.len(),
                    logits.len()
                ),
            });
        }
        let vocab = model.config().text.vocab_size;
        let max_abs_diff = logits
            .iter()
            .zip(&expected)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        let agreeing = logits
            .chunks_exact(vocab)
            .zip(expected.chunks_exact(vocab))
            .filter(|(a, b)| crate::sampling::argmax(a) == crate::sampling::argmax(b))
            .count();
        let (dot, norm_a, norm_b) = logits.iter().zip(&expected).fold(
            (0.0f64, 0.0f64, 0.0f64),
            |(dot, a2, b2), (&a, &b)| {
                let (a, b) = (f64::from(a), f64::from(b));
                (dot + a * b, a2 + a * a, b2 + b * b)
            },
        );
        reports.push(CaseReport {
            case,
            prompt_tokens: tokens.len(),
            max_abs_diff,
            cosine: dot / (norm_a.sqrt() * norm_b.sqrt()).max(f64::MIN_POSITIVE),
            top1_agreement: agreeing as f32 / tokens.len().max(1) as f32,
        });
    }
    Ok(reports)
}

fn expect_dtype(
    case: &str,
    name: &str,
    found: Dtype,
    expected: Dtype,
) -> Result<(), ReferenceError> {
    if found == expected {
        return Ok(());
    }
    Err(ReferenceError::Tensor {
        name: format!("{case}.{name}"),
        reason: format!("is {found:?}, not {expected:?}"),
    })
}
