//! The browser entry point: Trunk builds this binary into the page's wasm module.

fn main() {
    console_error_panic_hook::set_once();
    register_service_worker();
    leptos::mount::mount_to_body(gog_app::App);
}

/// After one visit the app opens offline (`public/sw.js`). Where the browser refuses (a private
/// window, plain http on another host) the app works the same, online only.
fn register_service_worker() {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().service_worker().register("./sw.js");
    }
}
