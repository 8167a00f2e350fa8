//! Where pictures go: the canvas is cut into one cell per picture, in rows that follow its
//! shape (side by side on a landscape canvas, stacked on a portrait one), and each picture is
//! scaled and placed at random in its cell. A version may let a picture spill a little past
//! its cell, so neighbours can overlap, but its centre stays in its cell, so the words naming
//! its position stay true.

use rand::Rng;

use crate::draw;
use crate::look::Look;

/// Space kept free at the canvas edge and between a picture and its cell's edge.
const MARGIN: u32 = 16;
/// A picture that spills past its cell still keeps this far from the canvas edge.
const EDGE: u32 = MARGIN / 2;
/// Nor made smaller than this on their shorter side.
const MIN_SIDE: u32 = 40;

/// The most pictures any version puts in one scene.
pub const MAX_PICTURES: usize = 5;

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

    /// Grown by `share` of its size on each side, kept `EDGE` inside `canvas`.
    fn grown(self, share: f64, canvas: (u32, u32)) -> Rect {
        let [x1, y1, x2, y2] = self.corners();
        let gx = (f64::from(self.w) * share).round() as u32;
        let gy = (f64::from(self.h) * share).round() as u32;
        let (x1, y1) = (
            x1.saturating_sub(gx).max(EDGE),
            y1.saturating_sub(gy).max(EDGE),
        );
        let x2 = (x2 + gx).min(canvas.0 - EDGE).max(x1);
        let y2 = (y2 + gy).min(canvas.1 - EDGE).max(y1);
        Rect {
            x: x1,
            y: y1,
            w: x2 - x1,
            h: y2 - y1,
        }
    }
}

/// One picture's cell and the words that name its position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub rect: Rect,
    /// "on the left", "in the top-right corner"; empty when the picture is alone.
    pub position: &'static str,
}

const LEFT: &str = "on the left";
const RIGHT: &str = "on the right";
const MIDDLE: &str = "in the middle";
const TOP: &str = "at the top";
const BOTTOM: &str = "at the bottom";
const TOP_LEFT: &str = "in the top-left corner";
const TOP_MIDDLE: &str = "at the top in the middle";
const TOP_RIGHT: &str = "in the top-right corner";
const BOTTOM_LEFT: &str = "in the bottom-left corner";
const BOTTOM_RIGHT: &str = "in the bottom-right corner";

/// The cells for `count` pictures (1 to [`MAX_PICTURES`]) on a `canvas`-sized scene, row by
/// row, left to right.
pub fn cells(count: usize, canvas: (u32, u32)) -> Vec<Cell> {
    let (w, h) = canvas;
    let landscape = w >= h;
    let rows: &[&[&'static str]] = match (count, landscape) {
        (0 | 1, _) => &[&[""]],
        (2, true) => &[&[LEFT, RIGHT]],
        (2, false) => &[&[TOP], &[BOTTOM]],
        (3, true) => &[&[LEFT, MIDDLE, RIGHT]],
        (3, false) => &[&[TOP], &[MIDDLE], &[BOTTOM]],
        (4, _) => &[&[TOP_LEFT, TOP_RIGHT], &[BOTTOM_LEFT, BOTTOM_RIGHT]],
        (_, true) => &[
            &[TOP_LEFT, TOP_MIDDLE, TOP_RIGHT],
            &[BOTTOM_LEFT, BOTTOM_RIGHT],
        ],
        (_, false) => &[
            &[TOP_LEFT, TOP_RIGHT],
            &[MIDDLE],
            &[BOTTOM_LEFT, BOTTOM_RIGHT],
        ],
    };
    let cell_h = (h - MARGIN) / rows.len() as u32;
    rows.iter()
        .enumerate()
        .flat_map(|(row, positions)| {
            let cell_w = (w - MARGIN) / positions.len() as u32;
            positions
                .iter()
                .enumerate()
                .map(move |(column, &position)| Cell {
                    rect: Rect {
                        x: MARGIN + column as u32 * cell_w,
                        y: MARGIN + row as u32 * cell_h,
                        w: cell_w - MARGIN,
                        h: cell_h - MARGIN,
                    },
                    position,
                })
        })
        .collect()
}

/// How big a picture may be drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sizing {
    /// A random share, between these, of the largest size that fits the cell.
    pub scale: (f64, f64),
    /// Pictures are never blown up more than this over their thumbnail.
    pub max_upscale: f64,
}

/// Where a picture is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// The picture's own size, frame excluded, before turning.
    pub inner: (u32, u32),
    /// The drawn box on the canvas: frame included, turned; what a record's `bbox_2d` is.
    pub outer: Rect,
}

