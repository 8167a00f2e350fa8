//! `gog eval`: the agent over a benchmark set of JSON lines (GoG-Offline's, or any FVQA-like
//! set with `image`, `question`, `answer`, `aliases` and `category`), judged by normalised exact
//! match and token F1 (and an LLM judge when one is given), reported overall and per category
//! with search calls per question and latency.

use anyhow::{Context, Result, bail};
use gog_agent::judge::judge;
use gog_agent::{Outcome, Policy, Question, Trace};
use gog_scenes::record::Record;
use gog_scenes::stats::percentile;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::agent_args::RunArgs;
use crate::llm_judge::JudgeArgs;
use crate::trace_file::TraceFile;

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// The benchmark: JSON lines, image paths relative to the file (e.g.
    /// corpus/gog-offline/test.jsonl from `cargo xtask corpus`).
    #[arg(long)]
    set: PathBuf,
    /// Only the first N questions.
    #[arg(long)]
    limit: Option<usize>,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    judge: JudgeArgs,
    /// Save every question's trace here, as ID.json.
    #[arg(long)]
    traces: Option<PathBuf>,
    /// Write the report as JSON here too.
    #[arg(long)]
    report: Option<PathBuf>,
}

/// What one question came to.
#[derive(Debug)]
struct Scored {
    category: String,
    exact_match: bool,
    token_f1: f64,
    llm: Option<bool>,
    searches: usize,
    seconds: f64,
    failed: bool,
}

/// Accuracy, searches and latency over some questions.
#[derive(Debug, Serialize, PartialEq)]
pub struct Summary {
    pub questions: usize,
    pub exact_match: f64,
    pub token_f1: f64,
    /// The LLM judge's accuracy over the questions it judged, if it judged any.
    pub llm_judge: Option<f64>,
    pub searches_per_question: f64,
    pub mean_seconds: f64,
    pub p50_seconds: f64,
    pub p95_seconds: f64,
    /// Runs that ended in an error (an unusable image, a failing model).
    pub failed: usize,
}

#[derive(Debug, Serialize)]
struct Report {
    set: String,
    mode: String,
    model: String,
    overall: Summary,
    categories: BTreeMap<String, Summary>,
}

/// Reads a benchmark file, every line checked.
fn read_set(path: &Path) -> Result<Vec<Record>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            serde_json::from_str(line).with_context(|| {
                format!("{} line {}: not a benchmark record", path.display(), n + 1)
            })
        })
        .collect()
}

