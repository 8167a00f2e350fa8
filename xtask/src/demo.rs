//! `cargo xtask demo`: build the web app and the proxy, serve both on 127.0.0.1, stop both on
//! Ctrl-C.

use crate::process::{self, Service};
use crate::tools::Tools;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// The line printed once both servers answer; tests wait for it.
pub const READY_PREFIX: &str = "GoG is running: open ";

const DEFAULT_PROXY_PORT: u16 = 8787;
/// A cold build of both halves takes minutes on two cores; the servers themselves start in
/// seconds once built.
const START_TIMEOUT: Duration = Duration::from_secs(300);
const STOP_GRACE: Duration = Duration::from_secs(10);

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Port for the web app on 127.0.0.1.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Port for the search proxy (`wrangler dev`) on 127.0.0.1.
    #[arg(long, default_value_t = DEFAULT_PROXY_PORT)]
    proxy_port: u16,
    /// The corpus bundle the proxy serves offline; default `corpus/`, built with
    /// `cargo xtask corpus` first if it is missing.
    #[arg(long)]
    corpus: Option<PathBuf>,
}

pub fn run(args: &DemoArgs) -> Result<()> {
    check_port(args.port, "the web app", "--port")?;
    check_port(args.proxy_port, "the search proxy", "--proxy-port")?;
    if args.port == args.proxy_port {
        bail!(
            "--port and --proxy-port are both {}; choose two different ports",
            args.port
        );
    }

    let (stop_sender, stop) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_sender.send(());
    })
    .context("cannot install the Ctrl-C handler")?;

    let tools = Tools::ensure(false)?;
    let corpus = match &args.corpus {
        Some(dir) => dir.clone(),
        None => {
            let dir = crate::corpus::bundle_dir();
            if !dir.join("manifest.json").is_file() {
                println!("demo: the offline corpus is not built yet: building it first");
                crate::corpus::run(&crate::corpus::CorpusArgs {})?;
            }
            dir
        }
    };
    if !corpus.join("manifest.json").is_file() {
        bail!(
            "{} holds no corpus bundle (no manifest.json)",
            corpus.display()
        );
    }
    println!("demo: building");
    build(&tools, &corpus)?;
    if stop.try_recv().is_ok() {
        println!("demo: interrupted before the servers started");
        return Ok(());
    }

    println!("demo: starting the proxy and the app");
    let app_origin = format!("http://127.0.0.1:{}", args.port);
    let proxy_url = format!("http://127.0.0.1:{}", args.proxy_port);
    let mut services = Vec::new();
    let started = start_proxy(&tools, args.proxy_port, args.port, &corpus).and_then(|mut proxy| {
        let ready =
            process::wait_until_ready(&mut proxy, &format!("{proxy_url}/v1/health"), START_TIMEOUT);
        services.push(proxy);
        ready?;
        let mut app = start_app(&tools, args.port)?;
        let ready = process::wait_until_ready(&mut app, &format!("{app_origin}/"), START_TIMEOUT);
        services.push(app);
        ready
    });
    if let Err(err) = started {
        shut_down(services);
        return Err(err);
    }

    let page = if args.proxy_port == DEFAULT_PROXY_PORT {
        format!("{app_origin}/")
    } else {
        format!("{app_origin}/?proxy={proxy_url}")
    };
    println!("{READY_PREFIX}{page}");
    println!("  proxy health: {proxy_url}/v1/health");
    println!("  press Ctrl-C to stop");

    let outcome = loop {
        if stop.recv_timeout(Duration::from_millis(250)).is_ok() {
            println!("\ndemo: stopping");
            break Ok(());
        }
        if let Some((name, status)) = services
            .iter_mut()
            .find_map(|service| service.exited().map(|status| (service.name, status)))
        {
            break Err(anyhow::anyhow!(
                "{name} stopped unexpectedly ({status}); stopping the demo"
            ));
        }
    };
    shut_down(services);
    for port in [args.port, args.proxy_port] {
        if !wait_for_free_port(port) {
            bail!("port {port} is still in use after stopping; something outlived the demo");
        }
    }
    println!(
        "demo: stopped; ports {} and {} are free",
        args.port, args.proxy_port
    );
    outcome
}

/// Builds the proxy and the app the way the servers would, so that build errors show up as
/// such and not as a server that never answers; the app ships the bundle in `corpus` and a
/// gallery of the scenes beside it.
pub fn build(tools: &Tools, corpus: &Path) -> Result<()> {
    // Trunk runs cargo with --offline (Trunk.toml), so everything must be fetched first.
    process::run(tools.command("cargo").arg("fetch"))?;
    build_proxy(tools)?;
    crate::app_assets::stage(corpus)?;
    process::run(tools.command("trunk").args(["build", "--release"]))
}

/// Builds the worker into `proxy/build` with worker-build.
pub fn build_proxy(tools: &Tools) -> Result<()> {
    process::run(
        tools
            .command("worker-build")
            .arg("--release")
            .current_dir(crate::paths::workspace().join("proxy")),
    )
}

fn start_proxy(tools: &Tools, port: u16, app_port: u16, corpus: &Path) -> Result<Service> {
    let inspector = process::free_port()?;
    let origins =
        format!("ALLOWED_ORIGINS:http://127.0.0.1:{app_port},http://localhost:{app_port}");
    let mut cmd = tools.command("wrangler");
    cmd.current_dir(crate::paths::workspace().join("proxy"))
        .args(["dev", "--local", "--ip", "127.0.0.1", "--port"])
        .arg(port.to_string())
        .arg("--inspector-port")
        .arg(inspector.to_string())
        .arg("--persist-to")
        .arg(tools.wrangler_state())
        .args(["--show-interactive-dev-session=false", "--var", &origins])
        .arg("--assets")
        .arg(corpus);
    Service::spawn("the proxy (wrangler dev)", &mut cmd)
}

fn start_app(tools: &Tools, port: u16) -> Result<Service> {
    let mut cmd = tools.command("trunk");
    cmd.args([
        "serve",
        "--release",
        "--no-autoreload",
        "--disable-address-lookup",
        "--address",
        "127.0.0.1",
        "--port",
    ])
    .arg(port.to_string());
    Service::spawn("the app (trunk serve)", &mut cmd)
}

fn shut_down(services: Vec<Service>) {
    for service in services.into_iter().rev() {
        service.stop(STOP_GRACE);
    }
}

fn check_port(port: u16, what: &str, flag: &str) -> Result<()> {
    if process::port_is_free(port) {
        Ok(())
    } else {
        bail!(
            "port {port} (for {what}) is already in use on 127.0.0.1; stop what uses it or choose another with {flag} N"
        )
    }
}

fn wait_for_free_port(port: u16) -> bool {
    (0..50).any(|_| {
        let free = process::port_is_free(port);
        if !free {
            std::thread::sleep(Duration::from_millis(100));
        }
        free
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_port_is_named_with_the_flag_to_change_it() {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let err = check_port(port, "the web app", "--port")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            format!(
                "port {port} (for the web app) is already in use on 127.0.0.1; stop what uses it or choose another with --port N"
            )
        );
        drop(listener);
        assert!(check_port(port, "the web app", "--port").is_ok());
    }
}
