//! The browser half of a benchmark.
//!
//! A bench `NAME` may have one: a wasm test target `NAME_in_browser` in the same package, whose
//! tests are `#[ignore]`d (so `cargo xtask test` skips them). It runs when the native half fills
//! the directory `target/bench/NAME.browser/` and writes the stamp `READY` there: a light browser
//! half always does; one that needs a real GPU only when `cargo xtask bench NAME --browser` sets
//! `GOG_BENCH_BROWSER=1`. xtask then serves that directory on 127.0.0.1, builds
//! the target with the server's URL in `GOG_BENCH_SERVE_URL`, runs it in headless Chromium with
//! `--include-ignored`, and adds its console lines `GOG_BENCH_SAMPLE {json}` to the samples and
//! `GOG_BENCH_MEMORY {json}` to `NAME.memory.json`.

use crate::{process, tools::Tools};
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::{Path, PathBuf};

const SAMPLE: &str = "GOG_BENCH_SAMPLE ";
const MEMORY: &str = "GOG_BENCH_MEMORY ";

/// The stamp a native half writes when it has prepared its browser half.
pub fn ready_stamp(out_dir: &Path, name: &str) -> PathBuf {
    out_dir.join(format!("{name}.browser")).join("READY")
}

/// The test target holding a bench's browser half.
pub fn target(name: &str) -> String {
    format!("{name}_in_browser")
}

pub fn run(tools: &Tools, package: &str, name: &str, out_dir: &Path) -> Result<()> {
    let served = out_dir.join(format!("{name}.browser"));
    if !served.is_dir() {
        bail!(
            "the native half of {name} wrote nothing to {}: the browser half has nothing to run",
            served.display()
        );
    }
    let server = StaticServer::start(served)?;
    let mut cmd = tools.command("cargo");
    cmd.args([
        "test",
        "--locked",
        "--profile",
        "optimized",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        package,
        "--test",
        &target(name),
        "--",
        "--include-ignored",
        "--nocapture",
    ])
    .env("GOG_BENCH_SERVE_URL", server.url())
    // Real-size models on a software adapter take many minutes.
    .env("WASM_BINDGEN_TEST_TIMEOUT", "5400");
    let (status, log) = process::run_teed(&mut cmd)?;
    process::check(status, &process::describe(&cmd))?;
    let samples_path = out_dir.join(format!("{name}.samples.jsonl"));
    let mut samples = std::fs::OpenOptions::new()
        .append(true)
        .open(&samples_path)
        .with_context(|| format!("cannot append to {}", samples_path.display()))?;
    let memory_path = out_dir.join(format!("{name}.memory.json"));
    let mut memory: Vec<serde_json::Value> = match std::fs::read_to_string(&memory_path) {
        Ok(text) => serde_json::from_str(&text)
            .with_context(|| format!("{} is not a JSON array", memory_path.display()))?,
        Err(_) => Vec::new(),
    };
    let mut count = 0;
    for line in log.lines() {
        if let Some((_, json)) = line.split_once(SAMPLE) {
            writeln!(samples, "{}", json.trim())?;
            count += 1;
        } else if let Some((_, json)) = line.split_once(MEMORY) {
            memory.push(serde_json::from_str(json.trim()).context("a memory line")?);
        }
    }
    if count == 0 {
        bail!("the browser half of {name} printed no samples");
    }
    std::fs::write(&memory_path, serde_json::to_string_pretty(&memory)? + "\n")?;
    Ok(())
}

/// Files of one directory over HTTP on 127.0.0.1, readable from any origin (the test page's
/// server is another port), until dropped.
struct StaticServer {
    server: std::sync::Arc<tiny_http::Server>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl StaticServer {
    fn start(root: PathBuf) -> Result<Self> {
        let server = tiny_http::Server::http("127.0.0.1:0")
            .map_err(|err| anyhow::anyhow!("cannot listen on 127.0.0.1: {err}"))?;
        let server = std::sync::Arc::new(server);
        let serving = server.clone();
        let thread = std::thread::spawn(move || {
            for request in serving.incoming_requests() {
                let response = respond(&root, request.url());
                // A client that went away is not the bench's problem.
                let _ = request.respond(response);
            }
        });
        Ok(StaticServer {
            server,
            thread: Some(thread),
        })
    }

    fn url(&self) -> String {
        format!("http://{}", self.server.server_addr())
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The file at `url` under `root`: only plain relative paths, nothing outside `root`.
fn respond(root: &Path, url: &str) -> tiny_http::Response<Box<dyn std::io::Read + Send>> {
    let cors = tiny_http::Header::from_bytes("Access-Control-Allow-Origin", "*")
        .unwrap_or_else(|()| unreachable!("a valid header"));
    let path = url
        .split('?')
        .next()
        .unwrap_or_default()
        .trim_start_matches('/');
    let plain = !path.is_empty()
        && path.split('/').all(|part| {
            !part.is_empty()
                && !part.starts_with('.')
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        });
    let file = plain
        .then(|| std::fs::File::open(root.join(path)).ok())
        .flatten();
    match file {
        Some(file) => {
            let len = file.metadata().ok().map(|m| m.len() as usize);
            tiny_http::Response::new(
                tiny_http::StatusCode(200),
                vec![cors],
                Box::new(file) as Box<dyn std::io::Read + Send>,
                len,
                None,
            )
        }
        None => tiny_http::Response::new(
            tiny_http::StatusCode(404),
            vec![cors],
            Box::new(std::io::empty()) as Box<dyn std::io::Read + Send>,
            Some(0),
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_files_under_its_root_and_nothing_else() {
        let root = std::env::temp_dir().join(format!("gog-static-{}", std::process::id()));
        std::fs::create_dir_all(root.join("pkg")).unwrap();
        std::fs::write(root.join("pkg/manifest.json"), b"{}").unwrap();
        std::fs::write(root.with_extension("secret"), b"no").unwrap();
        let server = StaticServer::start(root.clone()).unwrap();
        let get = |path: &str| ureq::get(&format!("{}/{path}", server.url())).call();
        let response = get("pkg/manifest.json").unwrap();
        assert_eq!(
            response
                .headers()
                .get("access-control-allow-origin")
                .unwrap(),
            "*"
        );
        assert_eq!(response.into_body().read_to_string().unwrap(), "{}");
        for outside in ["../gog-static.secret", "pkg/../../x", "", ".hidden"] {
            assert!(get(outside).is_err(), "{outside:?} was served");
        }
        drop(server);
        std::fs::remove_dir_all(&root).unwrap();
        std::fs::remove_file(root.with_extension("secret")).unwrap();
    }
}
