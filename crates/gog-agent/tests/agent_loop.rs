//! The loop, driven by a scripted policy (a test double: it replies with fixed texts and records
//! what it was shown) over the real offline backend on a made-up corpus.
#![cfg(not(target_family = "wasm"))]
#![allow(
    clippy::unwrap_used,
    reason = "the helpers below are test code too; a failed unwrap is a failed test"
)]

use std::collections::VecDeque;

use gog_agent::agent::{Agent, Event, Question};
use gog_agent::boxes::{BoxConvention, PixelBox};
use gog_agent::conversation::Conversation;
use gog_agent::policy::{
    ModelInfo, Policy, PolicyError, Reply, ReplyEnd, Replying, SamplingParams,
};
use gog_agent::prompts::{Family, Prompts};
use gog_agent::settings::{AgentConfig, Budgets, Mode};
use gog_agent::trace::{
    Actor, Outcome, SearchRequest, SearchResults, StopReason, Trace, TraceError, TraceSink,
};
use gog_search::corpus::EntityKind;
use gog_search::fixture::made_up_bundle;
use gog_search::{Bundle, OfflineBackend};
use gog_types::{ImageResult, Page, TextResult};
use gog_types::{SearchBackend, SearchError};
use image::{Rgb, RgbImage};

/// Test double for the model: replies with the scripted texts in order, and keeps the
/// transcript of every conversation it was asked to continue.
struct ScriptedPolicy {
    replies: VecDeque<String>,
    convention: BoxConvention,
    seen: Vec<String>,
}

impl ScriptedPolicy {
    fn new(convention: BoxConvention, replies: &[&str]) -> Self {
        ScriptedPolicy {
            replies: replies.iter().map(|r| r.to_string()).collect(),
            convention,
            seen: Vec::new(),
        }
    }
}

impl Policy for ScriptedPolicy {
    fn info(&self) -> ModelInfo {
        ModelInfo {
            id: "scripted test double".into(),
            family: Family::Qwen3Vl,
            quantisation: "none".into(),
            weights: Default::default(),
            max_image_tokens: None,
        }
    }

    fn box_convention(&self, _size: (u32, u32)) -> BoxConvention {
        self.convention
    }

    async fn reply(
        &mut self,
        conversation: &Conversation,
        _sampling: &SamplingParams,
        on_event: &mut dyn FnMut(Replying<'_>),
    ) -> Result<Reply, PolicyError> {
        self.seen.push(conversation.transcript());
        let text = self
            .replies
            .pop_front()
            .ok_or_else(|| PolicyError("the script has ended".into()))?;
        on_event(Replying::Reading {
            done: 100,
            total: 100,
        });
        for piece in text.split_inclusive(' ') {
            on_event(Replying::Text(piece));
        }
        Ok(Reply {
            tokens: text.bytes().map(u32::from).collect(),
            text,
            prompt: vec![0; 100],
            end: ReplyEnd::EndOfTurn,
        })
    }
}

/// Test double for a search provider that is down.
struct FailingBackend;

impl SearchBackend for FailingBackend {
    fn name(&self) -> &str {
        "failing test double"
    }
    async fn search_image(&self, _: &[u8], _: usize) -> Result<Vec<ImageResult>, SearchError> {
        Err(SearchError::Unavailable("the provider timed out".into()))
    }
    async fn search_text(&self, _: &str, _: usize) -> Result<Vec<TextResult>, SearchError> {
        Err(SearchError::Unavailable("the provider timed out".into()))
    }
    async fn read(&self, page: &str) -> Result<Page, SearchError> {
        Err(SearchError::UnknownPage(page.into()))
    }
}

/// Counts saves, keeping the last.
#[derive(Default)]
struct CountingSink {
    saves: usize,
    last: Option<Trace>,
}

impl TraceSink for CountingSink {
    fn save(&mut self, trace: &Trace) {
        self.saves += 1;
        self.last = Some(trace.clone());
    }
}

/// The corpus, and a 400 × 240 scene with a flag's picture at LEFT and a monument's at RIGHT.
struct World {
    backend: OfflineBackend,
    scene: RgbImage,
    png: Vec<u8>,
    left_page: String,
    right_page: String,
}

const LEFT: PixelBox = PixelBox {
    x1: 20,
    y1: 40,
    x2: 148,
    y2: 136,
};
const RIGHT: PixelBox = PixelBox {
    x1: 240,
    y1: 100,
    x2: 368,
    y2: 196,
};

fn world() -> World {
    let bundle: Bundle = made_up_bundle(&[
        (EntityKind::Flag, 12),
        (EntityKind::Monument, 12),
        (EntityKind::Logo, 12),
    ]);
    let pick = |id: &str| {
        let entity = bundle.entities.iter().find(|e| e.id == id).unwrap();
        let picture = gog_types::image::decode(bundle.thumbnail(entity)).unwrap();
        (picture, entity.page.clone())
    };
    let (left, left_page) = pick("flag:c3");
    let (right, right_page) = pick("monument:m5");
    let mut scene = RgbImage::from_pixel(400, 240, Rgb([128, 128, 128]));
    for (picture, at) in [(left, LEFT), (right, RIGHT)] {
        let fitted = image::imageops::resize(
            &picture,
            at.width(),
            at.height(),
            image::imageops::FilterType::Triangle,
        );
        image::imageops::replace(&mut scene, &fitted, i64::from(at.x1), i64::from(at.y1));
    }
    let png = gog_types::image::encode_png(&scene);
    World {
        backend: OfflineBackend::new(bundle),
        scene,
        png,
        left_page,
        right_page,
    }
}

impl World {
    fn question(&self) -> Question<'_> {
        Question {
            text: "Which country's flag is on the left?",
            image: &self.png,
        }
    }
}

