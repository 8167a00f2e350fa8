//! The gallery of GoG-Offline scenes to try.

use super::PickedImage;
use crate::gallery::{self, GalleryScene};
use leptos::{prelude::*, task::spawn_local};

/// GoG-Offline scenes to try: picking one puts its picture and question in place, and the
/// answer the scene was made with can be revealed beside it.
#[component]
pub fn SceneGallery(
    image: RwSignal<Option<PickedImage>>,
    question: RwSignal<String>,
) -> impl IntoView {
    let scenes = RwSignal::new(Vec::<GalleryScene>::new());
    let picked = RwSignal::new(None::<GalleryScene>);
    let error = RwSignal::new(None::<String>);
    spawn_local(async move {
        match gallery::scenes().await {
            Ok(listed) => scenes.set(listed),
            Err(message) => error.set(Some(format!("The demo scenes cannot be shown: {message}"))),
        }
    });
    // Counts picks, so that only the latest one's picture lands.
    let picks = StoredValue::new(0u64);
    let pick = move |scene: GalleryScene| {
        picks.update_value(|n| *n += 1);
        let this_pick = picks.get_value();
        let shown_before = image.with_untracked(|i| i.as_ref().map(|i| i.object_url.clone()));
        spawn_local(async move {
            let loaded = gallery::image(&scene)
                .await
                .and_then(|bytes| PickedImage::from_bytes(scene.file_name(), bytes));
            // A later pick, or a picture dropped meanwhile, wins over this one.
            let shown_now = image.with_untracked(|i| i.as_ref().map(|i| i.object_url.clone()));
            if picks.get_value() != this_pick || shown_now != shown_before {
                if let Ok(stale) = loaded {
                    let _ = web_sys::Url::revoke_object_url(&stale.object_url);
                }
                return;
            }
            match loaded {
                Ok(loaded) => {
                    error.set(None);
                    loaded.show_in(image);
                    question.set(scene.question.clone());
                    picked.set(Some(scene));
                }
                // Whatever was picked before stays.
                Err(message) => error.set(Some(message)),
            }
        });
    };
    // The note belongs to the scene only while its picture is the one asked about.
    let shown_scene = move || {
        let scene = picked.get()?;
        image
            .with(|i| i.as_ref().is_some_and(|i| i.file_name == scene.file_name()))
            .then_some(scene)
    };

    view! {
        <details class="gallery" open hidden=move || scenes.with(Vec::is_empty) && error.with(Option::is_none)>
            <summary>"Try a GoG-Offline scene"</summary>
            <ul class="scenes">
                {move || scenes.get().into_iter().map(|scene| {
                    let label = format!("{} scene {}: {}", scene.category_label(), scene.id, scene.question);
                    let category = scene.category_label().to_owned();
                    let src = scene.image.clone();
                    let (width, height) = (scene.width, scene.height);
                    let id = scene.id.clone();
                    view! {
                        <li>
                            <button type="button" class="scene" data-scene=id aria-label=label
                                on:click=move |_| pick(scene.clone())>
                                <img src=src alt="" width=width height=height loading="lazy" />
                                <span class="category">{category}</span>
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            {move || shown_scene().map(|scene| view! {
                <div id="scene-note" class="note">
                    {format!("Scene {}, a {} question. ", scene.id, scene.category_label().to_lowercase())}
                    <details class="scene-answer">
                        <summary>"Show the scene's answer"</summary>
                        <span id="scene-answer">{scene.answer.clone()}</span>
                    </details>
                </div>
            })}
            <p id="gallery-error" class="error" role="alert" hidden=move || error.with(Option::is_none)>
                {move || error.get().unwrap_or_default()}
            </p>
        </details>
    }
}
