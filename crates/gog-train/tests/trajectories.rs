//! Oracle trajectories on a made-up corpus, and their export checked against inference: the ids
//! the export writes are, turn by turn, the ids the runtime feeds the model when the agent runs
//! the same trajectory through `VlmPolicy` (what `gog ask` runs).

use std::path::{Path, PathBuf};

use gog_agent::conversation::{Conversation, Message, Part, Role};
use gog_agent::{
    Action, Agent, BoxConvention, Family, ModelInfo, Policy, PolicyError, Prompts, Reply, Replying,
    SamplingParams, TraceSink, parse_turn,
};
use gog_scenes::background::gradients;
use gog_scenes::{Category, Generator, Record, Split};
use gog_search::OfflineBackend;
use gog_search::corpus::EntityKind;
use gog_search::fixture::made_up_bundle;
use gog_train::TrainError;
use gog_train::export::{ExportConfig, export, tokenize};
use gog_train::plan::Variant;
use gog_train::run_metrics::{RunMetrics, SearchMix};
use gog_train::synthesize::{SynthesisConfig, agent, run_oracle, run_scene};
use gog_train::trajectory::Trajectory;
use gog_vlm::{ComputeDevice, LoadOptions, ModelFiles, Vlm};
use gog_vlm_policy::VlmPolicy;
use rand::SeedableRng;

fn backend() -> OfflineBackend {
    OfflineBackend::new(made_up_bundle(&[
        (EntityKind::Flag, 12),
        (EntityKind::Monument, 30),
        (EntityKind::Animal, 15),
        (EntityKind::Logo, 30),
    ]))
}

/// `count` training scenes with their JPEG bytes.
fn scenes(backend: &OfflineBackend, count: usize) -> Vec<(Record, Vec<u8>)> {
    let backgrounds = gradients(3);
    let generator = Generator::new(backend.bundle(), &backgrounds, 11).expect("a generator");
    (0..count)
        .map(|index| {
            let scene = generator.scene(Split::Train, index).expect("a scene");
            (scene.record, scene.jpeg)
        })
        .collect()
}

/// GoG-Tiny's trajectories: its compact prompts.
fn config(variant: Variant) -> SynthesisConfig {
    SynthesisConfig {
        family: Family::GogTiny,
        variant,
        seed: 5,
        threads: 1,
        grounding: false,
        rename: false,
        reading: false,
    }
}

fn synthesize(
    backend: &OfflineBackend,
    scenes: &[(Record, Vec<u8>)],
    variant: Variant,
) -> Vec<Result<Trajectory, String>> {
    let config = config(variant);
    let agent = agent(config.family);
    scenes
        .iter()
        .map(|(record, jpeg)| run_scene(backend, &agent, record, jpeg, &config))
        .collect()
}

fn actions(trajectory: &Trajectory) -> Vec<Action> {
    trajectory
        .messages
        .iter()
        .filter(|m| m.role == gog_agent::conversation::Role::Assistant)
        .filter_map(|m| match &m.parts[..] {
            [gog_agent::conversation::Part::Text { text }] => parse_turn(text).ok(),
            _ => None,
        })
        .map(|turn| turn.action)
        .collect()
}

