//! `gog convert`: a Hugging Face model directory to a model package for the web.

use anyhow::{Context, Result, bail};
use gog_vlm::ModelFiles;
use gog_vlm::package::{MAX_SHARD_BYTES, PackageWeights};
use gog_vlm::qwen_vl::QwenVlConfig;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct ConvertArgs {
    /// The Hugging Face model directory.
    #[arg(long)]
    model: PathBuf,
    /// How to store the decoder's linear layers: q4 or q8 blocks, or everything in f16.
    #[arg(long)]
    quant: PackageWeights,
    /// The package directory to write (created; must not exist or be empty).
    #[arg(long)]
    out: PathBuf,
    /// The largest shard, in MiB (WebGPU guarantees bindings of 128 MiB).
    #[arg(long, default_value_t = MAX_SHARD_BYTES / (1024 * 1024))]
    shard_mib: usize,
}

pub fn run(args: &ConvertArgs) -> Result<()> {
    let started = Instant::now();
    if args.shard_mib == 0 || args.shard_mib > MAX_SHARD_BYTES / (1024 * 1024) {
        bail!(
            "--shard-mib must be between 1 and {}",
            MAX_SHARD_BYTES / (1024 * 1024)
        );
    }
    if args.out.exists()
        && std::fs::read_dir(&args.out)
            .with_context(|| format!("cannot read {}", args.out.display()))?
            .next()
            .is_some()
    {
        bail!("{} exists and is not empty", args.out.display());
    }
    let files = ModelFiles::read_dir(&args.model)
        .with_context(|| format!("cannot read the model in {}", args.model.display()))?;
    let family = QwenVlConfig::from_json(&files.config)?.family;
    let package = gog_vlm::convert::convert(files, args.quant, args.shard_mib * 1024 * 1024)?;
    package.write_dir(&args.out)?;
    println!(
        "wrote {} ({family:?}, {:?}): {} shards, {} bytes in all, in {:.1} s",
        args.out.display(),
        args.quant,
        package.manifest.shards.len(),
        package.manifest.total_bytes(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
