//! A run, live or recorded: the image with its regions, the steps, the answer and what it cost.

use gog_agent::Mode;
use gog_agent::Trace;
use gog_agent::trace::{Outcome, SearchResults, StopReason};
use leptos::prelude::*;

use super::image_with_boxes::ImageWithBoxes;
use super::step_card::StepCard;

/// A run as it happens, or as a trace recorded it: the image with its regions, each step in
/// order, the text being generated now, the answer with its evidence, and what it cost.
#[component]
pub fn TraceView(
    trace: Signal<Option<Trace>>,
    image_url: Signal<Option<String>>,
    live_text: Signal<String>,
    /// How much of its prompt the model has read, while it reads.
    reading: Signal<Option<(usize, usize)>>,
    running: Signal<bool>,
) -> impl IntoView {
    view! {
        <section class="trace-view" aria-label="What the agent did" aria-live="polite"
            hidden=move || trace.with(Option::is_none) && !running.get()>
            <h2>"What the agent did"</h2>
            {move || trace.with(|t| t.as_ref().map(|t| view! {
                <p class="trace-question" id="trace-question">{format!("“{}”", t.question)}</p>
                <p class="meta" id="trace-model">{format!("{} · {} · {} mode", t.model.id, t.model.quantisation, mode_name(t.settings.mode))}</p>
            }))}
            <div class="trace-body">
                <ImageWithBoxes trace=trace image_url=image_url />
                <div class="trace-steps">
                    <ol class="steps" id="steps">
                        {move || trace.with(|t| t.as_ref().map(|t| {
                            let image = image_url.get().map(|url| (url, t.image.width, t.image.height));
                            t.steps.iter().enumerate().map(|(i, step)| {
                                let reflection = i > 0 && t.steps[i - 1].search.is_some();
                                view! { <StepCard step=step.clone() reflection=reflection image=image.clone() /> }
                            }).collect_view()
                        }))}
                    </ol>
                    <div class="live" id="live-step" hidden=move || !running.get()>
                        {move || match reading.get() {
                            Some((done, total)) => view! {
                                <p class="meta" id="reading">{format!("The model is reading: {done} of {total} tokens")}</p>
                                <progress id="reading-progress" max=total as f64 value=done as f64></progress>
                            }.into_any(),
                            None => view! { <p class="meta">"The model is writing…"</p> }.into_any(),
                        }}
                        <pre id="live-text">{move || live_text.get()}</pre>
                    </div>
                    {move || trace.with(|t| t.as_ref().and_then(|t| t.outcome.clone().map(|outcome| {
                        view! { <AnswerPanel outcome=outcome evidence=evidence(t) /> }
                    })))}
                    {move || trace.with(|t| t.as_ref().map(|t| view! { <RunStats trace=t.clone() /> }))}
                </div>
            </div>
        </section>
    }
}

/// A mode as the CLI's `--mode` names it.
pub fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Gog => "gog",
        Mode::Direct => "direct",
        Mode::FullSearch => "full-search",
    }
}

/// What the answer rests on: the pages read, and the best result of each search.
pub fn evidence(trace: &Trace) -> Vec<String> {
    trace
        .steps
        .iter()
        .filter_map(|step| match &step.search.as_ref()?.results {
            SearchResults::Page(page) => Some(format!("read “{}” ({})", page.title, page.source)),
            SearchResults::Images(found) => found
                .first()
                .map(|r| format!("image search: best match “{}”", r.title)),
            SearchResults::Texts(found) => found
                .first()
                .map(|r| format!("text search: top result “{}”", r.title)),
            SearchResults::Failed(_) => None,
        })
        .collect()
}

/// How the run ended, with the evidence behind an answer.
#[component]
fn AnswerPanel(outcome: Outcome, evidence: Vec<String>) -> impl IntoView {
    let (state, text) = match &outcome {
        Outcome::Answered { answer } => ("answered", answer.clone()),
        Outcome::Stopped {
            reason: StopReason::MaxTurns,
        } => (
            "stopped",
            "Stopped without an answer: the turn limit was reached.".into(),
        ),
        Outcome::Stopped {
            reason: StopReason::RepeatedCall,
        } => (
            "stopped",
            "Stopped without an answer: the model repeated a search.".into(),
        ),
        Outcome::Failed { error } => ("failed", format!("The run failed: {error}")),
    };
    view! {
        <section class="answer" id="answer" data-outcome=state aria-label="Answer">
            <h3>{if state == "answered" { "Answer" } else { "Outcome" }}</h3>
            <p id="answer-text">{text}</p>
            {(!evidence.is_empty()).then(|| view! {
                <h4>"Evidence used"</h4>
                <ul class="evidence">{evidence.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
            })}
        </section>
    }
}

/// Totals: steps, tokens, speed, searches and time.
#[component]
fn RunStats(trace: Trace) -> impl IntoView {
    let model_steps: Vec<_> = trace
        .steps
        .iter()
        .filter(|s| !s.raw.is_empty() || s.model_ms > 0.0)
        .collect();
    let tokens: usize = model_steps.iter().map(|s| s.tokens.len()).sum();
    let model_ms: f64 = model_steps.iter().map(|s| s.model_ms).sum();
    let searches = trace.steps.iter().filter(|s| s.search.is_some()).count();
    let search_ms: f64 = trace
        .steps
        .iter()
        .filter_map(|s| s.search.as_ref())
        .map(|s| s.latency_ms)
        .sum();
    let rate = super::step_card::tokens_per_second(tokens, model_ms);
    view! {
        <dl class="run-stats" id="run-stats">
            <dt>"Steps"</dt><dd id="stat-steps">{trace.steps.len()}</dd>
            <dt>"Tokens generated"</dt><dd id="stat-tokens">{tokens}</dd>
            <dt>"Tokens/s"</dt><dd>{rate.map_or_else(|| "–".to_owned(), |r| format!("{r:.1}"))}</dd>
            <dt>"Model time"</dt><dd>{format!("{:.1} s", model_ms / 1000.0)}</dd>
            <dt>"Search calls"</dt><dd id="stat-searches">{searches}</dd>
            <dt>"Search time"</dt><dd>{format!("{:.0} ms", search_ms)}</dd>
        </dl>
    }
}
