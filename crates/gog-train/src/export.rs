//! Trajectories to the trainer's data directory ([`crate::data`]): each conversation rendered by
//! the model's own chat template and tokenizer through the runtime's [`Prompter`], the same
//! code generation feeds the model with, and each assistant turn located by the prompt
//! inference would have fed before it, so its span is exactly the tokens the model would have
//! had to write (the stop token included).

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;
use std::path::Path;

use gog_agent::conversation::{Conversation, Part};
use gog_scenes::Record;
use gog_vlm::ModelFiles;
use gog_vlm::chat_template::{ContentPart, MessageContent};
use gog_vlm::image_processor::ProcessedImage;
use gog_vlm::prompt::Prompter;
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::TrainError;
use crate::data::{
    self, DataFile, DataImage, DataManifest, DataRecord, DataRegion, ProcessorSettings,
};
use crate::scene::Kind;
use crate::synthesize::{Synthesis, TRAJECTORY_VERSION, read_scenes, write_file};
use crate::trajectory::{Trajectory, assistant_turns, text_of};

/// Trajectories per shard.
const SHARD_RECORDS: usize = 2000;

/// How trajectories are exported.
#[derive(Debug, Clone, Copy)]
pub struct ExportConfig {
    /// Longest trajectory kept; the model's context when `None`.
    pub max_length: Option<usize>,
    pub threads: usize,
}

/// A conversation's ids, and where each assistant turn lies in them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokenized {
    pub ids: Vec<u32>,
    /// Per assistant turn, the half-open range of its tokens, its stop token included; the
    /// range starts where the prompt inference feeds before that turn ends.
    pub turns: Vec<[usize; 2]>,
}

impl Tokenized {
    /// The turns `learn` marks.
    pub fn learned(&self, learn: &[bool]) -> Vec<[usize; 2]> {
        self.turns
            .iter()
            .zip(learn)
            .filter(|(_, learned)| **learned)
            .map(|(turn, _)| *turn)
            .collect()
    }
}

/// The ids of `conversation` (whose images have the patch grids `grids`, by index) and the
/// range of each assistant turn.
pub fn tokenize(
    prompter: &Prompter,
    conversation: &Conversation,
    grids: &[[u32; 3]],
) -> Result<Tokenized, String> {
    let (chat, order) = gog_vlm_policy::chat_messages(conversation);
    let shown: Vec<[u32; 3]> = order
        .iter()
        .map(|&index| {
            grids
                .get(index)
                .copied()
                .ok_or_else(|| format!("the conversation shows image {index}, which it lacks"))
        })
        .collect::<Result<_, _>>()?;
    let ids = prompter
        .ids(&chat, &shown, false)
        .map_err(|e| e.to_string())?;
    let assistant = assistant_turns(&conversation.messages);
    let mut turns = Vec::with_capacity(assistant.len());
    for &at in &assistant {
        let images_before: usize = chat[..at]
            .iter()
            .map(|m| match &m.content {
                MessageContent::Parts(parts) => parts
                    .iter()
                    .filter(|p| matches!(p, ContentPart::Image))
                    .count(),
                MessageContent::Text(_) => 0,
            })
            .sum();
        let prompt = prompter
            .ids(&chat[..at], &shown[..images_before], true)
            .map_err(|e| e.to_string())?;
        if !ids.starts_with(&prompt) {
            return Err(format!(
                "turn {at}: the chat template renders the conversation before it differently \
                 when it continues; the export needs a template that renders each message alone"
            ));
        }
        let start = prompt.len();
        let end = ids[start..]
            .iter()
            .position(|t| prompter.stop_tokens().contains(t))
            .map(|p| start + p)
            .ok_or_else(|| format!("turn {at} has no stop token after it"))?;
        let written = prompter
            .tokenizer()
            .decode(&ids[start..end])
            .map_err(|e| e.to_string())?;
        let said = text_of(&conversation.messages[at]);
        if written != said {
            return Err(format!(
                "turn {at}: its tokens decode to {written:?}, not to what was said ({said:?})"
            ));
        }
        turns.push([start, end + 1]);
    }
    Ok(Tokenized { ids, turns })
}

/// A scene's image as the trainer gets it.
struct SceneImage {
    png: Vec<u8>,
    entry: DataImage,
}