pub fn run(args: &EvalArgs) -> Result<()> {
    let mut records = read_set(&args.set)?;
    if let Some(limit) = args.limit {
        records.truncate(limit);
    }
    if records.is_empty() {
        bail!("{} holds no questions", args.set.display());
    }
    let base = args.set.parent().unwrap_or(Path::new("."));
    let (backend, mut policy, agent) = args.run.prepare()?;
    let llm = args.judge.judge();
    let bar = ProgressBar::new(records.len() as u64).with_style(
        ProgressStyle::with_template(
            "{bar:30} {pos}/{len} questions, {elapsed} elapsed, ETA {eta} — {msg}",
        )
        .context("the progress bar's template")?,
    );
    let mut scored = Vec::with_capacity(records.len());
    for record in &records {
        let image = crate::ask::read_image_bytes(&base.join(&record.image))?;
        let path = args
            .traces
            .as_ref()
            .map(|dir| dir.join(format!("{}.json", record.id)));
        let mut sink = TraceFile::new(path.as_deref());
        let started = Instant::now();
        let mut trace = pollster::block_on(agent.run(
            &mut policy,
            &backend,
            Question {
                text: &record.question,
                image: &image,
            },
            &mut sink,
            &mut |_| {},
        ));
        let seconds = started.elapsed().as_secs_f64();
        let result = score(&mut trace, record, llm.as_ref(), &bar, seconds);
        // The judgement changes the content, hence the id.
        trace.seal();
        gog_agent::TraceSink::save(&mut sink, &trace);
        if let Some(error) = sink.error() {
            bail!("{error}");
        }
        scored.push(result);
        let right = scored.iter().filter(|s| s.exact_match).count();
        bar.set_message(format!("exact match {right}/{}", scored.len()));
        bar.inc(1);
    }
    bar.finish();
    let report = Report {
        set: args.set.display().to_string(),
        mode: format!("{:?}", agent.config.mode),
        model: policy.info().id,
        overall: summarise(&scored.iter().collect::<Vec<_>>()),
        categories: by_category(&scored),
    };
    print_table(&report);
    if let Some(path) = &args.report {
        let json = serde_json::to_string_pretty(&report).context("the report as JSON")?;
        std::fs::write(path, json + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("report saved to {}", path.display());
    }
    Ok(())
}

/// Judges the run's answer (no answer is wrong) and puts the judgement in its trace.
fn score(
    trace: &mut Trace,
    record: &Record,
    llm: Option<&crate::llm_judge::LlmJudge>,
    bar: &ProgressBar,
    seconds: f64,
) -> Scored {
    let mut gold = vec![record.answer.clone()];
    gold.extend(record.aliases.iter().cloned());
    let answer = match &trace.outcome {
        Some(Outcome::Answered { answer }) => Some(answer.as_str()),
        _ => None,
    };
    let mut judgement = judge(answer.unwrap_or(""), &gold);
    if answer.is_none() {
        judgement.exact_match = false;
        judgement.token_f1 = 0.0;
    }
    if let (Some(llm), Some(answer)) = (llm, answer) {
        match llm.verdict(&record.question, answer, &gold) {
            Ok(verdict) => judgement.llm = Some(verdict),
            Err(err) => bar.println(format!("{}: LLM judge: {err:#}", record.id)),
        }
    }
    let scored = Scored {
        category: record.category.name().to_string(),
        exact_match: judgement.exact_match,
        token_f1: judgement.token_f1,
        llm: judgement.llm,
        searches: trace.steps.iter().filter(|s| s.search.is_some()).count(),
        seconds,
        failed: matches!(trace.outcome, Some(Outcome::Failed { .. })),
    };
    trace.judgement = Some(judgement);
    scored
}

fn by_category(scored: &[Scored]) -> BTreeMap<String, Summary> {
    let mut groups: BTreeMap<String, Vec<&Scored>> = BTreeMap::new();
    for s in scored {
        groups.entry(s.category.clone()).or_default().push(s);
    }
    groups
        .into_iter()
        .map(|(category, group)| (category, summarise(&group)))
        .collect()
}

fn summarise(scored: &[&Scored]) -> Summary {
    let n = scored.len().max(1) as f64;
    let mean = |f: &dyn Fn(&Scored) -> f64| scored.iter().map(|s| f(s)).sum::<f64>() / n;
    let judged: Vec<bool> = scored.iter().filter_map(|s| s.llm).collect();
    let mut seconds: Vec<f64> = scored.iter().map(|s| s.seconds).collect();
    seconds.sort_by(f64::total_cmp);
    Summary {
        questions: scored.len(),
        exact_match: mean(&|s| f64::from(u8::from(s.exact_match))),
        token_f1: mean(&|s| s.token_f1),
        llm_judge: (!judged.is_empty())
            .then(|| judged.iter().filter(|&&v| v).count() as f64 / judged.len() as f64),
        searches_per_question: mean(&|s| s.searches as f64),
        mean_seconds: mean(&|s| s.seconds),
        p50_seconds: percentile(&seconds, 0.50).unwrap_or(0.0),
        p95_seconds: percentile(&seconds, 0.95).unwrap_or(0.0),
        failed: scored.iter().filter(|s| s.failed).count(),
    }
}

fn print_table(report: &Report) {
    println!(
        "{} — mode {}, model {}",
        report.set, report.mode, report.model
    );
    println!(
        "{:<12} {:>9} {:>11} {:>8} {:>9} {:>10} {:>22} {:>6}",
        "category",
        "questions",
        "exact match",
        "token F1",
        "LLM judge",
        "searches/q",
        "seconds mean/p50/p95",
        "failed"
    );
    let row = |name: &str, s: &Summary| {
        println!(
            "{:<12} {:>9} {:>11.3} {:>8.3} {:>9} {:>10.2} {:>22} {:>6}",
            name,
            s.questions,
            s.exact_match,
            s.token_f1,
            s.llm_judge.map_or("—".to_string(), |a| format!("{a:.3}")),
            s.searches_per_question,
            format!(
                "{:.2}/{:.2}/{:.2}",
                s.mean_seconds, s.p50_seconds, s.p95_seconds
            ),
            s.failed
        );
    };
    for (category, summary) in &report.categories {
        row(category, summary);
    }
    row("all", &report.overall);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scored(category: &str, right: bool, searches: usize, seconds: f64) -> Scored {
        Scored {
            category: category.into(),
            exact_match: right,
            token_f1: if right { 1.0 } else { 0.5 },
            llm: None,
            searches,
            seconds,
            failed: false,
        }
    }

    #[test]
    fn summarises_overall_and_per_category() {
        let all = [
            scored("gaze", true, 2, 1.0),
            scored("gaze", false, 4, 3.0),
            scored("text", true, 1, 2.0),
        ];
        let overall = summarise(&all.iter().collect::<Vec<_>>());
        assert_eq!(overall.questions, 3);
        assert!((overall.exact_match - 2.0 / 3.0).abs() < 1e-12);
        assert!((overall.token_f1 - 2.5 / 3.0).abs() < 1e-12);
        assert!((overall.searches_per_question - 7.0 / 3.0).abs() < 1e-12);
        assert_eq!((overall.p50_seconds, overall.p95_seconds), (2.0, 3.0));
        assert_eq!(overall.llm_judge, None);
        let categories = by_category(&all);
        assert_eq!(categories["gaze"].questions, 2);
        assert_eq!(categories["gaze"].exact_match, 0.5);
        assert_eq!(categories["text"].exact_match, 1.0);
    }
}