/// Places a `picture`-sized picture (thumbnail pixels) with `look` in `cell` of a
/// `canvas`-sized scene: scaled by `sizing`, positioned at random so that the box may reach
/// `spill` of the cell's size past it while its centre stays inside.
pub fn place(
    cell: Rect,
    canvas: (u32, u32),
    picture: (u32, u32),
    look: &Look,
    sizing: Sizing,
    spill: f64,
    rng: &mut impl Rng,
) -> Placement {
    let reach = look.shadow_reach();
    let frames = f64::from(2 * look.frame);
    let (cos, sin) = look.turn();
    let available_w = f64::from(cell.w.saturating_sub(reach));
    let available_h = f64::from(cell.h.saturating_sub(reach));
    let (pw, ph) = (f64::from(picture.0.max(1)), f64::from(picture.1.max(1)));
    // The largest scale at which the framed, turned picture fits the cell.
    let fit = ((available_w - frames * (cos + sin)) / (pw * cos + ph * sin))
        .min((available_h - frames * (sin + cos)) / (pw * sin + ph * cos));
    let factor = (fit * draw::between(rng, sizing.scale)).min(sizing.max_upscale);
    // Keep the shorter side readable, as long as the cell has room for it.
    let factor = factor.max((f64::from(MIN_SIDE) / pw.min(ph)).min(fit));
    let room_w = (available_w - frames).max(1.0) as u32;
    let room_h = (available_h - frames).max(1.0) as u32;
    let inner = (
        ((pw * factor).round() as u32).clamp(1, room_w),
        ((ph * factor).round() as u32).clamp(1, room_h),
    );
    let (w, h) = look.outer(inner);
    let region = cell.grown(spill, canvas);
    let x = offset(
        region.x.max(cell.x.saturating_sub(w / 2)),
        (region.x + region.w)
            .saturating_sub(reach + w)
            .min((cell.x + cell.w).saturating_sub(w / 2)),
        rng,
    );
    let y = offset(
        region.y.max(cell.y.saturating_sub(h / 2)),
        (region.y + region.h)
            .saturating_sub(reach + h)
            .min((cell.y + cell.h).saturating_sub(h / 2)),
        rng,
    );
    Placement {
        inner,
        outer: Rect { x, y, w, h },
    }
}

/// A position from `low` to `high`, or `low` when there is no room.
fn offset(low: u32, high: u32, rng: &mut impl Rng) -> u32 {
    low + rng.random_range(0..=high.saturating_sub(low))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::look::Shadow;
    use rand::SeedableRng;

    const PRINT: Look = Look {
        frame: 5,
        shadow: Shadow::Hard { offset: 6 },
        degrees: 0.0,
    };

    fn disjoint(a: Rect, b: Rect) -> bool {
        let [ax1, ay1, ax2, ay2] = a.corners();
        let [bx1, by1, bx2, by2] = b.corners();
        ax2 <= bx1 || bx2 <= ax1 || ay2 <= by1 || by2 <= ay1
    }

    #[test]
    fn placed_pictures_stay_in_their_cells_and_on_the_canvas() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let sizing = Sizing {
            scale: (0.5, 1.0),
            max_upscale: 2.0,
        };
        for canvas in [(800, 600), (480, 854), (1600, 1600)] {
            for count in 1..=MAX_PICTURES {
                let cells = cells(count, canvas);
                assert_eq!(cells.len(), count);
                for cell in &cells {
                    for picture in [(256, 192), (192, 192), (384, 120), (90, 384), (8, 8)] {
                        for look in [
                            PRINT,
                            Look {
                                degrees: 8.0,
                                ..PRINT
                            },
                        ] {
                            let placed =
                                place(cell.rect, canvas, picture, &look, sizing, 0.0, &mut rng);
                            let [x1, y1, x2, y2] = placed.outer.corners();
                            let [cx1, cy1, cx2, cy2] = cell.rect.corners();
                            assert!(x1 >= cx1 && y1 >= cy1, "{placed:?} in {cell:?}");
                            // A turned box may round a pixel past its room.
                            assert!(
                                x2 + 6 <= cx2 + 1 && y2 + 6 <= cy2 + 1,
                                "{placed:?} in {cell:?}"
                            );
                            assert!(x2 <= canvas.0 && y2 <= canvas.1);
                            assert!(placed.inner.0 >= 1 && placed.inner.1 >= 1);
                        }
                    }
                }
                for (i, a) in cells.iter().enumerate() {
                    assert!(!a.position.is_empty() || count == 1);
                    for b in &cells[i + 1..] {
                        assert!(disjoint(a.rect, b.rect));
                        assert_ne!(a.position, b.position);
                    }
                }
            }
        }
    }

    #[test]
    fn a_spilling_picture_keeps_its_centre_in_its_cell() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let canvas = (1000, 700);
        let sizing = Sizing {
            scale: (0.9, 1.0),
            max_upscale: 4.0,
        };
        let mut spilled = false;
        for cell in cells(5, canvas) {
            for _ in 0..50 {
                let placed = place(cell.rect, canvas, (256, 192), &PRINT, sizing, 0.2, &mut rng);
                let [x1, y1, x2, y2] = placed.outer.corners();
                let [cx1, cy1, cx2, cy2] = cell.rect.corners();
                assert!(
                    (cx1..=cx2).contains(&((x1 + x2) / 2)),
                    "{placed:?} {cell:?}"
                );
                assert!(
                    (cy1..=cy2).contains(&((y1 + y2) / 2)),
                    "{placed:?} {cell:?}"
                );
                assert!(x1 >= EDGE && y1 >= EDGE && x2 <= canvas.0 - EDGE && y2 <= canvas.1 - EDGE);
                spilled |= x1 < cx1 || y1 < cy1 || x2 > cx2 || y2 > cy2;
            }
        }
        assert!(spilled);
    }
}
