//! `cargo xtask bench NAME`: the one way GoG measures speed.
//!
//! A benchmark is a `[[bench]]` target with `harness = false` in any workspace crate. xtask runs
//! it with `GOG_BENCH_SAMPLES` naming a file, to which the bench appends one JSON object per line:
//! `{"case": "gemv 4096x4096", "variant": "reference", "seconds": [0.0123, ...]}`. Every case
//! must have a reference variant, measured in the same run: the one called `reference`, or the
//! one marked `"reference": true`; xtask reports each variant's median and 95th percentile and
//! its ratio to the reference (reference median ÷ variant median: above 1 is faster). Nothing
//! compares against numbers from another run or another machine. A bench may also write quality
//! lines, `{"case": …, "metric": "recall@5", "value": 0.97, "count": 350, "target": {"at_least":
//! 0.95}}`, reported in a second table with whether each target is met. Benchmarks whose
//! reference is PyTorch find the reference venv's Python in `GOG_REFERENCE_PYTHON`; those over
//! the offline corpus find it in `GOG_CORPUS_DIR` (built first if missing). A bench may have a
//! browser half, run after it in headless Chromium (see [`crate::bench_browser`]).

use crate::{paths, process, tools::Tools};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// The benchmark to run; without it, the available ones are listed.
    name: Option<String>,
    /// Ask benchmarks whose browser half needs a real GPU (vlm: on a software adapter it takes
    /// hours) to run it too; lighter browser halves (search) always run.
    #[arg(long)]
    browser: bool,
}

/// One line written by a benchmark: timings, or a quality measure.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Line {
    Timing(Sample),
    Quality(Metric),
}

#[derive(Debug, Deserialize)]
struct Sample {
    case: String,
    variant: String,
    seconds: Vec<f64>,
    /// Marks the case's reference variant when it is not called `reference`.
    #[serde(default)]
    reference: bool,
}

/// A quality measure (recall, a percentile checked against a budget) and its target.
#[derive(Debug, Deserialize, Serialize, PartialEq)]
struct Metric {
    case: String,
    metric: String,
    value: f64,
    /// How many queries it is measured over.
    count: usize,
    #[serde(default)]
    target: Option<Target>,
}

#[derive(Debug, Deserialize, Serialize, PartialEq, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum Target {
    AtLeast(f64),
    AtMost(f64),
}

impl Target {
    fn met(self, value: f64) -> bool {
        match self {
            Target::AtLeast(bound) => value >= bound,
            Target::AtMost(bound) => value <= bound,
        }
    }

    fn describe(self) -> String {
        match self {
            Target::AtLeast(bound) => format!("≥ {bound}"),
            Target::AtMost(bound) => format!("≤ {bound}"),
        }
    }
}

/// One row of the report.
#[derive(Debug, Serialize, PartialEq)]
struct Row {
    case: String,
    variant: String,
    samples: usize,
    median_s: f64,
    p95_s: f64,
    /// Reference median ÷ this variant's median.
    speedup_vs_reference: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    name: String,
    rows: Vec<Row>,
    metrics: Vec<Metric>,
}

pub fn run(args: &BenchArgs) -> Result<()> {
    let benches = available()?;
    let Some(name) = &args.name else {
        if benches.is_empty() {
            println!(
                "no benchmarks yet: add a [[bench]] target with harness = false to a workspace crate"
            );
        }
        for (name, bench) in &benches {
            let browser = if bench.browser_half {
                ", with a browser half"
            } else {
                ""
            };
            println!("{name}\t(in {}{browser})", bench.package);
        }
        return Ok(());
    };
    let Some(bench) = benches.get(name) else {
        let known: Vec<_> = benches.keys().cloned().collect();
        bail!(
            "no benchmark called {name:?}; available: {}",
            if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            }
        );
    };
    let package = &bench.package;
    if args.browser && !bench.browser_half {
        bail!(
            "{name} has no browser half (a test target {})",
            crate::bench_browser::target(name)
        );
    }
    let tools = Tools::ensure(false)?;
    let corpus = crate::corpus::bundle_dir();
    if READS_CORPUS.contains(&name.as_str()) && !crate::corpus::scenes_dir().is_dir() {
        eprintln!("{name} reads the offline corpus, which is not built yet: building it first");
        crate::corpus::run(&crate::corpus::CorpusArgs {})?;
    }
    let out_dir = paths::artefacts("bench");
    std::fs::create_dir_all(&out_dir)?;
    let samples_path = out_dir.join(format!("{name}.samples.jsonl"));
    let _ = std::fs::remove_file(&samples_path);
    let ready = crate::bench_browser::ready_stamp(&out_dir, name);
    let _ = std::fs::remove_file(&ready);
    process::run(
        tools
            .command("cargo")
            .args(["bench", "--locked", "-p", package, "--bench", name])
            .env("GOG_BENCH_SAMPLES", &samples_path)
            // The native half prepares the browser half's files only when it will run.
            .env("GOG_BENCH_BROWSER", if args.browser { "1" } else { "0" })
            // Benchmarks whose reference is PyTorch run it in the reference venv.
            .env("GOG_REFERENCE_PYTHON", crate::reference::python()?)
            .env("GOG_CORPUS_DIR", &corpus),
    )?;
    if ready.exists() {
        crate::bench_browser::run(&tools, package, name, &out_dir)?;
    } else if args.browser {
        bail!("the native half of {name} prepared nothing for its browser half");
    }
    let (rows, metrics) = summarise(&samples_path)?;
    let report = Report {
        name: name.clone(),
        rows,
        metrics,
    };
    print!("{}", table(&report.rows));
    if !report.metrics.is_empty() {
        print!("\n{}", metrics_table(&report.metrics));
    }
    let json_path = out_dir.join(format!("{name}.json"));
    std::fs::write(&json_path, serde_json::to_string_pretty(&report)? + "\n")?;
    println!("wrote {}", json_path.display());
    Ok(())
}

