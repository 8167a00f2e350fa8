//! Reading a Hugging Face checkpoint: one or more safetensors shards, tensor by tensor.
//!
//! A model asks for each tensor by its logical name and shape ([`Checkpoint::take`]); the
//! checkpoint finds it under any of the names transformers has used for it, checks its shape,
//! converts it to f32 and forgets it, so only one tensor's bytes are held at a time. What the
//! model never asked for is reported by [`Checkpoint::finish`]: a checkpoint with extra tensors
//! is the wrong checkpoint.

use half::{bf16, f16};
use safetensors::tensor::{Dtype, Metadata, TensorInfo};
use std::collections::BTreeMap;
#[cfg(not(target_family = "wasm"))]
use std::path::{Path, PathBuf};

/// Why a checkpoint cannot be read, naming the file and tensor at fault.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("{file}: {message}")]
    Io { file: String, message: String },
    #[error("{file} is not a safetensors file: {message}")]
    Header { file: String, message: String },
    #[error("{file} is truncated: its header describes {expected} bytes, the file has {found}")]
    Truncated {
        file: String,
        expected: u64,
        found: u64,
    },
    #[error("{file}: {message}")]
    Index { file: String, message: String },
    #[error("tensor {tensor} appears in both {first} and {second}")]
    Duplicate {
        tensor: String,
        first: String,
        second: String,
    },
    #[error("the checkpoint has no tensor {tensor} (looked for {tried})")]
    Missing { tensor: String, tried: String },
    #[error("tensor {tensor} in {file} has shape {found:?}; the model needs {expected:?}")]
    Shape {
        tensor: String,
        file: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },
    #[error("tensor {tensor} in {file} is {dtype:?}, which the model cannot use there")]
    Dtype {
        tensor: String,
        file: String,
        dtype: Dtype,
    },
    #[error("quantised tensor {tensor}: {message}")]
    Quantized { tensor: String, message: String },
    #[error(
        "the checkpoint has {count} tensors this model does not use, such as {examples}: is it the model config.json describes?"
    )]
    Unused { count: usize, examples: String },
}

/// Where a shard's bytes are.
enum ShardData {
    Memory(Vec<u8>),
    #[cfg(not(target_family = "wasm"))]
    File(std::fs::File),
}

struct Shard {
    name: String,
    /// Offset of the tensor data in the shard: 8 bytes of header length plus the header.
    data_start: u64,
    data: ShardData,
}

struct Entry {
    shard: usize,
    info: TensorInfo,
}

/// The tensors of a checkpoint, not yet read.
pub struct Checkpoint {
    shards: Vec<Shard>,
    entries: BTreeMap<String, Entry>,
}

impl std::fmt::Debug for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpoint")
            .field(
                "shards",
                &self.shards.iter().map(|s| &s.name).collect::<Vec<_>>(),
            )
            .field("tensors", &self.entries.len())
            .finish()
    }
}

/// Parses the header of a safetensors file from its first bytes: the header's end (where tensor
/// data starts) and its description of the tensors. `prefix` may hold more than the header.
pub fn parse_header(prefix: &[u8]) -> Result<(u64, Metadata), String> {
    let length: [u8; 8] = prefix
        .get(..8)
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or("shorter than the 8-byte header length")?;
    let length = u64::from_le_bytes(length);
    if length > MAX_HEADER {
        return Err(format!("header length {length} exceeds {MAX_HEADER} bytes"));
    }
    let end = 8 + length as usize;
    let header = prefix
        .get(8..end)
        .ok_or_else(|| format!("ends inside its {length}-byte header"))?;
    let header = std::str::from_utf8(header).map_err(|err| err.to_string())?;
    let metadata: Metadata = serde_json::from_str(header).map_err(|err| err.to_string())?;
    Ok((end as u64, metadata))
}

/// safetensors' own cap on header size.
const MAX_HEADER: u64 = 100_000_000;

