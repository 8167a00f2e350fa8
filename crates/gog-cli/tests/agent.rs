//! `gog ask`, `gog replay` and `gog eval` end to end on the CPU: the tiny random-weight models
//! (real runtime, nonsense answers) over a made-up offline corpus written to disk, traces
//! written, read back and re-run, and what bad input gets.

mod common;

use common::{gog, path, picture, scratch, text, tiny};
use gog_agent::trace::{Actor, SearchRequest, SearchResults};
use gog_agent::{Family, Outcome, Trace};
use gog_search::corpus::EntityKind;
use std::path::{Path, PathBuf};

/// A made-up corpus bundle written to a directory, as `cargo xtask corpus` writes the real one.
fn corpus(name: &str) -> PathBuf {
    let dir = scratch(name);
    let kinds = [
        (EntityKind::Flag, 4),
        (EntityKind::Monument, 3),
        (EntityKind::Logo, 2),
    ];
    for (file, bytes) in gog_search::fixture::made_up_files(&kinds) {
        std::fs::write(dir.join(file), bytes).expect("a corpus file");
    }
    dir
}

fn read_trace(file: &Path) -> Trace {
    let json = std::fs::read_to_string(file).expect("the trace file");
    Trace::from_json(&json).expect("a valid trace")
}

const QUESTION: &str = "When was the tower on the left finished?";

/// `gog ask` with the tiny model of `family`, a few short turns, and `extra` arguments.
fn ask(family: &str, corpus: &Path, trace: &Path, extra: &[&str]) -> std::process::Output {
    let model = tiny(family);
    let image = picture();
    let mut args = vec![
        "ask",
        "--model",
        path(&model),
        "--image",
        path(&image),
        "--question",
        QUESTION,
        "--corpus",
        path(corpus),
        "--trace-out",
        path(trace),
        "--max-new-tokens",
        "8",
        "--max-turns",
        "2",
    ];
    args.extend(extra);
    gog(&args)
}

#[test]
fn ask_runs_each_tiny_model_end_to_end_and_its_trace_replays_identically() {
    let corpus = corpus("ask-corpus");
    for (family, expected) in [
        ("qwen2_5_vl", Family::Qwen2_5Vl),
        ("qwen3_vl", Family::Qwen3Vl),
    ] {
        let dir = scratch(&format!("ask-{family}"));
        let file = dir.join("trace.json");
        let run = ask(family, &corpus, &file, &[]);
        let stdout = text(&run.stdout);
        assert!(run.status.success(), "{family}: {}", text(&run.stderr));
        assert!(
            stdout.contains("[1] model") && stdout.contains("[2] model"),
            "{stdout}"
        );
        assert!(
            text(&run.stderr).contains("saved to"),
            "{}",
            text(&run.stderr)
        );

        let trace = read_trace(&file);
        assert_eq!(trace.model.family, expected);
        assert_eq!(trace.model.quantisation, "f32");
        let weights = std::fs::read(tiny(family).join("model.safetensors")).expect("weights");
        assert_eq!(
            trace.model.weights["model.safetensors"],
            gog_types::sha256_hex(&weights)
        );
        assert!(trace.model.max_image_tokens.is_some());
        let image = std::fs::read(picture()).expect("the picture");
        assert_eq!(trace.image.sha256, gog_types::sha256_hex(&image));
        assert_eq!(trace.question, QUESTION);
        assert_eq!(trace.steps.len(), 2, "two model turns");
        for step in &trace.steps {
            assert_eq!(step.actor, Actor::Model);
            assert_eq!(step.tokens.len(), 8, "each turn ran to --max-new-tokens");
            assert!(step.prompt_tokens > 0 && step.model_ms > 0.0);
            // A random model writes no protocol, and is told so.
            assert!(step.error.is_some(), "{step:?}");
        }
        assert!(matches!(trace.outcome, Some(Outcome::Stopped { .. })));

        let shown = gog(&["replay", path(&file)]);
        assert!(shown.status.success(), "{}", text(&shown.stderr));
        assert!(text(&shown.stdout).contains(&trace.id));
        assert!(text(&shown.stdout).contains("stopped without an answer"));

        let model = tiny(family);
        let rerun = gog(&["replay", path(&file), "--rerun", "--model", path(&model)]);
        assert!(rerun.status.success(), "{family}: {}", text(&rerun.stderr));
        assert!(
            text(&rerun.stdout).contains("replay identical: all 2 steps"),
            "{}",
            text(&rerun.stdout)
        );
        let _ = std::fs::remove_dir_all(dir);
    }
    let _ = std::fs::remove_dir_all(corpus);
}

