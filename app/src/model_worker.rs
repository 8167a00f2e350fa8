//! The page's side of the model's Web Worker: starts it, holds requests until it listens, and
//! hands every report to one callback. Stopping a run terminates the worker (a model busy
//! computing cannot be interrupted any other way) and starts a fresh one.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker};

use crate::messages::{Report, Request};

/// Where Trunk puts the worker's loader (see `app/index.html`).
const LOADER: &str = "./gog-worker_loader.js";

/// The running worker.
pub struct ModelWorker {
    worker: Worker,
    /// Requests waiting for the worker to listen.
    waiting: Rc<RefCell<Option<Vec<Array>>>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::ErrorEvent)>,
}

impl std::fmt::Debug for ModelWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelWorker").finish_non_exhaustive()
    }
}

impl ModelWorker {
    /// Starts the worker; `on_report` hears everything it says.
    pub fn start(on_report: Rc<dyn Fn(Report)>) -> Result<Self, String> {
        let worker = Worker::new(LOADER)
            .map_err(|e| format!("the browser refused to start the model's worker: {e:?}"))?;
        let waiting = Rc::new(RefCell::new(Some(Vec::<Array>::new())));
        let on_message = {
            let (worker, waiting, on_report) = (worker.clone(), waiting.clone(), on_report.clone());
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let report = event
                    .data()
                    .as_string()
                    .and_then(|json| serde_json::from_str::<Report>(&json).ok());
                let Some(report) = report else { return };
                if report == Report::Started {
                    for message in waiting.borrow_mut().take().unwrap_or_default() {
                        let _ = worker.post_message(&message);
                    }
                }
                on_report(report);
            })
        };
        let on_error =
            Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |event: web_sys::ErrorEvent| {
                on_report(Report::Failed {
                    error: format!("the model's worker stopped: {}", event.message()),
                });
            });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(ModelWorker {
            worker,
            waiting,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Sends a request, with the question's image for [`Request::Ask`] (moved, not copied).
    pub fn send(&self, request: &Request, image: Option<&[u8]>) {
        let json = serde_json::to_string(request).unwrap_or_default();
        let message = Array::of1(&JsValue::from_str(&json));
        if let Some(image) = image {
            message.push(&Uint8Array::from(image));
        }
        match self.waiting.borrow_mut().as_mut() {
            Some(queue) => queue.push(message),
            None => {
                let _ = self.worker.post_message(&message);
            }
        }
    }
}

impl Drop for ModelWorker {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}