/// Benchmarks over the offline corpus and its GoG-Offline scenes.
const READS_CORPUS: [&str; 2] = ["proxy", "search"];

/// A bench target.
struct Bench {
    package: String,
    /// Whether the package has the test target [`crate::bench_browser::target`].
    browser_half: bool,
}

/// Bench target name → where it is, from `cargo metadata`.
fn available() -> Result<BTreeMap<String, Bench>> {
    let metadata = process::output(
        std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .current_dir(paths::workspace())
            .args(["metadata", "--format-version=1", "--no-deps"]),
    )?;
    let metadata: serde_json::Value =
        serde_json::from_str(&metadata).context("cargo metadata is not JSON")?;
    let mut benches = BTreeMap::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let targets: Vec<(&str, Vec<&str>)> = package["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|target| {
                let kinds = target["kind"].as_array()?;
                let kinds = kinds.iter().filter_map(|k| k.as_str()).collect();
                Some((target["name"].as_str()?, kinds))
            })
            .collect();
        let Some(package_name) = package["name"].as_str() else {
            continue;
        };
        for (name, kinds) in &targets {
            if kinds.contains(&"bench") {
                let browser = crate::bench_browser::target(name);
                let browser_half = targets
                    .iter()
                    .any(|(other, kinds)| *other == browser && kinds.contains(&"test"));
                benches.insert(
                    (*name).to_owned(),
                    Bench {
                        package: package_name.to_owned(),
                        browser_half,
                    },
                );
            }
        }
    }
    Ok(benches)
}

fn summarise(path: &Path) -> Result<(Vec<Row>, Vec<Metric>)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("the benchmark wrote no samples to {}", path.display()))?;
    // Case → its rows (the ratio filled in once the reference is known), each marked whether
    // it is the reference.
    let mut timings: BTreeMap<String, Vec<(Row, bool)>> = BTreeMap::new();
    let mut metrics = Vec::new();
    for (number, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let where_ = || format!("{}:{}", path.display(), number + 1);
        let sample = match serde_json::from_str(line)
            .with_context(|| format!("{}: not a sample or metric line", where_()))?
        {
            Line::Timing(sample) => sample,
            Line::Quality(metric) => {
                metrics.push(metric);
                continue;
            }
        };
        let sorted = sorted_valid(&sample.seconds)
            .with_context(|| format!("{}: no valid timings", where_()))?;
        let reference = sample.reference || sample.variant == "reference";
        let row = Row {
            case: sample.case.clone(),
            variant: sample.variant,
            samples: sample.seconds.len(),
            median_s: median(&sorted),
            p95_s: percentile(&sorted, 0.95),
            speedup_vs_reference: f64::NAN,
        };
        timings
            .entry(sample.case)
            .or_default()
            .push((row, reference));
    }
    let mut rows = Vec::new();
    for (case, variants) in timings {
        let reference = variants
            .iter()
            .find(|(_, reference)| *reference)
            .map(|(row, _)| row.median_s)
            .with_context(|| {
                format!("case {case:?} has no reference variant measured in this run")
            })?;
        rows.extend(variants.into_iter().map(|(row, _)| Row {
            speedup_vs_reference: reference / row.median_s,
            ..row
        }));
    }
    Ok((rows, metrics))
}

/// The finite, positive timings, sorted; `None` if there are none.
fn sorted_valid(seconds: &[f64]) -> Option<Vec<f64>> {
    let mut sorted: Vec<f64> = seconds
        .iter()
        .copied()
        .filter(|s| s.is_finite() && *s > 0.0)
        .collect();
    sorted.sort_by(f64::total_cmp);
    (!sorted.is_empty()).then_some(sorted)
}

/// The `q`-quantile of non-empty sorted values (nearest rank).
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let rank = (sorted.len() as f64 * q).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The median of non-empty sorted values.
fn median(sorted: &[f64]) -> f64 {
    let mid = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    }
}

