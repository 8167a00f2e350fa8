//! Writing splits to a directory: scenes are made on every core, each worker taking the next
//! scene number, and records are put back in order, so the files are the same as one worker
//! would write.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

use crate::generate::{Generator, SplitCounts};
use crate::record::{Category, Record};
use crate::{SceneError, Split};

/// What [`Generator::write`] made: `gog-offline.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub generator_version: u32,
    pub seed: u64,
    pub corpus_version: String,
    /// Split → category → scenes.
    pub scenes: BTreeMap<Split, BTreeMap<Category, usize>>,
}

impl Generator<'_> {
    /// Writes every split into `out` (replacing it): `images/`, `{split}.jsonl`, and
    /// `gog-offline.json` describing the run; scenes are made by `workers` threads.
    pub fn write(
        &self,
        out: &Path,
        counts: SplitCounts,
        workers: usize,
    ) -> Result<Summary, SceneError> {
        if out.exists() {
            std::fs::remove_dir_all(out).map_err(io(out))?;
        }
        let images = out.join("images");
        std::fs::create_dir_all(&images).map_err(io(&images))?;
        let mut summary = Summary {
            generator_version: self.version.number(),
            seed: self.seed,
            corpus_version: self.bundle.manifest.corpus_version.clone(),
            scenes: BTreeMap::new(),
        };
        for split in Split::ALL {
            let mut lines = Vec::new();
            for record in self.write_split(out, split, counts.of(split), workers)? {
                *summary
                    .scenes
                    .entry(split)
                    .or_default()
                    .entry(record.category)
                    .or_default() += 1;
                serde_json::to_writer(&mut lines, &record).expect("a record serialises");
                lines.write_all(b"\n").expect("writing to a Vec");
            }
            let path = out.join(format!("{split}.jsonl"));
            std::fs::write(&path, lines).map_err(io(&path))?;
        }
        let path = out.join("gog-offline.json");
        let meta = serde_json::to_vec_pretty(&summary).expect("a summary serialises");
        std::fs::write(&path, meta).map_err(io(&path))?;
        Ok(summary)
    }

    /// Makes scenes `0..count` of `split`, writing their images under `out`; their records in
    /// order, or the error of the first scene that failed, as a single worker would report.
    fn write_split(
        &self,
        out: &Path,
        split: Split,
        count: usize,
        workers: usize,
    ) -> Result<Vec<Record>, SceneError> {
        let next = AtomicUsize::new(0);
        // Scenes after a failed one are skipped; scenes before it are still made, in case one
        // of them fails too and is the one to report.
        let first_failure = AtomicUsize::new(usize::MAX);
        let work = || {
            let mut made = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= count || index > first_failure.load(Ordering::Relaxed) {
                    return made;
                }
                let result = self.scene(split, index).and_then(|scene| {
                    let path = out.join(&scene.record.image);
                    std::fs::write(&path, &scene.jpeg).map_err(io(&path))?;
                    Ok(scene.record)
                });
                if result.is_err() {
                    first_failure.fetch_min(index, Ordering::Relaxed);
                }
                made.push((index, result));
            }
        };
        let mut made: Vec<(usize, Result<Record, SceneError>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers.max(1)).map(|_| scope.spawn(work)).collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("a scene worker panicked"))
                .collect()
        });
        made.sort_by_key(|(index, _)| *index);
        made.into_iter().map(|(_, result)| result).collect()
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SceneError {
    let path = path.display().to_string();
    move |source| SceneError::Io { path, source }
}