/// The scene's pictures as regions of its resized image: boxes scaled, kept inside the image.
fn regions(scene: &Record, processed: &ProcessedImage) -> Vec<DataRegion> {
    let (width, height) = processed.resized.dimensions();
    let scale = |value: u32, from: u32, to: u32| {
        let scaled = (f64::from(value) * f64::from(to) / f64::from(from.max(1))).round();
        (scaled as u32).min(to)
    };
    scene
        .entities
        .iter()
        .filter_map(|picture| {
            let [x1, y1, x2, y2] = picture.bbox_2d;
            let bbox = [
                scale(x1, scene.width, width),
                scale(y1, scene.height, height),
                scale(x2, scene.width, width),
                scale(y2, scene.height, height),
            ];
            (bbox[0] < bbox[2] && bbox[1] < bbox[3]).then(|| DataRegion {
                kind: Kind::of(&picture.entity).noun().to_string(),
                bbox,
            })
        })
        .collect()
}

fn scene_image(
    processed: &ProcessedImage,
    file: String,
    regions: Vec<DataRegion>,
) -> Result<SceneImage, String> {
    let mut png = Vec::new();
    processed
        .resized
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    let mut hasher = Sha256::new();
    for value in &processed.patches {
        hasher.update(value.to_le_bytes());
    }
    Ok(SceneImage {
        png,
        entry: DataImage {
            file,
            grid_thw: processed.grid_thw,
            pixel_sha256: hex(&hasher.finalize()),
            regions,
        },
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What one trajectory became: its record, and its scene's image when it shows it.
enum Exported {
    Kept(Box<(DataRecord, Option<SceneImage>)>),
    Dropped(&'static str),
}

fn export_one(
    prompter: &Prompter,
    trajectory: &Trajectory,
    scenes: &HashMap<&str, &Record>,
    scenes_dir: &Path,
    max_length: usize,
) -> Result<Exported, TrainError> {
    let failed = |reason: String| TrainError::Trajectory {
        id: trajectory.id.clone(),
        reason,
    };
    let shows_image = trajectory
        .messages
        .iter()
        .flat_map(|m| &m.parts)
        .any(|p| matches!(p, Part::Image { .. }));
    let processed = if shows_image {
        let path = scenes_dir.join(&trajectory.image);
        let bytes = std::fs::read(&path).map_err(|e| TrainError::io(&path, e))?;
        // Decoded as the agent decodes the question's image.
        let image = gog_types::image::decode(&bytes).map_err(|e| TrainError::io(&path, e))?;
        prompter.process(std::slice::from_ref(&image))?
    } else {
        Vec::new()
    };
    let conversation = Conversation {
        messages: trajectory.messages.clone(),
        images: Vec::new(),
    };
    let grids: Vec<[u32; 3]> = processed.iter().map(|p| p.grid_thw).collect();
    let tokenized = tokenize(prompter, &conversation, &grids)
        .and_then(|t| {
            if t.turns.len() == trajectory.learn.len() {
                Ok(t)
            } else {
                Err(format!(
                    "{} assistant turns but {} learn marks",
                    t.turns.len(),
                    trajectory.learn.len()
                ))
            }
        })
        .map_err(failed)?;
    if tokenized.ids.len() > max_length {
        return Ok(Exported::Dropped("longer than the context"));
    }
    let image = match processed.first() {
        Some(processed) => {
            let scene = scenes.get(trajectory.scene.as_str()).ok_or_else(|| {
                failed(format!(
                    "scene {} is not in the scenes file",
                    trajectory.scene
                ))
            })?;
            let file = format!("images/{}.png", trajectory.scene);
            Some(scene_image(processed, file, regions(scene, processed)).map_err(failed)?)
        }
        None => None,
    };
    let record = DataRecord {
        id: trajectory.id.clone(),
        scene: trajectory.scene.clone(),
        split: trajectory.split.name().to_string(),
        category: trajectory.category.name().to_string(),
        behaviour: trajectory.behaviour.clone(),
        loss_spans: tokenized.learned(&trajectory.learn),
        input_ids: tokenized.ids,
        images: image.iter().map(|i| i.entry.clone()).collect(),
    };
    Ok(Exported::Kept(Box::new((record, image))))
}

/// Reads a synthesis directory's summary and trajectories.
pub fn read_synthesis(dir: &Path) -> Result<(Synthesis, Vec<Trajectory>), TrainError> {
    let summary_path = dir.join("synthesis.json");
    let summary = std::fs::read(&summary_path).map_err(|e| TrainError::io(&summary_path, e))?;
    let format = |reason: String| TrainError::Format {
        file: summary_path.display().to_string(),
        reason,
    };
    // The version first, so that an older synthesis is named as such, not as a missing field.
    let version = serde_json::from_slice::<serde_json::Value>(&summary)
        .map_err(|e| format(e.to_string()))?["version"]
        .as_u64();
    if version != Some(u64::from(TRAJECTORY_VERSION)) {
        return Err(format(format!(
            "trajectories of format version {version:?}; this build reads version \
             {TRAJECTORY_VERSION}: synthesize them again"
        )));
    }
    let summary: Synthesis = serde_json::from_slice(&summary).map_err(|e| format(e.to_string()))?;
    let path = dir.join("trajectories.jsonl");
    let text = std::fs::read_to_string(&path).map_err(|e| TrainError::io(&path, e))?;
    let trajectories = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| TrainError::Format {
                file: path.display().to_string(),
                reason: format!("line {}: {e}", i + 1),
            })
        })
        .collect::<Result<_, _>>()?;
    Ok((summary, trajectories))
}

/// Counts for people, kept in the manifest.
#[derive(Debug, Serialize)]
struct ExportSummary<'a> {
    synthesis: &'a Synthesis,
    records: usize,
    tokens: usize,
    learned_tokens: usize,
    longest: usize,
    dropped: BTreeMap<&'static str, usize>,
}