fn call(name: &str, arguments: &str) -> String {
    format!(
        "<think>Next.</think>\n<tool_call>{{\"name\": \"{name}\", \"arguments\": {arguments}}}</tool_call>"
    )
}

const ANSWER: &str = "<think>Done.</think>\n<answer>Country 3</answer>";

/// Thousandths of the 400 × 240 scene for a box in its pixels.
fn thousandths(b: PixelBox) -> String {
    format!(
        "[{}, {}, {}, {}]",
        b.x1 as f64 * 2.5,
        b.y1 as f64 * 1000.0 / 240.0,
        b.x2 as f64 * 2.5,
        b.y2 as f64 * 1000.0 / 240.0
    )
}

/// The agent with `family`'s built-in prompts and default sampling.
fn agent(family: Family, config: &AgentConfig) -> Agent {
    Agent {
        prompts: Prompts::built_in(family),
        config: config.clone(),
        sampling: SamplingParams::default(),
    }
}

fn exact() -> AgentConfig {
    AgentConfig {
        crop: gog_agent::boxes::CropRules {
            margin: 0.0,
            min_side: 1,
        },
        ..AgentConfig::default()
    }
}

/// Runs `agent` on `question`, keeping what the sink saw and every streamed piece of text.
fn run_on(
    agent: &Agent,
    policy: &mut ScriptedPolicy,
    backend: &impl SearchBackend,
    question: Question<'_>,
) -> (Trace, CountingSink, Vec<String>) {
    let mut sink = CountingSink::default();
    let mut texts = Vec::new();
    let mut readings = 0;
    let trace =
        pollster::block_on(agent.run(
            policy,
            backend,
            question,
            &mut sink,
            &mut |event| match event {
                Event::Text(text) => texts.push(text.to_string()),
                Event::Reading { done, total } => {
                    assert_eq!(
                        (done, total),
                        (100, 100),
                        "the policy's progress, passed on"
                    );
                    readings += 1;
                }
                Event::Step(_) | Event::Finished(_) => {}
            },
        ));
    let model_turns = trace
        .steps
        .iter()
        .filter(|s| s.actor == Actor::Model)
        .count();
    assert_eq!(readings, model_turns, "one progress report per model turn");
    (trace, sink, texts)
}

/// The world's question, asked of a Qwen3-VL-prompted agent.
fn go(
    world: &World,
    policy: &mut ScriptedPolicy,
    config: &AgentConfig,
    backend: &impl SearchBackend,
) -> (Trace, CountingSink, Vec<String>) {
    run_on(
        &agent(Family::Qwen3Vl, config),
        policy,
        backend,
        world.question(),
    )
}

fn image_request(trace: &Trace, step: usize) -> (Option<PixelBox>, String) {
    match &trace.steps[step].search.as_ref().unwrap().request {
        SearchRequest::Image { crop, sha256 } => (*crop, sha256.clone()),
        other => panic!("step {step} searched {other:?}"),
    }
}

