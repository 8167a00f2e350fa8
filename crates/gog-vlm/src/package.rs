//! Model packages: a Hugging Face checkpoint converted for the web (`gog convert`).
//!
//! A package is a directory (or a URL prefix) holding `manifest.json`, the checkpoint's small
//! files (`config.json`, `tokenizer.json`, …) and the weights in safetensors shards of at most
//! 128 MiB, the storage-buffer size every WebGPU adapter allows. The manifest lists every file
//! with its size and SHA-256, so a download can be checked file by file and resumed. The
//! decoder's linear layers are stored as Q8 or Q4 blocks (`{layer}.qweight`, U8) with f32 scales
//! (`{layer}.qscale`), ready for the CPU kernel, and the token embedding as Q8 blocks; every other
//! tensor keeps its checkpoint dtype (bf16 becomes f16, which WebGPU has), or becomes f16 in an f16
//! package. A tensor larger than a shard is split along its first dimension into `{name}.part0`,
//! `{name}.part1`, … (the token embedding, an untied head).

use crate::checkpoint::{CheckpointError, ShardSource};
use crate::config_error::ConfigError;
use crate::quant::QuantFormat;
use gog_types::hash::sha256_hex_digest;
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
    let found = sha256_hex_digest(hasher);
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
