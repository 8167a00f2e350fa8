//! The whole app: its state as signals, the model's worker it talks to, and the components that
//! show them.

use std::rc::Rc;

use base64::Engine as _;
use gog_agent::Trace;
use leptos::{prelude::*, task::spawn_local};

use crate::components::{
    Download, EMBEDDED, ImageDropZone, Masthead, ModelPicker, ModelState, OFFLINE_CORPUS,
    PickedImage, QuestionBox, RunSettingsForm, SceneGallery, SearchPicker, ShareBar, StatusPanel,
    TraceView,
};
use crate::messages::{DevicePreference, Report, Request, RunSettings, SearchChoice};
use crate::model_worker::ModelWorker;
use crate::share::{self, SharedLink};

/// Whether the trace shown is being made now or was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceOrigin {
    Live,
    Opened,
}

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    let image = RwSignal::new(None::<PickedImage>);
    let question = RwSignal::new(String::new());
    let proxy_url = RwSignal::new(
        web_sys::window()
            .and_then(|window| window.location().search().ok())
            .map(|search| crate::proxy::base_url(&search))
            .unwrap_or_else(|| crate::proxy::DEFAULT_PROXY_URL.to_owned()),
    );
    let model = RwSignal::new(ModelState::NotLoaded);
    let search = RwSignal::new(SearchChoice::Offline {
        url: OFFLINE_CORPUS.into(),
    });
    let settings = RwSignal::new(RunSettings::default());
    let trace = RwSignal::new(None::<Trace>);
    let trace_origin = RwSignal::new(TraceOrigin::Live);
    let trace_image = RwSignal::new(None::<String>);
    let live_text = RwSignal::new(String::new());
    let reading = RwSignal::new(None::<(usize, usize)>);
    let running = RwSignal::new(false);
    let corpus_note = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let last_package = StoredValue::new((EMBEDDED[0].path.to_owned(), DevicePreference::Auto));
    let worker = StoredValue::new_local(None::<ModelWorker>);

    let on_report: Rc<dyn Fn(Report)> = Rc::new(move |report| {
        Shown {
            model,
            trace,
            live_text,
            reading,
            running,
            corpus_note,
            notice,
        }
        .apply(report);
    });
    let on_report = StoredValue::new_local(on_report);
    let start_worker = move || match on_report.with_value(|r| ModelWorker::start(r.clone())) {
        Ok(started) => worker.set_value(Some(started)),
        Err(error) => model.set(ModelState::Failed(error)),
    };
    start_worker();

    let load = Callback::new(move |(package, device): (String, DevicePreference)| {
        last_package.set_value((package.clone(), device));
        model.set(ModelState::Downloading(Download {
            weights: String::new(),
            model_type: String::new(),
            done: 0,
            total: 0,
            cached: 0,
            started_ms: js_sys::Date::now(),
            now_ms: js_sys::Date::now(),
            file: "manifest.json".into(),
        }));
        worker.with_value(|w| {
            if let Some(w) = w {
                w.send(&Request::Load { package, device }, None);
            }
        });
    });
    // The shipped model loads at once: it is small, and a first visit should be able to ask.
    load.run((EMBEDDED[0].path.to_owned(), DevicePreference::Auto));
    // So does the offline corpus whenever it is the search chosen: after one visit, questions
    // can be asked with the network off.
    let load_corpus = move || {
        if let SearchChoice::Offline { url } = search.get_untracked() {
            worker.with_value(|w| {
                if let Some(w) = w {
                    w.send(&Request::LoadCorpus { url }, None);
                }
            });
        }
    };
    Effect::new(move |_| {
        search.track();
        load_corpus();
    });

    let ask = Callback::new(move |()| {
        let Some(picked) = image.get_untracked() else {
            return;
        };
        trace.set(None);
        trace_origin.set(TraceOrigin::Live);
        trace_image.set(Some(picked.object_url.clone()));
        live_text.set(String::new());
        reading.set(None);
        running.set(true);
        let request = Request::Ask {
            question: question.get_untracked(),
            settings: settings.get_untracked(),
            search: search.get_untracked(),
        };
        worker.with_value(|w| {
            if let Some(w) = w {
                w.send(&request, Some(&picked.bytes));
            }
        });
    });
    let stop = Callback::new(move |()| {
        // A busy worker cannot be interrupted: end it, keep what it reported, start another and
        // load the model again (from the cache).
        worker.set_value(None);
        running.set(false);
        live_text.set(String::new());
        notice.set(Some(
            "Stopped. The steps so far are kept; the model is loading again.".into(),
        ));
        start_worker();
        let (package, device) = last_package.get_value();
        load.run((package, device));
        load_corpus();
    });
    let show_opened = move |opened: Trace| {
        trace_image.set(image_data_url(&opened));
        trace_origin.set(TraceOrigin::Opened);
        live_text.set(String::new());
        trace.set(Some(opened));
    };
    let rerun = Callback::new(move |original: Trace| {
        trace_image.set(image_data_url(&original));
        trace.set(None);
        trace_origin.set(TraceOrigin::Live);
        running.set(true);
        worker.with_value(|w| {
            if let Some(w) = w {
                w.send(
                    &Request::Rerun {
                        trace: Box::new(original),
                    },
                    None,
                );
            }
        });
    });
    open_shared_link(proxy_url.get_untracked(), show_opened, notice);

    let ready = move || matches!(model.get(), ModelState::Ready { .. });
    let blocked =
        Signal::derive(move || (!ready()).then(|| "Load a model first (see Model).".to_owned()));

    view! {
        <Masthead />
        <p id="notice" class="notice" role="alert" hidden=move || notice.with(Option::is_none)>
            {move || notice.get().unwrap_or_default()}
            <button type="button" class="dismiss" aria-label="Dismiss" on:click=move |_| notice.set(None)>"×"</button>
        </p>
        <main class="layout">
            <section class="ask" aria-label="Ask about an image">
                <ImageDropZone image=image />
                <SceneGallery image=image question=question />
                <QuestionBox question=question image=image blocked=blocked running=running.into() on_ask=ask on_stop=stop />
                <SearchPicker choice=search proxy_url=proxy_url />
                <p class="note" id="corpus-status">{move || corpus_note.get()}</p>
                <RunSettingsForm settings=settings />
            </section>
            <aside class="side">
                <ModelPicker state=model.read_only() on_load=load />
                <StatusPanel proxy_url=proxy_url.get_untracked() />
            </aside>
        </main>
        <p class="note" id="trace-origin" hidden=move || trace.with(Option::is_none)>
            {move || match trace_origin.get() {
                TraceOrigin::Live => "This run happened in this browser.",
                TraceOrigin::Opened => "An opened trace, shown exactly as it was recorded; no model ran.",
            }}
        </p>
        <TraceView trace=trace.into() image_url=trace_image.into() live_text=live_text.into() reading=reading.into() running=running.into() />
        <ShareBar trace=trace.into() proxy_url=proxy_url.into() can_rerun=Signal::derive(ready)
            on_import=Callback::new(show_opened) on_rerun=rerun />
    }
}

