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

/// The bytes of one shard, read by range: a file natively, a buffer in memory, or in the
/// browser a JavaScript buffer (a downloaded shard then stays outside wasm memory, and only the
/// tensor being loaded is copied in).
pub trait ShardSource {
    /// Its size in bytes.
    fn len(&self) -> u64;
    /// `len` bytes from `offset`, which callers keep within [`ShardSource::len`].
    fn read(&mut self, offset: u64, len: usize) -> Result<Vec<u8>, String>;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ShardSource for Vec<u8> {
    fn len(&self) -> u64 {
        self.as_slice().len() as u64
    }

    fn read(&mut self, offset: u64, len: usize) -> Result<Vec<u8>, String> {
        usize::try_from(offset)
            .ok()
            .and_then(|start| self.get(start..start.checked_add(len)?))
            .map(<[u8]>::to_vec)
            .ok_or_else(|| format!("bytes {offset}..+{len} are past its end"))
    }
}

/// A shard file, read by seeking.
#[cfg(not(target_family = "wasm"))]
#[derive(Debug)]
pub struct FileShard {
    file: std::fs::File,
    len: u64,
}

#[cfg(not(target_family = "wasm"))]
impl FileShard {
    pub fn open(path: &Path) -> Result<Self, CheckpointError> {
        let file = std::fs::File::open(path).map_err(|err| io(path, err))?;
        let len = file.metadata().map_err(|err| io(path, err))?.len();
        Ok(FileShard { file, len })
    }
}

#[cfg(not(target_family = "wasm"))]
impl ShardSource for FileShard {
    fn len(&self) -> u64 {
        self.len
    }

    fn read(&mut self, offset: u64, len: usize) -> Result<Vec<u8>, String> {
        use std::io::{Read, Seek, SeekFrom};
        let mut bytes = vec![0; len];
        self.file
            .seek(SeekFrom::Start(offset))
            .and_then(|_| self.file.read_exact(&mut bytes))
            .map_err(|err| err.to_string())?;
        Ok(bytes)
    }
}

/// A downloaded shard in JavaScript memory.
#[cfg(target_family = "wasm")]
impl ShardSource for js_sys::Uint8Array {
    fn len(&self) -> u64 {
        u64::from(self.length())
    }

    fn read(&mut self, offset: u64, len: usize) -> Result<Vec<u8>, String> {
        let start = u32::try_from(offset).map_err(|err| err.to_string())?;
        let end = u32::try_from(offset + len as u64).map_err(|err| err.to_string())?;
        Ok(self.subarray(start, end).to_vec())
    }
}

struct Shard {
    name: String,
    /// Offset of the tensor data in the shard: 8 bytes of header length plus the header.
    data_start: u64,
    /// `None` once every tensor in it has been read: its bytes are released as loading goes.
    source: Option<Box<dyn ShardSource>>,
    /// Tensors not yet read.
    unread: usize,
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
        Self::from_sources(
            buffers
                .into_iter()
                .map(|(name, bytes)| (name, Box::new(bytes) as Box<dyn ShardSource>)),
        )
    }

    /// A checkpoint whose shards are read by range from `sources`, as `(file name, source)`.
    /// Each source is dropped as soon as its last tensor has been read.
    pub fn from_sources(
        sources: impl IntoIterator<Item = (String, Box<dyn ShardSource>)>,
    ) -> Result<Self, CheckpointError> {
        let mut checkpoint = Checkpoint {
            shards: Vec::new(),
            entries: BTreeMap::new(),
        };
        for (name, mut source) in sources {
            let (data_start, metadata) =
                read_header(source.as_mut()).map_err(|message| CheckpointError::Header {
                    file: name.clone(),
                    message,
                })?;
            let found = source.len();
            checkpoint.add_shard(
                Shard {
                    name,
                    data_start,
                    source: Some(source),
                    unread: 0,
                },
                metadata,
                found,
            )?;
        }
        Ok(checkpoint)
    }

