//! Model packages end to end: the tiny models are converted (`gog convert`'s code path) with
//! shards small enough to force splitting, loaded back through the manifest with every file's
//! hash checked and progress reported, and generate — on the CPU kernel natively, and on WebGPU
//! in headless Chromium, where the same package is compared with the browser's CPU. Tampered
//! and truncated files are refused by name.

mod fixture;

use fixture::{TinyModel, tiny_models};
use gog_vlm::chat_template::ChatMessage;
use gog_vlm::convert::Package;
#[cfg(not(target_family = "wasm"))]
use gog_vlm::package::PackageError;
use gog_vlm::package::PackageWeights;
use gog_vlm::sampling::Sampling;
use gog_vlm::vlm::LoadError;
use gog_vlm::{
    ComputeDevice, GenerateRequest, Generated, LoadOptions, ModelFiles, StopReason, Vlm,
};

/// Small shards, so that the tiny models need several and their embedding table is split.
const SHARD_BYTES: usize = 48 * 1024;

fn convert(model: &TinyModel, weights: PackageWeights) -> Package {
    gog_vlm::convert::convert(model.files(), weights, SHARD_BYTES).expect("converts")
}

fn open(package: &Package) -> Result<(ModelFiles, u64), LoadError> {
    let mut last = 0;
    let files = ModelFiles::from_package(
        &package.manifest,
        |file| package.read(file),
        |progress| {
            assert!(progress.done > last && progress.done <= progress.total);
            last = progress.done;
        },
    )?;
    Ok((files, last))
}

async fn reply(vlm: &mut Vlm, model: &TinyModel) -> (Vec<u32>, String) {
    let image = model.fixture.image("one_image.image0");
    let messages = [ChatMessage::user_with_images(
        1,
        "When was the tower on the left finished?",
    )];
    let mut streamed = String::new();
    let generation = vlm
        .generate(
            GenerateRequest {
                messages: &messages,
                images: std::slice::from_ref(&image),
                sampling: Sampling::Greedy,
                max_new_tokens: 6,
            },
            |event| {
                if let Generated::Text(piece) = event {
                    streamed.push_str(piece);
                }
            },
        )
        .await
        .expect("generates");
    assert_eq!(generation.stop, StopReason::MaxTokens);
    assert_eq!(streamed, generation.text);
    (generation.tokens, generation.text)
}

#[cfg(not(target_family = "wasm"))]
#[test]
fn packages_round_trip_and_run_on_the_cpu_kernel() {
    pollster::block_on(async {
        for model in tiny_models() {
            let package = convert(&model, PackageWeights::Q8);
            assert!(package.manifest.shards.len() > 2, "{}", model.family);
            assert!(
                package
                    .files
                    .iter()
                    .all(|(_, bytes)| bytes.len() <= SHARD_BYTES + 4096)
            );
            assert!(
                package
                    .files
                    .iter()
                    .any(|(name, _)| name.starts_with("model-"))
            );
            let (files, verified) = open(&package).expect("the package opens");
            assert_eq!(verified, package.manifest.total_bytes());
            let mut from_package =
                Vlm::load(files, ComputeDevice::cpu(), LoadOptions::default()).expect("loads");
            // The same weights quantised at load from the Hugging Face directory.
            let files = model.files();
            let options = LoadOptions {
                quant: Some(gog_vlm::quant::QuantFormat::Q8),
            };
            let mut from_dir = Vlm::load(files, ComputeDevice::cpu(), options).expect("loads");
            assert_eq!(
                reply(&mut from_package, &model).await,
                reply(&mut from_dir, &model).await,
                "{}",
                model.family
            );
        }
    });
}

/// What happened to a shard's source while a model loaded.
#[cfg(not(target_family = "wasm"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SourceEvent {
    Read(usize),
    Released(usize),
}

/// A shard source that logs its reads and its release (a recording wrapper around the
/// package's own bytes).
#[cfg(not(target_family = "wasm"))]
struct RecordingSource {
    shard: usize,
    bytes: Vec<u8>,
    log: std::rc::Rc<std::cell::RefCell<Vec<SourceEvent>>>,
}

#[cfg(not(target_family = "wasm"))]
impl gog_vlm::checkpoint::ShardSource for RecordingSource {
    fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn read(&mut self, offset: u64, len: usize) -> Result<Vec<u8>, String> {
        self.log.borrow_mut().push(SourceEvent::Read(self.shard));
        self.bytes.read(offset, len)
    }
}

#[cfg(not(target_family = "wasm"))]
impl Drop for RecordingSource {
    fn drop(&mut self) {
        self.log
            .borrow_mut()
            .push(SourceEvent::Released(self.shard));
    }
}

