//! `cargo xtask bench NAME`: the one way GoG measures speed.
//!
//! A benchmark is a `[[bench]]` target with `harness = false` in any workspace crate. xtask runs
//! it with `GOG_BENCH_SAMPLES` naming a file, to which the bench appends one JSON object per line:
//! `{"case": "gemv 4096x4096", "variant": "reference", "seconds": [0.0123, ...]}`. Every case
//! must have a `reference` variant, measured in the same run; xtask reports each variant's
//! median and its ratio to the reference (reference time ÷ variant time: above 1 is faster).
//! Nothing compares against numbers from another run or another machine. Benchmarks whose
//! reference is PyTorch find the reference venv's Python in `GOG_REFERENCE_PYTHON`. A bench may
//! have a browser half, run after it in headless Chromium with `--browser` (see
//! [`crate::bench_browser`]).

use crate::{paths, process, tools::Tools};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// The benchmark to run; without it, the available ones are listed.
    name: Option<String>,
    /// Also run the benchmark's browser half in headless Chromium (meant for machines whose
    /// Chromium has a real GPU: on a software adapter it takes hours).
    #[arg(long)]
    browser: bool,
}

/// One line written by a benchmark.
#[derive(Debug, Deserialize)]
struct Sample {
    case: String,
    variant: String,
    seconds: Vec<f64>,
}

/// One row of the report.
#[derive(Debug, Serialize, PartialEq)]
struct Row {
    case: String,
    variant: String,
    samples: usize,
    median_s: f64,
    /// Reference median ÷ this variant's median.
    speedup_vs_reference: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    name: String,
    rows: Vec<Row>,
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
    let out_dir = paths::artefacts("bench");
    std::fs::create_dir_all(&out_dir)?;
    let samples_path = out_dir.join(format!("{name}.samples.jsonl"));
    let _ = std::fs::remove_file(&samples_path);
    process::run(
        tools
            .command("cargo")
            .args(["bench", "--locked", "-p", package, "--bench", name])
            .env("GOG_BENCH_SAMPLES", &samples_path)
            // The native half prepares the browser half's files only when it will run.
            .env("GOG_BENCH_BROWSER", if args.browser { "1" } else { "0" })
            // Benchmarks whose reference is PyTorch run it in the reference venv.
            .env("GOG_REFERENCE_PYTHON", crate::reference::python()?),
    )?;
    if args.browser {
        crate::bench_browser::run(&tools, package, name, &out_dir)?;
    }
    let report = Report {
        name: name.clone(),
        rows: summarise(&samples_path)?,
    };
    print!("{}", table(&report.rows));
    let json_path = out_dir.join(format!("{name}.json"));
    std::fs::write(&json_path, serde_json::to_string_pretty(&report)? + "\n")?;
    println!("wrote {}", json_path.display());
    Ok(())
}

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

fn summarise(path: &Path) -> Result<Vec<Row>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("the benchmark wrote no samples to {}", path.display()))?;
    let mut medians: BTreeMap<String, Vec<(String, usize, f64)>> = BTreeMap::new();
    for (number, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let sample: Sample = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not a sample line", path.display(), number + 1))?;
        let median = median(&sample.seconds)
            .with_context(|| format!("{}:{}: no valid timings", path.display(), number + 1))?;
        medians.entry(sample.case).or_default().push((
            sample.variant,
            sample.seconds.len(),
            median,
        ));
    }
    let mut rows = Vec::new();
    for (case, variants) in medians {
        let reference = variants
            .iter()
            .find(|(variant, _, _)| variant == "reference")
            .map(|(_, _, median)| *median)
            .with_context(|| {
                format!("case {case:?} has no reference variant measured in this run")
            })?;
        for (variant, samples, median_s) in variants {
            rows.push(Row {
                case: case.clone(),
                variant,
                samples,
                median_s,
                speedup_vs_reference: reference / median_s,
            });
        }
    }
    Ok(rows)
}

fn median(seconds: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = seconds
        .iter()
        .copied()
        .filter(|s| s.is_finite() && *s > 0.0)
        .collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    })
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
        "{:case_width$}  {:variant_width$}  {:>7}  {:>12}  {:>9}\n",
        "case", "variant", "samples", "median", "vs ref"
    );
    for row in rows {
        out += &format!(
            "{:case_width$}  {:variant_width$}  {:>7}  {:>10.3}ms  {:>8.2}×\n",
            row.case,
            row.variant,
            row.samples,
            row.median_s * 1e3,
            row.speedup_vs_reference
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summarise_lines(lines: &str) -> Result<Vec<Row>> {
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