fn table(rows: &[Row]) -> String {
    let case_width = rows
        .iter()
        .map(|r| r.case.len())
        .chain([4])
        .max()
        .unwrap_or(4);
    let variant_width = rows
        .iter()
        .map(|r| r.variant.len())
        .chain([7])
        .max()
        .unwrap_or(7);
    let mut out = format!(
        "{:case_width$}  {:variant_width$}  {:>7}  {:>12}  {:>12}  {:>9}\n",
        "case", "variant", "samples", "median", "p95", "vs ref"
    );
    for row in rows {
        out += &format!(
            "{:case_width$}  {:variant_width$}  {:>7}  {:>10.3}ms  {:>10.3}ms  {:>8.2}×\n",
            row.case,
            row.variant,
            row.samples,
            row.median_s * 1e3,
            row.p95_s * 1e3,
            row.speedup_vs_reference
        );
    }
    out
}

fn metrics_table(metrics: &[Metric]) -> String {
    let case_width = metrics
        .iter()
        .map(|m| m.case.chars().count())
        .chain([4])
        .max()
        .unwrap_or(4);
    let mut out = format!(
        "{:case_width$}  {:>8}  {:>8}  {:>7}  target\n",
        "case", "metric", "value", "count"
    );
    for m in metrics {
        let target = m.target.map_or(String::new(), |t| {
            format!(
                "{} {}",
                t.describe(),
                if t.met(m.value) { "met" } else { "MISSED" }
            )
        });
        out += &format!(
            "{:case_width$}  {:>8}  {:>8.3}  {:>7}  {target}\n",
            m.case, m.metric, m.value, m.count
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summarise_lines(lines: &str) -> Result<Vec<Row>> {
        summarise_all(lines).map(|(rows, _)| rows)
    }

    fn summarise_all(lines: &str) -> Result<(Vec<Row>, Vec<Metric>)> {
        let dir = std::env::temp_dir().join(format!("gog-bench-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{}.jsonl", lines.len()));
        std::fs::write(&path, lines)?;
        let rows = summarise(&path);
        let _ = std::fs::remove_file(&path);
        rows
    }

    #[test]
    fn ratios_are_against_the_reference_of_the_same_case() {
        let rows = summarise_lines(concat!(
            r#"{"case":"gemv","variant":"reference","seconds":[0.4,0.2,0.3]}"#,
            "\n",
            r#"{"case":"gemv","variant":"q8","seconds":[0.1,0.05,0.15,0.1]}"#,
            "\n",
        ))
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].median_s, 0.3);
        assert_eq!(rows[1].median_s, 0.1);
        assert!((rows[1].speedup_vs_reference - 3.0).abs() < 1e-12);
        assert!(table(&rows).contains("3.00×"));
    }

    #[test]
    fn a_marked_variant_is_the_reference_and_p95_is_the_nearest_rank() {
        let seconds: Vec<f64> = (1..=100).map(|i| f64::from(i) / 1000.0).collect();
        let lines = format!(
            "{}\n{}\n",
            serde_json::json!({"case": "search", "variant": "native", "reference": true, "seconds": seconds}),
            serde_json::json!({"case": "search", "variant": "wasm", "seconds": [0.101, 0.101]}),
        );
        let rows = summarise_lines(&lines).unwrap();
        assert_eq!(rows[0].p95_s, 0.095);
        assert_eq!(rows[0].median_s, 0.0505);
        assert!((rows[1].speedup_vs_reference - 0.5).abs() < 1e-9);
    }

    #[test]
    fn metric_lines_are_reported_against_their_targets() {
        let (rows, metrics) = summarise_all(concat!(
            r#"{"case":"tight","metric":"recall@5","value":0.97,"count":350,"target":{"at_least":0.95}}"#,
            "\n",
            r#"{"case":"all","metric":"p95 ms","value":61.0,"count":900,"target":{"at_most":50.0}}"#,
            "\n",
            r#"{"case":"whole","metric":"recall@1","value":0.4,"count":350}"#,
            "\n",
        ))
        .unwrap();
        assert!(rows.is_empty());
        assert_eq!(metrics.len(), 3);
        let table = metrics_table(&metrics);
        assert!(table.contains("≥ 0.95 met"), "{table}");
        assert!(table.contains("≤ 50 MISSED"), "{table}");
    }

    #[test]
    fn a_case_without_a_reference_is_an_error() {
        let err = summarise_lines(r#"{"case":"gemv","variant":"q8","seconds":[0.1]}"#).unwrap_err();
        assert!(err.to_string().contains("no reference"), "{err}");
    }

    #[test]
    fn malformed_lines_and_empty_timings_are_errors() {
        assert!(summarise_lines("not json\n").is_err());
        assert!(summarise_lines(r#"{"case":"a","variant":"reference","seconds":[]}"#).is_err());
    }
}
