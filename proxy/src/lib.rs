//! The Cloudflare Worker entry point. It only translates between `worker` types and
//! [`gog_proxy_core`], which decides every response and is tested natively; the platform's
//! services are wired in [`bindings`].

mod bindings;
mod corpus;
mod upstream;

use futures_util::StreamExt;
use gog_proxy_core::{Method, ProxyConfig, ProxyRequest, respond};
use wasm_bindgen::JsCast;
use worker::{Context, Env, Headers, Request, Response, Result, console_log, event};

use crate::bindings::WorkerBindings;

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let started = worker::Date::now().as_millis();
    let config = ProxyConfig::from_env(
        |name| env.var(name).ok().map(|value| value.to_string()),
        |name| env.secret(name).ok().map(|value| value.to_string()),
        bindings::ephemeral_secret().as_deref(),
    );
    let url = req.url()?;
    let headers = req.headers();
    let origin = headers.get("origin")?;
    let client = headers
        .get("cf-connecting-ip")?
        .unwrap_or_else(|| "unknown".to_owned());
    let content_length = headers
        .get("content-length")?
        .and_then(|value| value.parse().ok());
    // The method as sent: `worker::Method` reads any method it does not know as GET.
    let method = Method::parse(&req.inner().method());
    let request = ProxyRequest {
        method,
        path: url.path(),
        query: url.query().unwrap_or_default(),
        origin: origin.as_deref(),
        client: &client,
        content_length,
    };
    let bindings = WorkerBindings::new(&env)?;
    let response = respond(
        &request,
        async |limit| read_body(&mut req, limit).await,
        &config,
        &bindings,
        env!("CARGO_PKG_VERSION"),
    )
    .await;

    // The path only: queries carry image signatures, and nothing here ever holds a key. The
    // instance's memory shows what the limits keep it to (docs/API.md, "Limits").
    console_log!(
        "{} {} {} {} ms {} MiB",
        request.method.as_str(),
        request.path,
        response.status,
        worker::Date::now().as_millis().saturating_sub(started),
        wasm_memory_bytes() >> 20
    );
    let out = Headers::new();
    for (name, value) in &response.headers {
        out.append(name, value)?;
    }
    let body = if response.body.is_empty() {
        worker::ResponseBody::Empty
    } else {
        worker::ResponseBody::Body(response.body)
    };
    Ok(Response::builder()
        .with_status(response.status)
        .with_headers(out)
        .body(body))
}

/// The body, read until it ends or holds more than `limit` bytes: a body sent without a
/// declared length is not buffered past the route's limit (the core then answers 413).
async fn read_body(req: &mut Request, limit: usize) -> std::result::Result<Vec<u8>, String> {
    if req.inner().body().is_none() {
        return Ok(Vec::new());
    }
    let mut stream = req.stream().map_err(|err| err.to_string())?;
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk.map_err(|err| err.to_string())?);
        if body.len() > limit {
            break;
        }
    }
    Ok(body)
}

/// The size of this instance's wasm memory, which only ever grows.
fn wasm_memory_bytes() -> u64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|memory| {
            memory
                .buffer()
                .dyn_into::<js_sys::ArrayBuffer>()
                .map_or(0, |buffer| u64::from(buffer.byte_length()))
        })
        .unwrap_or(0)
}