/// What the worker's reports change on the page.
#[derive(Clone, Copy)]
struct Shown {
    model: RwSignal<ModelState>,
    trace: RwSignal<Option<Trace>>,
    live_text: RwSignal<String>,
    /// How much of its prompt the model has read, while it reads.
    reading: RwSignal<Option<(usize, usize)>>,
    running: RwSignal<bool>,
    corpus_note: RwSignal<Option<String>>,
    notice: RwSignal<Option<String>>,
}

impl Shown {
    /// Applies one report from the worker.
    fn apply(self, report: Report) {
        let now = js_sys::Date::now();
        match report {
            Report::Started => {}
            Report::Package {
                bytes,
                weights,
                model_type,
                ..
            } => self.model.update(|state| {
                if let ModelState::Downloading(download) = state {
                    download.total = bytes;
                    download.weights = weights;
                    download.model_type = model_type;
                }
            }),
            Report::Download {
                file,
                done,
                total,
                cached,
            } => self.model.update(|state| {
                if let ModelState::Downloading(download) = state {
                    if cached {
                        download.cached += done - download.done;
                    }
                    download.done = done;
                    download.total = total;
                    download.file = file;
                    download.now_ms = now;
                }
            }),
            Report::WarmingUp { device } => self.model.set(ModelState::WarmingUp(device)),
            Report::Ready {
                model: info,
                device,
                warm_up_ms,
            } => self.model.set(ModelState::Ready {
                model: info,
                device,
                warm_up_ms,
            }),
            Report::LoadFailed { error } => self.model.set(ModelState::Failed(error)),
            Report::Corpus { done, total, ready } => self.corpus_note.set(Some(if ready {
                "The offline corpus is ready in this browser.".to_owned()
            } else {
                format!(
                    "Downloading the offline corpus: {} of {}",
                    crate::webgpu::format_bytes(done as f64),
                    crate::webgpu::format_bytes(total as f64)
                )
            })),
            Report::CorpusFailed { error } => self.corpus_note.set(Some(error)),
            Report::Reading { done, total } => self.reading.set(Some((done, total))),
            Report::Text { piece } => {
                self.reading.set(None);
                self.live_text.update(|text| text.push_str(&piece));
            }
            Report::Progress { trace: partial } => {
                self.live_text.set(String::new());
                self.reading.set(None);
                let image = self
                    .trace
                    .with_untracked(|t| t.as_ref().and_then(|t| t.image.base64.clone()));
                let mut partial = *partial;
                partial.image.base64 = partial.image.base64.or(image);
                self.trace.set(Some(partial));
            }
            Report::Finished { trace: finished } => {
                self.live_text.set(String::new());
                self.reading.set(None);
                self.running.set(false);
                self.trace.set(Some(*finished));
            }
            Report::Failed { error } => {
                self.running.set(false);
                self.notice.set(Some(error));
            }
        }
    }
}

/// The trace's own image as a `data:` URL, when it keeps one.
fn image_data_url(trace: &Trace) -> Option<String> {
    let encoded = trace.image.base64.as_ref()?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let mime = crate::image_input::mime_type(gog_types::image::inspect(&bytes).ok()?.format);
    Some(format!("data:{mime};base64,{encoded}"))
}

/// Shows the trace the page's link shares, if it shares one; a damaged link says why.
fn open_shared_link(
    proxy_url: String,
    show: impl Fn(Trace) + 'static,
    notice: RwSignal<Option<String>>,
) {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    match share::parse_fragment(&hash) {
        None => {}
        Some(SharedLink::Inline(encoded)) => match share::decode_inline(&encoded) {
            Ok(trace) => show(trace),
            Err(error) => notice.set(Some(format!("This share link cannot be opened: {error}"))),
        },
        Some(SharedLink::Stored(id)) => match share::checked_id(&id) {
            Err(error) => notice.set(Some(format!("This share link cannot be opened: {error}"))),
            Ok(id) => {
                let id = id.to_owned();
                spawn_local(async move {
                    let opened = crate::proxy::shared_trace(&proxy_url, &id)
                        .await
                        .map_err(|e| e.to_string())
                        .and_then(|json| Trace::from_json(&json).map_err(|e| e.to_string()));
                    match opened {
                        Ok(trace) => show(trace),
                        Err(error) => {
                            notice.set(Some(format!("This shared trace cannot be opened: {error}")))
                        }
                    }
                });
            }
        },
    }
}
