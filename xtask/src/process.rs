//! Running commands: one-shot steps, captured output, and long-running services that are stopped
//! together with everything they started.

use anyhow::{Context, Result, bail};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// A command line as it is shown to the person running xtask.
pub fn describe(cmd: &Command) -> String {
    let mut line = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// Runs `cmd` to completion with the terminal attached; fails if it exits non-zero.
pub fn run(cmd: &mut Command) -> Result<()> {
    let line = describe(cmd);
    println!("  $ {line}");
    let status = cmd
        .status()
        .with_context(|| format!("could not start `{line}`"))?;
    check(status, &line)
}

/// Runs `cmd`, echoing its output as it comes, and returns stdout and stderr as one text.
pub fn run_teed(cmd: &mut Command) -> Result<(ExitStatus, String)> {
    let line = describe(cmd);
    println!("  $ {line}");
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start `{line}`"))?;
    let (sender, lines) = mpsc::channel::<String>();
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|stream| {
        let sender = sender.clone();
        thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                println!("{line}");
                let _ = sender.send(line);
            }
        })
    })
    .collect();
    drop(sender);
    let status = child.wait()?;
    for reader in readers {
        let _ = reader.join();
    }
    Ok((status, lines.into_iter().collect::<Vec<_>>().join("\n")))
}

/// Runs `cmd` quietly and returns its stdout; fails with its stderr if it exits non-zero.
pub fn output(cmd: &mut Command) -> Result<String> {
    let line = describe(cmd);
    let out = cmd
        .output()
        .with_context(|| format!("could not start `{line}`"))?;
    if !out.status.success() {
        bail!(
            "`{line}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn check(status: ExitStatus, line: &str) -> Result<()> {
    if status.success() {
        Ok(())
    } else {
        bail!("`{line}` failed ({status})")
    }
}

/// Whether nothing listens on 127.0.0.1:`port`.
pub fn port_is_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// A port nothing listens on right now.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

/// A long-running child in its own process group, so that stopping it also stops whatever it
/// started (wrangler's workerd, trunk's cargo) and nothing is left behind.
#[derive(Debug)]
pub struct Service {
    pub name: &'static str,
    child: Child,
}

impl Service {
    pub fn spawn(name: &'static str, cmd: &mut Command) -> Result<Self> {
        let line = describe(cmd);
        println!("  $ {line}");
        let child = cmd
            .process_group(0)
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("could not start {name}: `{line}`"))?;
        Ok(Service { name, child })
    }

    /// `Some(status)` once the service's main process has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    fn group(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }

    fn group_alive(&self) -> bool {
        killpg(self.group(), None).is_ok()
    }

    /// Asks the whole group to stop, waits up to `grace`, then kills what is left.
    pub fn stop(mut self, grace: Duration) {
        let _ = killpg(self.group(), Signal::SIGTERM);
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            let _ = self.child.try_wait();
            if !self.group_alive() {
                break;
            }
            thread::sleep(Duration::from_millis(100));
        }
        if self.group_alive() {
            eprintln!("  {} did not stop within {grace:?}; killing it", self.name);
            let _ = killpg(self.group(), Signal::SIGKILL);
        }
        let _ = self.child.wait();
        // Members that outlive the leader still carry its group id.
        while self.group_alive() {
            let _ = killpg(self.group(), Signal::SIGKILL);
            thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Polls `url` until it answers with a success status, the service dies, or `timeout` passes.
pub fn wait_until_ready(service: &mut Service, url: &str, timeout: Duration) -> Result<()> {
    let agent = ureq::Agent::new_with_config(
        ureq::config::Config::builder()
            .timeout_global(Some(Duration::from_secs(2)))
            .build(),
    );
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = service.exited() {
            bail!(
                "{} exited ({status}) before it answered at {url}",
                service.name
            );
        }
        if let Ok(response) = agent.get(url).call()
            && response.status().is_success()
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "{} did not answer at {url} within {timeout:?}",
                service.name
            );
        }
        thread::sleep(Duration::from_millis(250));
    }
}