/// Exports the trajectories in `synthesis_dir` for the model in `model_dir` into `out`
/// (replaced).
pub fn export(
    synthesis_dir: &Path,
    model_dir: &Path,
    out: &Path,
    config: ExportConfig,
) -> Result<DataManifest, TrainError> {
    let (synthesis, trajectories) = read_synthesis(synthesis_dir)?;
    let scenes_dir = synthesis.scenes.parent().unwrap_or(Path::new("."));
    let scene_records = read_scenes(&synthesis.scenes)?;
    let scenes: HashMap<&str, &Record> = scene_records.iter().map(|r| (r.id.as_str(), r)).collect();
    let files = ModelFiles::read_dir(model_dir)?;
    let (model_config, prompter) = gog_vlm::vlm::text_side(&files)?;
    let family = gog_vlm_policy::prompt_family(&model_config);
    if family != synthesis.family {
        return Err(TrainError::Family {
            trajectories: synthesis.family,
            model: family,
        });
    }
    let max_length = config
        .max_length
        .unwrap_or(model_config.text.max_position_embeddings);
    let exported: Vec<Exported> = crate::pool(config.threads)?.install(|| {
        trajectories
            .par_iter()
            .map(|t| export_one(&prompter, t, &scenes, scenes_dir, max_length))
            .collect::<Result<_, TrainError>>()
    })?;

    if out.exists() {
        std::fs::remove_dir_all(out).map_err(|e| TrainError::io(out, e))?;
    }
    let images_dir = out.join("images");
    std::fs::create_dir_all(&images_dir).map_err(|e| TrainError::io(&images_dir, e))?;
    let mut images = BTreeMap::new();
    let mut records = Vec::new();
    let mut dropped: BTreeMap<&'static str, usize> = BTreeMap::new();
    for item in exported {
        match item {
            Exported::Kept(kept) => {
                let (record, image) = *kept;
                if let Some(image) = image {
                    images.entry(image.entry.file.clone()).or_insert(image.png);
                }
                records.push(record);
            }
            Exported::Dropped(reason) => *dropped.entry(reason).or_default() += 1,
        }
    }
    let mut image_files = Vec::with_capacity(images.len());
    for (name, png) in images {
        write_file(&out.join(&name), &png)?;
        image_files.push(file_entry(name, &png, None));
    }
    let mut shards = Vec::new();
    for (index, chunk) in records.chunks(SHARD_RECORDS).enumerate() {
        let mut lines = Vec::new();
        for record in chunk {
            serde_json::to_writer(&mut lines, record).map_err(TrainError::json)?;
            lines.push(b'\n');
        }
        let name = format!("shard-{index:05}.jsonl");
        write_file(&out.join(&name), &lines)?;
        shards.push(file_entry(name, &lines, Some(chunk.len())));
    }
    let summary = ExportSummary {
        synthesis: &synthesis,
        records: records.len(),
        tokens: records.iter().map(|r| r.input_ids.len()).sum(),
        learned_tokens: records
            .iter()
            .flat_map(|r| &r.loss_spans)
            .map(|[a, b]| b - a)
            .sum(),
        longest: records.iter().map(|r| r.input_ids.len()).max().unwrap_or(0),
        dropped,
    };
    let manifest = DataManifest {
        format: data::FORMAT.into(),
        version: data::VERSION,
        kind: "sft".into(),
        tokenizer_sha256: hex(&Sha256::digest(&files.tokenizer)),
        processor: ProcessorSettings::from(prompter.processor()),
        max_length,
        shards,
        images: image_files,
        summary: serde_json::to_value(&summary).map_err(TrainError::json)?,
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(TrainError::json)?;
    write_file(&out.join("manifest.json"), &json)?;
    Ok(manifest)
}

fn file_entry(name: String, bytes: &[u8], records: Option<usize>) -> DataFile {
    DataFile {
        name,
        bytes: bytes.len() as u64,
        sha256: hex(&Sha256::digest(bytes)),
        records,
    }
}
