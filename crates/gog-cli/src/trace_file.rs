//! A trace saved to a file after every step, so that a crash or Ctrl-C loses at most the step
//! under way. Each save writes a temporary file beside the target and renames it over the
//! target, so the file is always a whole trace, never half of one. Without a path nothing is
//! written.

use gog_agent::{Trace, TraceSink};
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub struct TraceFile {
    path: Option<PathBuf>,
    /// The first save that failed; the run goes on and the caller reports it at the end.
    error: Option<String>,
}

impl TraceFile {
    pub fn new(path: Option<&Path>) -> Self {
        TraceFile {
            path: path.map(Path::to_path_buf),
            error: None,
        }
    }

    /// Where the trace goes, if anywhere.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Why a save failed, if one did.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    fn write(&self, path: &Path, trace: &Trace) -> std::io::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut json = serde_json::to_vec_pretty(trace)?;
        json.push(b'\n');
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(".partial");
        std::fs::write(&temporary, json)?;
        std::fs::rename(&temporary, path)
    }
}

impl TraceSink for TraceFile {
    fn save(&mut self, trace: &Trace) {
        let Some(path) = &self.path else {
            return;
        };
        if let Err(err) = self.write(path, trace) {
            self.error
                .get_or_insert_with(|| format!("cannot write {}: {err}", path.display()));
        }
    }
}

/// Tells stderr where the trace went, or fails with why it could not be saved.
pub fn report(file: &TraceFile, id: &str) -> anyhow::Result<()> {
    match (file.path(), file.error()) {
        (_, Some(error)) => anyhow::bail!("{error}"),
        (Some(path), None) => eprintln!("trace {id} saved to {}", path.display()),
        (None, None) => eprintln!("trace {id} not saved (use --trace-out FILE)"),
    }
    Ok(())
}