#[test]
fn full_search_glances_shows_thumbnails_and_reruns_on_recorded_searches() {
    let corpus = corpus("full-corpus");
    let dir = scratch("full-search");
    let file = dir.join("trace.json");
    let run = ask(
        "qwen2_5_vl",
        &corpus,
        &file,
        &["--mode", "full-search", "--thumbnails"],
    );
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(text(&run.stdout).contains("glance: image search of the whole image"));
    let trace = read_trace(&file);
    let glance = &trace.steps[0];
    assert_eq!(glance.actor, Actor::Harness);
    let search = glance.search.as_ref().expect("the harness's glance");
    assert!(matches!(
        search.request,
        SearchRequest::Image { crop: None, .. }
    ));
    let SearchResults::Images(found) = &search.results else {
        panic!("image results: {search:?}");
    };
    assert_eq!(found.len(), 5, "five results from the made-up corpus");
    assert!(trace.settings.show_thumbnails);
    // The model's turns saw the question's image and the five thumbnails.
    assert_eq!(trace.steps.len(), 3);
    assert!(trace.steps[1].prompt_tokens > 0);

    // The same question against the recorded searches alone, with no corpus at all.
    let again = dir.join("again.json");
    let replayed = ask(
        "qwen2_5_vl",
        Path::new("/nonexistent"),
        &again,
        &[
            "--mode",
            "full-search",
            "--thumbnails",
            "--search",
            &format!("replay:{}", path(&file)),
        ],
    );
    assert!(replayed.status.success(), "{}", text(&replayed.stderr));
    let again = read_trace(&again);
    assert_eq!(
        again.steps[0].search.as_ref().map(|s| &s.results),
        Some(&search.results)
    );
    assert_eq!(
        again.steps.iter().map(|s| &s.tokens).collect::<Vec<_>>(),
        trace.steps.iter().map(|s| &s.tokens).collect::<Vec<_>>()
    );
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(corpus);
}

