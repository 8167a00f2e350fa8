//! Getting a model package into the worker: its manifest, each file from the cache or the
//! network with progress, checked against the manifest's hashes as the model loads, onto the
//! device the person chose or, left to the runtime, the faster one for this model here
//! (`gog_vlm::device_choice`); then one warm-up pass.

use std::collections::{BTreeMap, HashMap};

use gog_vlm::checkpoint::ShardSource;
use gog_vlm::device_choice::{auto_cpu_for_adapter, auto_cpu_for_size, weights_per_token};
use gog_vlm::package::{Manifest, PackageError};
use gog_vlm::qwen_vl::config::QwenVlConfig;
use gog_vlm::vlm::LoadError;
use gog_vlm::{ComputeDevice, LoadOptions, ModelFiles, Vlm};
use gog_vlm_policy::VlmPolicy;
use js_sys::Uint8Array;

use super::fetch::{self, ContentCache};
use gog_app::messages::{DevicePreference, DeviceReport, Report};

/// The Cache Storage cache that holds model files.
const CACHE: &str = "gog-models-v1";

/// Loads the package under `base` and warms it up, telling `report` how it goes.
pub async fn load(
    base: &str,
    preference: DevicePreference,
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

    let config = QwenVlConfig::from_json(&model_files.config)
        .map_err(|e| format!("the model does not load: {e}"))?;
    let (device, device_report) = device(preference, weights_per_token(&config.text)).await;
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

/// The device the preference and the model's size call for, with the reason.
async fn device(preference: DevicePreference, weights: u64) -> (ComputeDevice, DeviceReport) {
    let cpu = |reason: String| {
        (
            ComputeDevice::cpu(),
            DeviceReport {
                kind: "cpu".into(),
                adapter: None,
                reason,
            },
        )
    };
    match preference {
        DevicePreference::Cpu => return cpu("the CPU was chosen in the settings".into()),
        DevicePreference::Auto => {
            if let Some(reason) = auto_cpu_for_size(weights) {
                return cpu(reason);
            }
        }
        DevicePreference::WebGpu => {}
    }
    match ComputeDevice::webgpu().await {
        Ok(device) => {
            let info = device.adapter().cloned();
            if preference == DevicePreference::Auto
                && let Some(reason) = info.as_ref().and_then(auto_cpu_for_adapter)
            {
                return cpu(reason);
            }
            let reason = match preference {
                DevicePreference::WebGpu => "WebGPU was chosen in the settings",
                _ => "chosen automatically: a model this size runs faster on the GPU",
            };
            (
                device,
                DeviceReport {
                    kind: "webgpu".into(),
                    adapter: info.map(|adapter| adapter.to_string()),
                    reason: reason.into(),
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
