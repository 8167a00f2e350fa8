//! `gog eval`: the agent over a benchmark set of JSON lines (GoG-Offline's, or any FVQA-like
//! set with `image`, `question`, `answer`, `aliases` and `category`), judged by normalised exact
//! match and token F1 (and an LLM judge when one is given), reported overall, per category and
//! by the number of pictures in the scene, with bootstrap intervals, the behaviour the traces
//! show (format validity, crop selection, reflection, search mix; `gog_train::run_metrics`),
//! search calls per question and latency. `docs/EVAL.md` defines every measure.

use anyhow::{Context, Result, bail};
use gog_agent::judge::judge;
use gog_agent::{Outcome, Policy, Question, Trace};
use gog_scenes::record::Record;
use gog_scenes::stats::percentile;
use gog_train::intervals::{Interval, bootstrap_mean_95};
use gog_train::run_metrics::{RunMetrics, SearchMix};
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
    /// Pictures in the scene.
    pictures: usize,
    exact_match: bool,
    token_f1: f64,
    llm: Option<bool>,
    searches: usize,
    seconds: f64,
    failed: bool,
    metrics: RunMetrics,
}

/// The seed of every bootstrap interval, so a report is the same for the same runs.
const BOOTSTRAP_SEED: u64 = 2601_13942;

/// Accuracy, searches and latency over some questions.
#[derive(Debug, Serialize, PartialEq)]
pub struct Summary {
    pub questions: usize,
    pub exact_match: f64,
    /// The 95 % bootstrap interval of `exact_match`.
    pub exact_match_95: Option<Interval>,
    pub token_f1: f64,
    /// The LLM judge's accuracy over the questions it judged, if it judged any.
    pub llm_judge: Option<f64>,
    pub searches_per_question: f64,
    pub mean_seconds: f64,
    pub p50_seconds: f64,
    pub p95_seconds: f64,
    /// Runs that ended in an error (an unusable image, a failing model).
    pub failed: usize,
    /// Model turns the protocol accepted, of all model turns.
    pub format_validity: Option<f64>,
    /// Gazes at a question's asked-about picture.
    pub gazes: usize,
    /// Of those, the share whose box has IoU ≥ 0.5 with the picture's gold box.
    pub crop_selection: Option<f64>,
    /// Runs with a gaze that missed the asked-about picture.
    pub wrong_gaze_runs: usize,
    /// Of those, the share where a later gaze found it.
    pub reflection_rate: Option<f64>,
    /// Image searches whose results held the asked-about entity.
    pub found: usize,
    /// Of those, the share after which the model's next turn named it: whether it reads names
    /// off the results.
    pub names_read: Option<f64>,
    /// Shares of runs that searched nothing, one kind of thing (images or text), or both.
    pub no_search: f64,
    pub single_search: f64,
    pub hybrid_search: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    set: String,
    mode: String,
    model: String,
    overall: Summary,
    categories: BTreeMap<String, Summary>,
    /// `one picture` and `several pictures`: where choosing a region matters.
    scenes: BTreeMap<String, Summary>,
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
        categories: grouped(&scored, |s| s.category.clone()),
        scenes: grouped(&scored, |s| {
            if s.pictures > 1 {
                "several pictures"
            } else {
                "one picture"
            }
            .to_string()
        }),
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
        pictures: record.entities.len(),
        exact_match: judgement.exact_match,
        token_f1: judgement.token_f1,
        llm: judgement.llm,
        searches: trace.steps.iter().filter(|s| s.search.is_some()).count(),
        seconds,
        failed: matches!(trace.outcome, Some(Outcome::Failed { .. })),
        metrics: RunMetrics::of(trace, record),
    };
    trace.judgement = Some(judgement);
    scored
}

