//! A search backend that lets the oracle see, as typed values, the results the agent just showed
//! the model as text. Every search still goes to the real backend; this only keeps a copy of the
//! latest answer.

use std::cell::RefCell;
use std::rc::Rc;

use gog_types::{ImageResult, Page, TextResult};
use gog_types::{SearchBackend, SearchError};

/// The answer to the latest search or read.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    Images(Vec<ImageResult>),
    Texts(Vec<TextResult>),
    Page(Page),
    Failed(String),
}

/// Where the latest observation is kept, shared by the backend and the oracle.
pub type Latest = Rc<RefCell<Option<Observation>>>;

/// `backend`, with each answer copied into `latest`.
#[derive(Debug)]
pub struct Observed<'b, B> {
    backend: &'b B,
    latest: Latest,
}

impl<'b, B> Observed<'b, B> {
    pub fn new(backend: &'b B, latest: Latest) -> Self {
        Observed { backend, latest }
    }

    fn keep<T>(&self, result: &Result<T, SearchError>, wrap: impl FnOnce(&T) -> Observation) {
        let observation = match result {
            Ok(value) => wrap(value),
            Err(e) => Observation::Failed(e.to_string()),
        };
        *self.latest.borrow_mut() = Some(observation);
    }
}

impl<B: SearchBackend> SearchBackend for Observed<'_, B> {
    fn name(&self) -> &str {
        self.backend.name()
    }

    async fn search_image(&self, image: &[u8], k: usize) -> Result<Vec<ImageResult>, SearchError> {
        let result = self.backend.search_image(image, k).await;
        self.keep(&result, |found| Observation::Images(found.clone()));
        result
    }

    async fn search_text(&self, query: &str, k: usize) -> Result<Vec<TextResult>, SearchError> {
        let result = self.backend.search_text(query, k).await;
        self.keep(&result, |found| Observation::Texts(found.clone()));
        result
    }

    async fn read(&self, page: &str) -> Result<Page, SearchError> {
        let result = self.backend.read(page).await;
        self.keep(&result, |found| Observation::Page(found.clone()));
        result
    }
}
