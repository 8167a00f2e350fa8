//! The model's Web Worker: it holds the loaded model and the offline corpus and runs the agent,
//! so the page stays responsive while the model thinks. It answers the page's [`Request`]s with
//! [`Report`]s (`gog_app::messages`). Trunk builds it into `gog-worker_bg.wasm`, started by
//! `gog-worker_loader.js`.

mod corpus;
mod fetch;
mod model;
mod search;

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::future::{FutureExt, LocalBoxFuture, Shared};
use gog_agent::replay::{self, RecordedBackend};
use gog_agent::trace::TraceSink;
use gog_agent::{Agent, AgentConfig, Event, Policy, Prompts, Question, SamplingParams, Trace};
use gog_search::OfflineBackend;
use gog_vlm_policy::VlmPolicy;
use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use gog_app::messages::{Report, Request, RunSettings, SearchChoice};
use search::{ProxySearch, RunSearch};

/// What the worker holds between messages.
#[derive(Default)]
struct WorkerState {
    /// Taken out while a run uses it.
    model: Option<VlmPolicy>,
    /// The offline corpus's URL and its load, finished or under way.
    corpus: Option<(String, CorpusLoad)>,
}

/// Loading the offline corpus, shared by everything that waits for it: a question asked while
/// the start-up load runs waits for that load instead of starting another.
type CorpusLoad = Shared<LocalBoxFuture<'static, Result<Rc<OfflineBackend>, String>>>;

fn main() {
    console_error_panic_hook::set_once();
    listen();
}

/// Starts answering the page's messages.
fn listen() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let state = Rc::new(RefCell::new(WorkerState::default()));
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let state = state.clone();
        wasm_bindgen_futures::spawn_local(async move { handle(&state, &event.data()).await });
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    // Messages sent before this handler existed were lost: the page waits for this one.
    post(&Report::Started);
}

fn post(report: &Report) {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let json = serde_json::to_string(report).unwrap_or_default();
    let _ = scope.post_message(&JsValue::from_str(&json));
}

async fn handle(state: &Rc<RefCell<WorkerState>>, data: &JsValue) {
    // A message is `[json]` or `[json, image bytes]`.
    let parts: Array = data.clone().unchecked_into();
    let request = parts
        .get(0)
        .as_string()
        .ok_or_else(|| "the message is not text".to_owned())
        .and_then(|json| {
            serde_json::from_str::<Request>(&json).map_err(|e| format!("unreadable request: {e}"))
        });
    let request = match request {
        Ok(request) => request,
        Err(error) => return post(&Report::Failed { error }),
    };
    match request {
        Request::Load { package, device } => {
            // Free the old model first: two would not fit where one barely does.
            state.borrow_mut().model = None;
            match model::load(&package, device, &|report| post(&report)).await {
                Ok(policy) => state.borrow_mut().model = Some(policy),
                Err(error) => post(&Report::LoadFailed { error }),
            }
        }
        Request::LoadCorpus { url } => {
            if let Err(error) = offline_corpus(state, &url).await {
                post(&Report::CorpusFailed { error });
            }
        }
        Request::Ask {
            question,
            settings,
            search,
        } => {
            let image = parts
                .get(1)
                .dyn_into::<Uint8Array>()
                .map(|bytes| bytes.to_vec())
                .unwrap_or_default();
            let backend = match search {
                SearchChoice::Offline { url } => match offline_corpus(state, &url).await {
                    Ok(corpus) => RunSearch::Offline(corpus),
                    Err(error) => return post(&Report::Failed { error }),
                },
                SearchChoice::Proxy { url } => RunSearch::Proxy(ProxySearch::new(&url)),
            };
            let agent = |policy: &VlmPolicy| agent(policy, settings);
            run(state, agent, backend, &question, &image).await;
        }
        Request::Rerun { trace } => {
            let image = match replay::input_image(&trace) {
                Ok(Some(image)) => image,
                _ => {
                    return post(&Report::Failed {
                        error: "this trace keeps no image, so it cannot be re-run".into(),
                    });
                }
            };
            let backend = RunSearch::Recorded(RecordedBackend::from_trace(&trace));
            let question = trace.question.clone();
            let agent = |policy: &VlmPolicy| {
                replay::rerun_agent(&trace, Prompts::built_in(policy.info().family))
            };
            run(state, agent, backend, &question, &image).await;
        }
    }
}

/// The agent for the loaded model's family with the page's settings.
fn agent(policy: &VlmPolicy, settings: RunSettings) -> Agent {
    Agent {
        prompts: Prompts::built_in(policy.info().family),
        config: AgentConfig {
            mode: settings.mode,
            max_turns: settings.max_turns,
            ..AgentConfig::default()
        },
        sampling: SamplingParams {
            max_new_tokens: settings.max_new_tokens,
            ..SamplingParams::default()
        },
    }
}

/// The offline corpus at `url`, loaded on first use and kept; a failed load is forgotten, so
/// the next request tries again.
async fn offline_corpus(
    state: &Rc<RefCell<WorkerState>>,
    url: &str,
) -> Result<Rc<OfflineBackend>, String> {
    let load = {
        let mut state = state.borrow_mut();
        match &state.corpus {
            Some((loading, load)) if loading == url => load.clone(),
            _ => {
                let owned = url.to_owned();
                let load = async move {
                    corpus::load(&owned, &|report| post(&report))
                        .await
                        .map(Rc::new)
                }
                .boxed_local()
                .shared();
                state.corpus = Some((url.to_owned(), load.clone()));
                load
            }
        }
    };
    let loaded = load.clone().await;
    if loaded.is_err() {
        let mut state = state.borrow_mut();
        if state
            .corpus
            .as_ref()
            .is_some_and(|(_, kept)| kept.ptr_eq(&load))
        {
            state.corpus = None;
        }
    }
    loaded
}

/// Sends the run so far to the page after every step, without the image it already has.
struct PageSink;

impl TraceSink for PageSink {
    fn save(&mut self, trace: &Trace) {
        let mut shown = trace.clone();
        shown.image.base64 = None;
        post(&Report::Progress {
            trace: Box::new(shown),
        });
    }
}

async fn run(
    state: &Rc<RefCell<WorkerState>>,
    agent: impl FnOnce(&VlmPolicy) -> Agent,
    backend: RunSearch,
    question: &str,
    image: &[u8],
) {
    let Some(mut policy) = state.borrow_mut().model.take() else {
        return post(&Report::Failed {
            error: "no model is loaded yet; load one first".into(),
        });
    };
    let agent = agent(&policy);
    let question = Question {
        text: question,
        image,
    };
    let trace = agent
        .run(
            &mut policy,
            &backend,
            question,
            &mut PageSink,
            &mut |event| match event {
                Event::Text(piece) => post(&Report::Text {
                    piece: piece.to_owned(),
                }),
                Event::Reading { done, total } => post(&Report::Reading { done, total }),
                Event::Step(_) | Event::Finished(_) => {}
            },
        )
        .await;
    state.borrow_mut().model = Some(policy);
    post(&Report::Finished {
        trace: Box::new(trace),
    });
}
