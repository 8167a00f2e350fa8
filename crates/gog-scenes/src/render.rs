//! Drawing a scene: the background photo cropped to the canvas, then each picture with a drop
//! shadow and a white frame, as prints laid on a table.

use image::{RgbImage, imageops};
use rand::Rng;

use crate::layout::{CANVAS, FRAME, Rect, SHADOW};

/// How much the shadow darkens what lies under it.
const SHADOW_LIGHT: u16 = 140;

/// A random crop of `photo` with the canvas's aspect, at least half the photo's size, scaled to
/// the canvas.
pub fn background(photo: &RgbImage, rng: &mut impl Rng) -> RgbImage {
    let (cw, ch) = CANVAS;
    let (pw, ph) = photo.dimensions();
    // The largest canvas-shaped window of the photo, then a random share of it.
    let fit = (f64::from(pw) / f64::from(cw)).min(f64::from(ph) / f64::from(ch));
    let share = rng.random_range(0.6..=1.0);
    let w = ((f64::from(cw) * fit * share).round() as u32).clamp(1, pw);
    let h = ((f64::from(ch) * fit * share).round() as u32).clamp(1, ph);
    let x = rng.random_range(0..=pw - w);
    let y = rng.random_range(0..=ph - h);
    let window = imageops::crop_imm(photo, x, y, w, h).to_image();
    imageops::resize(&window, cw, ch, imageops::FilterType::Triangle)
}

/// Draws `picture` into `framed` (its box, frame included) on `canvas`.
pub fn picture(canvas: &mut RgbImage, picture: &RgbImage, framed: Rect) {
    darken(
        canvas,
        Rect {
            x: framed.x + SHADOW,
            y: framed.y + SHADOW,
            ..framed
        },
    );
    fill_white(canvas, framed);
    let inner = imageops::resize(
        picture,
        framed.w - 2 * FRAME,
        framed.h - 2 * FRAME,
        imageops::FilterType::CatmullRom,
    );
    imageops::replace(
        canvas,
        &inner,
        i64::from(framed.x + FRAME),
        i64::from(framed.y + FRAME),
    );
}

/// Applies `paint` to every canvas pixel inside `rect`.
fn each_pixel(canvas: &mut RgbImage, rect: Rect, paint: impl Fn(&mut image::Rgb<u8>)) {
    let (w, h) = canvas.dimensions();
    for y in rect.y..(rect.y + rect.h).min(h) {
        for x in rect.x..(rect.x + rect.w).min(w) {
            paint(canvas.get_pixel_mut(x, y));
        }
    }
}

fn darken(canvas: &mut RgbImage, rect: Rect) {
    each_pixel(canvas, rect, |pixel| {
        for c in &mut pixel.0 {
            *c = ((u16::from(*c) * SHADOW_LIGHT) / 255) as u8;
        }
    });
}

fn fill_white(canvas: &mut RgbImage, rect: Rect) {
    each_pixel(canvas, rect, |pixel| pixel.0 = [255; 3]);
}
