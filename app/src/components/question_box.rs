use super::PickedImage;
use leptos::prelude::*;

/// Questions that show what the agent is for; clicking one fills the box.
const EXAMPLES: [&str; 3] = [
    "When was the tower on the left finished?",
    "Which country's flag is the smaller one?",
    "What is the animal in the top right called?",
];

/// The question, with examples and the button that will run the agent.
#[component]
pub fn QuestionBox(
    question: RwSignal<String>,
    image: RwSignal<Option<PickedImage>>,
) -> impl IntoView {
    let ready = move || image.with(Option::is_some) && !question.with(|q| q.trim().is_empty());
    view! {
        <div class="question-box">
            <label for="question">"Your question"</label>
            <textarea
                id="question"
                rows="2"
                placeholder="e.g. When was the tower on the left finished?"
                prop:value=move || question.get()
                on:input=move |ev| question.set(event_target_value(&ev))
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
            <button id="ask" type="button" disabled=true aria-describedby="ask-note">"Ask"</button>
            <p id="ask-note" class="note">
                {move || if ready() {
                    "Image and question are ready. Answering needs the in-browser model, which this build does not include yet."
                } else {
                    "Add an image and a question. Answering needs the in-browser model, which this build does not include yet."
                }}
            </p>
        </div>
    }
}
