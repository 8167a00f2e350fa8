//! The Cloudflare Worker entry point. It only translates between `worker` types and
//! [`gog_proxy_core`], which decides every response and is tested natively; the platform's
//! services are wired in [`bindings`].

mod bindings;
mod corpus;
mod upstream;

use gog_proxy_core::{Method, ProxyConfig, ProxyRequest, respond};
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
        &bindings::ephemeral_secret(),
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
    let method = Method::parse(req.method().as_ref());
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
        async || req.bytes().await.map_err(|err| err.to_string()),
        &config,
        &bindings,
        env!("CARGO_PKG_VERSION"),
    )
    .await;

    // The path only: queries carry image signatures, and nothing here ever holds a key.
    console_log!(
        "{} {} {} {} ms",
        request.method.as_str(),
        request.path,
        response.status,
        worker::Date::now().as_millis().saturating_sub(started)
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
