//! Drawing a scene: its backdrop (a crop of a photo, or a pattern made from the seed), then each
//! picture in order, later ones over earlier ones. Every random choice was made before drawing,
//! so drawing is a pure function of the composition.

pub mod photo;
pub mod picture;
pub mod synthetic;

use image::RgbImage;

use crate::render::photo::PhotoWindow;
use crate::render::synthetic::Synthetic;

/// What a scene's pictures are laid on.
#[derive(Debug, Clone)]
pub enum Backdrop<'a> {
    Photo(PhotoWindow<'a>),
    Synthetic(Synthetic),
}

impl Backdrop<'_> {
    /// The backdrop alone at `canvas` size.
    pub fn render(&self, canvas: (u32, u32)) -> RgbImage {
        match self {
            Backdrop::Photo(window) => window.render(canvas),
            Backdrop::Synthetic(pattern) => pattern.render(canvas),
        }
    }

    /// The name a record gives it: the photo's, or `synthetic-` and the pattern's.
    pub fn name(&self) -> String {
        match self {
            Backdrop::Photo(window) => window.photo.name.clone(),
            Backdrop::Synthetic(pattern) => pattern.name(),
        }
    }
}
