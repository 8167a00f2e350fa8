//! `gog vlm generate` and `gog vlm check` as a person runs them, on the tiny reference models
//! (Hugging Face directories written by transformers), and what they say about bad input.

mod common;

use common::{gog, picture, scratch, text, tiny, workspace};
use std::path::{Path, PathBuf};
use std::process::Output;

/// `gog vlm generate` on `model` about `image`, with `extra` arguments.
fn generate(model: &Path, image: &Path, prompt: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "vlm",
        "generate",
        "--model",
        model.to_str().expect("a UTF-8 path"),
        "--image",
        image.to_str().expect("a UTF-8 path"),
        "--prompt",
        prompt,
    ];
    args.extend(extra);
    gog(&args)
}

const QUESTION: &str = "When was the tower on the left finished?";

/// A scratch copy of a tiny model directory that a test may damage.
fn scratch_copy(family: &str, name: &str) -> PathBuf {
    let dir = scratch(name);
    for entry in std::fs::read_dir(tiny(family)).expect("the tiny model") {
        let path = entry.expect("an entry").path();
        std::fs::copy(&path, dir.join(path.file_name().expect("a file name"))).expect("copied");
    }
    dir
}

#[test]
fn generate_streams_a_reply_from_each_tiny_model() {
    for family in ["qwen2_5_vl", "qwen3_vl"] {
        let model = tiny(family);
        let run = |extra: &[&str]| generate(&model, &picture(), QUESTION, extra);
        let first = run(&["--max-new-tokens", "9"]);
        assert!(first.status.success(), "{family}: {}", text(&first.stderr));
        let report = text(&first.stderr);
        assert!(report.contains("generated 9 tokens"), "{family}: {report}");
        assert!(!first.stdout.is_empty(), "{family}: no text streamed");
        // Greedy decoding is deterministic.
        assert_eq!(
            run(&["--max-new-tokens", "9"]).stdout,
            first.stdout,
            "{family}"
        );
        // So is seeded sampling.
        let sampled = [
            "--max-new-tokens",
            "9",
            "--temperature",
            "1.3",
            "--seed",
            "5",
        ];
        assert_eq!(run(&sampled).stdout, run(&sampled).stdout, "{family}");
    }
}

#[test]
fn check_accepts_the_matching_fixture_and_rejects_another() {
    let model = tiny("qwen3_vl");
    let model = model.to_str().expect("a UTF-8 path");
    let own = tiny("qwen3_vl").join("fixture.safetensors");
    let passed = gog(&[
        "vlm",
        "check",
        "--model",
        model,
        "--fixture",
        own.to_str().expect("UTF-8"),
    ]);
    assert!(passed.status.success(), "{}", text(&passed.stderr));
    let out = text(&passed.stdout);
    assert!(
        out.contains("one_image: 21 tokens") && out.contains("top-1 agreement 100.0%"),
        "{out}"
    );

    // The same tolerance with a model the fixture was not made for fails, and says why.
    let other = tiny("qwen2_5_vl").join("fixture.safetensors");
    let failed = gog(&[
        "vlm",
        "check",
        "--model",
        model,
        "--fixture",
        other.to_str().expect("UTF-8"),
    ]);
    assert!(!failed.status.success());
    assert!(
        text(&failed.stderr).contains("image patches are [40, 1176]"),
        "{}",
        text(&failed.stderr)
    );

    // An impossible tolerance fails on the numbers.
    let strict = gog(&[
        "vlm",
        "check",
        "--model",
        model,
        "--fixture",
        own.to_str().expect("UTF-8"),
        "--tolerance",
        "1e-12",
    ]);
    assert!(!strict.status.success());
    assert!(
        text(&strict.stderr).contains("above 1.0e-12"),
        "{}",
        text(&strict.stderr)
    );
}

#[test]
fn bad_models_and_images_get_clear_errors() {
    let generate = |model: &Path, image: &Path| generate(model, image, "hi", &[]);
    let image = picture();
    let expect_error = |output: Output, needle: &str| {
        assert!(!output.status.success(), "succeeded, expected {needle:?}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(needle), "{stderr:?} lacks {needle:?}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    };

    // Not an image.
    expect_error(
        generate(&tiny("qwen2_5_vl"), &workspace().join("Cargo.toml")),
        "is not a PNG, JPEG or WebP image",
    );

    // A truncated shard.
    let truncated = scratch_copy("qwen2_5_vl", "truncated");
    let shard = truncated.join("model.safetensors");
    let bytes = std::fs::read(&shard).expect("the shard");
    std::fs::write(&shard, &bytes[..bytes.len() / 2]).expect("truncated");
    expect_error(
        generate(&truncated, &image),
        "model.safetensors is truncated",
    );

    // A config that does not fit the weights: the tensor is named.
    let misshaped = scratch_copy("qwen2_5_vl", "misshaped");
    let config = std::fs::read_to_string(misshaped.join("config.json")).expect("config");
    std::fs::write(
        misshaped.join("config.json"),
        config.replace("\"intermediate_size\": 64", "\"intermediate_size\": 48"),
    )
    .expect("written");
    expect_error(generate(&misshaped, &image), "mlp.gate_proj.weight");

    // An architecture this runtime does not run.
    let other = scratch_copy("qwen3_vl", "architecture");
    let config = std::fs::read_to_string(other.join("config.json")).expect("config");
    std::fs::write(
        other.join("config.json"),
        config.replace("\"model_type\": \"qwen3_vl\"", "\"model_type\": \"llava\""),
    )
    .expect("written");
    expect_error(generate(&other, &image), "describes a \"llava\" model");

    for dir in [truncated, misshaped, other] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn convert_writes_a_package_that_generate_runs_and_guards() {
    let out = std::env::temp_dir().join(format!("gog-cli-{}-package", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let model = tiny("qwen2_5_vl");
    let converted = gog(&[
        "convert",
        "--model",
        model.to_str().expect("UTF-8"),
        "--quant",
        "q8",
        "--out",
        out.to_str().expect("UTF-8"),
    ]);
    assert!(converted.status.success(), "{}", text(&converted.stderr));
    assert!(
        text(&converted.stdout).contains("(Qwen2_5Vl, Q8): 1 shards"),
        "{}",
        text(&converted.stdout)
    );
    let manifest = std::fs::read_to_string(out.join("manifest.json")).expect("a manifest");
    assert!(
        manifest.contains("\"format\": \"gog-model-package\""),
        "{manifest}"
    );

    let generate = |dir: &Path| generate(dir, &picture(), QUESTION, &["--max-new-tokens", "7"]);
    let from_package = generate(&out);
    assert!(
        from_package.status.success(),
        "{}",
        text(&from_package.stderr)
    );
    assert!(text(&from_package.stderr).contains("generated 7 tokens"));

    // Converting into a non-empty directory is refused.
    let again = gog(&[
        "convert",
        "--model",
        model.to_str().expect("UTF-8"),
        "--quant",
        "q4",
        "--out",
        out.to_str().expect("UTF-8"),
    ]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("is not empty"),
        "{}",
        text(&again.stderr)
    );

    // A flipped byte in the shard is caught by its hash, and the file is named.
    let shard = out.join("model-00001-of-00001.safetensors");
    let mut bytes = std::fs::read(&shard).expect("the shard");
    bytes[200] ^= 1;
    std::fs::write(&shard, bytes).expect("written");
    let tampered = generate(&out);
    assert!(!tampered.status.success());
    let stderr = text(&tampered.stderr);
    assert!(
        stderr.contains("model-00001-of-00001.safetensors is corrupted"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&out);
}
