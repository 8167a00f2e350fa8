//! Model packages: a Hugging Face checkpoint converted for the web (`gog convert`).
//!
//! A package is a directory (or a URL prefix) holding `manifest.json`, the checkpoint's small
//! files (`config.json`, `tokenizer.json`, …) and the weights in safetensors shards of at most
//! 128 MiB, the storage-buffer size every WebGPU adapter allows. The manifest lists every file
//! with its size and SHA-256, so a download can be checked file by file and resumed. The
//! decoder's linear layers are stored as Q8 or Q4 blocks (`{layer}.qweight`, U8) with f32 scales
//! (`{layer}.qscale`), ready for the CPU kernel, and the token embedding as Q8 blocks; every other tensor keeps its checkpoint dtype
//! (bf16 becomes f16, which WebGPU has), or becomes f16 in an f16 package. A tensor larger than a shard is split along its first
//! dimension into `{name}.part0`, `{name}.part1`, … (the token embedding, an untied head).

use crate::checkpoint::{CheckpointError, ShardSource};
use crate::config_error::ConfigError;
use crate::quant::{BLOCK, QuantFormat, QuantMatrix};
use crate::qwen_vl::QwenVlConfig;
use crate::vlm::ModelFiles;
use half::f16;
use safetensors::tensor::{Dtype, TensorView};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What `manifest.json` says it is.
pub const FORMAT: &str = "gog-model-package";
/// The manifest version this runtime reads and writes.
pub const VERSION: u32 = 1;
/// The largest shard: WebGPU's guaranteed storage-buffer binding size.
pub const MAX_SHARD_BYTES: usize = crate::device::MAX_BINDING_BYTES;
/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";

/// How a package stores its weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageWeights {
    /// Decoder linear layers in Q8 blocks; the rest as in the checkpoint (bf16 as f16).
    Q8,
    /// Decoder linear layers in Q4 blocks; the rest as in the checkpoint (bf16 as f16).
    Q4,
    /// Every floating-point tensor in f16.
    F16,
}

impl PackageWeights {
    /// The name `gog convert --quant` and the manifest use: `q8`, `q4`, `f16`.
    pub fn name(self) -> &'static str {
        match self {
            PackageWeights::Q8 => "q8",
            PackageWeights::Q4 => "q4",
            PackageWeights::F16 => "f16",
        }
    }

    /// The block format of the decoder's linear layers, if quantised.
    pub fn quant(self) -> Option<QuantFormat> {
        match self {
            PackageWeights::Q8 => Some(QuantFormat::Q8),
            PackageWeights::Q4 => Some(QuantFormat::Q4),
            PackageWeights::F16 => None,
        }
    }
}

impl std::str::FromStr for PackageWeights {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "q8" => Ok(PackageWeights::Q8),
            "q4" => Ok(PackageWeights::Q4),
            "f16" => Ok(PackageWeights::F16),
            other => Err(format!(
                "unknown weight format {other:?}; use q4, q8 or f16"
            )),
        }
    }
}

/// One file of a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageFile {
    pub name: String,
    pub bytes: u64,
    /// Lower-case hex.
    pub sha256: String,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    /// The checkpoint's `model_type`.
    pub model_type: String,
    pub weights: PackageWeights,
    /// `config.json`, `tokenizer.json`, `tokenizer_config.json` and, when the checkpoint has them,
    /// `preprocessor_config.json` and `generation_config.json`.
    pub files: Vec<PackageFile>,
    /// The weights, in the order the model reads them.
    pub shards: Vec<PackageFile>,
}