#[test]
fn the_oracle_answers_right_reflects_and_the_ablation_never_gazes() {
    let backend = backend();
    let scenes = scenes(&backend, 60);
    let gog = synthesize(&backend, &scenes, Variant::Gog);
    let kept: Vec<&Trajectory> = gog.iter().filter_map(|t| t.as_ref().ok()).collect();
    let dropped: Vec<&String> = gog.iter().filter_map(|t| t.as_ref().err()).collect();
    assert!(
        kept.len() >= 45,
        "only {} of 60 kept: {dropped:?}",
        kept.len()
    );
    for trajectory in &kept {
        let (record, _) = scenes
            .iter()
            .find(|(r, _)| r.id == trajectory.scene)
            .expect("its scene");
        let gold: Vec<String> = std::iter::once(record.answer.clone())
            .chain(record.aliases.clone())
            .collect();
        assert!(
            gog_agent::judge::judge(&trajectory.answer, &gold).exact_match,
            "{}: {} for {gold:?}",
            trajectory.id,
            trajectory.answer
        );
        // Every learned turn is well formed; the last one answers.
        let assistant: Vec<&Message> = trajectory
            .messages
            .iter()
            .filter(|m| m.role == gog_agent::conversation::Role::Assistant)
            .collect();
        assert_eq!(assistant.len(), trajectory.learn.len());
        for (message, learned) in assistant.iter().zip(&trajectory.learn) {
            let gog_agent::conversation::Part::Text { text } = &message.parts[0] else {
                panic!("an assistant turn with an image");
            };
            if *learned {
                let turn = parse_turn(text).expect("a learned turn parses");
                assert!(turn.think.is_some_and(|t| !t.is_empty()));
            }
        }
        assert!(matches!(
            actions(trajectory).last(),
            Some(Action::Answer { .. })
        ));
        if record.category == Category::NoSearch {
            assert_eq!(actions(trajectory).len(), 1, "a count answers at once");
        }
    }
    let reflective = kept
        .iter()
        .filter(|t| t.behaviour.contains("reflect"))
        .count();
    assert!(
        reflective * 100 >= kept.len() * 15,
        "{reflective} of {} reflect",
        kept.len()
    );
    assert!(kept.iter().any(|t| t.behaviour.starts_with("gaze")));
    assert!(kept.iter().any(|t| t.behaviour.contains("text")));

    let ablation = synthesize(&backend, &scenes, Variant::NoGaze);
    let crops = ablation
        .iter()
        .filter_map(|t| t.as_ref().ok())
        .flat_map(actions)
        .filter(|a| {
            matches!(
                a,
                Action::ImageSearch {
                    bbox_2d: Some(_),
                    ..
                }
            )
        })
        .count();
    assert_eq!(crops, 0, "the no-gaze ablation cropped");
}

/// The tiny Qwen3-VL fixture, a Hugging Face directory with a chat template.
fn tiny_model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/vlm/qwen3_vl-tiny")
}

/// The tiny fixture as GoG-Tiny: the same weights with `gog_prompt_family` in its config, in a
/// directory of the test's own.
fn tiny_gog_model(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).expect("a model directory");
    for entry in std::fs::read_dir(tiny_model()).expect("the fixture") {
        let path = entry.expect("an entry").path();
        std::fs::copy(&path, dir.join(path.file_name().expect("a name"))).expect("copied");
    }
    let config_path = dir.join("config.json");
    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&config_path).expect("config.json")).expect("JSON");
    config["gog_prompt_family"] = "gog_tiny".into();
    std::fs::write(&config_path, config.to_string()).expect("written");
    dir
}

/// Replays a trajectory's replies through the agent while asking the real policy, each turn,
/// to read the conversation so far: it records the ids the runtime fed the model.
struct Forced<'t> {
    inner: VlmPolicy,
    replies: std::slice::Iter<'t, Message>,
    fed: Vec<Vec<u32>>,
    last: Vec<Message>,
}

impl Policy for Forced<'_> {
    fn info(&self) -> ModelInfo {
        self.inner.info()
    }

    fn box_convention(&self, size: (u32, u32)) -> BoxConvention {
        self.inner.box_convention(size)
    }

    async fn reply(
        &mut self,
        conversation: &Conversation,
        sampling: &SamplingParams,
        on_event: &mut dyn FnMut(Replying<'_>),
    ) -> Result<Reply, PolicyError> {
        let one = SamplingParams {
            max_new_tokens: 1,
            ..*sampling
        };
        let read = self.inner.reply(conversation, &one, &mut |_| {}).await?;
        self.fed.push(read.prompt);
        let Some(gog_agent::conversation::Part::Text { text }) =
            self.replies.next().and_then(|m| m.parts.first())
        else {
            return Err(PolicyError("no more replies".into()));
        };
        self.last.clone_from(&conversation.messages);
        on_event(Replying::Text(text));
        Ok(Reply {
            text: text.clone(),
            tokens: Vec::new(),
            prompt: Vec::new(),
            end: gog_agent::ReplyEnd::EndOfTurn,
        })
    }
}

struct Discard;

impl TraceSink for Discard {
    fn save(&mut self, _trace: &gog_agent::Trace) {}
}

