//! `cargo xtask test`: every test tier, one summary line each.

use crate::process;
use crate::tools::Tools;
use crate::{demo, paths};
use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Tier {
    /// cargo fmt --check and clippy -D warnings (native and wasm32).
    Lint,
    /// Native cargo test of the workspace.
    Native,
    /// The trainer's own tests, then `cargo xtask train sft` for real at toy size: made-up
    /// scenes to a Q8 package whose loss fell and which loads and runs the agent.
    Train,
    /// wasm32 builds of the app (trunk) and the proxy (worker-build).
    Wasm,
    /// wasm-bindgen-test in headless Chromium, including burn on WebGPU.
    Browser,
    /// The proxy in the real worker runtime (wrangler dev / workerd), driven by node:test.
    Proxy,
    /// The demo as a person runs it, clicked through by Playwright, then stopped with Ctrl-C.
    E2e,
}

impl Tier {
    /// The tier's number in the full run, so a summary line means the same with `--tier`.
    fn number(self) -> usize {
        Tier::value_variants()
            .iter()
            .position(|tier| *tier == self)
            .map_or(0, |index| index + 1)
    }

    fn name(self) -> &'static str {
        match self {
            Tier::Lint => "lint",
            Tier::Native => "native",
            Tier::Train => "train",
            Tier::Wasm => "wasm",
            Tier::Browser => "browser",
            Tier::Proxy => "proxy",
            Tier::E2e => "e2e",
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Run only these tiers (repeatable); default: all, in order.
    #[arg(long = "tier", value_enum)]
    tiers: Vec<Tier>,
    /// Stop at the first failing tier.
    #[arg(long)]
    fail_fast: bool,
}

pub fn run(args: &TestArgs) -> Result<()> {
    let tiers = if args.tiers.is_empty() {
        Tier::value_variants().to_vec()
    } else {
        args.tiers.clone()
    };
    let tools = Tools::ensure(tiers.iter().any(|t| matches!(t, Tier::Browser | Tier::E2e)))?;
    let mut summary = Vec::new();
    for tier in &tiers {
        println!("\n=== tier {} {} ===", tier.number(), tier.name());
        let started = Instant::now();
        let result = run_tier(*tier, &tools);
        let line = match &result {
            Ok(detail) => format!(
                "tier {} {}: passed ({:.1} s){detail}",
                tier.number(),
                tier.name(),
                started.elapsed().as_secs_f64()
            ),
            Err(err) => format!(
                "tier {} {}: FAILED ({:.1} s): {err:#}",
                tier.number(),
                tier.name(),
                started.elapsed().as_secs_f64()
            ),
        };
        println!("{line}");
        summary.push((line, result.is_ok()));
        if result.is_err() && args.fail_fast {
            break;
        }
    }
    println!("\n=== summary ===");
    for (line, _) in &summary {
        println!("{line}");
    }
    let failed = summary.iter().filter(|(_, ok)| !ok).count();
    println!("tiers: {} passed, {failed} failed", summary.len() - failed);
    if failed > 0 {
        bail!("{failed} tier(s) failed");
    }
    Ok(())
}

/// Runs one tier; the text returned is appended to its summary line.
fn run_tier(tier: Tier, tools: &Tools) -> Result<String> {
    match tier {
        Tier::Lint => lint(tools),
        Tier::Native => {
            process::run(tools.command("cargo").args(["test", "--locked"]))?;
            Ok(String::new())
        }
        Tier::Train => train_smoke(),
        Tier::Wasm => {
            demo::build(tools, &crate::corpus::made_up()?)?;
            Ok(String::new())
        }
        Tier::Browser => browser(tools),
        Tier::Proxy => {
            // The tests start the worker the wasm tier built, in `wrangler dev`, serving the
            // made-up corpus.
            demo::build_proxy(tools)?;
            let corpus = crate::corpus::made_up()?;
            node_tests(
                tools,
                "tests/proxy",
                &[("GOG_TEST_CORPUS", corpus.display().to_string())],
            )?;
            Ok(String::new())
        }
        Tier::E2e => e2e(tools),
    }
}

/// The training pipeline at toy size; the text names the losses it compared.
fn train_smoke() -> Result<String> {
    let python = crate::reference::python()?;
    process::run(
        std::process::Command::new(&python)
            .current_dir(paths::workspace())
            .args(["-m", "unittest", "discover", "-s", "train/tests"]),
    )?;
    // From scratch every time: the stages' stamps would otherwise skip the work under test.
    let work = paths::artefacts("train-smoke");
    if work.exists() {
        std::fs::remove_dir_all(&work)
            .with_context(|| format!("cannot clear {}", work.display()))?;
    }
    let args = crate::train::SftArgs::smoke(crate::corpus::made_up()?, work.clone());
    let out = crate::train::sft(&args)?;
    // Training losses swing with each batch's mix (grounding turns are mostly digits, which weigh
    // three times), so the measure is the unweighted validation loss against the uniform
    // predictor's, ln(vocabulary): what a random initialisation scores.
    let summary_path = out.run.join("summary.json");
    let summary: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&summary_path)
            .with_context(|| format!("cannot read {}", summary_path.display()))?,
    )?;
    let Some(val_loss) = summary["val"]["loss"].as_f64() else {
        bail!("{} has no validation loss", summary_path.display());
    };
    let uniform = f64::from(args.vocab).ln();
    if val_loss.is_nan() || val_loss >= 0.95 * uniform {
        bail!(
            "the model learned too little: validation loss {val_loss:.3}, the uniform predictor's \
             {uniform:.3}"
        );
    }
    // Given the records' own inputs, the runtime computes the trained model's logits: the
    // trainer writes them for a few validation records with a picture, `gog vlm check` runs the
    // same records through the runtime (unquantised) and fails above the tolerance.
    let fixture = work.join("reference.safetensors");
    let trained = out.run.join("final");
    process::run(
        std::process::Command::new(&python)
            .current_dir(paths::workspace())
            .arg("train/sft.py")
            .arg("reference")
            .arg("--model")
            .arg(&trained)
            .arg("--data")
            .arg(&out.validation_data)
            .arg("--out")
            .arg(&fixture),
    )?;
    let check = process::output(
        std::process::Command::new(&out.gog)
            .args(["vlm", "check", "--tolerance", "1e-3", "--model"])
            .arg(&trained)
            .arg("--fixture")
            .arg(&fixture),
    )?;
    let logit_diff = check.lines().last().unwrap_or_default().to_owned();
    // The Q8 package loads in the runtime and drives the agent over the corpus, as `gog eval`
    // runs it; a tiny model's answers are not judged, only that every run ended.
    let report = work.join("eval.json");
    process::run(
        std::process::Command::new(&out.gog)
            .arg("eval")
            .arg("--set")
            .arg(&out.validation_scenes)
            .args(["--limit", "2", "--max-new-tokens", "32", "--model"])
            .arg(&out.package)
            .arg("--corpus")
            .arg(&out.corpus)
            .arg("--report")
            .arg(&report),
    )?;
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&report).with_context(|| format!("cannot read {}", report.display()))?,
    )?;
    let questions = report["overall"]["questions"].as_u64();
    let failed = report["overall"]["failed"].as_u64();
    if questions != Some(2) || failed != Some(0) {
        bail!("gog eval of the smoke package: {questions:?} questions, {failed:?} failed runs");
    }
    Ok(format!(
        " — validation loss {val_loss:.2} against the uniform predictor's {uniform:.2}; runtime \
         against trainer: {logit_diff}; the Q8 package ran 2 questions"
    ))
}

