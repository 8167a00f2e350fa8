//! The gallery of GoG-Offline scenes the build ships: `gallery/gallery.json` and the scene
//! images beside it, staged by `cargo xtask` from the corpus's test split.

use serde::Deserialize;

/// Where the listing is, relative to the page.
pub const LISTING_URL: &str = "gallery/gallery.json";

/// One scene to try: its picture, the question it was made with, and the answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GalleryScene {
    pub id: String,
    /// What answering needs, as GoG-Offline labels it: `glance`, `gaze`, `text`, `multi-hop`,
    /// `no-search`.
    pub category: String,
    pub question: String,
    pub answer: String,
    pub width: u32,
    pub height: u32,
    /// The image, relative to the page.
    pub image: String,
}

impl GalleryScene {
    /// The category as a person reads it.
    pub fn category_label(&self) -> &str {
        match self.category.as_str() {
            "glance" => "Glance",
            "gaze" => "Gaze",
            "text" => "Text search",
            "multi-hop" => "Two facts",
            "no-search" => "No search",
            other => other,
        }
    }

    /// The file name the picked image gets.
    pub fn file_name(&self) -> String {
        format!("{}.jpg", self.id)
    }
}

#[derive(Debug, Deserialize)]
struct Listing {
    scenes: Vec<GalleryScene>,
}

/// The scenes this build ships; none when it ships no gallery.
pub async fn scenes() -> Result<Vec<GalleryScene>, String> {
    let response = crate::http::get_any(LISTING_URL).await?;
    if response.status() == 404 {
        return Ok(Vec::new());
    }
    let text = crate::http::text(LISTING_URL, crate::http::checked(LISTING_URL, response)?).await?;
    serde_json::from_str::<Listing>(&text)
        .map(|listing| listing.scenes)
        .map_err(|err| format!("{LISTING_URL} is not a gallery listing: {err}"))
}

/// The bytes of a scene's image.
pub async fn image(scene: &GalleryScene) -> Result<Vec<u8>, String> {
    crate::http::get(&scene.image)
        .await?
        .binary()
        .await
        .map_err(|err| format!("{} could not be read: {err}", scene.image))
}