#[test]
fn bad_input_gets_a_visible_outcome_or_a_clear_error() {
    let corpus = corpus("bad-corpus");
    let dir = scratch("bad-input");

    // An image that is not one: the run fails visibly, and the trace says why.
    let not_an_image = dir.join("notes.png");
    std::fs::write(&not_an_image, b"these are notes, not pixels").expect("written");
    let file = dir.join("unreadable.json");
    let model = tiny("qwen3_vl");
    let run = gog(&[
        "ask",
        "--model",
        path(&model),
        "--image",
        path(&not_an_image),
        "--question",
        QUESTION,
        "--corpus",
        path(&corpus),
        "--trace-out",
        path(&file),
    ]);
    assert!(!run.status.success());
    assert!(
        text(&run.stderr).contains("the image cannot be used"),
        "{}",
        text(&run.stderr)
    );
    let trace = read_trace(&file);
    assert!(
        matches!(&trace.outcome, Some(Outcome::Failed { error }) if error.contains("image")),
        "{:?}",
        trace.outcome
    );
    assert!(trace.steps.is_empty());

    // An empty question, likewise.
    let file = dir.join("empty.json");
    let empty = gog(&[
        "ask",
        "--model",
        path(&model),
        "--image",
        path(&picture()),
        "--question",
        "  ",
        "--corpus",
        path(&corpus),
        "--trace-out",
        path(&file),
    ]);
    assert!(!empty.status.success());
    assert!(
        matches!(read_trace(&file).outcome, Some(Outcome::Failed { error }) if error.contains("empty"))
    );

    // What cannot start a run at all says what to do.
    let image = picture();
    let base = ["ask", "--image", path(&image), "--question", QUESTION];
    let cases: [(&[&str], &str); 3] = [
        (
            &["--model", path(&model), "--corpus", "/nonexistent"],
            "cargo xtask corpus",
        ),
        (
            &["--model", path(&model), "--search", "bing"],
            "unknown search backend",
        ),
        (
            &[
                "--model",
                path(&model),
                "--search",
                "replay:/nonexistent.json",
            ],
            "cannot read the trace",
        ),
    ];
    for (extra, expected) in cases {
        let out = gog(&[&base[..], extra].concat());
        assert!(!out.status.success(), "{extra:?}");
        assert!(
            text(&out.stderr).contains(expected),
            "{extra:?}: {}",
            text(&out.stderr)
        );
    }

    // An edited trace is refused by replay.
    let file = dir.join("edited.json");
    let run = ask("qwen3_vl", &corpus, &file, &[]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let edited = std::fs::read_to_string(&file)
        .expect("the trace")
        .replace(QUESTION, "What is the tower on the right?");
    std::fs::write(&file, edited).expect("edited");
    let replayed = gog(&["replay", path(&file)]);
    assert!(!replayed.status.success());
    assert!(
        text(&replayed.stderr).contains("it was edited"),
        "{}",
        text(&replayed.stderr)
    );
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(corpus);
}

#[test]
fn eval_reports_accuracy_per_category_and_judges_every_trace() {
    use gog_scenes::record::{Category, Record};
    use gog_scenes::split::Split;
    let corpus = corpus("eval-corpus");
    let dir = scratch("eval");
    std::fs::copy(picture(), dir.join("scene.png")).expect("the picture");
    let record = |id: &str, category: Category| Record {
        id: id.into(),
        split: Split::Test,
        image: "scene.png".into(),
        width: 64,
        height: 48,
        question: QUESTION.into(),
        answer: "1889".into(),
        aliases: vec!["in 1889".into()],
        category,
        entities: vec![],
        target: None,
        reference: None,
        evidence: vec![],
        background: "none".into(),
    };
    let lines: Vec<String> = [
        record("test-0", Category::Gaze),
        record("test-1", Category::Text),
        record("test-2", Category::Gaze),
    ]
    .iter()
    .map(|r| serde_json::to_string(r).expect("a record"))
    .collect();
    let set = dir.join("set.jsonl");
    std::fs::write(&set, lines.join("\n") + "\n").expect("the set");
    let (traces, report) = (dir.join("traces"), dir.join("report.json"));
    let model = tiny("qwen3_vl");
    let run = gog(&[
        "eval",
        "--set",
        path(&set),
        "--limit",
        "2",
        "--model",
        path(&model),
        "--corpus",
        path(&corpus),
        "--max-turns",
        "1",
        "--max-new-tokens",
        "4",
        "--traces",
        path(&traces),
        "--report",
        path(&report),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let stdout = text(&run.stdout);
    for row in ["gaze", "text", "all"] {
        assert!(stdout.lines().any(|l| l.starts_with(row)), "{stdout}");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("the report")).expect("JSON");
    assert_eq!(report["overall"]["questions"], 2, "--limit 2");
    assert_eq!(
        report["overall"]["exact_match"], 0.0,
        "a random model is never right"
    );
    assert_eq!(report["categories"]["gaze"]["questions"], 1);
    assert_eq!(report["categories"]["text"]["questions"], 1);
    for id in ["test-0", "test-1"] {
        let trace = read_trace(&traces.join(format!("{id}.json")));
        let judgement = trace.judgement.expect("judged");
        assert_eq!(judgement.gold, ["1889", "in 1889"]);
        assert!(!judgement.exact_match);
    }
    assert!(!traces.join("test-2.json").exists());

    // A malformed line is named.
    std::fs::write(&set, "{\"id\": \"x\"}\n").expect("the set");
    let bad = gog(&["eval", "--set", path(&set), "--model", path(&model)]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("line 1: not a benchmark record"),
        "{}",
        text(&bad.stderr)
    );
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(corpus);
}

/// Without `--model`, `gog ask` runs the GoG-Tiny package this repository ships: a trained
/// model, so unlike the random-weight fixtures every turn it writes follows the protocol, and the
/// run ends with an answer or a search budget spent, never with a malformed turn.
#[test]
fn ask_without_a_model_runs_the_shipped_gog_tiny_package() {
    let corpus = corpus("shipped-corpus");
    let dir = scratch("shipped");
    let file = dir.join("trace.json");
    let image = picture();
    let run = gog(&[
        "ask",
        "--image",
        path(&image),
        "--question",
        QUESTION,
        "--corpus",
        path(&corpus),
        "--trace-out",
        path(&file),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let trace = read_trace(&file);
    assert_eq!(trace.model.id, "gog-tiny-q8");
    assert_eq!(
        trace.model.family,
        Family::GogTiny,
        "prompted as it was trained"
    );
    assert_eq!(trace.model.quantisation, "q8");
    let shipped = common::workspace().join("public/models/gog-tiny-q8");
    let weights = std::fs::read(shipped.join("model-00001-of-00001.safetensors")).expect("weights");
    assert_eq!(
        trace.model.weights["model-00001-of-00001.safetensors"],
        gog_types::sha256_hex(&weights)
    );
    let turns: Vec<_> = trace
        .steps
        .iter()
        .filter(|step| step.actor == Actor::Model)
        .collect();
    assert!(!turns.is_empty());
    for step in &turns {
        assert!(step.error.is_none(), "a turn off the protocol: {step:?}");
        assert!(step.action.is_some(), "{step:?}");
    }
    assert!(
        !matches!(trace.outcome, Some(Outcome::Failed { .. })),
        "{:?}",
        trace.outcome
    );
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(corpus);
}