/// Crates that run in a browser or a worker are linted for wasm32 too.
const WASM_PACKAGES: [&str; 10] = [
    "gog-agent",
    "gog-app",
    "gog-app-worker",
    "gog-proxy-worker",
    "gog-scenes",
    "gog-search",
    "gog-types",
    "gog-vlm",
    "gog-vlm-policy",
    "gog-webgpu",
];

fn lint(tools: &Tools) -> Result<String> {
    // First: it needs no compiler, and a layer breach explains the build errors that follow.
    let layers = crate::layers::check()?;
    process::run(tools.command("cargo").args(["fmt", "--all", "--check"]))?;
    process::run(tools.command("cargo").args([
        "clippy",
        "--locked",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    let mut wasm = tools.command("cargo");
    wasm.args([
        "clippy",
        "--locked",
        "--target",
        "wasm32-unknown-unknown",
        "--all-targets",
    ]);
    for package in WASM_PACKAGES {
        wasm.args(["-p", package]);
    }
    process::run(wasm.args(["--", "-D", "warnings"]))?;
    Ok(layers)
}

/// The WebGPU test prints this before the adapter's description.
const ADAPTER_MARKER: &str = "webgpu adapter: ";

fn browser(tools: &Tools) -> Result<String> {
    let mut cmd = tools.command("cargo");
    cmd.args([
        "test",
        "--locked",
        "--no-fail-fast",
        "--target",
        "wasm32-unknown-unknown",
    ]);
    for package in ["gog-vlm", "gog-app"] {
        cmd.args(["-p", package]);
    }
    // Show console output of passing tests too: the adapter line proves where the test ran.
    cmd.args(["--", "--nocapture"]);
    // The runner's default of 20 s per test binary is too short for the models' reference
    // comparison on the software adapter (about a minute: every kernel is compiled on first use).
    cmd.env("WASM_BINDGEN_TEST_TIMEOUT", "600");
    let (status, log) = process::run_teed(&mut cmd)?;
    process::check(status, &process::describe(&cmd))?;
    let adapter = log
        .lines()
        .find_map(|line| {
            line.split_once(ADAPTER_MARKER)
                .map(|(_, rest)| rest.trim().to_owned())
        })
        .context("the WebGPU test passed but never reported its adapter; did it run at all?")?;
    Ok(format!(" — WebGPU adapter: {adapter}"))
}

fn node_tests(tools: &Tools, dir: &str, env: &[(&str, String)]) -> Result<()> {
    let mut cmd = tools.command("node");
    cmd.args(["--test", "--test-reporter=spec", "--test-concurrency=1"])
        .arg(format!("{dir}/*.test.cjs"));
    for (key, value) in env {
        cmd.env(key, value);
    }
    process::run(&mut cmd)
}

/// How long the demo may take to come up inside the test: builds are already warm from the
/// wasm tier, but a lone `--tier e2e` may build from cold.
const DEMO_START: Duration = Duration::from_secs(1200);

fn e2e(tools: &Tools) -> Result<String> {
    let app_port = process::free_port()?;
    let proxy_port = loop {
        let port = process::free_port()?;
        if port != app_port {
            break port;
        }
    };
    // The gallery test runs the scenes with `gog` too, on the corpus the demo serves; built
    // before the demo starts, so no build runs beside it (the train tier has built it already).
    let gog = crate::train::build_gog()?;
    let corpus = crate::corpus::made_up()?;
    // Run the real `cargo xtask demo` in a session of its own, so that afterwards every process
    // it ever started can be found by session id.
    let exe = std::env::current_exe().context("cannot find the xtask executable")?;
    let mut cmd = tools.command("setsid");
    cmd.arg(&exe)
        .args([
            "demo",
            "--port",
            &app_port.to_string(),
            "--proxy-port",
            &proxy_port.to_string(),
            "--corpus",
            &corpus.display().to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    println!("  $ {}", process::describe(&cmd));
    let mut demo = cmd.spawn().context("cannot start the demo")?;
    let session = demo.id();
    let (ready_sender, ready) = mpsc::channel();
    if let Some(stdout) = demo.stdout.take() {
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                println!("  demo | {line}");
                if let Some(url) = line.strip_prefix(demo::READY_PREFIX) {
                    let _ = ready_sender.send(url.trim().to_owned());
                }
            }
        });
    }

    let tested = (|| {
        let page = ready
            .recv_timeout(DEMO_START)
            .context("the demo did not report that it was running")?;
        node_tests(
            tools,
            "tests/e2e",
            &[
                ("GOG_APP_URL", page),
                ("GOG_E2E_OUT", paths::artefacts("e2e").display().to_string()),
                ("GOG_BIN", gog.display().to_string()),
                ("GOG_GALLERY_CORPUS", corpus.display().to_string()),
            ],
        )
    })();

    // Stop it the way a person does: SIGINT, as Ctrl-C sends.
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(session as i32),
        nix::sys::signal::Signal::SIGINT,
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = demo.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = demo.kill();
            bail!("the demo did not stop within 60 s of Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    tested?;
    process::check(status, "cargo xtask demo")?;
    for port in [app_port, proxy_port] {
        if !process::port_is_free(port) {
            bail!("port {port} is still in use after the demo stopped");
        }
    }
    let orphans = session_members(session);
    if !orphans.is_empty() {
        bail!(
            "the demo left processes behind after Ctrl-C: {}",
            orphans.join("; ")
        );
    }
    Ok(format!(
        " — screenshots in {}; Ctrl-C left no processes and freed ports {app_port} and {proxy_port}",
        paths::artefacts("e2e").display()
    ))
}

/// `pid command` of every live process in session `sid`, read from /proc.
fn session_members(sid: u32) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // Fields after the parenthesised command: state ppid pgrp session ...
            let (command, rest) = stat.rsplit_once(") ")?;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let session: u32 = fields.get(3)?.parse().ok()?;
            let zombie = fields.first() == Some(&"Z");
            (session == sid && !zombie).then(|| {
                format!(
                    "{pid} {}",
                    command.split_once(" (").map_or(command, |(_, c)| c)
                )
            })
        })
        .collect()
}
