//! `fetch` as the core's [`Upstream`]: each try races the request (body included) against a
//! timer and aborts it when the timer wins.

use futures_util::future::{Either, select};
use gog_proxy_core::upstream::{HttpRequest, HttpResponse, NetworkError, Upstream};
use std::time::Duration;
use worker::js_sys::{Math, Uint8Array};
use worker::{AbortController, Delay, Fetch, Headers, Request, RequestInit};

pub struct FetchUpstream;

async fn exchange(
    request: &HttpRequest,
    controller: &AbortController,
) -> worker::Result<HttpResponse> {
    let headers = Headers::new();
    for (name, value) in &request.headers {
        headers.set(name, value)?;
    }
    let mut init = RequestInit::new();
    init.with_method(worker::Method::from(request.method.to_owned()))
        .with_headers(headers)
        .with_body(
            request
                .body
                .as_deref()
                .map(|body| Uint8Array::from(body).into()),
        );
    let outgoing = Request::new_with_init(&request.url, &init)?;
    let mut response = Fetch::Request(outgoing)
        .send_with_signal(&controller.signal())
        .await?;
    let retry_after = response.headers().get("retry-after")?;
    Ok(HttpResponse {
        status: response.status_code(),
        retry_after,
        body: response.bytes().await?,
    })
}

impl Upstream for FetchUpstream {
    async fn send(
        &self,
        request: &HttpRequest,
        timeout_ms: u64,
    ) -> Result<HttpResponse, NetworkError> {
        let controller = AbortController::default();
        let timer = Delay::from(Duration::from_millis(timeout_ms));
        let outcome = {
            let exchange = std::pin::pin!(exchange(request, &controller));
            match select(exchange, timer).await {
                Either::Left((outcome, _)) => Some(outcome),
                Either::Right(_) => None,
            }
        };
        match outcome {
            Some(Ok(response)) => Ok(response),
            Some(Err(_)) => Err(NetworkError::Failed),
            None => {
                controller.abort();
                Err(NetworkError::Timeout(timeout_ms))
            }
        }
    }

    async fn sleep(&self, ms: u64) {
        Delay::from(Duration::from_millis(ms)).await;
    }

    fn now_ms(&self) -> u64 {
        worker::Date::now().as_millis()
    }

    fn random(&self) -> f64 {
        Math::random()
    }
}
