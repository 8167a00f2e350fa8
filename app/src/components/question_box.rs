//! The question: example questions, the box, Ask and Stop.

use super::PickedImage;
use leptos::{ev, prelude::*};

/// Questions that show what the agent is for; clicking one fills the box.
const EXAMPLES: [&str; 3] = [
    "When was the tower on the left finished?",
    "Which country's flag is the smaller one?",
    "What is the animal in the top right called?",
];

/// The question, with examples, the Ask button (Enter) and Stop (Esc).
#[component]
pub fn QuestionBox(
    question: RwSignal<String>,
    image: RwSignal<Option<PickedImage>>,
    /// Why asking is not possible yet, if it is not.
    blocked: Signal<Option<String>>,
    running: Signal<bool>,
    on_ask: Callback<()>,
    on_stop: Callback<()>,
) -> impl IntoView {
    let missing = move || {
        if image.with(Option::is_none) {
            Some("Add an image.".to_owned())
        } else if question.with(|q| q.trim().is_empty()) {
            Some("Write a question.".to_owned())
        } else {
            blocked.get()
        }
    };
    let ask = move || {
        if missing().is_none() && !running.get_untracked() {
            on_ask.run(());
        }
    };
    let _escape = window_event_listener(ev::keydown, move |ev| {
        if ev.key() == "Escape" && running.get_untracked() {
            on_stop.run(());
        }
    });
    view! {
        <div class="question-box">
            <label for="question">"Your question"</label>
            <textarea
                id="question"
                rows="2"
                placeholder="e.g. When was the tower on the left finished?"
                aria-describedby="ask-note"
                prop:value=move || question.get()
                on:input=move |ev| question.set(event_target_value(&ev))
                on:keydown=move |ev: ev::KeyboardEvent| {
                    if ev.key() == "Enter" && !ev.shift_key() {
                        ev.prevent_default();
                        ask();
                    }
                }
            ></textarea>
            <div class="examples" role="group" aria-label="Example questions">
                {EXAMPLES
                    .into_iter()
                    .map(|example| {
                        view! {
                            <button type="button" class="example" on:click=move |_| question.set(example.to_owned())>
                                {example}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <div class="ask-row">
                <button id="ask" type="button" disabled=move || missing().is_some() || running.get()
                    aria-describedby="ask-note" on:click=move |_| ask()>"Ask"</button>
                <button id="stop" type="button" hidden=move || !running.get() on:click=move |_| on_stop.run(())>"Stop (Esc)"</button>
            </div>
            <p id="ask-note" class="note">
                {move || match missing() {
                    _ if running.get() => "Running… press Esc to stop.".to_owned(),
                    Some(why) => why,
                    None => "Image and question are ready: press Enter or Ask.".to_owned(),
                }}
            </p>
        </div>
    }
}
