//! `gog replay TRACE`: show a trace with no model and no network; with `--model`, run the same
//! question again with that model against the searches the trace recorded, and say whether the
//! model wrote the same tokens.

use anyhow::{Context, Result, bail};
use gog_agent::replay::{
    RecordedBackend, compare, input_image, prompts_match, render, rerun_agent,
};
use gog_agent::{Policy, Question};
use std::path::PathBuf;

use crate::live::run_live;
use crate::model::ModelArgs;
use crate::search::read_trace;

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// A trace written by `gog ask`, `gog eval` or the web app.
    trace: PathBuf,
    /// Run the question again with the model (--model or GOG_MODEL) against the recorded
    /// searches, and compare; otherwise the trace is only shown.
    #[arg(long)]
    rerun: bool,
    #[command(flatten)]
    model: ModelArgs,
    /// The question's image, for a trace that kept only its hash.
    #[arg(long)]
    image: Option<PathBuf>,
    /// Prompt files the trace was made with, if not the built-in ones.
    #[arg(long)]
    prompts: Option<PathBuf>,
    /// Save the re-run's trace here.
    #[arg(long)]
    trace_out: Option<PathBuf>,
}

pub fn run(args: &ReplayArgs) -> Result<()> {
    let original = read_trace(&args.trace)?;
    if !args.rerun {
        print!("{}", render(&original));
        return Ok(());
    }
    let image = match &args.image {
        Some(path) => crate::ask::read_image_bytes(path)?,
        None => input_image(&original)
            .context("the trace's image is not valid base64: pass --image FILE")?
            .context("the trace kept only the image's hash: pass --image FILE")?,
    };
    if gog_types::sha256_hex(&image) != original.image.sha256 {
        bail!("this image is not the one the trace was made with (its SHA-256 differs)");
    }
    // The image token budget changes what the model sees: keep the trace's unless told.
    let mut model = args.model.clone();
    model.max_image_tokens = model.max_image_tokens.or(original.model.max_image_tokens);
    let mut policy = crate::model::load_policy(&model)?;
    if policy.info().weights != original.model.weights {
        eprintln!("warning: these weights are not the ones the trace was made with");
    }
    let family = policy.info().family;
    let prompts = crate::agent_args::prompts(args.prompts.as_deref(), family)?;
    if !prompts_match(&original, &prompts) {
        eprintln!("warning: these prompts are not the ones the trace was made with (--prompts)");
    }
    let agent = rerun_agent(&original, prompts);
    let backend = RecordedBackend::from_trace(&original);
    let question = Question {
        text: &original.question,
        image: &image,
    };
    let rerun = run_live(
        &agent,
        &mut policy,
        &backend,
        question,
        args.trace_out.as_deref(),
    )?;
    let report = compare(&original, &rerun);
    if report.identical() {
        println!(
            "replay identical: all {} steps wrote the same tokens and the run ended the same way",
            report.original_steps
        );
        return Ok(());
    }
    bail!(
        "replay diverged: {} of {} steps matched (the re-run took {}); same ending: {}",
        report.matching_steps,
        report.original_steps,
        report.rerun_steps,
        if report.same_outcome { "yes" } else { "no" }
    )
}