impl Checkpoint {
    /// A checkpoint held in memory, as `(file name, bytes)` per shard.
    pub fn from_buffers(
        buffers: impl IntoIterator<Item = (String, Vec<u8>)>,
    ) -> Result<Self, CheckpointError> {
        let mut checkpoint = Checkpoint {
            shards: Vec::new(),
            entries: BTreeMap::new(),
        };
        for (name, bytes) in buffers {
            let (data_start, metadata) =
                parse_header(&bytes).map_err(|message| CheckpointError::Header {
                    file: name.clone(),
                    message,
                })?;
            checkpoint.add_shard(
                Shard {
                    name,
                    data_start,
                    data: ShardData::Memory(bytes),
                },
                metadata,
                None,
            )?;
        }
        Ok(checkpoint)
    }

    /// The safetensors shards of a Hugging Face model directory: `model.safetensors`, or the
    /// shards listed by `model.safetensors.index.json`.
    #[cfg(not(target_family = "wasm"))]
    pub fn open_dir(dir: &Path) -> Result<Self, CheckpointError> {
        let index_path = dir.join("model.safetensors.index.json");
        let files: Vec<PathBuf> = if index_path.exists() {
            let index = std::fs::read_to_string(&index_path).map_err(|err| io(&index_path, err))?;
            shard_names(&index)
                .map_err(|message| CheckpointError::Index {
                    file: index_path.display().to_string(),
                    message,
                })?
                .into_iter()
                .map(|name| dir.join(name))
                .collect()
        } else {
            vec![dir.join("model.safetensors")]
        };
        let mut checkpoint = Checkpoint {
            shards: Vec::new(),
            entries: BTreeMap::new(),
        };
        for path in files {
            let (shard, metadata, file_len) = open_shard(&path)?;
            checkpoint.add_shard(shard, metadata, Some(file_len))?;
        }
        Ok(checkpoint)
    }

    fn add_shard(
        &mut self,
        shard: Shard,
        metadata: Metadata,
        file_len: Option<u64>,
    ) -> Result<(), CheckpointError> {
        let found = file_len.unwrap_or(match &shard.data {
            ShardData::Memory(bytes) => bytes.len() as u64,
            #[cfg(not(target_family = "wasm"))]
            ShardData::File(_) => 0,
        });
        let expected = shard.data_start + metadata.data_len() as u64;
        if found < expected {
            return Err(CheckpointError::Truncated {
                file: shard.name,
                expected,
                found,
            });
        }
        let index = self.shards.len();
        for (name, info) in metadata.tensors() {
            if let Some(previous) = self.entries.get(&name) {
                return Err(CheckpointError::Duplicate {
                    tensor: name,
                    first: self.shards[previous.shard].name.clone(),
                    second: shard.name,
                });
            }
            self.entries.insert(
                name,
                Entry {
                    shard: index,
                    info: info.clone(),
                },
            );
        }
        self.shards.push(shard);
        Ok(())
    }

    /// The tensors not yet read, with their shapes, by stored name.
    pub fn tensors(&self) -> Vec<(String, Vec<usize>)> {
        self.entries
            .iter()
            .map(|(name, entry)| (name.clone(), entry.info.shape.clone()))
            .collect()
    }

    /// Whether the tensor `logical` is stored (whole, or as its first part) with a first part of
    /// `shape`'s trailing dimensions.
    pub fn has_shape(&self, logical: &str, shape: &[usize]) -> bool {
        stored_names(logical).iter().any(|name| {
            [name.clone(), format!("{name}.part0")]
                .iter()
                .filter_map(|stored| self.entries.get(stored))
                .any(|entry| entry.info.shape.get(1..) == shape.get(1..))
        })
    }

    /// Whether the checkpoint stores a tensor under any name for `logical`.
    pub fn contains(&self, logical: &str) -> bool {
        stored_names(logical).iter().any(|name| {
            self.entries.contains_key(name) || self.entries.contains_key(&format!("{name}.part0"))
        })
    }

