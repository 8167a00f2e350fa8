//! `gog ask`: one question about one image, each step printed as it happens, the trace saved
//! after every step.

use anyhow::{Context, Result, bail};
use gog_agent::{Outcome, Policy, Question, Trace};
use std::path::PathBuf;
use std::time::Instant;

use crate::agent_args::AgentArgs;
use crate::live::LivePrinter;
use crate::model::{ModelArgs, SamplingArgs};
use crate::search::SearchArgs;
use crate::trace_file::TraceFile;

#[derive(Debug, clap::Args)]
pub struct AskArgs {
    /// The image to ask about (PNG, JPEG or WebP).
    #[arg(long)]
    image: PathBuf,
    /// The question.
    #[arg(long)]
    question: String,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    search: SearchArgs,
    #[command(flatten)]
    agent: AgentArgs,
    #[command(flatten)]
    sampling: SamplingArgs,
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
    let backend = args.search.backend()?;
    let mut policy = crate::model::load_policy(&args.model)?;
    let agent = args
        .agent
        .agent(policy.info().family, args.sampling.params())?;
    let mut sink = TraceFile::new(args.trace_out.as_deref());
    let mut printer = LivePrinter::new();
    println!("question: {}", args.question);
    let started = Instant::now();
    let trace = pollster::block_on(agent.run(
        &mut policy,
        &backend,
        Question {
            text: &args.question,
            image: &image,
        },
        &mut sink,
        &mut |event| printer.show(event),
    ));
    summarise(&trace, started.elapsed().as_secs_f64());
    crate::trace_file::report(&sink, &trace.id)?;
    if let Some(Outcome::Failed { error }) = &trace.outcome {
        bail!("the run failed: {error}");
    }
    Ok(())
}

/// One line of counts for stderr.
pub fn summarise(trace: &Trace, seconds: f64) {
    let searches = trace.steps.iter().filter(|s| s.search.is_some()).count();
    let tokens: usize = trace.steps.iter().map(|s| s.tokens.len()).sum();
    let model_s: f64 = trace.steps.iter().map(|s| s.model_ms).sum::<f64>() / 1e3;
    eprintln!(
        "{} steps, {searches} searches, {tokens} tokens generated in {model_s:.2} s ({:.1} tokens/s); {seconds:.2} s in all",
        trace.steps.len(),
        tokens as f64 / model_s.max(1e-9),
    );
}