/// Loading reads the shards in order, one at a time, and releases each after its last tensor:
/// what loading copies out of the sources is one tensor at a time, never the package.
#[cfg(not(target_family = "wasm"))]
#[test]
fn loading_streams_shard_by_shard() {
    use gog_vlm::checkpoint::ShardSource;
    for model in tiny_models() {
        let package = convert(&model, PackageWeights::Q4);
        let log = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let shards = &package.manifest.shards;
        let files = ModelFiles::from_package(
            &package.manifest,
            |file| {
                let bytes = package.files.iter().find(|(name, _)| *name == file.name);
                let bytes = bytes.expect("every file is in the package").1.clone();
                Ok(match shards.iter().position(|shard| shard == file) {
                    Some(shard) => Box::new(RecordingSource {
                        shard,
                        bytes,
                        log: log.clone(),
                    }) as Box<dyn ShardSource>,
                    None => Box::new(bytes),
                })
            },
            |_| {},
        )
        .expect("the package opens");
        // Verification and headers are behind us; what follows is the model reading weights.
        log.borrow_mut().clear();
        Vlm::load(files, ComputeDevice::cpu(), LoadOptions::default()).expect("loads");
        let log = log.borrow();
        let mut released = vec![false; shards.len()];
        let mut started = vec![false; shards.len()];
        let mut most_open = 0;
        for &event in log.iter() {
            match event {
                SourceEvent::Read(shard) => {
                    assert!(
                        !released[shard],
                        "{}: shard {shard} read after its release",
                        model.family
                    );
                    started[shard] = true;
                    let open = (0..shards.len())
                        .filter(|&k| started[k] && !released[k])
                        .count();
                    most_open = most_open.max(open);
                }
                SourceEvent::Released(shard) => released[shard] = true,
            }
        }
        // The converter writes tensors in the loader's order (`loading_rank`): a shard is done
        // before the next is opened.
        assert_eq!(
            most_open, 1,
            "{}: {most_open} shards open at once; does the converter's order still match the loader's?",
            model.family
        );
        assert!(
            released.iter().all(|&done| done),
            "{}: {released:?}",
            model.family
        );
        println!(
            "{}: {} shards read one at a time, in order",
            model.family,
            shards.len()
        );
    }
}

#[cfg(not(target_family = "wasm"))]
#[test]
fn damaged_packages_are_refused_by_name() {
    let model = &tiny_models()[0];
    let package = convert(model, PackageWeights::Q4);
    let mut tampered = package.clone();
    let shard = tampered
        .files
        .iter_mut()
        .find(|(name, _)| name.starts_with("model-"))
        .expect("a shard");
    shard.1[100] ^= 0x40;
    let name = shard.0.clone();
    let err = open(&tampered).expect_err("a tampered shard is refused");
    assert!(
        matches!(&err, LoadError::Package(PackageError::Hash { file, .. }) if *file == name),
        "{err}"
    );
    let mut truncated = package.clone();
    truncated.files[0].1.pop();
    let err = open(&truncated).expect_err("a truncated file is refused");
    assert!(
        matches!(err, LoadError::Package(PackageError::Size { .. })),
        "{err}"
    );
    let mut missing = package;
    missing.files.retain(|(name, _)| name != "tokenizer.json");
    let err = open(&missing).expect_err("a missing file is refused");
    assert!(err.to_string().contains("tokenizer.json"), "{err}");
}

#[cfg(target_family = "wasm")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[cfg(target_family = "wasm")]
#[wasm_bindgen_test::wasm_bindgen_test]
async fn a_converted_package_streams_tokens_on_webgpu() {
    let gpu = ComputeDevice::webgpu().await.expect("a WebGPU adapter");
    for model in tiny_models() {
        let package = convert(&model, PackageWeights::Q8);
        let (files, _) = open(&package).expect("the package opens");
        let mut on_gpu = Vlm::load(files, gpu.clone(), LoadOptions::default()).expect("loads");
        let (files, _) = open(&package).expect("the package opens");
        // The browser's CPU fallback runs the same blocks on the quantised kernel (simd128).
        let cpu = ComputeDevice::cpu();
        let mut on_cpu = Vlm::load(files, cpu, LoadOptions::default()).expect("loads");
        let gpu_reply = reply(&mut on_gpu, &model).await;
        wasm_bindgen_test::console_log!("{} package on WebGPU: {:?}", model.family, gpu_reply);
        assert_eq!(
            gpu_reply,
            reply(&mut on_cpu, &model).await,
            "{}",
            model.family
        );
    }
}
