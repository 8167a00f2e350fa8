//! From a box as the model writes it to pixels of the original image.
//!
//! Model families disagree on coordinates: Qwen2.5-VL writes absolute pixels of its resized
//! input (after `smart_resize`), Qwen2-VL and Qwen3-VL write thousandths of each side. A box is
//! converted, checked (finite, not inverted, not empty, overlapping the image), clamped to the
//! image, widened by a context margin, and grown to a minimum side so the search has something
//! to match. A box that cannot be used is a [`BoxError`] whose message the model reads.

use serde::{Deserialize, Serialize};

/// How a model family writes `bbox_2d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BoxConvention {
    /// Absolute pixels of the image as the model saw it (Qwen2.5-VL: after `smart_resize`).
    ModelPixels { width: u32, height: u32 },
    /// 0 to 1000 along each side (Qwen2-VL, Qwen3-VL).
    Thousandths,
}

impl BoxConvention {
    /// The largest coordinates a box may have, as the model should be told.
    pub fn extent(self) -> (f64, f64) {
        match self {
            BoxConvention::ModelPixels { width, height } => (f64::from(width), f64::from(height)),
            BoxConvention::Thousandths => (1000.0, 1000.0),
        }
    }
}

/// How a converted box is adjusted before cropping.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CropRules {
    /// Share of the box's width and height added on each side as context.
    pub margin: f64,
    /// The shortest side a crop may have, in original pixels; smaller boxes grow around their
    /// centre (within the image).
    pub min_side: u32,
}

impl Default for CropRules {
    fn default() -> Self {
        // A little context helps a reverse image search more than it hurts; 32 px is about the
        // least a picture descriptor can tell anything from.
        CropRules {
            margin: 0.05,
            min_side: 32,
        }
    }
}

/// A rectangle of the original image in pixels, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PixelBox {
    pub x1: u32,
    pub y1: u32,
    pub x2: u32,
    pub y2: u32,
}

impl PixelBox {
    pub fn width(self) -> u32 {
        self.x2 - self.x1
    }

    pub fn height(self) -> u32 {
        self.y2 - self.y1
    }
}

/// Why a box cannot be searched; the message is shown to the model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BoxError {
    #[error("bbox_2d must hold finite numbers")]
    NotFinite,
    #[error(
        "bbox_2d [{x1}, {y1}, {x2}, {y2}] is inverted or empty: write [x1, y1, x2, y2] with x1 < x2 and y1 < y2"
    )]
    Empty { x1: f64, y1: f64, x2: f64, y2: f64 },
    #[error(
        "bbox_2d [{x1}, {y1}, {x2}, {y2}] lies outside the image, whose coordinates run from 0 to {max_x} across and 0 to {max_y} down"
    )]
    Outside {
        x1: f64,
        y1: f64,
        x2: f64,
        y2: f64,
        max_x: f64,
        max_y: f64,
    },
}

/// Converts `bbox` (as the model wrote it) to pixels of an image of `size`, applying `rules`.
pub fn to_original(
    bbox: [f64; 4],
    convention: BoxConvention,
    size: (u32, u32),
    rules: CropRules,
) -> Result<PixelBox, BoxError> {
    let [x1, y1, x2, y2] = bbox;
    if bbox.iter().any(|v| !v.is_finite()) {
        return Err(BoxError::NotFinite);
    }
    if x1 >= x2 || y1 >= y2 {
        return Err(BoxError::Empty { x1, y1, x2, y2 });
    }
    let (max_x, max_y) = convention.extent();
    if x2 <= 0.0 || y2 <= 0.0 || x1 >= max_x || y1 >= max_y {
        return Err(BoxError::Outside {
            x1,
            y1,
            x2,
            y2,
            max_x,
            max_y,
        });
    }
    let (width, height) = (f64::from(size.0), f64::from(size.1));
    // Into original pixels (multiplying first keeps whole-pixel boxes whole), clamped, then
    // widened by the margin and clamped again.
    let along_x = |v: f64| (v * width / max_x).clamp(0.0, width);
    let along_y = |v: f64| (v * height / max_y).clamp(0.0, height);
    let (x1, x2, y1, y2) = (along_x(x1), along_x(x2), along_y(y1), along_y(y2));
    let (mx, my) = ((x2 - x1) * rules.margin, (y2 - y1) * rules.margin);
    let (x1, x2) = grow(x1 - mx, x2 + mx, rules.min_side, size.0);
    let (y1, y2) = grow(y1 - my, y2 + my, rules.min_side, size.1);
    Ok(PixelBox { x1, y1, x2, y2 })
}

