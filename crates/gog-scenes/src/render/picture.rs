//! Drawing one picture: scaled to its size, framed, turned, its shadow darkened into the canvas,
//! then laid over it with its edges blended.

use image::{Rgb, RgbImage, Rgba, RgbaImage, imageops};

use crate::layout::Placement;
use crate::look::{Look, Shadow};

/// How much a hard shadow darkens what lies under it, of 255: the shadow keeps 140 of 255.
const HARD_DEPTH: u32 = 255 - 140;
/// How much the darkest part of a soft shadow darkens, of 255.
const SOFT_DEPTH: u32 = 130;
/// A box blur run this many times is close to a Gaussian.
const BLUR_PASSES: u32 = 3;

/// Draws `picture` (a thumbnail) on `canvas` as `placement` and `look` say.
pub fn draw(canvas: &mut RgbImage, picture: &RgbImage, placement: Placement, look: &Look) {
    let tile = turned(
        &framed(picture, placement.inner, look.frame),
        look,
        placement,
    );
    let (x, y) = (placement.outer.x, placement.outer.y);
    match look.shadow {
        Shadow::None => {}
        Shadow::Hard { offset } => {
            let alpha: Vec<u32> = tile.pixels().map(|p| u32::from(p[3])).collect();
            let at = (i64::from(x + offset), i64::from(y + offset));
            darken(canvas, &alpha, tile.width(), at, HARD_DEPTH);
        }
        Shadow::Soft { offset, blur } => {
            let pad = BLUR_PASSES * blur;
            let (w, h) = (tile.width() + 2 * pad, tile.height() + 2 * pad);
            let mut mask = vec![0u32; (w * h) as usize];
            for (i, j, pixel) in tile.enumerate_pixels() {
                mask[((j + pad) * w + i + pad) as usize] = u32::from(pixel[3]);
            }
            for _ in 0..BLUR_PASSES {
                box_blur(&mut mask, w, h, blur);
            }
            let at = (
                i64::from(x) + i64::from(offset) - i64::from(pad),
                i64::from(y) + i64::from(offset) - i64::from(pad),
            );
            darken(canvas, &mask, w, at, SOFT_DEPTH);
        }
    }
    lay(canvas, &tile, (x, y));
}

/// The picture scaled to `inner` (Catmull-Rom), inside a white frame `frame` pixels wide.
fn framed(picture: &RgbImage, inner: (u32, u32), frame: u32) -> RgbaImage {
    let scaled = imageops::resize(picture, inner.0, inner.1, imageops::FilterType::CatmullRom);
    let mut tile = RgbaImage::from_pixel(inner.0 + 2 * frame, inner.1 + 2 * frame, Rgba([255; 4]));
    for (i, j, &Rgb([r, g, b])) in scaled.enumerate_pixels() {
        tile.put_pixel(i + frame, j + frame, Rgba([r, g, b, 255]));
    }
    tile
}

/// `tile` turned by the look's angle into the placement's box, sampled bilinearly; what falls
/// outside the tile is transparent, so its edges are smooth.
fn turned(tile: &RgbaImage, look: &Look, placement: Placement) -> RgbaImage {
    if look.degrees == 0.0 {
        return tile.clone();
    }
    let (w, h) = (placement.outer.w, placement.outer.h);
    let (sin, cos) = look.degrees.to_radians().sin_cos();
    let (tw, th) = (f64::from(tile.width()), f64::from(tile.height()));
    let mut out = RgbaImage::new(w, h);
    for (ox, oy, pixel) in out.enumerate_pixels_mut() {
        let dx = f64::from(ox) + 0.5 - f64::from(w) / 2.0;
        let dy = f64::from(oy) + 0.5 - f64::from(h) / 2.0;
        // The tile's point that lands here, in its pixel-centre coordinates.
        let sx = cos * dx + sin * dy + tw / 2.0 - 0.5;
        let sy = -sin * dx + cos * dy + th / 2.0 - 0.5;
        let (x0, y0) = (sx.floor(), sy.floor());
        let (fx, fy) = (sx - x0, sy - y0);
        let mut colour = [0.0f64; 3];
        let mut weight = 0.0;
        for (nx, ny, share) in [
            (x0, y0, (1.0 - fx) * (1.0 - fy)),
            (x0 + 1.0, y0, fx * (1.0 - fy)),
            (x0, y0 + 1.0, (1.0 - fx) * fy),
            (x0 + 1.0, y0 + 1.0, fx * fy),
        ] {
            if nx >= 0.0 && ny >= 0.0 && nx < tw && ny < th && share > 0.0 {
                let source = tile.get_pixel(nx as u32, ny as u32);
                for (c, s) in colour.iter_mut().zip(source.0) {
                    *c += share * f64::from(s);
                }
                weight += share;
            }
        }
        if weight > 0.0 {
            let [r, g, b] = colour.map(|c| (c / weight).round().clamp(0.0, 255.0) as u8);
            *pixel = Rgba([r, g, b, (weight * 255.0).round() as u8]);
        }
    }
    out
}

/// Darkens the canvas under `mask` (`width` wide, values 0–255) laid at `at`, which may lie
/// partly off the canvas: where the mask is 255, a colour keeps `255 - depth` of 255.
fn darken(canvas: &mut RgbImage, mask: &[u32], width: u32, at: (i64, i64), depth: u32) {
    const FULL: u32 = 255 * 255;
    let (cw, ch) = (i64::from(canvas.width()), i64::from(canvas.height()));
    for (k, &m) in mask.iter().enumerate() {
        let (x, y) = (
            at.0 + (k as u32 % width) as i64,
            at.1 + (k as u32 / width) as i64,
        );
        if m == 0 || x < 0 || y < 0 || x >= cw || y >= ch {
            continue;
        }
        let keep = FULL - m * depth;
        for c in &mut canvas.get_pixel_mut(x as u32, y as u32).0 {
            *c = ((u32::from(*c) * keep) / FULL) as u8;
        }
    }
}

