//! `cargo xtask bench vlm`: the CPU quantised kernel, then whole models, against PyTorch.
//!
//! Kernel rows: for each linear layer of Qwen2.5-VL-3B's and Qwen3-VL-2B's decoders, one decode step's
//! product y = x·Wᵀ (x: [1, in]) with random weights, timed as:
//! - `reference`: PyTorch fp32 `nn.Linear` on 2 threads (tests/reference/bench_gemv.py, run in
//!   the reference venv in the same run), and `pytorch dynamic int8`;
//! - `burn flex f32`: burn's CPU backend, the result read back;
//! - `gog q8`, `gog q4`: this crate's kernel over per-block Q8/Q4 weights.
//!
//! Weights stay in cache between calls ("warm"), as in the reference.
//!
//! Model rows: random-weight checkpoints of Qwen3-VL-2B's and Qwen2.5-VL-3B's dimensions (made
//! once by tests/reference/bench_model.py in bf16, kept in ~/.cache/gog/bench-models): the vision
//! encoder on a 448×448 image, the prefill of the prompt (image features given) and each decode
//! step, for PyTorch fp32 (`reference`) and this runtime on the CPU with f32 (Qwen3-VL-2B only:
//! Qwen2.5-VL-3B in f32 does not fit beside the machine's other work), Q8 and Q4 decoder weights.
//! Each variant runs in its own process; peak resident memory goes to target/bench/vlm.memory.json.

// The benchmark measures native CPUs; it builds for wasm32 only so that the workspace lints there.
#[cfg(not(target_family = "wasm"))]
fn main() {
    native::main();
}

#[cfg(target_family = "wasm")]
fn main() {}

#[cfg(not(target_family = "wasm"))]
mod native {
    use burn::tensor::{Tensor, TensorData};
    use gog_vlm::checkpoint::Checkpoint;
    use gog_vlm::nn::linear::Quantization;
    use gog_vlm::package::{self, PackageWeights};
    use gog_vlm::quant::{QuantFormat, QuantMatrix};
    use gog_vlm::qwen_vl::{DecoderInput, QwenVl, QwenVlConfig};
    use gog_vlm::rope_index::rope_positions;
    use gog_vlm::{ComputeDevice, ModelFiles};
    use std::io::Write;
    use std::path::{Path, PathBuf};
    use std::time::Instant;

    const CALLS: usize = 30;
    const WARM_UP: usize = 5;

    /// `(case, in, out)`.
    const CASES: [(&str, usize, usize); 6] = [
        ("qwen2.5-vl-3b o_proj 2048→2048", 2048, 2048),
        ("qwen2.5-vl-3b up 2048→11008", 2048, 11008),
        ("qwen2.5-vl-3b down 11008→2048", 11008, 2048),
        ("qwen3-vl-2b k_proj 2048→1024", 2048, 1024),
        ("qwen3-vl-2b up 2048→6144", 2048, 6144),
        ("qwen3-vl-2b down 6144→2048", 6144, 2048),
    ];

    /// Seconds of each of `count` calls.
    fn time_each<T>(count: usize, mut call: impl FnMut() -> T) -> Vec<f64> {
        (0..count)
            .map(|_| {
                let start = Instant::now();
                call();
                start.elapsed().as_secs_f64()
            })
            .collect()
    }

    /// A kernel's calls, after a warm-up.
    fn timed(mut call: impl FnMut()) -> Vec<f64> {
        for _ in 0..WARM_UP {
            call();
        }
        time_each(CALLS, call)
    }

