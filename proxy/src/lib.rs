//! The Cloudflare Worker entry point. It only translates between `worker` types and
//! [`gog_proxy_core`], which decides every response and is tested natively.

use gog_proxy_core::{Method, ProxyConfig, ProxyRequest, respond};
use worker::{Context, Env, Headers, Request, Response, Result, event};

#[event(start)]
fn start() {
    console_error_panic_hook::set_once();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let config = ProxyConfig::from_vars(|name| env.var(name).ok().map(|value| value.to_string()));
    let url = req.url()?;
    let origin = req.headers().get("origin")?;
    let request = ProxyRequest {
        method: Method::parse(req.method().as_ref()),
        path: url.path(),
        origin: origin.as_deref(),
    };
    let response = respond(&request, &config, env!("CARGO_PKG_VERSION"));

    let headers = Headers::new();
    for (name, value) in &response.headers {
        headers.append(name, value)?;
    }
    let body = (!response.body.is_empty()).then_some(response.body);
    Ok(Response::builder()
        .with_status(response.status)
        .with_headers(headers)
        .body(body.map_or(worker::ResponseBody::Empty, |b| {
            worker::ResponseBody::Body(b.into_bytes())
        })))
}