/// Lays `tile` over the canvas at `at`, blending by its alpha; clipped to the canvas.
fn lay(canvas: &mut RgbImage, tile: &RgbaImage, at: (u32, u32)) {
    let (cw, ch) = canvas.dimensions();
    for (i, j, &Rgba([r, g, b, a])) in tile.enumerate_pixels() {
        let (x, y) = (at.0 + i, at.1 + j);
        if a == 0 || x >= cw || y >= ch {
            continue;
        }
        let under = canvas.get_pixel_mut(x, y);
        if a == 255 {
            *under = Rgb([r, g, b]);
        } else {
            let a = u32::from(a);
            for (c, s) in under.0.iter_mut().zip([r, g, b]) {
                *c = ((u32::from(s) * a + u32::from(*c) * (255 - a) + 127) / 255) as u8;
            }
        }
    }
}

/// One pass of a box blur of `radius` over a `w` × `h` mask, rows then columns, by running
/// sums; values past the edges count as 0.
fn box_blur(mask: &mut [u32], w: u32, h: u32, radius: u32) {
    let (w, h, r) = (w as usize, h as usize, radius as usize);
    let window = (2 * r + 1) as u32;
    let mut line = Vec::new();
    let mut pass =
        |mask: &mut [u32], count: usize, len: usize, index: &dyn Fn(usize, usize) -> usize| {
            for l in 0..count {
                line.clear();
                line.extend((0..len).map(|k| mask[index(l, k)]));
                let mut sum: u32 = line.iter().take(r + 1).sum();
                for k in 0..len {
                    mask[index(l, k)] = sum / window;
                    if k + r + 1 < len {
                        sum += line[k + r + 1];
                    }
                    if k >= r {
                        sum -= line[k - r];
                    }
                }
            }
        };
    pass(mask, h, w, &|row, k| row * w + k);
    pass(mask, w, h, &|column, k| k * w + column);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Rect;

    fn placed(inner: (u32, u32), look: &Look, at: (u32, u32)) -> Placement {
        let (w, h) = look.outer(inner);
        Placement {
            inner,
            outer: Rect {
                x: at.0,
                y: at.1,
                w,
                h,
            },
        }
    }

    #[test]
    fn a_framed_print_is_white_at_its_edge_and_shadowed_below_right() {
        let mut canvas = RgbImage::from_pixel(100, 100, Rgb([200, 100, 50]));
        let picture = RgbImage::from_pixel(10, 10, Rgb([0, 0, 255]));
        let look = Look {
            frame: 5,
            shadow: Shadow::Hard { offset: 6 },
            degrees: 0.0,
        };
        draw(
            &mut canvas,
            &picture,
            placed((20, 20), &look, (10, 10)),
            &look,
        );
        assert_eq!(canvas.get_pixel(10, 10).0, [255, 255, 255]);
        assert_eq!(canvas.get_pixel(20, 20).0, [0, 0, 255]);
        // The shadow keeps 140 of 255 of the colour under it.
        assert_eq!(canvas.get_pixel(44, 44).0, [109, 54, 27]);
        assert_eq!(canvas.get_pixel(47, 47).0, [200, 100, 50]);
    }

    #[test]
    fn a_turned_picture_fills_its_box_but_its_corners() {
        let mut canvas = RgbImage::from_pixel(200, 200, Rgb([0, 0, 0]));
        let picture = RgbImage::from_pixel(10, 10, Rgb([255, 255, 255]));
        let look = Look {
            frame: 0,
            shadow: Shadow::None,
            degrees: 8.0,
        };
        let placement = placed((100, 60), &look, (20, 30));
        draw(&mut canvas, &picture, placement, &look);
        let [x1, y1, x2, y2] = placement.outer.corners();
        let lit = |x: u32, y: u32| canvas.get_pixel(x, y)[0] > 128;
        assert!(lit((x1 + x2) / 2, (y1 + y2) / 2));
        assert!(
            !lit(x1, y1) && !lit(x2 - 1, y2 - 1),
            "corners stay background"
        );
        // Every side of the box touches the picture.
        assert!((x1..x2).any(|x| lit(x, y1 + 1)) && (x1..x2).any(|x| lit(x, y2 - 2)));
        assert!((y1..y2).any(|y| lit(x1 + 1, y)) && (y1..y2).any(|y| lit(x2 - 2, y)));
        assert!((0..200).all(|y| !lit(x1 - 1, y) && !lit(x2 + 1, y)));
    }

    #[test]
    fn a_soft_shadow_fades_out() {
        let mut canvas = RgbImage::from_pixel(120, 120, Rgb([200, 200, 200]));
        let picture = RgbImage::from_pixel(10, 10, Rgb([0, 255, 0]));
        let look = Look {
            frame: 0,
            shadow: Shadow::Soft { offset: 4, blur: 4 },
            degrees: 0.0,
        };
        draw(
            &mut canvas,
            &picture,
            placed((40, 40), &look, (30, 30)),
            &look,
        );
        let grey = |x: u32, y: u32| canvas.get_pixel(x, y)[0];
        assert!(grey(72, 72) < grey(78, 78) && grey(78, 78) < grey(90, 90));
        assert_eq!(grey(90, 90), 200);
        assert_eq!(grey(40, 40), 0, "the picture covers its own shadow");
    }
}