    fn pseudo_random(len: usize, seed: u64) -> Vec<f32> {
        let mut state = seed;
        (0..len)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.1
            })
            .collect()
    }

    /// `(label, model_type, Rust variants)`.
    const MODELS: [(&str, &str, &[&str]); 2] = [
        ("qwen3-vl-2b", "qwen3_vl", &["gog f32", "gog q8", "gog q4"]),
        ("qwen2.5-vl-3b", "qwen2_5_vl", &["gog q8", "gog q4"]),
    ];
    const IMAGE_SIDE: usize = 448;
    const TEXT_TOKENS: u32 = 16;
    const DECODE_STEPS: usize = 8;
    const VISION_START: u32 = 151_652;
    const VISION_END: u32 = 151_653;

    fn workspace() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    pub fn main() {
        let args: Vec<String> = std::env::args().collect();
        if let Some(at) = args.iter().position(|a| a == "--model-run") {
            let [family, dir, label, variant] = [1, 2, 3, 4].map(|i| args[at + i].clone());
            model_run(&family, Path::new(&dir), &label, &variant);
            return;
        }
        kernel_rows();
        model_rows();
        if std::env::var_os("GOG_BENCH_BROWSER").is_some_and(|value| value == "1") {
            browser_packages();
        }
    }

    /// `(model, package weights)` the browser half (`tests/vlm_in_browser.rs`) times on WebGPU:
    /// the browser-sized model in the browser's format. On the software adapter one run of it
    /// takes about half an hour, so the other models and formats are left to real GPUs.
    const BROWSER_RUNS: [(&str, PackageWeights); 1] = [("qwen3-vl-2b", PackageWeights::Q4)];

    /// Converts the random checkpoints into packages for the browser half, into the directory
    /// `cargo xtask bench vlm` serves to it, with `runs.json` describing each run: the native
    /// rows' decode case and steps, after the text of their prompt. A package is made once (the
    /// checkpoints are fixed). The checkpoints have no tokenizer, and the rows time the model
    /// alone, so the packages carry the tiny fixture's tokenizer files.
    fn browser_packages() {
        let samples = std::env::var_os("GOG_BENCH_SAMPLES").expect("GOG_BENCH_SAMPLES");
        let out = Path::new(&samples).with_file_name("vlm.browser");
        let home = std::env::var_os("HOME").expect("HOME");
        let models_dir = Path::new(&home).join(".cache/gog/bench-models");
        let fixture = workspace().join("tests/fixtures/vlm/qwen3_vl-tiny");
        let mut runs = Vec::new();
        for (label, weights) in BROWSER_RUNS {
            let name = format!(
                "{label}-{}",
                serde_json::json!(weights).as_str().expect("a name")
            );
            let dir = out.join(&name);
            let model_dir = models_dir.join(label);
            if !dir.join(package::MANIFEST).exists() {
                let started = Instant::now();
                let files = ModelFiles {
                    config: std::fs::read_to_string(model_dir.join("config.json"))
                        .expect("config.json"),
                    preprocessor_config: None,
                    generation_config: None,
                    tokenizer: std::fs::read(fixture.join("tokenizer.json")).expect("tokenizer"),
                    tokenizer_config: std::fs::read_to_string(
                        fixture.join("tokenizer_config.json"),
                    )
                    .expect("tokenizer config"),
                    checkpoint: Checkpoint::open_dir(&model_dir).expect("the checkpoint"),
                    quantized: None,
                };
                let package = gog_vlm::convert::convert(files, weights, package::MAX_SHARD_BYTES)
                    .expect("converts");
                let partial = dir.with_extension("partial");
                let _ = std::fs::remove_dir_all(&partial);
                package.write_dir(&partial).expect("writes the package");
                std::fs::rename(&partial, &dir).expect("moves the package in place");
                eprintln!(
                    "{name}: {} bytes in {:.0} s",
                    package.manifest.total_bytes(),
                    started.elapsed().as_secs_f64()
                );
            }
            let text: Vec<u32> = prompt(0, 0)
                .into_iter()
                .filter(|&token| token != VISION_START && token != VISION_END)
                .collect();
            runs.push(serde_json::json!({
                "package": name,
                "variant": format!("webgpu {}", serde_json::json!(weights).as_str().expect("a name")),
                "decode_case": format!("{label} decode per token"),
                "decode_steps": DECODE_STEPS,
                "prompt": text,
            }));
        }
        std::fs::write(
            out.join("runs.json"),
            serde_json::to_string_pretty(&runs).expect("JSON") + "\n",
        )
        .expect("runs.json");
        // Tells xtask the browser half has something to run.
        std::fs::write(out.join("READY"), b"").expect("the READY stamp");
    }

    /// The same prompt as bench_model.py: text, the image, text.
    fn prompt(image_tokens: usize, image_token: u32) -> Vec<u32> {
        let text: Vec<u32> = (0..TEXT_TOKENS).map(|i| 1000 + 37 * i).collect();
        let mut ids = text.clone();
        ids.push(VISION_START);
        ids.extend(std::iter::repeat_n(image_token, image_tokens));
        ids.push(VISION_END);
        ids.extend(text);
        ids
    }

    fn append_sample(case: &str, variant: &str, seconds: &[f64]) {
        let samples = std::env::var_os("GOG_BENCH_SAMPLES").expect("GOG_BENCH_SAMPLES");
        let mut out = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(samples)
            .expect("the samples file");
        let line = serde_json::json!({"case": case, "variant": variant, "seconds": seconds});
        writeln!(out, "{line}").expect("a sample line");
    }

    fn model_rows() {
        let python = std::env::var_os("GOG_REFERENCE_PYTHON").expect("GOG_REFERENCE_PYTHON");
        let samples = std::env::var_os("GOG_BENCH_SAMPLES").expect("GOG_BENCH_SAMPLES");
        let home = std::env::var_os("HOME").expect("HOME");
        let models_dir = Path::new(&home).join(".cache/gog/bench-models");
        let mut memory = Vec::new();
        for (label, family, variants) in MODELS {
            let dir = models_dir.join(label);
            let script = workspace().join("tests/reference/bench_model.py");
            let status = std::process::Command::new(&python)
                .arg(&script)
                .args(["make", "--family", family, "--dir"])
                .arg(&dir)
                .status()
                .expect("bench_model.py runs");
            assert!(status.success(), "making the {label} checkpoint failed");
            let mut runs: Vec<std::process::Command> = Vec::new();
            let mut reference = std::process::Command::new(&python);
            reference
                .arg(&script)
                .args(["time", "--family", family, "--label", label, "--dir"])
                .arg(&dir)
                .arg("--samples")
                .arg(&samples);
            runs.push(reference);
            for variant in variants {
                let mut run =
                    std::process::Command::new(std::env::current_exe().expect("this bench"));
                run.args(["--model-run", family])
                    .arg(&dir)
                    .args([label, variant]);
                runs.push(run);
            }
            for mut run in runs {
                let output = run.output().expect("a model run");
                assert!(
                    output.status.success(),
                    "{label}: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
                for line in String::from_utf8_lossy(&output.stdout).lines() {
                    if let Ok(value) = serde_json::from_str::<serde_json::Value>(line) {
                        println!("{value}");
                        memory.push(value);
                    }
                }
            }
        }
        let path = Path::new(&samples).with_file_name("vlm.memory.json");
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&memory).expect("JSON") + "\n",
        )
        .expect("the memory report");
    }

    /// One Rust variant of one model, in its own process so its peak memory is its own.
    fn model_run(family: &str, dir: &Path, label: &str, variant: &str) {
        let config = std::fs::read_to_string(dir.join("config.json")).expect("config.json");
        let config = QwenVlConfig::from_json(&config).expect("a valid config");
        assert_eq!(config.family.model_type(), family);
        let quant = match variant {
            "gog q8" => Some(Quantization::host(QuantFormat::Q8)),
            "gog q4" => Some(Quantization::host(QuantFormat::Q4)),
            _ => None,
        };
        let cpu = ComputeDevice::cpu();
        let checkpoint = Checkpoint::open_dir(dir).expect("the checkpoint");
        let model = QwenVl::load(&config, checkpoint, cpu.device(), quant).expect("loads");
        let vision = &config.vision;
        let side = IMAGE_SIDE / vision.patch_size;
        let grid = [1, side, side];
        let patches = pseudo_random(side * side * vision.patch_len(), 3);
        let patches = || {
            Tensor::<2>::from_data(
                TensorData::new(patches.clone(), [side * side, vision.patch_len()]),
                cpu.device(),
            )
        };
        let encode = || {
            let images = model
                .encode_images(patches(), &[grid], None)
                .expect("encodes");
            std::hint::black_box(images.embeddings.clone().into_data());
            images
        };
        let images = encode();
        let vision_seconds = time_each(2, encode);
        append_sample(
            &format!("{label} vision {IMAGE_SIDE}x{IMAGE_SIDE}"),
            variant,
            &vision_seconds,
        );

        let merge = vision.spatial_merge_size;
        let tokens = prompt(side * side / (merge * merge), config.tokens.image);
        let positions = rope_positions(
            &tokens,
            config.tokens.image,
            &[[1, side as u32, side as u32]],
            merge as u32,
        )
        .expect("positions");
        let prefill = || {
            let mut cache = model.new_cache();
            let hidden = model
                .decode(
                    DecoderInput {
                        tokens: &tokens,
                        positions: [&positions.axes[0], &positions.axes[1], &positions.axes[2]],
                        images: Some(&images),
                    },
                    &mut cache,
                    None,
                )
                .expect("prefills");
            let scores: Vec<f32> = model
                .next_token_logits(hidden)
                .into_data()
                .try_into_vec()
                .expect("f32 logits");
            (cache, gog_vlm::sampling::argmax(&scores))
        };
        let prefill_seconds = time_each(2, prefill);
        append_sample(
            &format!("{label} prefill {} tokens", tokens.len()),
            variant,
            &prefill_seconds,
        );

        let (mut cache, mut token) = prefill();
        let mut steps = Vec::with_capacity(DECODE_STEPS);
        for _ in 0..DECODE_STEPS {
            let start = Instant::now();
            let hidden = model
                .decode_step(token, positions.delta, &mut cache)
                .expect("a decode step");
            let scores: Vec<f32> = model
                .logits(hidden)
                .into_data()
                .try_into_vec()
                .expect("f32 logits");
            token = gog_vlm::sampling::argmax(&scores);
            steps.push(start.elapsed().as_secs_f64());
        }
        append_sample(&format!("{label} decode per token"), variant, &steps);

        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let peak_kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0);
        println!(
            "{}",
            serde_json::json!({"case": label, "variant": variant, "peak_rss_mib": peak_kib / 1024})
        );
    }

    fn kernel_rows() {
        let samples = std::env::var_os("GOG_BENCH_SAMPLES")
            .expect("run through `cargo xtask bench vlm`, which sets GOG_BENCH_SAMPLES");
        let python = std::env::var_os("GOG_REFERENCE_PYTHON")
            .expect("run through `cargo xtask bench vlm`, which sets up the PyTorch reference");
        let mut reference = std::process::Command::new(python);
        reference
            .arg("tests/reference/bench_gemv.py")
            .arg("--samples")
            .arg(&samples)
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        for (case, k, n) in CASES {
            reference.arg("--case").arg(format!("{case}:{k}:{n}"));
        }
        let status = reference.status().expect("the PyTorch reference runs");
        assert!(status.success(), "the PyTorch reference failed: {status}");

        let mut out = std::fs::OpenOptions::new()
            .append(true)
            .open(&samples)
            .expect("the samples file");
        let mut record = |case: &str, variant: &str, seconds: Vec<f64>| {
            let line = serde_json::json!({"case": case, "variant": variant, "seconds": seconds});
            writeln!(out, "{line}").expect("a sample line");
        };
        let cpu = ComputeDevice::cpu();
        for (case, k, n) in CASES {
            let weight = pseudo_random(n * k, 1);
            let x = pseudo_random(k, 2);

            let device = cpu.device();
            let w =
                Tensor::<2>::from_data(TensorData::new(weight.clone(), [n, k]), device).transpose();
            let w = w.clone() + 0.0; // materialise the transposed layout once
            let xt = Tensor::<2>::from_data(TensorData::new(x.clone(), [1, k]), device);
            record(
                case,
                "burn flex f32",
                timed(|| {
                    let y = xt.clone().matmul(w.clone());
                    std::hint::black_box(y.into_data());
                }),
            );
            for (format, variant) in [(QuantFormat::Q8, "gog q8"), (QuantFormat::Q4, "gog q4")] {
                let matrix = QuantMatrix::quantize(format, &weight, n, k).expect("quantisable");
                record(
                    case,
                    variant,
                    timed(|| {
                        std::hint::black_box(matrix.matmul(&x, 1));
                    }),
                );
            }
        }
    }
}