    /// Reads the tensor with the logical name `logical` (e.g. `language_model.norm.weight`,
    /// `visual.blocks.0.attn.qkv.weight`), checking that it has `shape`, as f32 values in
    /// row-major order.
    pub fn take(&mut self, logical: &str, shape: &[usize]) -> Result<Vec<f32>, CheckpointError> {
        self.take_raw(logical, shape)?.to_f32()
    }

    /// Reads a tensor as it is stored, in its own dtype.
    pub fn take_stored(
        &mut self,
        logical: &str,
        shape: &[usize],
    ) -> Result<StoredTensor, CheckpointError> {
        self.take_raw(logical, shape)
    }

    /// Reads a `U8` tensor, such as a model package's quantised weight blocks.
    pub fn take_u8(&mut self, logical: &str, shape: &[usize]) -> Result<Vec<u8>, CheckpointError> {
        let raw = self.take_raw(logical, shape)?;
        match raw.dtype {
            Dtype::U8 => Ok(raw.bytes),
            dtype => Err(raw.wrong_dtype(dtype)),
        }
    }

    /// The bytes of a tensor, found under any of its stored names, or as parts
    /// `{name}.part0`, `{name}.part1`, … split along the first dimension (how model packages
    /// keep every shard small).
    fn take_raw(
        &mut self,
        logical: &str,
        shape: &[usize],
    ) -> Result<StoredTensor, CheckpointError> {
        let names = stored_names(logical);
        let found = names.iter().find_map(|name| {
            if self.entries.contains_key(name) {
                Some((name.clone(), false))
            } else if self.entries.contains_key(&format!("{name}.part0")) {
                Some((name.clone(), true))
            } else {
                None
            }
        });
        let Some((name, in_parts)) = found else {
            return Err(CheckpointError::Missing {
                tensor: logical.to_owned(),
                tried: names.join(", "),
            });
        };
        let parts: Vec<String> = if in_parts {
            (0..)
                .map(|k| format!("{name}.part{k}"))
                .take_while(|part| self.entries.contains_key(part))
                .collect()
        } else {
            vec![name.clone()]
        };
        let mut bytes = Vec::new();
        let mut rows = 0;
        let mut dtype = None;
        let mut file = String::new();
        for part in &parts {
            let entry = self
                .entries
                .remove(part)
                .ok_or_else(|| CheckpointError::Missing {
                    tensor: part.clone(),
                    tried: part.clone(),
                })?;
            let shard = &mut self.shards[entry.shard];
            file.clone_from(&shard.name);
            let part_shape = &entry.info.shape;
            let fits = !part_shape.is_empty()
                && part_shape.len() == shape.len()
                && part_shape[1..] == shape[1..]
                && dtype.is_none_or(|d| d == entry.info.dtype);
            if !fits {
                return Err(CheckpointError::Shape {
                    tensor: part.clone(),
                    file,
                    expected: shape.to_vec(),
                    found: entry.info.shape,
                });
            }
            rows += part_shape[0];
            dtype = Some(entry.info.dtype);
            let (begin, end) = entry.info.data_offsets;
            bytes.extend(shard.read(begin as u64, end - begin)?);
        }
        if shape.first() != Some(&rows) && !(shape.is_empty() && rows == 0) {
            return Err(CheckpointError::Shape {
                tensor: name,
                file,
                expected: shape.to_vec(),
                found: [rows]
                    .into_iter()
                    .chain(shape.iter().skip(1).copied())
                    .collect(),
            });
        }
        Ok(StoredTensor {
            name,
            file,
            dtype: dtype.unwrap_or(Dtype::U8),
            bytes,
        })
    }

    /// Ends loading: every tensor must have been used.
    pub fn finish(self) -> Result<(), CheckpointError> {
        if self.entries.is_empty() {
            return Ok(());
        }
        Err(CheckpointError::Unused {
            count: self.entries.len(),
            examples: self
                .entries
                .keys()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
        })
    }
}

/// A tensor's stored bytes.
#[derive(Debug, Clone)]
pub struct StoredTensor {
    pub name: String,
    pub file: String,
    pub dtype: Dtype,
    /// Row-major, little-endian.
    pub bytes: Vec<u8>,
}

