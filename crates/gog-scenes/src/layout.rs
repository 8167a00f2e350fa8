//! Where pictures go: the canvas is cut into one cell per picture (one, two or three columns,
//! or a 2 × 2 grid), and each picture is scaled and placed at random inside its cell, so
//! pictures never overlap and every one has a position a question can name.

use rand::Rng;

/// The scene's size: 4:3, large enough that a gaze crop of a small picture still has detail.
pub const CANVAS: (u32, u32) = (800, 600);
/// White frame drawn around each picture.
pub const FRAME: u32 = 5;
/// How far the drop shadow falls below and to the right.
pub const SHADOW: u32 = 6;
/// Space kept free at the canvas edge and between a picture and its cell's edge.
const MARGIN: u32 = 16;
/// Pictures are never blown up more than this over their thumbnail.
const MAX_UPSCALE: f64 = 2.0;
/// Nor made smaller than this on their shorter side.
const MIN_SIDE: u32 = 40;

/// The most pictures in one scene.
pub const MAX_PICTURES: usize = 4;

/// A rectangle of the canvas, `x`/`y` its top-left corner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

impl Rect {
    /// `[x1, y1, x2, y2]`, end exclusive.
    pub fn corners(self) -> [u32; 4] {
        [self.x, self.y, self.x + self.w, self.y + self.h]
    }

    pub fn area(self) -> u64 {
        u64::from(self.w) * u64::from(self.h)
    }
}

/// One picture's cell and the words that name its position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub rect: Rect,
    /// "on the left", "in the top-right corner"; empty when the picture is alone.
    pub position: &'static str,
}

/// The cells for `count` pictures (1 to [`MAX_PICTURES`]), left to right, top to bottom.
pub fn cells(count: usize) -> Vec<Cell> {
    let (w, h) = CANVAS;
    let (columns, rows, positions): (u32, u32, &[&'static str]) = match count {
        0 | 1 => (1, 1, &[""]),
        2 => (2, 1, &["on the left", "on the right"]),
        3 => (3, 1, &["on the left", "in the middle", "on the right"]),
        _ => (
            2,
            2,
            &[
                "in the top-left corner",
                "in the top-right corner",
                "in the bottom-left corner",
                "in the bottom-right corner",
            ],
        ),
    };
    let cell_w = (w - MARGIN) / columns;
    let cell_h = (h - MARGIN) / rows;
    positions
        .iter()
        .enumerate()
        .map(|(i, position)| {
            let (column, row) = (i as u32 % columns, i as u32 / columns);
            Cell {
                rect: Rect {
                    x: MARGIN + column * cell_w,
                    y: MARGIN + row * cell_h,
                    w: cell_w - MARGIN,
                    h: cell_h - MARGIN,
                },
                position,
            }
        })
        .collect()
}

/// Where a `picture`-sized picture (thumbnail pixels) goes in `cell`: its framed box on the
/// canvas, at a random scale between `scale.0` and `scale.1` of the largest that fits.
pub fn place(cell: Rect, picture: (u32, u32), scale: (f64, f64), rng: &mut impl Rng) -> Rect {
    let room_w = f64::from(cell.w - 2 * FRAME - SHADOW);
    let room_h = f64::from(cell.h - 2 * FRAME - SHADOW);
    let (pw, ph) = (f64::from(picture.0.max(1)), f64::from(picture.1.max(1)));
    let fit = (room_w / pw).min(room_h / ph);
    let factor = (fit * rng.random_range(scale.0..=scale.1)).min(MAX_UPSCALE);
    // Keep the shorter side readable, as long as the cell has room for it.
    let factor = factor.max((f64::from(MIN_SIDE) / pw.min(ph)).min(fit));
    let w = ((pw * factor).round() as u32).clamp(1, room_w as u32) + 2 * FRAME;
    let h = ((ph * factor).round() as u32).clamp(1, room_h as u32) + 2 * FRAME;
    let x = cell.x + rng.random_range(0..=cell.w - SHADOW - w);
    let y = cell.y + rng.random_range(0..=cell.h - SHADOW - h);
    Rect { x, y, w, h }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn placed_pictures_stay_in_their_cells_and_on_the_canvas() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for count in 1..=MAX_PICTURES {
            let cells = cells(count);
            assert_eq!(cells.len(), count);
            for cell in &cells {
                for picture in [(256, 192), (192, 192), (384, 120), (90, 384), (8, 8)] {
                    let placed = place(cell.rect, picture, (0.5, 1.0), &mut rng);
                    let [x1, y1, x2, y2] = placed.corners();
                    let [cx1, cy1, cx2, cy2] = cell.rect.corners();
                    assert!(x1 >= cx1 && y1 >= cy1, "{placed:?} in {cell:?}");
                    assert!(
                        x2 + SHADOW <= cx2 && y2 + SHADOW <= cy2,
                        "{placed:?} in {cell:?}"
                    );
                    assert!(x2 <= CANVAS.0 && y2 <= CANVAS.1);
                    assert!(placed.w > 2 * FRAME && placed.h > 2 * FRAME);
                }
            }
            for (i, a) in cells.iter().enumerate() {
                for b in &cells[i + 1..] {
                    let [ax1, ay1, ax2, ay2] = a.rect.corners();
                    let [bx1, by1, bx2, by2] = b.rect.corners();
                    assert!(ax2 <= bx1 || bx2 <= ax1 || ay2 <= by1 || by2 <= ay1);
                }
            }
        }
    }
}