/// `[lo, hi)` rounded outwards to whole pixels within `0..limit`, at least `min` long (or the
/// whole side if shorter), grown around its centre and shifted back inside when at an edge.
fn grow(lo: f64, hi: f64, min: u32, limit: u32) -> (u32, u32) {
    let limit_f = f64::from(limit);
    let (mut lo, mut hi) = (
        lo.floor().clamp(0.0, limit_f),
        hi.ceil().clamp(0.0, limit_f),
    );
    let min = f64::from(min.min(limit));
    if hi - lo < min {
        let centre = (lo + hi) / 2.0;
        lo = (centre - min / 2.0).floor();
        hi = lo + min;
        if lo < 0.0 {
            (lo, hi) = (0.0, min);
        } else if hi > limit_f {
            (lo, hi) = (limit_f - min, limit_f);
        }
    }
    (lo as u32, hi as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXACT: CropRules = CropRules {
        margin: 0.0,
        min_side: 1,
    };

    #[test]
    fn each_convention_maps_to_the_same_original_pixels() {
        // An 800 × 600 image; Qwen2.5-VL saw it resized to 812 × 616.
        let size = (800, 600);
        let want = PixelBox {
            x1: 200,
            y1: 150,
            x2: 400,
            y2: 300,
        };
        let resized = BoxConvention::ModelPixels {
            width: 812,
            height: 616,
        };
        assert_eq!(
            to_original([203.0, 154.0, 406.0, 308.0], resized, size, EXACT),
            Ok(want)
        );
        assert_eq!(
            to_original(
                [250.0, 250.0, 500.0, 500.0],
                BoxConvention::Thousandths,
                size,
                EXACT
            ),
            Ok(want)
        );
    }

    #[test]
    fn boxes_are_clamped_widened_and_grown() {
        let size = (800, 600);
        // Half outside: clamped to the image.
        assert_eq!(
            to_original(
                [-100.0, 900.0, 100.0, 1200.0],
                BoxConvention::Thousandths,
                size,
                EXACT
            ),
            Ok(PixelBox {
                x1: 0,
                y1: 540,
                x2: 80,
                y2: 600
            })
        );
        // A 10 % margin on each side.
        let margin = CropRules {
            margin: 0.1,
            min_side: 1,
        };
        assert_eq!(
            to_original(
                [250.0, 250.0, 500.0, 500.0],
                BoxConvention::Thousandths,
                size,
                margin
            ),
            Ok(PixelBox {
                x1: 180,
                y1: 135,
                x2: 420,
                y2: 315
            })
        );
        // A sliver grows to the minimum side around its centre, and stays inside at an edge.
        let grown = to_original(
            [0.0, 500.0, 1.0, 501.0],
            BoxConvention::Thousandths,
            size,
            CropRules::default(),
        )
        .unwrap();
        assert_eq!((grown.x1, grown.width(), grown.height()), (0, 32, 32));
        assert!(grown.y1 < 300 && grown.y2 > 300);
        // An image smaller than the minimum: the whole side.
        let tiny = to_original(
            [0.0, 0.0, 500.0, 500.0],
            BoxConvention::Thousandths,
            (20, 10),
            CropRules::default(),
        )
        .unwrap();
        assert_eq!(
            tiny,
            PixelBox {
                x1: 0,
                y1: 0,
                x2: 20,
                y2: 10
            }
        );
    }

    #[test]
    fn unusable_boxes_are_explained() {
        let size = (800, 600);
        let t = BoxConvention::Thousandths;
        assert_eq!(
            to_original([f64::NAN, 0.0, 1.0, 1.0], t, size, EXACT),
            Err(BoxError::NotFinite)
        );
        assert!(matches!(
            to_original([500.0, 0.0, 100.0, 100.0], t, size, EXACT),
            Err(BoxError::Empty { .. })
        ));
        assert!(matches!(
            to_original([100.0, 100.0, 100.0, 200.0], t, size, EXACT),
            Err(BoxError::Empty { .. })
        ));
        let outside = to_original([1000.0, 0.0, 1200.0, 100.0], t, size, EXACT).unwrap_err();
        assert!(
            outside.to_string().contains("0 to 1000 across"),
            "{outside}"
        );
        assert!(matches!(
            to_original([-50.0, -50.0, 0.0, 10.0], t, size, EXACT),
            Err(BoxError::Outside { .. })
        ));
    }
}