    /// The safetensors shards of a Hugging Face model directory: `model.safetensors`, or the
    /// shards listed by `model.safetensors.index.json`.
    #[cfg(not(target_family = "wasm"))]
    pub fn open_dir(dir: &Path) -> Result<Self, CheckpointError> {
        let sources = Self::shard_paths(dir)?
            .into_iter()
            .map(|path| {
                let source = FileShard::open(&path)?;
                Ok((
                    path.display().to_string(),
                    Box::new(source) as Box<dyn ShardSource>,
                ))
            })
            .collect::<Result<Vec<_>, CheckpointError>>()?;
        Self::from_sources(sources)
    }

    /// The shard files of a Hugging Face model directory: `model.safetensors`, or those listed by
    /// `model.safetensors.index.json`.
    #[cfg(not(target_family = "wasm"))]
    pub fn shard_paths(dir: &Path) -> Result<Vec<PathBuf>, CheckpointError> {
        let index_path = dir.join("model.safetensors.index.json");
        if !index_path.exists() {
            return Ok(vec![dir.join("model.safetensors")]);
        }
        let index = std::fs::read_to_string(&index_path).map_err(|err| io(&index_path, err))?;
        Ok(shard_names(&index)
            .map_err(|message| CheckpointError::Index {
                file: index_path.display().to_string(),
                message,
            })?
            .into_iter()
            .map(|name| dir.join(name))
            .collect())
    }

    fn add_shard(
        &mut self,
        mut shard: Shard,
        metadata: Metadata,
        found: u64,
    ) -> Result<(), CheckpointError> {
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
            shard.unread += 1;
        }
        if shard.unread == 0 {
            shard.source = None;
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
            bytes.extend(shard.read_tensor(begin as u64, end - begin)?);
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
    /// Reads one tensor's bytes, releasing the source after its last tensor.
    fn read_tensor(&mut self, offset: u64, len: usize) -> Result<Vec<u8>, CheckpointError> {
        let source = self.source.as_mut().ok_or_else(|| CheckpointError::Io {
            file: self.name.clone(),
            message: "read after all its tensors were read".into(),
        })?;
        let bytes = source
            .read(self.data_start + offset, len)
            .map_err(|message| CheckpointError::Io {
                file: self.name.clone(),
                message,
            })?;
        self.unread -= 1;
        if self.unread == 0 {
            self.source = None;
        }
        Ok(bytes)
    }
}

/// Reads and parses a shard's header through its source.
fn read_header(source: &mut dyn ShardSource) -> Result<(u64, Metadata), String> {
    let len = source.len();
    if len < 8 {
        return Err("shorter than the 8-byte header length".into());
    }
    let length = source.read(0, 8)?;
    let header_len = u64::from_le_bytes(length.as_slice().try_into().map_err(|_| "unreadable")?);
    if header_len > MAX_HEADER.min(len - 8) {
        return Err(format!(
            "header length {header_len} does not fit the file's {len} bytes"
        ));
    }
    let mut prefix = length;
    prefix.extend(source.read(8, header_len as usize)?);
    parse_header(&prefix)
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

/// The logical name of a tensor transformers stored under `stored`: [`stored_names`] read
/// backwards.
pub fn logical_name(stored: &str) -> String {
    if let Some(rest) = stored.strip_prefix("model.language_model.") {
        format!("language_model.{rest}")
    } else if let Some(rest) = stored.strip_prefix("model.visual.") {
        format!("visual.{rest}")
    } else if stored.starts_with("visual.") || stored.starts_with("lm_head") {
        stored.to_owned()
    } else if let Some(rest) = stored.strip_prefix("model.") {
        format!("language_model.{rest}")
    } else {
        stored.to_owned()
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
    fn every_stored_name_reads_back_to_its_logical_name() {
        for logical in [
            "language_model.layers.3.mlp.up_proj.weight",
            "language_model.embed_tokens.weight",
            "visual.blocks.1.attn.qkv.bias",
            "visual.deepstack_merger_list.0.norm.weight",
            "lm_head.weight",
        ] {
            for stored in stored_names(logical) {
                assert_eq!(logical_name(&stored), logical, "{stored}");
            }
        }
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