fn grouped(scored: &[Scored], key: impl Fn(&Scored) -> String) -> BTreeMap<String, Summary> {
    let mut groups: BTreeMap<String, Vec<&Scored>> = BTreeMap::new();
    for s in scored {
        groups.entry(key(s)).or_default().push(s);
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
    let right: Vec<f64> = scored
        .iter()
        .map(|s| f64::from(u8::from(s.exact_match)))
        .collect();
    let share = |part: usize, whole: usize| (whole > 0).then(|| part as f64 / whole as f64);
    let total = |f: &dyn Fn(&RunMetrics) -> usize| scored.iter().map(|s| f(&s.metrics)).sum();
    let reflections: Vec<bool> = scored
        .iter()
        .filter_map(|s| s.metrics.reflection())
        .collect();
    let gazes = total(&|m| m.gaze_ious.len());
    let found = total(&|m| m.found_then_named.len());
    let mix = |kind: SearchMix| mean(&|s| f64::from(u8::from(s.metrics.search_mix == kind)));
    Summary {
        questions: scored.len(),
        exact_match: right.iter().sum::<f64>() / n,
        exact_match_95: bootstrap_mean_95(&right, BOOTSTRAP_SEED),
        token_f1: mean(&|s| s.token_f1),
        llm_judge: (!judged.is_empty())
            .then(|| judged.iter().filter(|&&v| v).count() as f64 / judged.len() as f64),
        searches_per_question: mean(&|s| s.searches as f64),
        mean_seconds: mean(&|s| s.seconds),
        p50_seconds: percentile(&seconds, 0.50).unwrap_or(0.0),
        p95_seconds: percentile(&seconds, 0.95).unwrap_or(0.0),
        failed: scored.iter().filter(|s| s.failed).count(),
        format_validity: share(total(&|m| m.accepted_turns), total(&|m| m.model_turns)),
        gazes,
        crop_selection: share(total(&RunMetrics::right_gazes), gazes),
        wrong_gaze_runs: reflections.len(),
        reflection_rate: share(
            reflections.iter().filter(|&&c| c).count(),
            reflections.len(),
        ),
        found,
        names_read: share(
            total(&|m| m.found_then_named.iter().filter(|&&named| named).count()),
            found,
        ),
        no_search: mix(SearchMix::None),
        single_search: mix(SearchMix::Single),
        hybrid_search: mix(SearchMix::Hybrid),
    }
}

fn print_table(report: &Report) {
    println!(
        "{} — mode {}, model {}",
        report.set, report.mode, report.model
    );
    println!(
        "{:<16} {:>5} {:>21} {:>6} {:>6} {:>6} {:>7} {:>6} {:>8} {:>14} {:>17} {:>6}",
        "",
        "n",
        "exact match [95 %]",
        "F1",
        "format",
        "crop",
        "reflect",
        "read",
        "search/q",
        "none/1/hybrid",
        "s mean/p50/p95",
        "failed"
    );
    let ratio = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.3}"));
    let row = |name: &str, s: &Summary| {
        let interval = s
            .exact_match_95
            .map_or(String::new(), |i| format!("[{:.2}, {:.2}]", i.low, i.high));
        println!(
            "{:<16} {:>5} {:>7.3} {:>13} {:>6.3} {:>6} {:>6} {:>7} {:>6} {:>8.2} {:>14} {:>17} {:>6}",
            name,
            s.questions,
            s.exact_match,
            interval,
            s.token_f1,
            ratio(s.format_validity),
            ratio(s.crop_selection),
            ratio(s.reflection_rate),
            ratio(s.names_read),
            s.searches_per_question,
            format!(
                "{:.2}/{:.2}/{:.2}",
                s.no_search, s.single_search, s.hybrid_search
            ),
            format!(
                "{:.2}/{:.2}/{:.2}",
                s.mean_seconds, s.p50_seconds, s.p95_seconds
            ),
            s.failed
        );
        if let Some(judge) = s.llm_judge {
            println!("{:<16} LLM judge {judge:.3}", "");
        }
    };
    for (category, summary) in &report.categories {
        row(category, summary);
    }
    for (scenes, summary) in &report.scenes {
        row(scenes, summary);
    }
    row("all", &report.overall);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scored(category: &str, right: bool, searches: usize, seconds: f64) -> Scored {
        Scored {
            category: category.into(),
            pictures: 1,
            exact_match: right,
            token_f1: if right { 1.0 } else { 0.5 },
            llm: None,
            searches,
            seconds,
            failed: false,
            metrics: RunMetrics {
                model_turns: 2,
                accepted_turns: 2,
                glances: 0,
                gaze_ious: Vec::new(),
                text_searches: 0,
                search_mix: SearchMix::None,
                found_then_named: Vec::new(),
            },
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
        let categories = grouped(&all, |s| s.category.clone());
        assert_eq!(categories["gaze"].questions, 2);
        assert_eq!(categories["gaze"].exact_match, 0.5);
        assert_eq!(categories["text"].exact_match, 1.0);
    }

    #[test]
    fn behaviour_is_pooled_over_turns_gazes_and_runs() {
        let mut wrong_then_right = scored("gaze", true, 2, 1.0);
        wrong_then_right.metrics.gaze_ious = vec![0.1, 0.8];
        wrong_then_right.metrics.search_mix = SearchMix::Single;
        let mut wrong_only = scored("gaze", false, 3, 1.0);
        wrong_only.metrics.gaze_ious = vec![0.2];
        wrong_only.metrics.model_turns = 4;
        wrong_only.metrics.accepted_turns = 3;
        wrong_only.metrics.search_mix = SearchMix::Hybrid;
        wrong_only.metrics.found_then_named = vec![false, true, false];
        let no_tools = scored("no-search", true, 0, 1.0);
        let all = [wrong_then_right, wrong_only, no_tools];
        let s = summarise(&all.iter().collect::<Vec<_>>());
        assert_eq!(s.format_validity, Some(7.0 / 8.0));
        assert_eq!((s.gazes, s.crop_selection), (3, Some(1.0 / 3.0)));
        assert_eq!((s.wrong_gaze_runs, s.reflection_rate), (2, Some(0.5)));
        assert_eq!((s.found, s.names_read), (3, Some(1.0 / 3.0)));
        let third = 1.0 / 3.0;
        assert_eq!(
            (s.no_search, s.single_search, s.hybrid_search),
            (third, third, third)
        );
        let interval = s.exact_match_95.expect("an interval");
        assert!(interval.low <= s.exact_match && s.exact_match <= interval.high);
        let none = summarise(&all[2..].iter().collect::<Vec<_>>());
        assert_eq!((none.crop_selection, none.reflection_rate), (None, None));
    }
}
