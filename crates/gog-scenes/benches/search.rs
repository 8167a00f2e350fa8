//! `cargo xtask bench search`: the offline search engine on the GoG-Offline test split.
//!
//! For every question about a pictured entity, three image searches: a tight crop of its gold
//! box (what a gaze searches), a loose crop with 10–25 % background margin on each side (a
//! sloppy gaze), and the whole scene (a glance). Recall@1 and recall@5 of the entity, split by
//! how many pictures the scene holds. For every fact on the way to a text or multi-hop answer,
//! one text search for "subject fact" (`Hawa Mahal country`, `India capital`): recall@5 of the
//! page stating it. Every query is timed natively here (the reference variant) and in wasm in
//! headless Chromium by the browser half (`tests/search_in_browser.rs`), which reads the same
//! queries from `target/bench/search.browser/`.
//!
//! The scenes are `corpus/gog-offline`, or the directory `GOG_SCENES_DIR` names (to compare
//! generator versions). A lone picture spanning at most 35 % of the scene's width or
//! height is reported apart: a glance rarely finds it, which is why a gaze question may be
//! about one.

#[cfg(not(target_family = "wasm"))]
fn main() {
    native::main();
}

// The browser half is a test target (`tests/search_in_browser.rs`); built for wasm, this is empty.
#[cfg(target_family = "wasm")]
fn main() {}

#[cfg(not(target_family = "wasm"))]
mod native {
    use std::collections::BTreeMap;
    use std::io::Write as _;
    use std::path::{Path, PathBuf};
    use std::time::Instant;

    use gog_scenes::Record;
    use gog_scenes::stats::percentile;
    use gog_search::{Bundle, OfflineBackend};
    use serde::Serialize;
    use sha2::{Digest, Sha256};

    /// Results each query asks for: recall@5 needs five.
    const K: usize = 5;

    /// A lone picture this small (its box's largest share of the scene's width or height) is
    /// reported apart from large ones.
    const SMALL_SPAN: f64 = 0.35;

    /// Loose crops add between these shares of the box's size on each side.
    const LOOSE_MARGIN: (f64, f64) = (0.10, 0.25);

    /// The targets: tight crops (gaze) over the whole test split, and native latency.
    const TIGHT_RECALL_AT_5: f64 = 0.95;
    const TIGHT_RECALL_AT_1: f64 = 0.85;
    const IMAGE_P95_MS: f64 = 50.0;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    enum Crop {
        Tight,
        Loose,
        Whole,
    }

