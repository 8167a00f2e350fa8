//! `gog convert`: a Hugging Face checkpoint made into a model package (`crate::package`): the
//! decoder's linear layers quantised, tensors ordered as the model loads them and split into
//! shards a WebGPU binding holds, and the manifest that lists every file's size and SHA-256.

use gog_types::sha256_hex;
use half::f16;
use safetensors::tensor::{Dtype, TensorView};

use crate::checkpoint::{ShardSource, logical_name};
use crate::package::{FORMAT, Manifest, PackageError, PackageFile, PackageWeights, VERSION};
use crate::quant::{BLOCK, QuantFormat, QuantMatrix};
use crate::qwen_vl::{QwenVlConfig, tensors};
use crate::vlm::ModelFiles;

/// The files of a package, in memory, ready to be written or served.
#[derive(Debug, Clone)]
pub struct Package {
    pub manifest: Manifest,
    /// `(file name, bytes)` for every file the manifest lists.
    pub files: Vec<(String, Vec<u8>)>,
}

impl Package {
    /// Writes every file and `manifest.json` into `dir` (created if missing).
    #[cfg(not(target_family = "wasm"))]
    pub fn write_dir(&self, dir: &std::path::Path) -> Result<(), PackageError> {
        let io = |path: &std::path::Path, err: std::io::Error| PackageError::Io {
            file: path.display().to_string(),
            message: err.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(|err| io(dir, err))?;
        for (name, bytes) in &self.files {
            let path = dir.join(name);
            std::fs::write(&path, bytes).map_err(|err| io(&path, err))?;
        }
        let manifest = serde_json::to_string_pretty(&self.manifest)
            .map_err(|err| PackageError::Serialize(err.to_string()))?;
        let path = dir.join(crate::package::MANIFEST);
        std::fs::write(&path, manifest + "\n").map_err(|err| io(&path, err))
    }

    /// One of its files, as a fetcher for [`ModelFiles::from_package`] returns it.
    pub fn read(&self, file: &PackageFile) -> Result<Box<dyn ShardSource>, PackageError> {
        self.files
            .iter()
            .find(|(name, _)| *name == file.name)
            .map(|(_, bytes)| Box::new(bytes.clone()) as Box<dyn ShardSource>)
            .ok_or_else(|| PackageError::MissingFile(file.name.clone()))
    }
}

/// The block format a quantised package stores a tensor in: the decoder's linear layers and an
/// untied head in the package's format, the token embedding (a host-side lookup table, also a
/// tied head) in Q8; everything else unquantised.
fn package_quant(name: &str, weights: PackageWeights) -> Option<QuantFormat> {
    let format = weights.quant()?;
    let logical = logical_name(name);
    if logical == format!("{}.weight", tensors::TOKEN_EMBEDDING) {
        Some(QuantFormat::Q8)
    } else {
        tensors::is_decoder_projection(&logical).then_some(format)
    }
}

/// A tensor on its way into a shard.
struct Pending {
    name: String,
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

/// Converts a model (its Hugging Face files) into a package of shards no larger than
/// `max_shard_bytes`.
pub fn convert(
    files: ModelFiles,
    weights: PackageWeights,
    max_shard_bytes: usize,
) -> Result<Package, PackageError> {
    let model_type = QwenVlConfig::from_json(&files.config)?.family.model_type();
    let mut small_files = vec![
        ("config.json".to_owned(), files.config.into_bytes()),
        ("tokenizer.json".to_owned(), files.tokenizer),
        (
            "tokenizer_config.json".to_owned(),
            files.tokenizer_config.into_bytes(),
        ),
    ];
    for (name, text) in [
        ("preprocessor_config.json", files.preprocessor_config),
        ("generation_config.json", files.generation_config),
    ] {
        small_files.extend(text.map(|text| (name.to_owned(), text.into_bytes())));
    }
    let mut checkpoint = files.checkpoint;
    let mut pending = Vec::new();
    for (name, shape) in checkpoint.tensors() {
        let values = checkpoint.take_stored(&name, &shape)?;
        let quantise = package_quant(&name, weights)
            .filter(|_| shape.len() == 2 && shape[1].is_multiple_of(BLOCK));
        if let Some(format) = quantise {
            let prefix = name.strip_suffix(".weight").unwrap_or(&name);
            let floats = values.to_f32()?;
            let matrix = QuantMatrix::quantize(format, &floats, shape[0], shape[1])
                .map_err(|err| PackageError::Serialize(format!("{name}: {err}")))?;
            let (blocks, scales) = matrix.parts();
            pending.push(Pending {
                name: format!("{prefix}.qweight"),
                dtype: Dtype::U8,
                shape: vec![shape[0], QuantMatrix::row_bytes(format, shape[1])],
                bytes: blocks.to_vec(),
            });
            pending.push(Pending {
                name: format!("{prefix}.qscale"),
                dtype: Dtype::F32,
                shape: vec![shape[0], shape[1] / BLOCK],
                bytes: scales.iter().flat_map(|s| s.to_le_bytes()).collect(),
            });
        } else if weights == PackageWeights::F16 || values.dtype == Dtype::BF16 {
            // bf16 becomes f16 everywhere: WebGPU has f16 (with `shader-f16`) but no bf16.
            pending.push(Pending {
                name,
                dtype: Dtype::F16,
                shape,
                bytes: values
                    .to_f32()?
                    .iter()
                    .flat_map(|&v| f16::from_f32(v).to_le_bytes())
                    .collect(),
            });
        } else {
            pending.push(Pending {
                name,
                dtype: values.dtype,
                shape,
                bytes: values.bytes,
            });
        }
    }
    checkpoint.finish()?;
    // Shards written in the order the model reads its weights are read one after another, so a
    // loader can release each before it starts the next. (The order only decides when shards
    // are released; any order loads correctly.)
    pending.sort_by_cached_key(|tensor| {
        let rank = tensors::loading_rank(&logical_name(&tensor.name));
        (rank, tensor.name.clone())
    });
    let pending = split_large(pending, max_shard_bytes);
    let mut shards = Vec::new();
    let mut current: Vec<Pending> = Vec::new();
    let mut current_bytes = 0;
    for tensor in pending {
        if current_bytes + tensor.bytes.len() > max_shard_bytes && !current.is_empty() {
            shards.push(std::mem::take(&mut current));
            current_bytes = 0;
        }
        current_bytes += tensor.bytes.len();
        current.push(tensor);
    }
    if !current.is_empty() {
        shards.push(current);
    }
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut shard_entries = Vec::new();
    let count = shards.len();
    for (index, shard) in shards.into_iter().enumerate() {
        let name = format!("model-{:05}-of-{count:05}.safetensors", index + 1);
        let views = shard
            .iter()
            .map(|t| {
                TensorView::new(t.dtype, t.shape.clone(), &t.bytes)
                    .map(|view| (t.name.clone(), view))
                    .map_err(|err| PackageError::Serialize(format!("{}: {err}", t.name)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let bytes = safetensors::serialize(views, None)
            .map_err(|err| PackageError::Serialize(err.to_string()))?;
        shard_entries.push(entry(&name, &bytes));
        files.push((name, bytes));
    }
    let small_entries = small_files
        .iter()
        .map(|(name, bytes)| entry(name, bytes))
        .collect();
    files.extend(small_files);
    Ok(Package {
        manifest: Manifest {
            format: FORMAT.into(),
            version: VERSION,
            model_type: model_type.to_owned(),
            weights,
            files: small_entries,
            shards: shard_entries,
        },
        files,
    })
}

fn entry(name: &str, bytes: &[u8]) -> PackageFile {
    PackageFile {
        name: name.into(),
        bytes: bytes.len() as u64,
        sha256: sha256_hex(bytes),
    }
}

/// Splits every tensor larger than `max_bytes` along its first dimension.
fn split_large(tensors: Vec<Pending>, max_bytes: usize) -> Vec<Pending> {
    let mut out = Vec::with_capacity(tensors.len());
    for tensor in tensors {
        let rows = tensor.shape.first().copied().unwrap_or(1).max(1);
        let row_bytes = tensor.bytes.len() / rows;
        if tensor.bytes.len() <= max_bytes || row_bytes == 0 {
            out.push(tensor);
            continue;
        }
        let rows_per_part = (max_bytes / row_bytes).max(1);
        for (part, chunk) in tensor.bytes.chunks(rows_per_part * row_bytes).enumerate() {
            let mut shape = tensor.shape.clone();
            shape[0] = chunk.len() / row_bytes;
            out.push(Pending {
                name: format!("{}.part{part}", tensor.name),
                dtype: tensor.dtype,
                shape,
                bytes: chunk.to_vec(),
            });
        }
    }
    out
}
