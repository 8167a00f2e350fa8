//! `cargo xtask bench proxy`: a bounded load test of the proxy in the real Workers runtime
//! (workerd through `wrangler dev --local`, on 127.0.0.1) over the offline corpus. It builds the
//! worker, then runs the Node load driver `tests/proxy/load.cjs`, which writes the samples; the
//! tools (worker-build, wrangler, node) come from the tool cache xtask puts on `PATH`.

use std::path::Path;
use std::process::Command;

fn run(command: &mut Command) {
    let status = command
        .status()
        .unwrap_or_else(|err| panic!("cannot run {command:?}: {err}"));
    assert!(status.success(), "{command:?} failed: {status}");
}

fn main() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let corpus = std::env::var_os("GOG_CORPUS_DIR").expect("GOG_CORPUS_DIR names the corpus");
    run(Command::new("worker-build")
        .arg("--release")
        .current_dir(workspace.join("proxy")));
    run(Command::new("node")
        .arg(workspace.join("tests/proxy/load.cjs"))
        .env("GOG_TEST_CORPUS", corpus));
}