    impl Crop {
        fn case(self) -> &'static str {
            match self {
                Crop::Tight => "image search, tight crop (gaze)",
                Crop::Loose => "image search, loose crop",
                Crop::Whole => "image search, whole scene (glance)",
            }
        }
    }

    const TEXT_CASE: &str = "text search, fact query";

    /// One query as the browser half reads it from `queries.json`; image bytes lie in
    /// `queries.bin` at `offset..offset + len`.
    #[derive(Debug, Serialize)]
    struct ServedQuery {
        case: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        offset: usize,
        len: usize,
    }

    /// A quality line for xtask's second table.
    #[derive(Debug, Serialize)]
    struct Metric<'a> {
        case: String,
        metric: &'a str,
        value: f64,
        count: usize,
        #[serde(skip_serializing_if = "Option::is_none")]
        target: Option<Target>,
    }

    #[derive(Debug, Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Target {
        AtLeast(f64),
        AtMost(f64),
    }

    /// Hits and queries of one recall cell.
    #[derive(Debug, Default, Clone, Copy)]
    struct Recall {
        at_1: usize,
        at_5: usize,
        queries: usize,
    }

    impl Recall {
        fn add(&mut self, rank: Option<usize>) {
            self.queries += 1;
            self.at_1 += usize::from(rank == Some(0));
            self.at_5 += usize::from(rank.is_some_and(|r| r < K));
        }

        fn rate(hits: usize, queries: usize) -> f64 {
            hits as f64 / queries.max(1) as f64
        }
    }

    fn workspace() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    pub fn main() {
        let corpus = std::env::var_os("GOG_CORPUS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace().join("corpus"));
        let samples_path = std::env::var_os("GOG_BENCH_SAMPLES")
            .map(PathBuf::from)
            .expect("GOG_BENCH_SAMPLES: run this through `cargo xtask bench search`");
        let scenes = std::env::var_os("GOG_SCENES_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| corpus.join("gog-offline"));
        let split_path = scenes.join("test.jsonl");
        let text = std::fs::read_to_string(&split_path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; build it with `cargo xtask corpus`",
                split_path.display()
            )
        });
        let records: Vec<Record> = text
            .lines()
            .map(|line| serde_json::from_str(line).expect("a GoG-Offline record"))
            .collect();
        let started = Instant::now();
        let bundle = Bundle::open_dir(&corpus).expect("the corpus bundle");
        eprintln!(
            "search: bundle loaded in {:.1} s ({} entities, {} documents)",
            started.elapsed().as_secs_f64(),
            bundle.entities.len(),
            bundle.documents.len()
        );
        let pages: BTreeMap<String, String> = bundle
            .entities
            .iter()
            .map(|e| (e.id.clone(), e.page.clone()))
            .collect();
        let backend = OfflineBackend::new(bundle);

        let mut recall: BTreeMap<(Crop, Shape), Recall> = BTreeMap::new();
        let mut seconds: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
        let mut served = Vec::new();
        let mut served_bytes = Vec::new();
        for record in &records {
            let Some(target) = record.target_picture() else {
                continue;
            };
            let scene_bytes = std::fs::read(scenes.join(&record.image)).expect("a scene's image");
            let scene = image::load_from_memory(&scene_bytes)
                .expect("a scene's JPEG")
                .into_rgb8();
            let gold = &pages[&target.entity];
            for crop in [Crop::Tight, Crop::Loose, Crop::Whole] {
                let query = match crop {
                    Crop::Tight => gog_types::image::encode_png(&cropped(&scene, target.bbox_2d)),
                    Crop::Loose => gog_types::image::encode_png(&cropped(
                        &scene,
                        loose(record, target.bbox_2d),
                    )),
                    Crop::Whole => scene_bytes.clone(),
                };
                let started = Instant::now();
                let results = backend.image_results(&query, K).expect("a valid query");
                seconds
                    .entry(crop.case())
                    .or_default()
                    .push(started.elapsed().as_secs_f64());
                let rank = results.iter().position(|r| &r.page == gold);
                recall
                    .entry((crop, Shape::of(record, target.bbox_2d)))
                    .or_default()
                    .add(rank);
                served.push(ServedQuery {
                    case: crop.case(),
                    text: None,
                    offset: served_bytes.len(),
                    len: query.len(),
                });
                served_bytes.extend_from_slice(&query);
            }
        }

        let mut text_recall = Recall::default();
        for record in &records {
            for evidence in &record.evidence {
                let query = format!("{} {}", evidence.subject, evidence.fact);
                let started = Instant::now();
                let results = backend.text_results(&query, K).expect("a valid query");
                seconds
                    .entry(TEXT_CASE)
                    .or_default()
                    .push(started.elapsed().as_secs_f64());
                text_recall.add(results.iter().position(|r| r.page == evidence.page));
                served.push(ServedQuery {
                    case: TEXT_CASE,
                    text: Some(query),
                    offset: 0,
                    len: 0,
                });
            }
        }

        let mut samples = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&samples_path)
            .expect("the samples file");
        let mut write = |line: serde_json::Value| {
            writeln!(samples, "{line}").expect("writing samples");
        };
        for (case, seconds) in &seconds {
            write(serde_json::json!({
                "case": case, "variant": "native", "reference": true, "seconds": seconds
            }));
        }
        let mut metric = |metric: Metric| write(serde_json::to_value(metric).expect("a metric"));
        for crop in [Crop::Tight, Crop::Loose, Crop::Whole] {
            let mut overall = Recall::default();
            for ((_, shape), cell) in recall.range((crop, Shape::FIRST)..=(crop, Shape::LAST)) {
                overall.at_1 += cell.at_1;
                overall.at_5 += cell.at_5;
                overall.queries += cell.queries;
                for (name, hits) in [("recall@1", cell.at_1), ("recall@5", cell.at_5)] {
                    metric(Metric {
                        case: format!("{}, {}", crop.case(), shape.label()),
                        metric: name,
                        value: Recall::rate(hits, cell.queries),
                        count: cell.queries,
                        target: None,
                    });
                }
            }
            for (name, hits, target) in [
                ("recall@1", overall.at_1, TIGHT_RECALL_AT_1),
                ("recall@5", overall.at_5, TIGHT_RECALL_AT_5),
            ] {
                metric(Metric {
                    case: format!("{}, all scenes", crop.case()),
                    metric: name,
                    value: Recall::rate(hits, overall.queries),
                    count: overall.queries,
                    target: (crop == Crop::Tight).then_some(Target::AtLeast(target)),
                });
            }
        }
        metric(Metric {
            case: TEXT_CASE.into(),
            metric: "recall@5",
            value: Recall::rate(text_recall.at_5, text_recall.queries),
            count: text_recall.queries,
            target: None,
        });
        let mut image_seconds: Vec<f64> = [Crop::Tight, Crop::Loose, Crop::Whole]
            .iter()
            .flat_map(|crop| seconds[crop.case()].iter().copied())
            .collect();
        image_seconds.sort_by(f64::total_cmp);
        metric(Metric {
            case: "image search, every query, native".into(),
            metric: "p95 ms",
            value: percentile(&image_seconds, 0.95).unwrap_or(f64::NAN) * 1e3,
            count: image_seconds.len(),
            target: Some(Target::AtMost(IMAGE_P95_MS)),
        });

        serve_to_browser(&samples_path, &corpus, &served, &served_bytes);
    }

    /// How many pictures a scene holds, a lone one told apart by size.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    struct Shape {
        pictures: usize,
        small: bool,
    }

    impl Shape {
        const FIRST: Shape = Shape {
            pictures: 0,
            small: false,
        };
        const LAST: Shape = Shape {
            pictures: usize::MAX,
            small: true,
        };

        fn of(record: &Record, [x1, y1, x2, y2]: [u32; 4]) -> Shape {
            let span = (f64::from(x2 - x1) / f64::from(record.width))
                .max(f64::from(y2 - y1) / f64::from(record.height));
            let pictures = record.entities.len();
            Shape {
                pictures,
                small: pictures == 1 && span <= SMALL_SPAN,
            }
        }

        fn label(self) -> String {
            match (self.pictures, self.small) {
                (1, true) => "1 small picture".into(),
                (1, false) => "1 picture".into(),
                (n, _) => format!("{n} pictures"),
            }
        }
    }

    /// `[x1, y1, x2, y2]` grown by a margin between [`LOOSE_MARGIN`] of its size on each side,
    /// drawn from the record's id so every run crops the same, clamped to the scene.
    fn loose(record: &Record, [x1, y1, x2, y2]: [u32; 4]) -> [u32; 4] {
        let hash = Sha256::digest(record.id.as_bytes());
        let margin = |i: usize, size: u32| {
            let share =
                LOOSE_MARGIN.0 + (LOOSE_MARGIN.1 - LOOSE_MARGIN.0) * f64::from(hash[i]) / 255.0;
            (f64::from(size) * share).round() as u32
        };
        let (w, h) = (x2 - x1, y2 - y1);
        [
            x1.saturating_sub(margin(0, w)),
            y1.saturating_sub(margin(1, h)),
            (x2 + margin(2, w)).min(record.width),
            (y2 + margin(3, h)).min(record.height),
        ]
    }

    fn cropped(scene: &image::RgbImage, [x1, y1, x2, y2]: [u32; 4]) -> image::RgbImage {
        image::imageops::crop_imm(scene, x1, y1, x2 - x1, y2 - y1).to_image()
    }

    /// Fills `target/bench/search.browser/` for the browser half: the bundle's files (hard links
    /// where the file system allows), the queries, and the stamp telling xtask to run it.
    fn serve_to_browser(samples: &Path, corpus: &Path, served: &[ServedQuery], bytes: &[u8]) {
        let out = samples.with_file_name("search.browser");
        if out.exists() {
            std::fs::remove_dir_all(&out).expect("clearing the browser half's directory");
        }
        let bundle_dir = out.join("bundle");
        std::fs::create_dir_all(&bundle_dir).expect("the browser half's directory");
        for name in gog_search::bundle::LOADED_FILES
            .iter()
            .chain(&["manifest.json"])
        {
            let (from, to) = (corpus.join(name), bundle_dir.join(name));
            if std::fs::hard_link(&from, &to).is_err() {
                std::fs::copy(&from, &to).expect("copying a bundle file");
            }
        }
        std::fs::write(
            out.join("queries.json"),
            serde_json::to_vec(served).expect("queries serialise"),
        )
        .expect("writing queries.json");
        std::fs::write(out.join("queries.bin"), bytes).expect("writing queries.bin");
        std::fs::write(out.join("READY"), b"").expect("writing the stamp");
    }
}