fn top_page(trace: &Trace, step: usize) -> String {
    match &trace.steps[step].search.as_ref().unwrap().results {
        SearchResults::Images(found) => found[0].page.clone(),
        SearchResults::Texts(found) => found[0].page.clone(),
        other => panic!("step {step} found {other:?}"),
    }
}

#[test]
fn every_action_runs_and_a_gaze_searches_exactly_its_crop() {
    let world = world();
    let mut policy = ScriptedPolicy::new(
        BoxConvention::Thousandths,
        &[
            &call("image_search", "{}"),
            &call(
                "image_search",
                &format!(
                    "{{\"bbox_2d\": {}, \"label\": \"flag\"}}",
                    thousandths(LEFT)
                ),
            ),
            &call("text_search", r#"{"query": "Flag of Country 3"}"#),
            &call("read", r#"{"result": 1}"#),
            ANSWER,
        ],
    );
    let (trace, sink, texts) = go(&world, &mut policy, &exact(), &world.backend);
    assert_eq!(
        trace.outcome,
        Some(Outcome::Answered {
            answer: "Country 3".into()
        })
    );
    assert_eq!(trace.steps.len(), 5);
    assert!(
        trace
            .steps
            .iter()
            .all(|s| s.actor == Actor::Model && s.error.is_none())
    );
    // Streaming: every piece of every reply went out as it came.
    assert_eq!(
        texts.concat(),
        trace
            .steps
            .iter()
            .map(|s| s.raw.as_str())
            .collect::<String>()
    );
    // One save per step and one at the end; the last save is the returned trace.
    assert_eq!(sink.saves, 6);
    assert_eq!(sink.last.as_ref(), Some(&trace));

    // The glance searched the image as given.
    let (crop, sha) = image_request(&trace, 0);
    assert_eq!(crop, None);
    assert_eq!(sha, gog_types::sha256_hex(&world.png));
    // The gaze searched the crop of exactly its box, and found the flag.
    let (crop, sha) = image_request(&trace, 1);
    assert_eq!(crop, Some(LEFT));
    let expected = image::imageops::crop_imm(&world.scene, LEFT.x1, LEFT.y1, 128, 96).to_image();
    assert_eq!(
        sha,
        gog_types::sha256_hex(&gog_types::image::encode_png(&expected))
    );
    assert_eq!(top_page(&trace, 1), world.left_page);
    // Text search, then reading its first result.
    assert_eq!(top_page(&trace, 2), world.left_page);
    match &trace.steps[3].search.as_ref().unwrap().results {
        SearchResults::Page(page) => assert_eq!(page.id, world.left_page),
        other => panic!("read returned {other:?}"),
    }
    // The model saw each result with the reflection prompt after it.
    let before_answer = policy.seen.last().unwrap();
    assert_eq!(before_answer.matches("Reflect before you act").count(), 4);
    assert!(before_answer.contains("Image search of the region [20, 40, 148, 136] (flag):"));
    assert!(before_answer.contains("<image 0>"));
}

#[test]
fn every_box_convention_crops_the_same_pixels() {
    let world = world();
    // Qwen2.5-VL saw the 400 × 240 scene resized to 420 × 252.
    let resized = BoxConvention::ModelPixels {
        width: 420,
        height: 252,
    };
    let in_resized = format!(
        "[{}, {}, {}, {}]",
        LEFT.x1 as f64 * 1.05,
        LEFT.y1 as f64 * 1.05,
        LEFT.x2 as f64 * 1.05,
        LEFT.y2 as f64 * 1.05
    );
    for (convention, bbox) in [
        (BoxConvention::Thousandths, thousandths(LEFT)),
        (resized, in_resized),
    ] {
        let mut policy = ScriptedPolicy::new(
            convention,
            &[
                &call("image_search", &format!("{{\"bbox_2d\": {bbox}}}")),
                ANSWER,
            ],
        );
        let (trace, ..) = go(&world, &mut policy, &exact(), &world.backend);
        assert_eq!(image_request(&trace, 0).0, Some(LEFT), "{convention:?}");
        assert_eq!(trace.settings.box_convention, convention);
    }
}

#[test]
fn after_an_irrelevant_gaze_the_model_is_asked_to_reflect_and_can_change_region() {
    let world = world();
    let background = PixelBox {
        x1: 160,
        y1: 10,
        x2: 230,
        y2: 60,
    };
    let mut policy = ScriptedPolicy::new(
        BoxConvention::Thousandths,
        &[
            &call(
                "image_search",
                &format!("{{\"bbox_2d\": {}}}", thousandths(background)),
            ),
            &call(
                "image_search",
                &format!("{{\"bbox_2d\": {}}}", thousandths(RIGHT)),
            ),
            ANSWER,
        ],
    );
    let (trace, ..) = go(&world, &mut policy, &exact(), &world.backend);
    assert_eq!(image_request(&trace, 0).0, Some(background));
    assert_ne!(top_page(&trace, 0), world.right_page);
    // The second turn was written after the first gaze's results and the reflection prompt.
    let second = &policy.seen[1];
    let results_at = second
        .find("Image search of the region [160, 10, 230, 60]:")
        .unwrap();
    let reflection_at = second
        .find("If the results of a cropped region are unrelated")
        .unwrap();
    assert!(results_at < reflection_at);
    assert_eq!(image_request(&trace, 1).0, Some(RIGHT));
    assert_eq!(top_page(&trace, 1), world.right_page);
}

#[test]
fn budgets_max_turns_and_repeated_calls_stop_or_refuse() {
    let world = world();
    let one_image_search = AgentConfig {
        budgets: Budgets {
            image_search: 1,
            text_search: 1,
            read: 0,
        },
        ..exact()
    };
    let mut policy = ScriptedPolicy::new(
        BoxConvention::Thousandths,
        &[
            &call("image_search", "{}"),
            &call(
                "image_search",
                &format!("{{\"bbox_2d\": {}}}", thousandths(LEFT)),
            ),
            &call("read", r#"{"result": 1}"#),
            ANSWER,
        ],
    );
    let (trace, ..) = go(&world, &mut policy, &one_image_search, &world.backend);
    assert!(
        trace.steps[1]
            .error
            .as_deref()
            .unwrap()
            .contains("uses of image_search are spent")
    );
    assert!(trace.steps[1].search.is_none());
    assert!(
        trace.steps[2]
            .error
            .as_deref()
            .unwrap()
            .contains("read is not available")
    );
    assert!(matches!(trace.outcome, Some(Outcome::Answered { .. })));

    let three_turns = AgentConfig {
        max_turns: 3,
        ..exact()
    };
    let searches = [
        call("text_search", r#"{"query": "a"}"#),
        call("text_search", r#"{"query": "b"}"#),
        call("text_search", r#"{"query": "c"}"#),
        ANSWER.to_string(),
    ];
    let script: Vec<&str> = searches.iter().map(String::as_str).collect();
    let mut policy = ScriptedPolicy::new(BoxConvention::Thousandths, &script);
    let (trace, ..) = go(&world, &mut policy, &three_turns, &world.backend);
    assert_eq!(trace.steps.len(), 3);
    assert_eq!(
        trace.outcome,
        Some(Outcome::Stopped {
            reason: StopReason::MaxTurns
        })
    );

    let same = call("text_search", r#"{"query": "Country 3"}"#);
    let mut policy = ScriptedPolicy::new(BoxConvention::Thousandths, &[&same, &same, ANSWER]);
    let (trace, ..) = go(&world, &mut policy, &exact(), &world.backend);
    assert_eq!(trace.steps.len(), 2);
    assert_eq!(
        trace.outcome,
        Some(Outcome::Stopped {
            reason: StopReason::RepeatedCall
        })
    );
}

#[test]
fn malformed_turns_and_unusable_boxes_become_error_turns_the_model_can_correct() {
    let world = world();
    let mut policy = ScriptedPolicy::new(
        BoxConvention::Thousandths,
        &[
            "I think it is a flag.",
            &call("zoom_in", "{}"),
            r#"<tool_call>{"name": "text_search", "arguments": {"query": "x"}} and more</tool_call>"#,
            &call("image_search", r#"{"bbox_2d": [1200, 0, 1500, 100]}"#),
            &call("image_search", r#"{"bbox_2d": [500, 500, 100, 100]}"#),
            ANSWER,
        ],
    );
    let config = AgentConfig {
        max_turns: 6,
        ..exact()
    };
    let (trace, ..) = go(&world, &mut policy, &config, &world.backend);
    let errors: Vec<&str> = trace.steps[..5]
        .iter()
        .map(|s| s.error.as_deref().unwrap())
        .collect();
    assert!(errors[0].contains("neither a <tool_call> nor an <answer>"));
    assert!(errors[1].contains("no tool \"zoom_in\""));
    assert!(errors[2].contains("not a JSON object"));
    assert!(errors[3].contains("outside the image"));
    assert!(errors[4].contains("inverted or empty"));
    assert!(trace.steps[..5].iter().all(|s| s.search.is_none()));
    // Each error reached the model before its next turn.
    for (turn, error) in errors.iter().enumerate() {
        assert!(policy.seen[turn + 1].contains(error), "turn {turn}");
    }
    assert!(matches!(trace.outcome, Some(Outcome::Answered { .. })));
}

#[test]
fn the_baselines_fix_what_the_model_may_do() {
    let world = world();
    let mut policy = ScriptedPolicy::new(
        BoxConvention::Thousandths,
        &[&call("image_search", "{}"), ANSWER],
    );
    let direct = AgentConfig {
        mode: Mode::Direct,
        ..exact()
    };
    let (trace, ..) = go(&world, &mut policy, &direct, &world.backend);
    assert!(
        trace.steps[0]
            .error
            .as_deref()
            .unwrap()
            .contains("not available in this mode")
    );
    assert!(policy.seen[0].contains("without searching"));

    let mut policy = ScriptedPolicy::new(
        BoxConvention::Thousandths,
        &[
            &call("text_search", r#"{"query": "Flag of Country 3"}"#),
            &call("text_search", r#"{"query": "Capital 3"}"#),
            ANSWER,
        ],
    );
    let full = AgentConfig {
        mode: Mode::FullSearch,
        ..exact()
    };
    let (trace, ..) = go(&world, &mut policy, &full, &world.backend);
    assert_eq!(trace.steps[0].actor, Actor::Harness);
    assert_eq!(image_request(&trace, 0).0, None);
    assert!(policy.seen[0].contains("Image search of the whole image:"));
    assert!(trace.steps[1].search.is_some());
    assert!(
        trace.steps[2]
            .error
            .as_deref()
            .unwrap()
            .contains("uses of text_search are spent")
    );
    assert!(matches!(trace.outcome, Some(Outcome::Answered { .. })));
}

#[test]
fn bad_inputs_and_failing_searches_end_or_continue_visibly() {
    let world = world();
    let mut policy = ScriptedPolicy::new(BoxConvention::Thousandths, &[ANSWER]);
    for (question, image, expected) in [
        ("What?", &b"not an image"[..], "the image cannot be used"),
        ("  ", &world.png[..], "the question is empty"),
    ] {
        let (trace, ..) = run_on(
            &agent(Family::Qwen3Vl, &exact()),
            &mut policy,
            &world.backend,
            Question {
                text: question,
                image,
            },
        );
        match trace.outcome {
            Some(Outcome::Failed { error }) => assert!(error.contains(expected), "{error}"),
            other => panic!("{other:?}"),
        }
        assert!(trace.steps.is_empty());
    }

    let mut policy = ScriptedPolicy::new(
        BoxConvention::Thousandths,
        &[
            &call("text_search", r#"{"query": "Flag of Country 3"}"#),
            ANSWER,
        ],
    );
    let (trace, ..) = go(&world, &mut policy, &exact(), &FailingBackend);
    let search = trace.steps[0].search.as_ref().unwrap();
    assert_eq!(search.provider, "failing test double");
    assert!(matches!(&search.results, SearchResults::Failed(e) if e.contains("timed out")));
    assert!(policy.seen[1].contains("The search failed"));
    assert!(matches!(trace.outcome, Some(Outcome::Answered { .. })));

    // A model that fails outright ends the run.
    let mut silent = ScriptedPolicy::new(BoxConvention::Thousandths, &[]);
    let (trace, ..) = go(&world, &mut silent, &exact(), &world.backend);
    assert!(
        matches!(trace.outcome, Some(Outcome::Failed { error }) if error.contains("script has ended"))
    );
}

#[test]
fn traces_round_trip_with_a_stable_id_and_refuse_tampering() {
    let world = world();
    let mut policy = ScriptedPolicy::new(
        BoxConvention::Thousandths,
        &[
            &call(
                "image_search",
                &format!("{{\"bbox_2d\": {}}}", thousandths(LEFT)),
            ),
            ANSWER,
        ],
    );
    let (trace, ..) = go(&world, &mut policy, &exact(), &world.backend);
    assert!(trace.id.starts_with("sha256:"));
    assert_eq!(trace.id, trace.content_id());
    let json = serde_json::to_string_pretty(&trace).unwrap();
    let back = Trace::from_json(&json).unwrap();
    assert_eq!(back, trace);
    assert_eq!(back.canonical_json(), trace.canonical_json());
    assert_eq!(
        Trace::from_json(&back.canonical_json()).unwrap().id,
        trace.id
    );

    let tampered = json.replace("Country 3", "Country 4");
    assert!(matches!(
        Trace::from_json(&tampered),
        Err(TraceError::Tampered { .. })
    ));
    let future = json.replacen("\"version\": 1", "\"version\": 2", 1);
    assert!(matches!(
        Trace::from_json(&future),
        Err(TraceError::Version { found: 2 })
    ));
    assert!(matches!(
        Trace::from_json("{\"version\": 1}"),
        Err(TraceError::Malformed(_))
    ));
    assert!(matches!(
        Trace::from_json("[1, 2"),
        Err(TraceError::Malformed(_))
    ));

    // Strictly, anything the schema lacks is refused, at any depth; what it writes is not.
    assert_eq!(Trace::from_json_strict(&json).unwrap(), trace);
    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
    value["outcome_note"] = "extra".into();
    let extra_top = value.to_string();
    assert!(
        Trace::from_json(&extra_top).is_ok(),
        "the id does not cover it"
    );
    assert!(matches!(
        Trace::from_json_strict(&extra_top),
        Err(TraceError::UnknownField { path }) if path == ".outcome_note"
    ));
    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
    value["steps"][0]["search"]["request"]["note"] = "extra".into();
    assert!(matches!(
        Trace::from_json_strict(&value.to_string()),
        Err(TraceError::UnknownField { path }) if path == ".steps[0].search.request.note"
    ));
    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
    value["judgement"] = serde_json::Value::Null;
    assert!(
        Trace::from_json_strict(&value.to_string()).is_ok(),
        "a null where the schema leaves a field out is leaving it out"
    );
}

/// The whole conversation of a run that uses every tool, per family, byte for byte: the prompt
/// files, how results and errors are laid out, and where images go. `GOG_BLESS=1` rewrites them.
#[test]
fn each_familys_prompts_match_their_golden_transcript() {
    let world = world();
    let resized = BoxConvention::ModelPixels {
        width: 420,
        height: 252,
    };
    for (family, convention, bbox) in [
        (
            Family::Qwen3Vl,
            BoxConvention::Thousandths,
            thousandths(LEFT),
        ),
        (
            Family::GogTiny,
            BoxConvention::Thousandths,
            thousandths(LEFT),
        ),
        (
            Family::Qwen2_5Vl,
            resized,
            "[21, 42, 155.4, 142.8]".to_string(),
        ),
    ] {
        let mut policy = ScriptedPolicy::new(
            convention,
            &[
                &call(
                    "image_search",
                    &format!("{{\"bbox_2d\": {bbox}, \"label\": \"flag\"}}"),
                ),
                &call("text_search", r#"{"query": "Flag of Country 3"}"#),
                &call("read", r#"{"result": 9}"#),
                &call("read", r#"{"result": 1}"#),
                ANSWER,
            ],
        );
        let (trace, ..) = run_on(
            &agent(family, &exact()),
            &mut policy,
            &world.backend,
            world.question(),
        );
        assert!(matches!(trace.outcome, Some(Outcome::Answered { .. })));
        let transcript = policy.seen.last().unwrap();
        let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("tests/golden/{}.txt", family.dir()));
        if std::env::var_os("GOG_BLESS").is_some() {
            std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
            std::fs::write(&golden, transcript).unwrap();
        }
        let expected = std::fs::read_to_string(&golden)
            .unwrap_or_else(|e| panic!("{}: {e}; write it with GOG_BLESS=1", golden.display()));
        assert_eq!(transcript, &expected, "{}", golden.display());
    }
}

#[test]
fn a_trace_replays_without_model_or_network_and_a_rerun_reports_whether_it_matches() {
    let world = world();
    let script = [
        call("image_search", "{}"),
        call(
            "image_search",
            &format!("{{\"bbox_2d\": {}}}", thousandths(LEFT)),
        ),
        call("text_search", r#"{"query": "Flag of Country 3"}"#),
        call("read", r#"{"result": 1}"#),
        ANSWER.to_string(),
    ];
    let script: Vec<&str> = script.iter().map(String::as_str).collect();
    let mut policy = ScriptedPolicy::new(BoxConvention::Thousandths, &script);
    let (original, ..) = go(&world, &mut policy, &exact(), &world.backend);
    check_share_fixture(&original);

    // Rendering needs only the trace's JSON.
    let text = gog_agent::replay::render(&Trace::from_json(&original.canonical_json()).unwrap());
    assert!(
        text.contains("glance: image search of the whole image"),
        "{text}"
    );
    assert!(
        text.contains("gaze: image search of [20, 40, 148, 136]"),
        "{text}"
    );
    assert!(text.contains("1. Flag of Country 3 (1.00)"), "{text}");
    assert!(text.contains("reads result 1 (page:flag:c3)"), "{text}");
    assert!(text.ends_with("answer: Country 3\n"), "{text}");

    // The same model (here: the same script) against the recorded searches says the same.
    let recorded = gog_agent::replay::RecordedBackend::from_trace(&original);
    let mut again = ScriptedPolicy::new(BoxConvention::Thousandths, &script);
    let (rerun, ..) = go(&world, &mut again, &exact(), &recorded);
    let report = gog_agent::replay::compare(&original, &rerun);
    assert!(report.identical(), "{report:?}");
    assert_eq!(report.matching_steps, 5);
    assert_eq!(
        policy.seen, again.seen,
        "the model saw the same conversation"
    );

    // A model that says something else diverges there, and a search the trace never made is
    // answered with a visible failure rather than the network.
    let mut other = ScriptedPolicy::new(
        BoxConvention::Thousandths,
        &[
            script[0],
            &call("text_search", r#"{"query": "elsewhere"}"#),
            ANSWER,
        ],
    );
    let (diverged, ..) = go(&world, &mut other, &exact(), &recorded);
    let report = gog_agent::replay::compare(&original, &diverged);
    assert_eq!(report.first_divergence, Some(1));
    assert!(!report.identical());
    assert!(matches!(
        &diverged.steps[1].search.as_ref().unwrap().results,
        SearchResults::Failed(e) if e.contains("recorded no text search")
    ));
}

#[test]
fn thumbnails_are_shown_as_pictures_when_the_model_takes_them() {
    let world = world();
    let with_thumbnails = AgentConfig {
        show_thumbnails: true,
        results_per_search: 2,
        ..exact()
    };
    let mut policy = ScriptedPolicy::new(
        BoxConvention::Thousandths,
        &[&call("image_search", "{}"), ANSWER],
    );
    go(&world, &mut policy, &with_thumbnails, &world.backend);
    let second = &policy.seen[1];
    let first_result = second.find("1. ").unwrap();
    let second_result = second.find("2. ").unwrap();
    let first_picture = second.find("<image 1>").unwrap();
    assert!(
        first_result < first_picture && first_picture < second_result,
        "{second}"
    );
    assert!(second.contains("<image 2>"), "{second}");
}

/// The browser tests open `tests/fixtures/trace/glance-and-gaze.json` as a share link: a glance,
/// a gaze, a text search, a read and an answer. It must stay a trace this build reads, taking
/// the same steps as this run (timings aside). `GOG_BLESS=1` rewrites it.
fn check_share_fixture(run: &Trace) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/trace/glance-and-gaze.json");
    if std::env::var_os("GOG_BLESS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(run).unwrap() + "\n").unwrap();
    }
    let stored = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; write it with GOG_BLESS=1", path.display()));
    let stored = Trace::from_json(&stored).expect("the share fixture reads");
    let steps = |trace: &Trace| {
        trace
            .steps
            .iter()
            .map(|step| {
                (
                    step.raw.clone(),
                    step.search.as_ref().map(|s| s.request.clone()),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(steps(&stored), steps(run), "rewrite it with GOG_BLESS=1");
    assert_eq!(stored.outcome, run.outcome);
    assert_eq!(stored.image, run.image);
}
