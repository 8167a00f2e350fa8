//! GoG-Instruct in miniature: one oracle trajectory per training scene, run through the
//! product's own [`Agent`] over the real offline search engine, on every core; and, when asked,
//! one grounding turn per scene ([`crate::grounding`]) and reading drills cut from the
//! trajectories ([`crate::reading`]).
//!
//! Written to a directory: `trajectories.jsonl` (one [`Trajectory`] a line, in scene order),
//! `synthesis.json` (a [`Synthesis`]: where the scenes came from, the behaviour mix, and how
//! many scenes were dropped and why) and `text.txt` (every message's text and every corpus
//! document, what the tokenizer is trained on).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use gog_agent::conversation::{Message, Part};
use gog_agent::trace::Outcome;
use gog_agent::{Agent, AgentConfig, Family, Prompts, Question, SamplingParams, Trace, TraceSink};
use gog_scenes::Record;
use gog_search::backend::OfflineBackend;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::TrainError;
use crate::observed::Observed;
use crate::oracle::{Oracle, gave_up_reason};
use crate::plan::{Plan, Variant};
use crate::trajectory::Trajectory;

/// The version of the trajectory files; bumped when their meaning changes.
pub const TRAJECTORY_VERSION: u32 = 2;

/// What a synthesis run made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Synthesis {
    pub version: u32,
    /// The scenes file, as an absolute path: the export finds the images beside it.
    pub scenes: PathBuf,
    /// Whose prompts the trajectories hold: the model trained on them must be prompted alike.
    pub family: Family,
    pub variant: Variant,
    pub seed: u64,
    pub corpus_version: String,
    pub scenes_read: usize,
    pub trajectories: usize,
    /// Behaviour label → trajectories.
    pub behaviours: BTreeMap<String, usize>,
    /// Category → trajectories.
    pub categories: BTreeMap<String, usize>,
    /// Trajectories with a reflection (results that did not fit, then another search).
    pub reflective: usize,
    /// Reason → scenes dropped.
    pub dropped: BTreeMap<String, usize>,
    /// Grounding turns, one per scene when they were asked for (none in older syntheses).
    #[serde(default)]
    pub grounding: usize,
    /// Trajectories whose asked-about entity was renamed (`crate::rename`).
    #[serde(default)]
    pub renamed: usize,
    /// Reading drills (`crate::reading`), none in older syntheses.
    #[serde(default)]
    pub reading: usize,
}

/// How trajectories are made.
#[derive(Debug, Clone)]
pub struct SynthesisConfig {
    pub family: Family,
    pub variant: Variant,
    pub seed: u64,
    pub threads: usize,
    /// Add a grounding turn for every scene.
    pub grounding: bool,
    /// Rename the asked-about entity in `rename::RENAMED_SHARE` of the trajectories.
    pub rename: bool,
    /// Add a reading drill for `reading::DRILL_SHARE` of the trajectories.
    pub reading: bool,
}

/// No trace is kept: the trajectory is the conversation.
struct Discard;

impl TraceSink for Discard {
    fn save(&mut self, _trace: &Trace) {}
}

/// The agent the oracle is run in: the product's defaults with `family`'s prompts, without
/// keeping the image in the trace (nothing reads it).
pub fn agent(family: Family) -> Agent {
    Agent {
        prompts: Prompts::built_in(family),
        config: AgentConfig {
            keep_image: false,
            ..AgentConfig::default()
        },
        sampling: SamplingParams::default(),
    }
}

/// Runs the oracle through the agent on one scene, as [`run_scene`] does: the run's trace and
/// the oracle, which knows what it did.
pub fn run_oracle<'r>(
    backend: &OfflineBackend,
    agent: &Agent,
    record: &'r Record,
    image: &[u8],
    config: &SynthesisConfig,
) -> (Trace, Oracle<'r>) {
    let mut rng = ChaCha8Rng::from_seed(
        Sha256::digest(format!(
            "gog-train/{}/{}/{}",
            config.seed,
            config.variant.name(),
            record.id
        ))
        .into(),
    );
    let plan = Plan::draw(record, config.variant, &mut rng);
    let latest = Default::default();
    let observed = Observed::new(backend, std::rc::Rc::clone(&latest));
    let mut oracle = Oracle::new(record, plan, rng, latest, config.family);
    let question = Question {
        text: &record.question,
        image,
    };
    let trace =
        pollster::block_on(agent.run(&mut oracle, &observed, question, &mut Discard, &mut |_| {}));
    (trace, oracle)
}

/// Runs the oracle on one scene; `Err` holds why the scene was dropped.
pub fn run_scene(
    backend: &OfflineBackend,
    agent: &Agent,
    record: &Record,
    image: &[u8],
    config: &SynthesisConfig,
) -> Result<Trajectory, String> {
    let (trace, oracle) = run_oracle(backend, agent, record, image, config);
    let answer = match trace.outcome {
        Some(Outcome::Answered { answer }) => answer,
        Some(Outcome::Failed { error }) => {
            return Err(gave_up_reason(&error).unwrap_or(&error).to_string());
        }
        Some(Outcome::Stopped { reason }) => return Err(format!("stopped: {reason:?}")),
        None => return Err("no outcome".into()),
    };
    if trace.steps.iter().any(|s| s.error.is_some()) && !oracle.behaviour().slipped {
        return Err("an unplanned error turn".into());
    }
    Ok(Trajectory {
        id: format!("{}.0", record.id),
        scene: record.id.clone(),
        split: record.split,
        category: record.category,
        behaviour: oracle.behaviour().label(),
        image: record.image.clone(),
        messages: oracle.messages().to_vec(),
        learn: oracle.learn().to_vec(),
        answer,
    })
}

