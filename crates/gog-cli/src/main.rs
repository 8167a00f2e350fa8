//! `gog`: GoG from the command line.
//!
//! * `gog ask` runs the Glance-or-Gaze agent on one question about one image, printing each step
//!   as it happens and saving the trace; `gog replay` shows a trace, or runs it again against its
//!   recorded searches; `gog eval` runs the agent over a benchmark set and reports accuracy.
//! * `gog vlm generate` asks a Qwen-VL model about an image and streams its reply; `gog vlm
//!   check` compares a model with a reference fixture made by `tests/reference/make_fixtures.py`.
//! * `gog convert` makes a model package for the web.
//! * `gog train synthesize` and `gog train export` make GoG-Tiny's training data.

mod agent_args;
mod ask;
mod convert;
mod eval;
mod live;
mod llm_judge;
mod model;
mod replay;
mod search;
mod trace_file;
mod train;
mod vlm;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "gog", version, about = "GoG, the Glance-or-Gaze search agent")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Ask the agent one question about an image; each step is printed as it happens.
    Ask(ask::AskArgs),
    /// Show a trace, or run it again against the searches it recorded (--rerun).
    Replay(replay::ReplayArgs),
    /// Run the agent over a benchmark set and report accuracy, searches and latency.
    Eval(eval::EvalArgs),
    /// Run and check vision-language models.
    #[command(subcommand)]
    Vlm(vlm::VlmCommand),
    /// Convert a Hugging Face model directory into a model package for the web.
    Convert(convert::ConvertArgs),
    /// Make GoG-Tiny's training data: oracle trajectories, and their export for the trainer.
    #[command(subcommand)]
    Train(train::TrainCommand),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Ask(args) => ask::run(&args),
        Command::Replay(args) => replay::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Vlm(command) => vlm::run(command),
        Command::Convert(args) => convert::run(&args),
        Command::Train(command) => train::run(&command),
    };
    if let Err(err) = result {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}
