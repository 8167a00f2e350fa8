//! The browser entry point: Trunk builds this binary into the page's wasm module.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(gog_app::App);
}
