//! `gog vlm …`: the model runtime from the command line, on the CPU.

use crate::model::{ModelArgs, SamplingArgs};
use anyhow::{Context, Result, bail};
use gog_vlm::chat_template::ChatMessage;
use gog_vlm::checkpoint::Checkpoint;
use gog_vlm::nn::linear::Quantization;
use gog_vlm::quant::QuantFormat;
use gog_vlm::qwen_vl::{QwenVl, QwenVlConfig};
use gog_vlm::{ComputeDevice, GenerateRequest, Generated, StopReason};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, clap::Subcommand)]
pub enum VlmCommand {
    /// Ask a model about an image and stream its reply to stdout.
    Generate(GenerateArgs),
    /// Compare a model's logits with a reference fixture; exit non-zero above the tolerance.
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// The image to ask about (PNG, JPEG or WebP).
    #[arg(long)]
    image: Option<PathBuf>,
    /// The question.
    #[arg(long)]
    prompt: String,
    #[command(flatten)]
    sampling: SamplingArgs,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// A Hugging Face model directory.
    #[arg(long)]
    model: PathBuf,
    /// A fixture.safetensors made by tests/reference/make_fixtures.py for this model.
    #[arg(long)]
    fixture: PathBuf,
    /// Largest acceptable absolute logit difference.
    #[arg(long, default_value_t = 1e-4)]
    tolerance: f32,
    /// Quantise the decoder's weights first (q8 or q4), to see what quantisation costs.
    #[arg(long)]
    quant: Option<QuantFormat>,
}

pub fn run(command: VlmCommand) -> Result<()> {
    match command {
        VlmCommand::Generate(args) => generate(&args),
        VlmCommand::Check(args) => check(&args),
    }
}

/// Images larger than this are refused before decoding, whatever their file size.
const MAX_IMAGE_PIXELS: u64 = 40_000_000;

fn read_image(path: &Path) -> Result<image::RgbImage> {
    let reader = image::ImageReader::open(path)
        .with_context(|| format!("cannot open {}", path.display()))?
        .with_guessed_format()
        .with_context(|| format!("cannot read {}", path.display()))?;
    let (width, height) = reader
        .into_dimensions()
        .with_context(|| format!("{} is not a PNG, JPEG or WebP image", path.display()))?;
    if u64::from(width) * u64::from(height) > MAX_IMAGE_PIXELS {
        bail!(
            "{} is {width}×{height} pixels; images over {} megapixels are refused",
            path.display(),
            MAX_IMAGE_PIXELS / 1_000_000
        );
    }
    let image = image::open(path)
        .with_context(|| format!("{} is not a PNG, JPEG or WebP image", path.display()))?;
    Ok(image.into_rgb8())
}

fn generate(args: &GenerateArgs) -> Result<()> {
    let images: Vec<image::RgbImage> = args
        .image
        .iter()
        .map(|p| read_image(p))
        .collect::<Result<_>>()?;
    let mut vlm = crate::model::load(&args.model)?;
    let params = args.sampling.params();
    let messages = [ChatMessage::user_with_images(images.len(), &args.prompt)];
    let started = Instant::now();
    let mut stdout = std::io::stdout().lock();
    let generation = pollster::block_on(vlm.generate(
        GenerateRequest {
            messages: &messages,
            images: &images,
            sampling: gog_vlm_policy::sampling(&params),
            max_new_tokens: params.max_new_tokens,
        },
        |event| {
            if let Generated::Text(piece) = event {
                // A closed pipe ends the output, not the generation.
                let _ = stdout.write_all(piece.as_bytes());
                let _ = stdout.flush();
            }
        },
    ))?;
    let _ = writeln!(stdout);
    let seconds = started.elapsed().as_secs_f64();
    let stop = match generation.stop {
        StopReason::StopToken(token) => format!("stop token {token}"),
        StopReason::MaxTokens => format!("{} new tokens", params.max_new_tokens),
        StopReason::ContextFull => "full context".into(),
    };
    eprintln!(
        "prompt {} tokens ({} image tokens); generated {} tokens in {seconds:.2} s ({:.1} tokens/s); stopped at {stop}",
        generation.prompt.len(),
        generation.image_tokens,
        generation.tokens.len(),
        generation.tokens.len() as f64 / seconds.max(1e-9),
    );
    Ok(())
}

fn check(args: &CheckArgs) -> Result<()> {
    let config_path = args.model.join("config.json");
    let config = std::fs::read_to_string(&config_path)
        .with_context(|| format!("cannot read {}", config_path.display()))?;
    let config = QwenVlConfig::from_json(&config)?;
    let device = ComputeDevice::cpu();
    let checkpoint = Checkpoint::open_dir(&args.model)?;
    let model = QwenVl::load(
        &config,
        checkpoint,
        device.device(),
        args.quant.map(Quantization::host),
    )?;
    let fixture = std::fs::read(&args.fixture)
        .with_context(|| format!("cannot read {}", args.fixture.display()))?;
    let reports = pollster::block_on(gog_vlm::reference::check_logits(&model, &device, &fixture))
        .with_context(|| format!("cannot check against {}", args.fixture.display()))?;
    let mut worst: f32 = 0.0;
    for report in &reports {
        println!(
            "{}: {} tokens, max |logit diff| {:.3e}, logit cosine {:.6}, top-1 agreement {:.1}%",
            report.case,
            report.prompt_tokens,
            report.max_abs_diff,
            report.cosine,
            100.0 * report.top1_agreement
        );
        worst = worst.max(report.max_abs_diff);
    }
    println!(
        "max |logit diff| {worst:.3e} (tolerance {:.1e})",
        args.tolerance
    );
    if worst.is_nan() || worst > args.tolerance {
        bail!(
            "the model differs from the reference by {worst:.3e}, above {:.1e}",
            args.tolerance
        );
    }
    Ok(())
}
