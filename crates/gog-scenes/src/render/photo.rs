//! A background photo cropped to the canvas: a random window of the canvas's shape, at least a
//! share of the largest such window, scaled to the canvas and perhaps mirrored.

use image::{RgbImage, imageops};
use rand::Rng;

use crate::background::Background;
use crate::draw;

/// The part of a photo a scene shows.
#[derive(Debug, Clone)]
pub struct PhotoWindow<'a> {
    pub photo: &'a Background,
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    /// Flipped left to right.
    pub mirrored: bool,
}

impl<'a> PhotoWindow<'a> {
    /// A window of `photo` with the `canvas`'s aspect, `share` (drawn in the range) of the
    /// largest that fits, mirrored with probability `mirror`.
    pub fn draw(
        photo: &'a Background,
        canvas: (u32, u32),
        share: (f64, f64),
        mirror: f64,
        rng: &mut impl Rng,
    ) -> Self {
        let (cw, ch) = canvas;
        let (pw, ph) = photo.image.dimensions();
        // The largest canvas-shaped window of the photo, then a random share of it.
        let fit = (f64::from(pw) / f64::from(cw)).min(f64::from(ph) / f64::from(ch));
        let share = draw::between(rng, share);
        let w = ((f64::from(cw) * fit * share).round() as u32).clamp(1, pw);
        let h = ((f64::from(ch) * fit * share).round() as u32).clamp(1, ph);
        let x = rng.random_range(0..=pw - w);
        let y = rng.random_range(0..=ph - h);
        let mirrored = draw::chance(rng, mirror);
        PhotoWindow {
            photo,
            x,
            y,
            w,
            h,
            mirrored,
        }
    }

    pub fn render(&self, canvas: (u32, u32)) -> RgbImage {
        let window =
            imageops::crop_imm(&self.photo.image, self.x, self.y, self.w, self.h).to_image();
        let mut scaled =
            imageops::resize(&window, canvas.0, canvas.1, imageops::FilterType::Triangle);
        if self.mirrored {
            imageops::flip_horizontal_in_place(&mut scaled);
        }
        scaled
    }
}