/// A package that cannot be made or read.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("manifest.json: {0}")]
    Manifest(String),
    #[error("the package lacks {0}")]
    MissingFile(String),
    #[error("{file} has {found} bytes; the manifest says {expected}")]
    Size {
        file: String,
        expected: u64,
        found: u64,
    },
    #[error("{file} is corrupted: its SHA-256 is {found}, the manifest says {expected}")]
    Hash {
        file: String,
        expected: String,
        found: String,
    },
    #[error("{file}: {message}")]
    Io { file: String, message: String },
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot write the shards: {0}")]
    Serialize(String),
}

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
        let path = dir.join(MANIFEST);
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

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The lower-case hex of a finished streaming hash.
pub fn sha256_hex_digest(hasher: Sha256) -> String {
    hex(&hasher.finalize())
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The block format a quantised package stores a tensor in: the decoder's linear layers and an
/// untied head in the package's format, the token embedding (a host-side lookup table, also a
/// tied head) in Q8; everything else unquantised.
fn package_quant(name: &str, weights: PackageWeights) -> Option<QuantFormat> {
    let format = weights.quant()?;
    if name.ends_with("embed_tokens.weight") {
        Some(QuantFormat::Q8)
    } else {
        is_decoder_projection(name).then_some(format)
    }
}

/// The decoder layers' linear weights, which packages quantise.
fn is_decoder_projection(name: &str) -> bool {
    const PROJECTIONS: [&str; 7] = [
        "self_attn.q_proj.weight",
        "self_attn.k_proj.weight",
        "self_attn.v_proj.weight",
        "self_attn.o_proj.weight",
        "mlp.gate_proj.weight",
        "mlp.up_proj.weight",
        "mlp.down_proj.weight",
    ];
    !name.contains("visual.")
        && name.contains(".layers.")
        && PROJECTIONS.iter().any(|suffix| name.ends_with(suffix))
        || name == "lm_head.weight"
}

/// Where a tensor comes in the order the model reads its weights: the vision tower (patch
/// embedding and position table, blocks in order, merger, DeepStack mergers in order), the token
/// embedding, the decoder layers in order, the final norm, the head; within a block, its norms,
/// attention, then MLP projections, each projection's scales, weight, then bias. Shards written in
/// this order are read one after another, so a loader can release each before it starts the
/// next. (The order only decides when shards are released; any order loads correctly.)
fn loading_rank(name: &str) -> (u8, usize, u8, u8, String) {
    let index_after = |marker: &str| -> Option<usize> {
        let rest = name.split(marker).nth(1)?;
        rest.split('.').next()?.parse().ok()
    };
    let (group, index) = if name.contains("visual.") {
        if let Some(block) = index_after(".blocks.") {
            (1, block)
        } else if let Some(merger) = index_after("deepstack_merger_list.") {
            (3, merger)
        } else if name.contains("merger.") {
            (2, 0)
        } else {
            (0, 0)
        }
    } else if name.contains("embed_tokens") {
        (4, 0)
    } else if let Some(layer) = index_after(".layers.") {
        (5, layer)
    } else if name.starts_with("lm_head") {
        (7, 0)
    } else {
        (6, 0)
    };
    const WITHIN_BLOCK: [(&str, u8); 16] = [
        ("norm", 0),
        ("ln_q", 0),
        ("qkv", 1),
        ("q_proj", 1),
        ("k_proj", 2),
        ("v_proj", 3),
        ("attn.proj", 4),
        ("o_proj", 4),
        ("gate_proj", 5),
        ("up_proj", 6),
        ("linear_fc1", 6),
        ("mlp.0", 6),
        ("down_proj", 7),
        ("linear_fc2", 7),
        ("mlp.2", 7),
        ("", 8),
    ];
    let layer = WITHIN_BLOCK
        .iter()
        .find(|(part, _)| name.contains(part))
        .map_or(8, |&(_, rank)| rank);
    let piece = if name.contains(".qscale") {
        0
    } else if name.contains(".bias") {
        2
    } else {
        1
    };
    (group, index, layer, piece, name.to_owned())
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
    pending.sort_by_cached_key(|tensor| loading_rank(&tensor.name));
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

impl Manifest {
    /// Parses and checks a `manifest.json`.
    pub fn from_json(json: &str) -> Result<Self, PackageError> {
        let manifest: Manifest =
            serde_json::from_str(json).map_err(|err| PackageError::Manifest(err.to_string()))?;
        if manifest.format != FORMAT {
            return Err(PackageError::Manifest(format!(
                "format is {:?}, not {FORMAT:?}",
                manifest.format
            )));
        }
        if manifest.version != VERSION {
            return Err(PackageError::Manifest(format!(
                "version {} is not {VERSION}, the one this runtime reads",
                manifest.version
            )));
        }
        for file in manifest.files.iter().chain(&manifest.shards) {
            let name = &file.name;
            let plain = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                && !name.starts_with('.');
            if !plain {
                return Err(PackageError::Manifest(format!(
                    "file name {name:?} is not a plain file name"
                )));
            }
        }
        Ok(manifest)
    }

    /// Every file, small files first, with the total size.
    pub fn all_files(&self) -> impl Iterator<Item = &PackageFile> {
        self.files.iter().chain(&self.shards)
    }

    pub fn total_bytes(&self) -> u64 {
        self.all_files().map(|file| file.bytes).sum()
    }
}

/// Bytes hashed per read while verifying, so a file is never copied whole into memory.
const VERIFY_CHUNK: usize = 8 * 1024 * 1024;

/// Checks a downloaded or read file against its manifest entry, reading it in chunks.
pub fn verify(file: &PackageFile, source: &mut dyn ShardSource) -> Result<(), PackageError> {
    let found = source.len();
    if found != file.bytes {
        return Err(PackageError::Size {
            file: file.name.clone(),
            expected: file.bytes,
            found,
        });
    }
    let mut hasher = Sha256::new();
    let mut offset = 0;
    while offset < found {
        let len = VERIFY_CHUNK.min((found - offset) as usize);
        let chunk = source
            .read(offset, len)
            .map_err(|message| PackageError::Io {
                file: file.name.clone(),
                message,
            })?;
        hasher.update(&chunk);
        offset += len as u64;
    }
    let found = hex(&hasher.finalize());
    if found != file.sha256 {
        return Err(PackageError::Hash {
            file: file.name.clone(),
            expected: file.sha256.clone(),
            found,
        });
    }
    Ok(())
}

/// Loading progress: bytes verified so far out of the package's total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress<'a> {
    pub file: &'a str,
    pub done: u64,
    pub total: u64,
}
