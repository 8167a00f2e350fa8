//! Getting a model package into the worker: its manifest, each file from the cache or the
//! network with progress, checked against the manifest's hashes as the model loads, onto WebGPU
//! or, when the browser has none, the CPU; then one warm-up pass.

use std::collections::{BTreeMap, HashMap};

use gog_vlm::checkpoint::ShardSource;
use gog_vlm::package::{Manifest, PackageError};
use gog_vlm::vlm::LoadError;
use gog_vlm::{ComputeDevice, LoadOptions, ModelFiles, Vlm};
use gog_vlm_policy::VlmPolicy;
use js_sys::Uint8Array;

use super::fetch::{self, ContentCache};
use gog_app::messages::{DeviceReport, Report};

/// The Cache Storage cache that holds model files.
const CACHE: &str = "gog-models-v1";

/// Loads the package under `base` and warms it up, telling `report` how it goes.
pub async fn load(
    base: &str,
    cpu_only: bool,
    report: &dyn Fn(Report),
) -> Result<VlmPolicy, String> {
    let base = base.trim_end_matches('/');
    let cache = ContentCache::open(CACHE).await;
    let manifest = fetch::network_first(&cache, &format!("{base}/manifest.json"))
        .await
        .map_err(|e| e.to_string())?;
    let manifest = String::from_utf8(manifest.to_vec())
        .map_err(|_| format!("{base}/manifest.json is not text"))?;
    let manifest = Manifest::from_json(&manifest)
        .map_err(|e| format!("{base}/manifest.json is not a GoG model package: {e}"))?;
    report(Report::Package {
        files: manifest.all_files().count(),
        bytes: manifest.total_bytes(),
        weights: manifest.weights.name().to_owned(),
        model_type: manifest.model_type.clone(),
    });

    let files = download(base, &manifest, &cache, report).await?;
    let key = |name: &str| {
        let file = manifest.all_files().find(|file| file.name == name);
        file.map(|file| ContentCache::key(&format!("{base}/{name}"), &file.sha256))
    };
    let mut sources: HashMap<String, Uint8Array> = files;
    let model_files = ModelFiles::from_package(
        &manifest,
        |file| {
            let bytes = sources
                .remove(&file.name)
                .ok_or_else(|| PackageError::MissingFile(file.name.clone()))?;
            Ok(Box::new(bytes) as Box<dyn ShardSource>)
        },
        |_| {},
    );
    let model_files = match model_files {
        Ok(files) => files,
        Err(error) => {
            // A damaged file must not be served from the cache again.
            if let LoadError::Package(
                PackageError::Hash { file, .. } | PackageError::Size { file, .. },
            ) = &error
                && let Some(key) = key(file)
            {
                cache.delete(&key).await;
            }
            return Err(format!("the model package cannot be used: {error}"));
        }
    };

    let (device, device_report) = device(cpu_only).await;
    report(Report::WarmingUp {
        device: device_report.clone(),
    });
    let started = now_ms();
    let mut vlm = Vlm::load(model_files, device, LoadOptions::default())
        .map_err(|e| format!("the model does not load: {e}"))?;
    vlm.warm_up()
        .await
        .map_err(|e| format!("the warm-up pass failed: {e}"))?;
    let weights: BTreeMap<String, String> = manifest
        .shards
        .iter()
        .map(|file| (file.name.clone(), file.sha256.clone()))
        .collect();
    let policy = VlmPolicy::new(vlm, package_name(base), weights);
    report(Report::Ready {
        model: gog_agent::Policy::info(&policy),
        device: device_report,
        warm_up_ms: now_ms() - started,
    });
    Ok(policy)
}

/// Every file of the package, from the cache or the network.
async fn download(
    base: &str,
    manifest: &Manifest,
    cache: &ContentCache,
    report: &dyn Fn(Report),
) -> Result<HashMap<String, Uint8Array>, String> {
    let total = manifest.total_bytes();
    let mut before = 0;
    let mut files = HashMap::new();
    for file in manifest.all_files() {
        let url = format!("{base}/{}", file.name);
        let bytes = fetch::cached_or_streamed(
            cache,
            &url,
            &file.sha256,
            file.bytes,
            &mut |done, cached| {
                report(Report::Download {
                    file: file.name.clone(),
                    done: before + done,
                    total,
                    cached,
                });
            },
        )
        .await
        .map_err(|e| e.to_string())?;
        before += file.bytes;
        files.insert(file.name.clone(), bytes);
    }
    Ok(files)
}

/// WebGPU unless asked for the CPU or the browser has no usable adapter, with the reason.
async fn device(cpu_only: bool) -> (ComputeDevice, DeviceReport) {
    let cpu = |reason: String| {
        (
            ComputeDevice::cpu(),
            DeviceReport {
                kind: "cpu".into(),
                adapter: None,
                fallback_reason: Some(reason),
            },
        )
    };
    if cpu_only {
        return cpu("the CPU was chosen in the settings".into());
    }
    match ComputeDevice::webgpu().await {
        Ok(device) => {
            let adapter = device.adapter().map(ToString::to_string);
            (
                device,
                DeviceReport {
                    kind: "webgpu".into(),
                    adapter,
                    fallback_reason: None,
                },
            )
        }
        Err(error) => cpu(format!("WebGPU is not available here ({error})")),
    }
}

/// A package's name for people: the last part of its URL.
fn package_name(base: &str) -> String {
    base.rsplit('/')
        .find(|part| !part.is_empty())
        .unwrap_or(base)
        .to_owned()
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}
