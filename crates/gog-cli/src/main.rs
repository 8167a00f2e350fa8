//! `gog`: GoG from the command line.
//!
//! `gog vlm generate` asks a Qwen-VL model about an image and streams its reply; `gog vlm check`
//! compares a model with a reference fixture made by `tests/reference/make_fixtures.py`.

mod convert;
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
    /// Run and check vision-language models.
    #[command(subcommand)]
    Vlm(vlm::VlmCommand),
    /// Convert a Hugging Face model directory into a model package for the web.
    Convert(convert::ConvertArgs),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Vlm(command) => vlm::run(command),
        Command::Convert(args) => convert::run(&args),
    };
    if let Err(err) = result {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}