/// Reads a scenes file (`gog-offline/train.jsonl`).
pub fn read_scenes(path: &Path) -> Result<Vec<Record>, TrainError> {
    let text = std::fs::read_to_string(path).map_err(|e| TrainError::io(path, e))?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| TrainError::Format {
                file: path.display().to_string(),
                reason: format!("line {}: {e}", i + 1),
            })
        })
        .collect()
}

/// Runs the oracle on every scene of `scenes_file` (at most `limit`) and writes `out`.
pub fn synthesize(
    backend: &OfflineBackend,
    scenes_file: &Path,
    limit: Option<usize>,
    config: &SynthesisConfig,
    out: &Path,
) -> Result<Synthesis, TrainError> {
    if config.family.box_family() != Family::Qwen3Vl {
        return Err(TrainError::OracleFamily(config.family));
    }
    let mut records = read_scenes(scenes_file)?;
    if let Some(limit) = limit {
        records.truncate(limit);
    }
    let scenes_file =
        std::fs::canonicalize(scenes_file).map_err(|e| TrainError::io(scenes_file, e))?;
    let scenes_dir = scenes_file.parent().unwrap_or(Path::new("."));
    let agent = agent(config.family);
    let results: Vec<Result<Trajectory, String>> = crate::pool(config.threads)?.install(|| {
        records
            .par_iter()
            .map(|record| {
                let path = scenes_dir.join(&record.image);
                let image = std::fs::read(&path).map_err(|e| TrainError::io(&path, e))?;
                Ok(run_scene(backend, &agent, record, &image, config))
            })
            .collect::<Result<_, TrainError>>()
    })?;
    std::fs::create_dir_all(out).map_err(|e| TrainError::io(out, e))?;
    let mut summary = Synthesis {
        version: TRAJECTORY_VERSION,
        scenes: scenes_file.clone(),
        family: config.family,
        variant: config.variant,
        seed: config.seed,
        corpus_version: backend.bundle().manifest.corpus_version.clone(),
        scenes_read: records.len(),
        trajectories: 0,
        behaviours: BTreeMap::new(),
        categories: BTreeMap::new(),
        reflective: 0,
        dropped: BTreeMap::new(),
        grounding: 0,
        renamed: 0,
        reading: 0,
    };
    let mut drills = Vec::new();
    let mut lines = Vec::new();
    let mut text = Vec::new();
    for (record, result) in records.iter().zip(results) {
        match result {
            Ok(mut trajectory) => {
                if config.reading {
                    let mut rng = scene_rng(config, "reading", record);
                    if rng.random_bool(crate::reading::DRILL_SHARE)
                        && let Some(drill) = crate::reading::drill(&trajectory, record, &mut rng)
                    {
                        drills.push(drill);
                    }
                }
                if config.rename {
                    let mut rng = scene_rng(config, "rename", record);
                    if rng.random_bool(crate::rename::RENAMED_SHARE)
                        && crate::rename::rename(&mut trajectory, record, &mut rng)
                    {
                        summary.renamed += 1;
                    }
                }
                summary.trajectories += 1;
                *summary
                    .behaviours
                    .entry(trajectory.behaviour.clone())
                    .or_default() += 1;
                *summary
                    .categories
                    .entry(trajectory.category.name().to_string())
                    .or_default() += 1;
                summary.reflective += usize::from(trajectory.behaviour.contains("reflect"));
                write_text(&mut text, &trajectory.messages);
                serde_json::to_writer(&mut lines, &trajectory).map_err(TrainError::json)?;
                lines.push(b'\n');
            }
            Err(reason) => *summary.dropped.entry(reason).or_default() += 1,
        }
    }
    for drill in &drills {
        summary.reading += 1;
        write_text(&mut text, &drill.messages);
        serde_json::to_writer(&mut lines, drill).map_err(TrainError::json)?;
        lines.push(b'\n');
    }
    if config.grounding {
        for record in &records {
            let turn = crate::grounding::trajectory(record);
            summary.grounding += 1;
            write_text(&mut text, &turn.messages);
            serde_json::to_writer(&mut lines, &turn).map_err(TrainError::json)?;
            lines.push(b'\n');
        }
    }
    for doc in &backend.bundle().documents {
        writeln!(text, "{}\n{}", doc.title, doc.body).map_err(|e| TrainError::io(out, e))?;
    }
    write_file(&out.join("trajectories.jsonl"), &lines)?;
    write_file(&out.join("text.txt"), &text)?;
    let json = serde_json::to_vec_pretty(&summary).map_err(TrainError::json)?;
    write_file(&out.join("synthesis.json"), &json)?;
    Ok(summary)
}

/// The random numbers of one purpose (`rename`, `reading`) on one scene: the same whatever
/// else the synthesis does.
fn scene_rng(config: &SynthesisConfig, purpose: &str, record: &Record) -> ChaCha8Rng {
    ChaCha8Rng::from_seed(
        Sha256::digest(format!("gog-train/{}/{purpose}/{}", config.seed, record.id)).into(),
    )
}

fn write_text(out: &mut Vec<u8>, messages: &[Message]) {
    for message in messages {
        for part in &message.parts {
            if let Part::Text { text } = part {
                out.extend_from_slice(text.as_bytes());
                out.push(b'\n');
            }
        }
    }
}

pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    std::fs::write(path, bytes).map_err(|e| TrainError::io(path, e))
}