#[test]
fn exported_ids_are_what_inference_feeds_the_model_turn_by_turn() {
    let backend = backend();
    let scenes = scenes(&backend, 20);
    let trajectories = synthesize(&backend, &scenes, Variant::Gog);
    let files = ModelFiles::read_dir(&tiny_gog_model("ids-equal")).expect("the tiny model");
    let (_, prompter) = gog_vlm::vlm::text_side(&files).expect("its text side");
    let vlm = Vlm::load(files, ComputeDevice::cpu(), LoadOptions::default()).expect("it loads");
    let policy = VlmPolicy::new(vlm, "tiny".into(), Default::default());
    // Prompted as `gog ask` prompts it: by the family its config names.
    assert_eq!(policy.info().family, Family::GogTiny);
    let agent = Agent {
        prompts: Prompts::built_in(policy.info().family),
        ..agent(Family::GogTiny)
    };
    let mut inner = Some(policy);
    let mut categories = std::collections::BTreeSet::new();
    let mut checked_turns = 0;
    for trajectory in trajectories.iter().filter_map(|t| t.as_ref().ok()) {
        let (record, jpeg) = scenes
            .iter()
            .find(|(r, _)| r.id == trajectory.scene)
            .expect("its scene");
        let assistant: Vec<Message> = trajectory
            .messages
            .iter()
            .filter(|m| m.role == gog_agent::conversation::Role::Assistant)
            .cloned()
            .collect();
        let mut forced = Forced {
            inner: inner.take().expect("the policy"),
            replies: assistant.iter(),
            fed: Vec::new(),
            last: Vec::new(),
        };
        let question = gog_agent::Question {
            text: &record.question,
            image: jpeg,
        };
        let trace = pollster::block_on(agent.run(
            &mut forced,
            &backend,
            question,
            &mut Discard,
            &mut |_| {},
        ));
        assert!(
            matches!(trace.outcome, Some(gog_agent::Outcome::Answered { .. })),
            "{}: {:?}",
            trajectory.id,
            trace.outcome
        );
        // The same conversation, up to the last reply.
        let mut messages = forced.last.clone();
        messages.push(assistant.last().expect("a reply").clone());
        assert_eq!(messages, trajectory.messages, "{}", trajectory.id);

        let image = gog_types::image::decode(jpeg).expect("the scene decodes");
        let grids: Vec<[u32; 3]> = prompter
            .process(std::slice::from_ref(&image))
            .expect("it processes")
            .iter()
            .map(|p| p.grid_thw)
            .collect();
        let conversation = Conversation {
            messages: trajectory.messages.clone(),
            images: Vec::new(),
        };
        let tokenized = tokenize(&prompter, &conversation, &grids).expect("it tokenizes");
        assert_eq!(tokenized.turns.len(), forced.fed.len());
        for (turn, fed) in tokenized.turns.iter().zip(&forced.fed) {
            assert_eq!(turn[0], fed.len(), "{}", trajectory.id);
            assert_eq!(&tokenized.ids[..turn[0]], &fed[..], "{}", trajectory.id);
            assert!(prompter.stop_tokens().contains(&tokenized.ids[turn[1] - 1]));
            checked_turns += 1;
        }
        assert_eq!(
            tokenized.turns.last().map(|t| t[1]),
            Some(tokenized.ids.len() - 1)
        );
        categories.insert(record.category);
        inner = Some(forced.inner);
    }
    assert!(categories.len() >= 4, "{categories:?}");
    assert!(checked_turns >= 40, "{checked_turns} turns checked");
}

