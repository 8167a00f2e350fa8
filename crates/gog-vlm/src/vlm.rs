//! A ready-to-use vision-language model: a conversation and its images in, streamed text out.
//!
//! [`Vlm`] ties the pieces together the way transformers' processor and `generate` do: render the
//! chat template, tokenize, expand each image placeholder to the image's token count, give every
//! token its M-RoPE position, encode the images (reusing earlier encodings of the same image),
//! prefill the prompt and decode token by token until a stop token, the token limit or the
//! context limit.

use crate::ComputeDevice;
use crate::chat_template::{ChatMessage, ChatTemplate, ChatTemplateError};
#[cfg(not(target_family = "wasm"))]
use crate::checkpoint::FileShard;
use crate::checkpoint::{Checkpoint, CheckpointError, ShardSource};
use crate::config_error::ConfigError;
use crate::device::{DeviceError, DeviceKind};
use crate::image_processor::{ImageProcessorConfig, ProcessedImage};
use crate::nn::linear::Quantization;
use crate::package::{self, Manifest, PackageError, PackageFile, Progress};
use crate::prompt::{PromptError, Prompter};
use crate::quant::QuantFormat;
use crate::qwen_vl::{DecoderInput, Family, ForwardError, QwenVl, QwenVlConfig, VisionOutput};
use crate::rope_index::{RopeIndexError, rope_positions};
use crate::sampling::{Sampler, Sampling, SamplingError};
use crate::tokenizer::{TextStream, TextTokenizer, TokenizerError};
use burn::tensor::{Tensor, TensorData};
use image::RgbImage;
use sha2::{Digest, Sha256};
use std::collections::VecDeque;

/// The files of a model, however they were obtained: read from a directory natively, or
/// downloaded in the browser.
#[derive(Debug)]
pub struct ModelFiles {
    /// `config.json`.
    pub config: String,
    /// `preprocessor_config.json`, when the checkpoint has one.
    pub preprocessor_config: Option<String>,
    /// `generation_config.json`, when the checkpoint has one: its `eos_token_id`s stop decoding.
    pub generation_config: Option<String>,
    /// `tokenizer.json`.
    pub tokenizer: Vec<u8>,
    /// `tokenizer_config.json` (or `chat_template.json`): holds the chat template.
    pub tokenizer_config: String,
    pub checkpoint: Checkpoint,
    /// The block format of a package's quantised layers; `None` for a Hugging Face directory.
    pub quantized: Option<QuantFormat>,
}

