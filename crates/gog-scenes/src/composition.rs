//! A composed scene: its record and every choice needed to draw it, so that drawing needs no
//! randomness and a test can draw the backdrop alone to see what each picture changed.

use std::io::Cursor;

use image::RgbImage;

use crate::SceneError;
use crate::layout::Placement;
use crate::look::Look;
use crate::record::Record;
use crate::render::{Backdrop, picture};

/// JPEG quality of the scenes: high enough that compression is not what a search must survive.
const SCENE_QUALITY: u8 = 88;

/// One picture to draw.
#[derive(Debug, Clone)]
pub struct Print {
    /// The entity's thumbnail, decoded.
    pub picture: RgbImage,
    pub placement: Placement,
    pub look: Look,
}

/// A scene, composed but not drawn.
#[derive(Debug, Clone)]
pub struct Composition<'a> {
    pub record: Record,
    /// The wording the question was filled in from (see [`crate::phrasing`]).
    pub wording: &'static str,
    /// `(width, height)`.
    pub canvas: (u32, u32),
    pub backdrop: Backdrop<'a>,
    /// In drawing order, as the record's entities.
    pub prints: Vec<Print>,
}

impl Composition<'_> {
    /// The backdrop alone.
    pub fn background(&self) -> RgbImage {
        self.backdrop.render(self.canvas)
    }

    /// The scene: the backdrop, then every picture.
    pub fn render(&self) -> RgbImage {
        let mut canvas = self.background();
        for print in &self.prints {
            picture::draw(&mut canvas, &print.picture, print.placement, &print.look);
        }
        canvas
    }

    /// The scene as the JPEG a record's `image` names.
    pub fn encode(&self) -> Result<Vec<u8>, SceneError> {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(Cursor::new(&mut out), SCENE_QUALITY)
            .encode_image(&self.render())
            .map_err(|e| SceneError::Encode {
                id: self.record.id.clone(),
                reason: e.to_string(),
            })?;
        Ok(out)
    }
}