#[test]
fn the_export_refuses_a_model_prompted_otherwise_and_writes_every_trajectory_and_grounding_turn_it_keeps()
 {
    let backend = backend();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("export-family");
    let _ = std::fs::remove_dir_all(&dir);
    let scenes_dir = dir.join("scenes");
    std::fs::create_dir_all(&scenes_dir).expect("a scenes directory");
    let mut lines = String::new();
    for (record, jpeg) in scenes(&backend, 6) {
        let image = scenes_dir.join(&record.image);
        std::fs::create_dir_all(image.parent().expect("a parent")).expect("created");
        std::fs::write(image, jpeg).expect("written");
        lines.push_str(&serde_json::to_string(&record).expect("JSON"));
        lines.push('\n');
    }
    let scenes_file = scenes_dir.join("train.jsonl");
    std::fs::write(&scenes_file, lines).expect("written");
    let synthesis_dir = dir.join("synthesis");
    let with_grounding = SynthesisConfig {
        grounding: true,
        reading: true,
        ..config(Variant::Gog)
    };
    let synthesis = gog_train::synthesize::synthesize(
        &backend,
        &scenes_file,
        None,
        &with_grounding,
        &synthesis_dir,
    )
    .expect("synthesized");
    assert!(synthesis.scenes.is_absolute());
    assert!(synthesis.trajectories >= 4, "{synthesis:?}");
    assert_eq!(synthesis.grounding, 6, "a grounding turn for every scene");
    assert!(synthesis.reading > 0, "{synthesis:?}");

    let export_config = || ExportConfig {
        max_length: None,
        threads: 1,
    };
    let refused = export(
        &synthesis_dir,
        &tiny_model(),
        &dir.join("data-qwen3"),
        export_config(),
    );
    assert!(
        matches!(
            refused,
            Err(TrainError::Family {
                trajectories: Family::GogTiny,
                model: Family::Qwen3Vl
            })
        ),
        "{refused:?}"
    );
    let manifest = export(
        &synthesis_dir,
        &tiny_gog_model("export-family-model"),
        &dir.join("data"),
        export_config(),
    )
    .expect("exported");
    let records: usize = manifest.shards.iter().filter_map(|s| s.records).sum();
    assert_eq!(
        records,
        synthesis.trajectories + synthesis.grounding + synthesis.reading
    );
    // Every image carries its scene's pictures, in drawing order, as regions of the resized image.
    let scenes = gog_train::synthesize::read_scenes(&scenes_file).expect("the scenes");
    let patch = manifest.processor.patch_size;
    for shard in &manifest.shards {
        let text = std::fs::read_to_string(dir.join("data").join(&shard.name)).expect("a shard");
        for line in text.lines() {
            let record: gog_train::data::DataRecord = serde_json::from_str(line).expect("a record");
            if record.behaviour == gog_train::reading::BEHAVIOUR {
                // A drill shows no image and learns one turn.
                assert!(record.images.is_empty(), "{}", record.id);
                assert_eq!(record.loss_spans.len(), 1, "{}", record.id);
                continue;
            }
            let scene = scenes
                .iter()
                .find(|s| s.id == record.scene)
                .expect("its scene");
            let image = &record.images[0];
            let kinds: Vec<&str> = image.regions.iter().map(|r| r.kind.as_str()).collect();
            let expected: Vec<&str> = scene
                .entities
                .iter()
                .map(|e| gog_train::scene::Kind::of(&e.entity).noun())
                .collect();
            assert_eq!(kinds, expected, "{}", record.id);
            let (width, height) = (image.grid_thw[2] * patch, image.grid_thw[1] * patch);
            for region in &image.regions {
                let [x1, y1, x2, y2] = region.bbox;
                assert!(
                    x1 < x2 && x2 <= width && y1 < y2 && y2 <= height,
                    "{region:?}"
                );
            }
        }
    }

    // Trajectories of another format version are named as such.
    let summary_path = synthesis_dir.join("synthesis.json");
    let summary = std::fs::read_to_string(&summary_path).expect("a summary");
    let older = summary.replacen("\"version\": 2", "\"version\": 1", 1);
    assert_ne!(older, summary, "the summary names its version");
    std::fs::write(&summary_path, older).expect("written");
    let refused = export(
        &synthesis_dir,
        &tiny_gog_model("export-family-model"),
        &dir.join("data-old"),
        export_config(),
    );
    assert!(
        matches!(&refused, Err(TrainError::Format { reason, .. }) if reason.contains("version Some(1)")),
        "{refused:?}"
    );

    // The oracle's boxes are thousandths: a family that points at pixels is refused.
    let pixels = SynthesisConfig {
        family: Family::Qwen2_5Vl,
        ..config(Variant::Gog)
    };
    let refused = gog_train::synthesize::synthesize(
        &backend,
        &scenes_file,
        None,
        &pixels,
        &dir.join("synthesis-pixels"),
    );
    assert!(
        matches!(refused, Err(TrainError::OracleFamily(Family::Qwen2_5Vl))),
        "{refused:?}"
    );
}

