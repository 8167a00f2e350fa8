//! One step of a run as a card: what it did, its search and results, and its speed.

use gog_agent::Action;
use gog_agent::trace::{Actor, SearchRecord, SearchRequest, SearchResults, Step};
use leptos::prelude::*;

use super::result_cards::{ImageResultCard, PageCard, TextResultCard};

/// What a step did, in a few words.
pub fn step_summary(step: &Step) -> String {
    match (&step.action, step.search.as_ref().map(|s| &s.request)) {
        (_, Some(SearchRequest::Image { crop: None, .. })) => {
            "Glance: image search of the whole image".into()
        }
        (_, Some(SearchRequest::Image { crop: Some(b), .. })) => format!(
            "Gaze: image search of the region ({}, {})–({}, {})",
            b.x1, b.y1, b.x2, b.y2
        ),
        (_, Some(SearchRequest::Text { query })) => format!("Text search: “{query}”"),
        (_, Some(SearchRequest::Read { result, .. })) => format!("Read result {result}"),
        (Some(Action::Answer { .. }), None) => "Answer".into(),
        (Some(_), None) | (None, None) if step.error.is_some() => "Turn refused".into(),
        _ => "Turn".into(),
    }
}

/// Tokens per second over `model_ms`, when that is long enough to mean something (a test
/// double or a cached reply takes well under a millisecond).
pub fn tokens_per_second(tokens: usize, model_ms: f64) -> Option<f64> {
    (model_ms >= 1.0 && tokens > 0).then(|| tokens as f64 / (model_ms / 1000.0))
}

/// One step of the trace: who acted, the thinking, the action, the crop it searched, what came
/// back, and its cost. `reflection` marks a turn taken after reading search results (the
/// agent's reflection). `image` is the question's image and its size, for showing crops.
#[component]
pub fn StepCard(step: Step, reflection: bool, image: Option<(String, u32, u32)>) -> impl IntoView {
    let crop = match (&step.search, image) {
        (
            Some(SearchRecord {
                request:
                    SearchRequest::Image {
                        crop: Some(region), ..
                    },
                ..
            }),
            Some(image),
        ) => Some((*region, image)),
        _ => None,
    };
    let who = match step.actor {
        Actor::Model => "model",
        Actor::Harness => "harness",
    };
    let stats = {
        let mut parts = Vec::new();
        if step.actor == Actor::Model {
            parts.push(format!("{:.0} ms", step.model_ms));
            parts.push(format!("{} tokens", step.tokens.len()));
            if let Some(rate) = tokens_per_second(step.tokens.len(), step.model_ms) {
                parts.push(format!("{rate:.1} tokens/s"));
            }
            parts.push(format!("prompt {} tokens", step.prompt_tokens));
        }
        if let Some(search) = &step.search {
            parts.push(format!("search {:.0} ms", search.latency_ms));
        }
        parts.join(" · ")
    };
    view! {
        <li class="step" class:reflection=reflection data-step=step.index data-actor=who>
            <header>
                <span class="step-number">{format!("Step {}", step.index + 1)}</span>
                {reflection.then(|| view! { <span class="badge reflection-badge">"reflection"</span> })}
                <span class="step-summary">{step_summary(&step)}</span>
            </header>
            {step.think.clone().map(|think| view! {
                <details class="think" open=true>
                    <summary>"Thinking"</summary>
                    <p>{think}</p>
                </details>
            })}
            {(step.think.is_none() && !step.raw.is_empty()).then(|| view! {
                <details class="raw">
                    <summary>"What the model wrote"</summary>
                    <pre>{step.raw.clone()}</pre>
                </details>
            })}
            {crop.map(|(region, (url, width, height))| view! {
                <svg class="crop" viewBox=format!("{} {} {} {}", region.x1, region.y1, region.width(), region.height())
                    role="img" aria-label="The region searched">
                    <image href=url width=width height=height preserveAspectRatio="none" />
                </svg>
            })}
            {step.error.clone().map(|error| view! { <p class="step-error" role="note">{error}</p> })}
            {step.search.clone().map(|search| view! { <SearchOutcome search=search /> })}
            <p class="step-stats">{stats}</p>
        </li>
    }
}

/// The results of a step's search, as cards.
#[component]
fn SearchOutcome(search: SearchRecord) -> impl IntoView {
    let provider = search.provider.clone();
    let body = match search.results {
        SearchResults::Images(found) => view! {
            <ol class="results">
                {found.into_iter().enumerate().map(|(i, result)| view! { <ImageResultCard rank=i + 1 result=result /> }).collect_view()}
            </ol>
        }
        .into_any(),
        SearchResults::Texts(found) => view! {
            <ol class="results">
                {found.into_iter().enumerate().map(|(i, result)| view! { <TextResultCard rank=i + 1 result=result /> }).collect_view()}
            </ol>
        }
        .into_any(),
        SearchResults::Page(page) => view! { <PageCard page=page /> }.into_any(),
        SearchResults::Failed(error) => view! { <p class="step-error">{format!("The search failed: {error}")}</p> }.into_any(),
    };
    view! {
        <section class="search-outcome" aria-label="Search results">
            <p class="meta">{format!("from {provider}")}</p>
            {body}
        </section>
    }
}
