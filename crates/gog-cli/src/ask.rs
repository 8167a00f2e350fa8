//! `gog ask`: one question about one image, each step printed as it happens, the trace saved
//! after every step.

use anyhow::{Context, Result, bail};
use gog_agent::{Outcome, Question};
use std::path::PathBuf;

use crate::agent_args::RunArgs;
use crate::live::run_live;

#[derive(Debug, clap::Args)]
pub struct AskArgs {
    /// The image to ask about (PNG, JPEG or WebP).
    #[arg(long)]
    image: PathBuf,
    /// The question.
    #[arg(long)]
    question: String,
    #[command(flatten)]
    run: RunArgs,
    /// Save the trace here, rewritten after every step (`gog replay` reads it).
    #[arg(long)]
    trace_out: Option<PathBuf>,
}

/// The largest image file read; the agent refuses more than 40 megapixels anyway.
pub const MAX_IMAGE_BYTES: u64 = 64 << 20;

/// Reads an image file's bytes, refusing files too large to be a usable image.
pub fn read_image_bytes(path: &std::path::Path) -> Result<Vec<u8>> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if size > MAX_IMAGE_BYTES {
        bail!(
            "{} has {size} bytes; images over {} MiB are refused",
            path.display(),
            MAX_IMAGE_BYTES >> 20
        );
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

pub fn run(args: &AskArgs) -> Result<()> {
    let image = read_image_bytes(&args.image)?;
    let (backend, mut policy, agent) = args.run.prepare()?;
    let question = Question {
        text: &args.question,
        image: &image,
    };
    let trace = run_live(
        &agent,
        &mut policy,
        &backend,
        question,
        args.trace_out.as_deref(),
    )?;
    if let Some(Outcome::Failed { error }) = &trace.outcome {
        bail!("the run failed: {error}");
    }
    Ok(())
}
