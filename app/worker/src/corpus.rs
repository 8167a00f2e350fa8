//! The offline corpus inside the worker: its bundle downloaded once (then served from Cache
//! Storage, so later visits search with no network at all), checked and indexed.

use gog_search::bundle::{LOADED_FILES, Manifest};
use gog_search::{Bundle, OfflineBackend};
use gog_types::SearchError;
use std::collections::HashMap;

use super::fetch::{self, ContentCache};
use gog_app::messages::Report;

/// The Cache Storage cache that holds corpus files.
const CACHE: &str = "gog-corpus-v1";

/// Loads the bundle under `base` (its `manifest.json` and the files it lists).
pub async fn load(base: &str, report: &dyn Fn(Report)) -> Result<OfflineBackend, String> {
    let base = base.trim_end_matches('/');
    let cache = ContentCache::open(CACHE).await;
    let manifest_bytes = fetch::network_first(&cache, &format!("{base}/manifest.json"))
        .await
        .map_err(|e| format!("the offline corpus is not available: {e}"))?
        .to_vec();
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| format!("{base}/manifest.json is not a corpus manifest: {e}"))?;
    let wanted: Vec<_> = LOADED_FILES
        .iter()
        .filter_map(|name| manifest.files.get(*name).map(|entry| (*name, entry)))
        .collect();
    let total = wanted.iter().map(|(_, entry)| entry.bytes).sum();
    let mut done = 0;
    let mut files = HashMap::new();
    let mut keys = Vec::new();
    for (name, entry) in wanted {
        let url = format!("{base}/{name}");
        let bytes =
            fetch::cached_or_streamed(&cache, &url, &entry.sha256, entry.bytes, &mut |got, _| {
                report(Report::Corpus {
                    done: done + got,
                    total,
                    ready: false,
                });
            })
            .await
            .map_err(|e| format!("the offline corpus is not available: {e}"))?;
        done += entry.bytes;
        files.insert(name.to_owned(), bytes.to_vec());
        keys.push(ContentCache::key(&url, &entry.sha256));
    }
    let bundle = Bundle::load(&manifest_bytes, |name| {
        files
            .remove(name)
            .ok_or_else(|| SearchError::Bundle(format!("{name} is not in the manifest")))
    });
    match bundle {
        Ok(bundle) => {
            report(Report::Corpus {
                done: total,
                total,
                ready: true,
            });
            Ok(OfflineBackend::new(bundle))
        }
        Err(error) => {
            // Whatever was damaged must be downloaded again next time.
            for key in keys {
                cache.delete(&key).await;
            }
            Err(format!("the offline corpus cannot be used: {error}"))
        }
    }
}