impl ModelFiles {
    /// A model package's files, fetched one at a time by `fetch` (from disk, the network or a
    /// cache) and checked against the manifest's sizes and hashes; `progress` hears after each.
    /// Shards stay in their sources (files natively, JavaScript buffers in the browser) and are
    /// read tensor by tensor while the model loads, each released after its last tensor.
    pub fn from_package(
        manifest: &Manifest,
        mut fetch: impl FnMut(&PackageFile) -> Result<Box<dyn ShardSource>, PackageError>,
        mut progress: impl FnMut(Progress<'_>),
    ) -> Result<Self, LoadError> {
        let total = manifest.total_bytes();
        let mut done = 0;
        let mut small = std::collections::HashMap::new();
        let mut shards = Vec::with_capacity(manifest.shards.len());
        for (index, file) in manifest.all_files().enumerate() {
            let mut source = fetch(file)?;
            package::verify(file, source.as_mut())?;
            done += file.bytes;
            progress(Progress {
                file: &file.name,
                done,
                total,
            });
            if index < manifest.files.len() {
                let bytes =
                    source
                        .read(0, file.bytes as usize)
                        .map_err(|message| LoadError::Io {
                            file: file.name.clone(),
                            message,
                        })?;
                small.insert(file.name.clone(), bytes);
            } else {
                shards.push((file.name.clone(), source));
            }
        }
        let mut text = |name: &str| -> Result<Option<String>, LoadError> {
            small
                .remove(name)
                .map(|bytes| {
                    String::from_utf8(bytes).map_err(|_| LoadError::Io {
                        file: name.into(),
                        message: "is not UTF-8 text".into(),
                    })
                })
                .transpose()
        };
        let required = |name: &str, value: Option<String>| {
            value.ok_or_else(|| LoadError::Package(PackageError::MissingFile(name.into())))
        };
        let config = required("config.json", text("config.json")?)?;
        let tokenizer_config = required("tokenizer_config.json", text("tokenizer_config.json")?)?;
        let preprocessor_config = text("preprocessor_config.json")?;
        let generation_config = text("generation_config.json")?;
        let tokenizer = small.remove("tokenizer.json").ok_or_else(|| {
            LoadError::Package(PackageError::MissingFile("tokenizer.json".into()))
        })?;
        Ok(ModelFiles {
            config,
            preprocessor_config,
            generation_config,
            tokenizer,
            tokenizer_config,
            checkpoint: Checkpoint::from_sources(shards)?,
            quantized: manifest.weights.quant(),
        })
    }

    /// Reads a model package directory (one with a `manifest.json`) or a Hugging Face model
    /// directory.
    #[cfg(not(target_family = "wasm"))]
    pub fn read(
        dir: &std::path::Path,
        progress: impl FnMut(Progress<'_>),
    ) -> Result<Self, LoadError> {
        let manifest_path = dir.join(package::MANIFEST);
        if !manifest_path.exists() {
            return Self::read_dir(dir);
        }
        let manifest = std::fs::read_to_string(&manifest_path)
            .map_err(|err| LoadError::io(&manifest_path, err))?;
        let manifest = Manifest::from_json(&manifest)?;
        Self::from_package(
            &manifest,
            |file| {
                let shard = FileShard::open(&dir.join(&file.name))?;
                Ok(Box::new(shard) as Box<dyn ShardSource>)
            },
            progress,
        )
    }

    /// The SHA-256 (lower-case hex) of each weight file of a model package or Hugging Face
    /// directory, by file name: what a trace records about the weights. A package's come from
    /// its manifest (and are checked when it loads); a directory's shards are read and hashed.
    #[cfg(not(target_family = "wasm"))]
    pub fn weight_sha256(
        dir: &std::path::Path,
    ) -> Result<std::collections::BTreeMap<String, String>, LoadError> {
        let manifest_path = dir.join(package::MANIFEST);
        if manifest_path.exists() {
            let manifest = std::fs::read_to_string(&manifest_path)
                .map_err(|err| LoadError::io(&manifest_path, err))?;
            let manifest = Manifest::from_json(&manifest)?;
            return Ok(manifest
                .shards
                .into_iter()
                .map(|file| (file.name, file.sha256))
                .collect());
        }
        Checkpoint::shard_paths(dir)?
            .into_iter()
            .map(|path| {
                let mut file =
                    std::fs::File::open(&path).map_err(|err| LoadError::io(&path, err))?;
                let mut hasher = Sha256::new();
                std::io::copy(&mut file, &mut hasher).map_err(|err| LoadError::io(&path, err))?;
                let name = path
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                Ok((name, gog_types::hash::sha256_hex_digest(hasher)))
            })
            .collect()
    }

    /// Reads a Hugging Face model directory.
    #[cfg(not(target_family = "wasm"))]
    pub fn read_dir(dir: &std::path::Path) -> Result<Self, LoadError> {
        let read = |name: &str| -> Result<String, LoadError> {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|err| LoadError::io(&path, err))
        };
        let optional = |name: &str| -> Result<Option<String>, LoadError> {
            if dir.join(name).exists() {
                read(name).map(Some)
            } else {
                Ok(None)
            }
        };
        // Newer checkpoints keep the chat template in a file of its own.
        let tokenizer_config = match optional("chat_template.json")? {
            Some(template) => template,
            None => read("tokenizer_config.json")?,
        };
        let tokenizer_path = dir.join("tokenizer.json");
        Ok(ModelFiles {
            config: read("config.json")?,
            preprocessor_config: optional("preprocessor_config.json")?,
            generation_config: optional("generation_config.json")?,
            tokenizer: std::fs::read(&tokenizer_path)
                .map_err(|err| LoadError::io(&tokenizer_path, err))?,
            tokenizer_config,
            checkpoint: Checkpoint::open_dir(dir)?,
            quantized: None,
        })
    }
}

/// A model that cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{file}: {message}")]
    Io { file: String, message: String },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
    #[error(transparent)]
    ChatTemplate(#[from] ChatTemplateError),
    #[error(transparent)]
    Package(#[from] PackageError),
}

impl LoadError {
    #[cfg(not(target_family = "wasm"))]
    fn io(path: &std::path::Path, err: std::io::Error) -> Self {
        LoadError::Io {
            file: path.display().to_string(),
            message: err.to_string(),
        }
    }
}

/// A generation that cannot run.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error(transparent)]
    Prompt(#[from] PromptError),
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
    #[error(transparent)]
    Positions(#[from] RopeIndexError),
    #[error(transparent)]
    Forward(#[from] ForwardError),
    #[error(transparent)]
    Device(#[from] DeviceError),
    #[error(transparent)]
    Sampling(#[from] SamplingError),
    #[error("the prompt is empty")]
    EmptyPrompt,
}

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct GenerateRequest<'a> {
    pub messages: &'a [ChatMessage],
    /// The images the messages' image parts refer to, in order.
    pub images: &'a [RgbImage],
    pub sampling: Sampling,
    pub max_new_tokens: usize,
}

/// Why decoding stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The model wrote one of its stop tokens (not part of the text).
    StopToken(u32),
    /// `max_new_tokens` were written.
    MaxTokens,
    /// The context is full.
    ContextFull,
}

/// Prompt tokens read per pass of the decoder before the next token is generated: small
/// enough that a long prompt reports its progress every few seconds on a slow device, large
/// enough that each pass keeps the matrix kernels busy.
pub const PREFILL_CHUNK: usize = 256;

/// What a generation reports as it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generated<'a> {
    /// `done` of the prompt's `total` tokens have been read.
    Read { done: usize, total: usize },
    /// A piece of the reply's text.
    Text(&'a str),
}

/// What a generation produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    pub text: String,
    /// The generated tokens, the stop token included.
    pub tokens: Vec<u32>,
    /// The prompt as the model saw it, each image placeholder expanded to its tokens.
    pub prompt: Vec<u32>,
    pub image_tokens: usize,
    pub stop: StopReason,
    /// Images whose encoding came from the vision cache.
    pub cached_images: usize,
}

/// How a model is loaded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Quantise the decoder's linear layers and head (a package's own blocks are kept).
    pub quant: Option<QuantFormat>,
}

/// How many encoded images the vision cache keeps.
const VISION_CACHE_IMAGES: usize = 8;

/// A loaded model with its tokenizer, chat template and image processor.
#[derive(Debug)]
pub struct Vlm {
    model: QwenVl,
    prompter: Prompter,
    device: ComputeDevice,
    /// The block format of the quantised layers (requested or stored in a package); `None`
    /// when every layer computes in f32.
    quant: Option<QuantFormat>,
    /// Encoded images by the hash of their patches, most recent last.
    vision_cache: VecDeque<([u8; 32], VisionOutput)>,
    /// Prompt tokens per decoder pass ([`PREFILL_CHUNK`] unless set).
    prefill_chunk: usize,
}

impl Vlm {
    /// Loads a model onto `device`.
    pub fn load(
        files: ModelFiles,
        device: ComputeDevice,
        options: LoadOptions,
    ) -> Result<Self, LoadError> {
        // Quantised blocks (requested, or stored in a package) are multiplied by the CPU kernel
        // on the CPU, and by burn's quantised matmul where they stay packed in GPU memory.
        let quant_format = options.quant.or(files.quantized);
        let quant = quant_format.map(|format| match device.kind() {
            DeviceKind::Cpu => Quantization::host(format),
            DeviceKind::WebGpu => Quantization::device(format),
        });
        let (config, prompter) = text_side(&files)?;
        let model = QwenVl::load(&config, files.checkpoint, device.device(), quant)?;
        Ok(Vlm {
            model,
            prompter,
            device,
            quant: quant_format,
            vision_cache: VecDeque::new(),
            prefill_chunk: PREFILL_CHUNK,
        })
    }

    pub fn config(&self) -> &QwenVlConfig {
        self.model.config()
    }

    /// The block format of the quantised layers, if any.
    pub fn quant(&self) -> Option<QuantFormat> {
        self.quant
    }

    /// How images are resized and patched for this model.
    pub fn processor(&self) -> &ImageProcessorConfig {
        &self.prompter.processor
    }

    pub fn tokenizer(&self) -> &TextTokenizer {
        &self.prompter.tokenizer
    }

    /// What turns a conversation into this model's token ids.
    pub fn prompter(&self) -> &Prompter {
        &self.prompter
    }

    pub fn device(&self) -> &ComputeDevice {
        &self.device
    }

    /// The image processor, whose `max_pixels` is the visual-token budget per image.
    pub fn processor_mut(&mut self) -> &mut ImageProcessorConfig {
        &mut self.prompter.processor
    }

    /// Tokens that end a reply.
    pub fn stop_tokens(&self) -> &[u32] {
        &self.prompter.stop_tokens
    }

    /// Runs the whole path once on a small synthetic image, so that the first real request does
    /// not pay for compiling the GPU's kernels. The warm-up image is not kept in the vision cache.
    pub async fn warm_up(&mut self) -> Result<(), GenerateError> {
        let side = self.processor().factor() * 2;
        let image = RgbImage::from_fn(side, side, |x, y| image::Rgb([x as u8, y as u8, 128]));
        let messages = [ChatMessage::user_with_images(1, "Warm-up.")];
        let cached = self.vision_cache.len();
        self.generate(
            GenerateRequest {
                messages: &messages,
                images: std::slice::from_ref(&image),
                sampling: Sampling::Greedy,
                max_new_tokens: 2,
            },
            |_| {},
        )
        .await?;
        self.vision_cache.truncate(cached);
        Ok(())
    }

    /// Reads prompts `tokens` at a time (at least one); the reply is the same, up to rounding.
    pub fn set_prefill_chunk(&mut self, tokens: usize) {
        self.prefill_chunk = tokens.max(1);
    }

    /// Generates a reply, telling `on_event` how far the prompt has been read and each piece of
    /// text as soon as it is complete.
    pub async fn generate(
        &mut self,
        request: GenerateRequest<'_>,
        mut on_event: impl FnMut(Generated<'_>),
    ) -> Result<Generation, GenerateError> {
        let mut sampler = Sampler::new(request.sampling)?;
        let processed = self.prompter.process(request.images)?;
        let grids: Vec<[u32; 3]> = processed.iter().map(|p| p.grid_thw).collect();
        let prompt = self.prompter.ids(request.messages, &grids, true)?;
        let EncodedImages {
            features: images,
            cached: cached_images,
        } = self.encode_images(processed)?;
        let image_token = self.prompter.image_token;
        let image_tokens = prompt.iter().filter(|&&t| t == image_token).count();
        let merge = self.processor().merge_size;
        let positions = rope_positions(&prompt, image_token, &grids, merge)?;
        let limit = self.model.config().text.max_position_embeddings;
        if prompt.len() > limit {
            return Err(ForwardError::ContextFull {
                needed: prompt.len(),
                limit,
            }
            .into());
        }
        let mut cache = self.model.new_cache();
        // The prompt is read in chunks, so that a long one can report how far it has got; the
        // attention of each chunk covers the cache before it, so the result is the same.
        let mut hidden = None;
        let mut image_row = 0;
        for start in (0..prompt.len()).step_by(self.prefill_chunk) {
            let end = (start + self.prefill_chunk).min(prompt.len());
            let tokens = &prompt[start..end];
            let rows = tokens.iter().filter(|&&t| t == image_token).count();
            let chunk_images = images
                .as_ref()
                .filter(|_| rows > 0)
                .map(|all| VisionOutput {
                    embeddings: all.embeddings.clone().narrow(0, image_row, rows),
                    deepstack: all
                        .deepstack
                        .iter()
                        .map(|level| level.clone().narrow(0, image_row, rows))
                        .collect(),
                });
            image_row += rows;
            let axis = |i: usize| &positions.axes[i][start..end];
            let read = self.model.decode(
                DecoderInput {
                    tokens,
                    positions: [axis(0), axis(1), axis(2)],
                    images: chunk_images.as_ref(),
                },
                &mut cache,
                None,
            )?;
            if end < prompt.len() {
                // WebGPU queues the work: reading one value back waits for this chunk, so the
                // count says what has really been read.
                let last = read.clone().narrow(0, end - start - 1, 1).narrow(1, 0, 1);
                self.device.read_f32(last).await?;
            }
            hidden = Some(read);
            on_event(Generated::Read {
                done: end,
                total: prompt.len(),
            });
        }
        let hidden = hidden.ok_or(GenerateError::EmptyPrompt)?;
        let mut logits = self.last_logits(hidden).await?;
        let mut stream = TextStream::default();
        let mut text = String::new();
        let mut tokens = Vec::new();
        let stop = loop {
            let token = sampler.sample(&logits);
            tokens.push(token);
            if self.prompter.stop_tokens.contains(&token) {
                break StopReason::StopToken(token);
            }
            if let Some(piece) = stream.push(&self.prompter.tokenizer, token)? {
                on_event(Generated::Text(&piece));
                text.push_str(&piece);
            }
            if tokens.len() >= request.max_new_tokens {
                break StopReason::MaxTokens;
            }
            if cache.len() >= limit {
                break StopReason::ContextFull;
            }
            let hidden = self.model.decode_step(token, positions.delta, &mut cache)?;
            logits = self.last_logits(hidden).await?;
        };
        if let Some(rest) = stream.finish(&self.prompter.tokenizer)? {
            on_event(Generated::Text(&rest));
            text.push_str(&rest);
        }
        Ok(Generation {
            text,
            tokens,
            prompt,
            image_tokens,
            stop,
            cached_images,
        })
    }

    /// The logits of the last row of `hidden`, read back to the host.
    async fn last_logits(&self, hidden: Tensor<2>) -> Result<Vec<f32>, DeviceError> {
        self.device
            .read_f32(self.model.next_token_logits(hidden))
            .await
    }

    /// Encodes each processed image, or takes its encoding from the cache.
    fn encode_images(
        &mut self,
        images: Vec<ProcessedImage>,
    ) -> Result<EncodedImages, GenerateError> {
        let mut outputs = Vec::with_capacity(images.len());
        let mut cached = 0;
        for processed in images {
            let mut hasher = Sha256::new();
            for value in processed.grid_thw {
                hasher.update(value.to_le_bytes());
            }
            for value in &processed.patches {
                hasher.update(value.to_le_bytes());
            }
            let key: [u8; 32] = hasher.finalize().into();
            if let Some(position) = self.vision_cache.iter().position(|(k, _)| *k == key)
                && let Some(entry) = self.vision_cache.remove(position)
            {
                outputs.push(entry.1.clone());
                self.vision_cache.push_back(entry);
                cached += 1;
                continue;
            }
            let grid = processed.grid_thw.map(|v| v as usize);
            let patch_len = self.processor().patch_len();
            let rows = processed.patches.len() / patch_len;
            let patches = Tensor::<2>::from_data(
                TensorData::new(processed.patches, [rows, patch_len]),
                self.device.device(),
            );
            let output = self.model.encode_images(patches, &[grid], None)?;
            if self.vision_cache.len() == VISION_CACHE_IMAGES {
                self.vision_cache.pop_front();
            }
            self.vision_cache.push_back((key, output.clone()));
            outputs.push(output);
        }
        if outputs.is_empty() {
            return Ok(EncodedImages {
                features: None,
                cached,
            });
        }
        let levels = outputs[0].deepstack.len();
        let deepstack = (0..levels)
            .map(|level| {
                Tensor::cat(
                    outputs.iter().map(|o| o.deepstack[level].clone()).collect(),
                    0,
                )
            })
            .collect();
        let embeddings = Tensor::cat(outputs.into_iter().map(|o| o.embeddings).collect(), 0);
        Ok(EncodedImages {
            features: Some(VisionOutput {
                embeddings,
                deepstack,
            }),
            cached,
        })
    }
}

/// The parts of a model that need no weights: its configuration, and what turns a conversation
/// into its token ids (tokenizer, chat template, image processor, stop tokens). The training
/// export uses it without loading the model.
pub fn text_side(files: &ModelFiles) -> Result<(QwenVlConfig, Prompter), LoadError> {
    let config = QwenVlConfig::from_json(&files.config)?;
    let defaults = match config.family {
        Family::Qwen2_5Vl => ImageProcessorConfig::qwen2_5_vl(),
        Family::Qwen3Vl => ImageProcessorConfig::qwen3_vl(),
    };
    let processor = match &files.preprocessor_config {
        Some(json) => ImageProcessorConfig::from_preprocessor_json(json, defaults)?,
        None => defaults,
    };
    if processor.patch_size as usize != config.vision.patch_size
        || processor.merge_size as usize != config.vision.spatial_merge_size
        || processor.temporal_patch_size as usize != config.vision.temporal_patch_size
    {
        return Err(ConfigError::Invalid {
            field: "preprocessor_config.json".into(),
            reason: "its patch, merge and temporal sizes differ from config.json's vision_config"
                .into(),
        }
        .into());
    }
    let tokenizer = TextTokenizer::from_json(&files.tokenizer)?;
    let template = ChatTemplate::from_config_json(&files.tokenizer_config)?;
    let stop_tokens = stop_tokens(files, &tokenizer)?;
    let image_token = config.tokens.image;
    Ok((
        config,
        Prompter::new(tokenizer, template, processor, image_token, stop_tokens),
    ))
}

/// A request's images, encoded.
struct EncodedImages {
    /// All images' features in order; `None` without images.
    features: Option<VisionOutput>,
    /// How many came from the vision cache.
    cached: usize,
}

/// The tokens that end a reply: `generation_config.json`'s `eos_token_id` (one or a list) and the
/// tokenizer configuration's `eos_token`.
fn stop_tokens(files: &ModelFiles, tokenizer: &TextTokenizer) -> Result<Vec<u32>, LoadError> {
    let mut stops = Vec::new();
    if let Some(json) = &files.generation_config {
        let value: serde_json::Value = serde_json::from_str(json)
            .map_err(|err| ConfigError::invalid("generation_config.json", err.to_string()))?;
        match value.get("eos_token_id") {
            Some(serde_json::Value::Array(ids)) => {
                stops.extend(ids.iter().filter_map(|id| id.as_u64()).map(|id| id as u32))
            }
            Some(id) => stops.extend(id.as_u64().map(|id| id as u32)),
            None => {}
        }
    }
    let config: serde_json::Value = serde_json::from_str(&files.tokenizer_config)
        .map_err(|err| ChatTemplateError::Json(err.to_string()))?;
    let eos = config.get("eos_token").and_then(|eos| {
        eos.as_str()
            .or_else(|| eos.get("content").and_then(|c| c.as_str()))
    });
    if let Some(eos) = eos {
        stops.push(tokenizer.token_id(eos)?);
    }
    stops.sort_unstable();
    stops.dedup();
    Ok(stops)
}