#[test]
fn a_reading_drill_is_the_trajectory_up_to_its_reading_turn_without_the_picture_under_a_new_name() {
    let backend = backend();
    let mut drills = 0;
    for (record, jpeg) in scenes(&backend, 24) {
        let Ok(trajectory) = run_scene(
            &backend,
            &agent(Family::GogTiny),
            &record,
            &jpeg,
            &config(Variant::Gog),
        ) else {
            continue;
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let second_turn = trajectory
            .messages
            .iter()
            .filter(|m| m.role == Role::Assistant)
            .nth(1)
            .map(|m| serde_json::to_string(&m.parts).expect("JSON"));
        let Some(drill) = gog_train::reading::drill(&trajectory, &record, &mut rng) else {
            // Only a learned second turn that names the entity without cropping gives a drill.
            let reads = match (record.target_picture(), &second_turn) {
                (Some(target), Some(turn)) => {
                    let kind = gog_train::scene::Kind::of(&target.entity);
                    turn.contains(gog_train::scene::name_from_title(&target.title, kind))
                        && !turn.contains("image_search")
                        && trajectory.learn[1]
                }
                _ => false,
            };
            assert!(!reads, "{}: no drill", trajectory.id);
            continue;
        };
        drills += 1;
        let id = &trajectory.id;
        assert_eq!(drill.behaviour, gog_train::reading::BEHAVIOUR);
        assert_eq!(drill.learn, [false, true], "{id}");
        let parts = |m: &Message| m.parts.clone();
        assert!(
            drill
                .messages
                .iter()
                .flat_map(parts)
                .all(|p| matches!(p, Part::Text { .. })),
            "{id}: a drill shows no image"
        );
        assert_eq!(drill.messages.last().map(|m| m.role), Some(Role::Assistant));
        assert!(drill.messages.len() < trajectory.messages.len() || trajectory.learn.len() == 2);
        let text = |m: &Message| serde_json::to_string(&m.parts).expect("JSON");
        let target = record
            .target_picture()
            .expect("a drill asks about a picture");
        let all: String = drill.messages.iter().map(text).collect();
        assert!(
            !all.contains(&target.title),
            "{id}: {} is still named",
            target.title
        );
        // Apart from the name, the drill is the trajectory's opening, its image left out.
        let shown: Vec<String> = trajectory.messages[..drill.messages.len()]
            .iter()
            .map(|m| {
                let mut m = m.clone();
                m.parts.retain(|p| matches!(p, Part::Text { .. }));
                text(&m)
            })
            .collect();
        let differing = shown
            .iter()
            .zip(drill.messages.iter().map(text))
            .filter(|(a, b)| **a != *b)
            .count();
        assert!(differing >= 1, "{id}: the name changed");
        let read = text(drill.messages.last().expect("a reading turn"));
        assert!(!read.contains("image_search"), "{id}: {read}");
        assert_ne!(
            Some(read),
            second_turn,
            "{id}: the reading turn names the entity anew"
        );
    }
    assert!(drills >= 8, "only {drills} drills from 24 scenes");
}

/// `gog eval`'s measures of a run, taken from the trace alone, against what the oracle knows it
/// did: the two are written independently, so they check each other.
#[test]
fn run_metrics_from_the_trace_agree_with_what_the_oracle_did() {
    let backend = backend();
    let scenes = scenes(&backend, 60);
    let config = config(Variant::Gog);
    let agent = agent(config.family);
    let (mut answered, mut corrected, mut hybrid, mut gazes, mut right_gazes) = (0, 0, 0, 0, 0);
    let (mut found, mut named) = (0, 0);
    for (record, jpeg) in &scenes {
        let (trace, oracle) = run_oracle(&backend, &agent, record, jpeg, &config);
        if !matches!(
            trace.outcome,
            Some(gog_agent::trace::Outcome::Answered { .. })
        ) {
            continue;
        }
        answered += 1;
        let measured = RunMetrics::of(&trace, record);
        let did = oracle.behaviour();
        let context = format!("{} ({})", record.id, did.label());
        assert_eq!(
            measured.accepted_turns + usize::from(did.slipped),
            measured.model_turns,
            "{context}"
        );
        assert_eq!(
            measured.text_searches,
            (did.text_searches + did.reads) as usize,
            "{context}"
        );
        // A gaze that missed and a later one that found the picture is a reflection the oracle
        // made. (A deliberately missed crop whose results still show the picture lower down is
        // answered from without one: a wrong gaze, not corrected.)
        if measured.reflection() == Some(true) {
            assert!(did.reflected, "{context}: {:?}", measured.gaze_ious);
            corrected += 1;
        }
        gazes += measured.gaze_ious.len();
        right_gazes += measured.right_gazes();
        if did.first == "glance" {
            assert!(measured.glances >= 1, "{context}");
        }
        let searched_image = did.first != "count";
        let expected = match (searched_image, did.text_searches + did.reads > 0) {
            (false, false) => SearchMix::None,
            (true, true) => SearchMix::Hybrid,
            _ => SearchMix::Single,
        };
        assert_eq!(measured.search_mix, expected, "{context}");
        hybrid += usize::from(expected == SearchMix::Hybrid);
        found += measured.found_then_named.len();
        named += measured.found_then_named.iter().filter(|&&n| n).count();
    }
    // The oracle reads the name off the results whenever they hold it, bar a deliberately
    // wrong crop whose results it then calls a miss.
    assert!(
        found > 0 && named * 10 >= found * 8,
        "named {named} of {found}"
    );
    assert!(answered >= 50, "only {answered} of 60 scenes answered");
    assert!(
        corrected > 0,
        "no wrong gaze corrected among {answered} runs"
    );
    assert!(hybrid > 0, "no hybrid search among {answered} runs");
    // Its crops are jittered to IoU ≥ 0.7 with the gold box; only the deliberate mistakes miss.
    assert!(
        right_gazes * 10 >= gazes * 7,
        "{right_gazes} of {gazes} gazes chose the right region"
    );
}

#[test]
fn renamed_trajectories_give_the_entity_a_made_up_name_everywhere_and_only_that_changes() {
    let backend = backend();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("renamed");
    let _ = std::fs::remove_dir_all(&dir);
    let scenes_dir = dir.join("scenes");
    std::fs::create_dir_all(&scenes_dir).expect("a scenes directory");
    let scenes = scenes(&backend, 16);
    let mut lines = String::new();
    for (record, jpeg) in &scenes {
        let image = scenes_dir.join(&record.image);
        std::fs::create_dir_all(image.parent().expect("a parent")).expect("created");
        std::fs::write(image, jpeg).expect("written");
        lines.push_str(&serde_json::to_string(record).expect("JSON"));
        lines.push('\n');
    }
    let scenes_file = scenes_dir.join("train.jsonl");
    std::fs::write(&scenes_file, lines).expect("written");
    let run = |rename: bool, out: &str| {
        let config = SynthesisConfig {
            rename,
            ..config(Variant::Gog)
        };
        let summary = gog_train::synthesize::synthesize(
            &backend,
            &scenes_file,
            None,
            &config,
            &dir.join(out),
        )
        .expect("synthesized");
        let (_, trajectories) =
            gog_train::export::read_synthesis(&dir.join(out)).expect("read back");
        (summary, trajectories)
    };
    let (plain_summary, plain) = run(false, "plain");
    let (renamed_summary, renamed) = run(true, "renamed");
    assert_eq!(plain_summary.renamed, 0);
    assert!(renamed_summary.renamed > 0, "{renamed_summary:?}");
    assert_eq!(plain.len(), renamed.len());
    let text = |t: &Trajectory| serde_json::to_string(&t.messages).expect("JSON");
    let mut differing = 0;
    for (before, after) in plain.iter().zip(&renamed) {
        if text(before) == text(after) {
            continue;
        }
        differing += 1;
        let (record, _) = scenes
            .iter()
            .find(|(r, _)| r.id == before.scene)
            .expect("its scene");
        let target = record
            .target_picture()
            .expect("a renamed scene asks about a picture");
        assert!(text(before).contains(&target.title));
        assert!(
            !text(after).contains(&target.title),
            "{}: {} is still named",
            after.id,
            target.title
        );
        assert_eq!(
            (
                after.behaviour.as_str(),
                after.learn.as_slice(),
                after.messages.len()
            ),
            (
                before.behaviour.as_str(),
                before.learn.as_slice(),
                before.messages.len()
            ),
        );
    }
    assert_eq!(differing, renamed_summary.renamed);
}