impl StoredTensor {
    /// The values as f32, from F32, F16 or BF16.
    pub fn to_f32(&self) -> Result<Vec<f32>, CheckpointError> {
        let bytes = &self.bytes;
        Ok(match self.dtype {
            Dtype::F32 => bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            Dtype::F16 => bytes
                .chunks_exact(2)
                .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            Dtype::BF16 => bytes
                .chunks_exact(2)
                .map(|b| bf16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            dtype => return Err(self.clone().wrong_dtype(dtype)),
        })
    }

    fn wrong_dtype(self, dtype: Dtype) -> CheckpointError {
        CheckpointError::Dtype {
            tensor: self.name,
            file: self.file,
            dtype,
        }
    }
}

impl Shard {
    fn read(&mut self, offset: u64, len: usize) -> Result<Vec<u8>, CheckpointError> {
        let start = self.data_start + offset;
        match &mut self.data {
            ShardData::Memory(bytes) => Ok(bytes[start as usize..start as usize + len].to_vec()),
            #[cfg(not(target_family = "wasm"))]
            ShardData::File(file) => {
                use std::io::{Read, Seek, SeekFrom};
                let mut bytes = vec![0; len];
                file.seek(SeekFrom::Start(start))
                    .and_then(|_| file.read_exact(&mut bytes))
                    .map_err(|err| CheckpointError::Io {
                        file: self.name.clone(),
                        message: err.to_string(),
                    })?;
                Ok(bytes)
            }
        }
    }
}

/// The names transformers has stored a logical tensor under: the in-memory layout of
/// transformers ≥ 5 (`model.language_model.*`, `model.visual.*`) and the hub layout of earlier
/// checkpoints (`model.*`, `visual.*`).
fn stored_names(logical: &str) -> Vec<String> {
    if let Some(rest) = logical.strip_prefix("language_model.") {
        vec![
            format!("model.language_model.{rest}"),
            format!("model.{rest}"),
        ]
    } else if let Some(rest) = logical.strip_prefix("visual.") {
        vec![format!("model.visual.{rest}"), format!("visual.{rest}")]
    } else {
        vec![logical.to_owned()]
    }
}

/// The shard files a `model.safetensors.index.json` lists, each once, in name order.
#[cfg(not(target_family = "wasm"))]
fn shard_names(index: &str) -> Result<Vec<String>, String> {
    #[derive(serde::Deserialize)]
    struct Index {
        weight_map: BTreeMap<String, String>,
    }
    let index: Index = serde_json::from_str(index).map_err(|err| err.to_string())?;
    let mut names: Vec<String> = index.weight_map.into_values().collect();
    names.sort();
    names.dedup();
    if let Some(bad) = names
        .iter()
        .find(|name| name.contains('/') || name.contains('\\') || name.starts_with('.'))
    {
        return Err(format!("shard name {bad:?} leaves the model directory"));
    }
    Ok(names)
}

#[cfg(not(target_family = "wasm"))]
fn io(path: &Path, err: std::io::Error) -> CheckpointError {
    CheckpointError::Io {
        file: path.display().to_string(),
        message: err.to_string(),
    }
}

#[cfg(not(target_family = "wasm"))]
fn open_shard(path: &Path) -> Result<(Shard, Metadata, u64), CheckpointError> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|err| io(path, err))?;
    let file_len = file.metadata().map_err(|err| io(path, err))?.len();
    let header_error = |message: String| CheckpointError::Header {
        file: path.display().to_string(),
        message,
    };
    let mut length = [0; 8];
    file.read_exact(&mut length)
        .map_err(|_| header_error("shorter than the 8-byte header length".into()))?;
    let header_len = u64::from_le_bytes(length);
    if header_len > MAX_HEADER.min(file_len.saturating_sub(8)) {
        return Err(header_error(format!(
            "header length {header_len} does not fit the file's {file_len} bytes"
        )));
    }
    let mut prefix = length.to_vec();
    prefix.resize(8 + header_len as usize, 0);
    file.read_exact(&mut prefix[8..])
        .map_err(|err| io(path, err))?;
    let (data_start, metadata) = parse_header(&prefix).map_err(header_error)?;
    let shard = Shard {
        name: path.display().to_string(),
        data_start,
        data: ShardData::File(file),
    };
    Ok((shard, metadata, file_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(tensors: &[(&str, Dtype, &[usize], Vec<u8>)]) -> Vec<u8> {
        let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = tensors
            .iter()
            .map(|(name, dtype, shape, bytes)| {
                (
                    (*name).to_owned(),
                    safetensors::tensor::TensorView::new(*dtype, shape.to_vec(), bytes)
                        .expect("a valid view"),
                )
            })
            .collect();
        safetensors::serialize(views, None).expect("serialisable")
    }

    fn floats(values: &[f32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn finds_tensors_under_either_layout_and_converts_half_precision() {
        let bf16_bytes: Vec<u8> = [1.5f32, -2.0]
            .iter()
            .flat_map(|&v| bf16::from_f32(v).to_le_bytes())
            .collect();
        let bytes = file(&[
            ("model.norm.weight", Dtype::F32, &[2], floats(&[0.5, 1.0])),
            (
                "model.visual.pos_embed.weight",
                Dtype::BF16,
                &[2],
                bf16_bytes,
            ),
        ]);
        let mut checkpoint = Checkpoint::from_buffers([("a.safetensors".into(), bytes)]).unwrap();
        assert!(checkpoint.contains("language_model.norm.weight"));
        assert_eq!(
            checkpoint.take("language_model.norm.weight", &[2]).unwrap(),
            [0.5, 1.0]
        );
        assert_eq!(
            checkpoint.take("visual.pos_embed.weight", &[2]).unwrap(),
            [1.5, -2.0]
        );
        checkpoint.finish().unwrap();
    }

    #[test]
    fn names_missing_misshaped_and_unused_tensors() {
        let bytes = file(&[
            ("model.norm.weight", Dtype::F32, &[2], floats(&[0.5, 1.0])),
            ("extra.weight", Dtype::F32, &[1], floats(&[0.0])),
        ]);
        let mut checkpoint = Checkpoint::from_buffers([("a.safetensors".into(), bytes)]).unwrap();
        let err = checkpoint.take("lm_head.weight", &[2]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the checkpoint has no tensor lm_head.weight (looked for lm_head.weight)"
        );
        let err = checkpoint
            .take("language_model.norm.weight", &[3])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "tensor model.norm.weight in a.safetensors has shape [2]; the model needs [3]"
        );
        assert!(
            checkpoint
                .finish()
                .unwrap_err()
                .to_string()
                .contains("1 tensors this model does not use, such as extra.weight")
        );
    }

    #[test]
    fn rejects_truncated_and_garbled_files() {
        let mut bytes = file(&[("w", Dtype::F32, &[4], floats(&[1.0; 4]))]);
        bytes.truncate(bytes.len() - 3);
        assert!(matches!(
            Checkpoint::from_buffers([("t.safetensors".into(), bytes)]),
            Err(CheckpointError::Truncated { .. })
        ));
        for garbage in [
            &b""[..],
            b"\xff\xff\xff\xff\xff\xff\xff\xff{}",
            b"\x02\0\0\0\0\0\0\0{",
        ] {
            assert!(matches!(
                Checkpoint::from_buffers([("g.safetensors".into(), garbage.to_vec())]),
                Err(CheckpointError::Header { .. })
            ));
        }
    }

    #[cfg(not(target_family = "wasm"))]
    #[test]
    fn index_shard_names_stay_in_the_directory() {
        let index = r#"{"metadata": {}, "weight_map": {"a": "m-2.safetensors", "b": "m-1.safetensors", "c": "m-2.safetensors"}}"#;
        assert_eq!(
            shard_names(index).unwrap(),
            ["m-1.safetensors", "m-2.safetensors"]
        );
        let escape = r#"{"weight_map": {"a": "../secret"}}"#;
        assert!(shard_names(escape).is_err());
    }
}
