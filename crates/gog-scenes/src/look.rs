//! How a picture is laid on the scene: framed like a print with a hard drop shadow, pasted
//! plainly, or with a soft shadow and no frame; upright or turned by a few degrees. A model must
//! find pictures by what they show, not by one way of drawing them.

use rand::Rng;

use crate::draw;

/// The ways a picture is finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// A white frame and a hard drop shadow, like a print on a table.
    Framed,
    /// The picture alone, pasted on the background.
    Plain,
    /// No frame; a blurred shadow, as if the picture floated a little above the background.
    SoftShadow,
}

/// What a generator version varies in a picture's look.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LookRanges {
    pub finishes: &'static [Finish],
    /// Frame width of framed pictures, in pixels.
    pub frame: (u32, u32),
    /// How far a hard shadow falls below and to the right.
    pub hard_shadow: (u32, u32),
    /// How far a soft shadow falls below and to the right, and how far it is blurred.
    pub soft_offset: (u32, u32),
    pub soft_blur: (u32, u32),
    /// Share of pictures that are turned, and by at most how many degrees either way.
    pub turned: f64,
    pub max_degrees: f64,
}

/// A shadow under a picture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shadow {
    None,
    /// The picture's outline, darkened, `offset` pixels below and to the right.
    Hard {
        offset: u32,
    },
    /// The outline blurred by a box of radius `blur` (three passes), `offset` pixels down and
    /// to the right.
    Soft {
        offset: u32,
        blur: u32,
    },
}

/// One picture's drawn look.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Look {
    /// Frame width; 0 for none.
    pub frame: u32,
    pub shadow: Shadow,
    /// Turned anticlockwise by this many degrees (negative: clockwise).
    pub degrees: f64,
}

impl Look {
    pub fn draw(ranges: &LookRanges, rng: &mut impl Rng) -> Look {
        let finish = draw::one_of(rng, ranges.finishes);
        let (frame, shadow) = match finish {
            Finish::Framed => (
                draw::whole_between(rng, ranges.frame),
                Shadow::Hard {
                    offset: draw::whole_between(rng, ranges.hard_shadow),
                },
            ),
            Finish::Plain => (0, Shadow::None),
            Finish::SoftShadow => (
                0,
                Shadow::Soft {
                    offset: draw::whole_between(rng, ranges.soft_offset),
                    blur: draw::whole_between(rng, ranges.soft_blur),
                },
            ),
        };
        let degrees = if draw::chance(rng, ranges.turned) {
            draw::between(rng, (-ranges.max_degrees, ranges.max_degrees))
        } else {
            0.0
        };
        Look {
            frame,
            shadow,
            degrees,
        }
    }

    /// Room the shadow needs below and to the right of the picture's box, kept free in its
    /// cell so that it does not fall on a neighbour.
    pub fn shadow_reach(&self) -> u32 {
        match self.shadow {
            Shadow::None => 0,
            Shadow::Hard { offset } => offset,
            Shadow::Soft { offset, .. } => offset,
        }
    }

    /// `|cos|` and `|sin|` of the turn: how a turned box's extent follows from its sides.
    pub fn turn(&self) -> (f64, f64) {
        let radians = self.degrees.abs().to_radians();
        (radians.cos(), radians.sin())
    }

    /// The drawn box of a picture of `inner` pixels: the frame added, then turned; the
    /// axis-aligned extent, rounded up.
    pub fn outer(&self, inner: (u32, u32)) -> (u32, u32) {
        let (w, h) = (inner.0 + 2 * self.frame, inner.1 + 2 * self.frame);
        if self.degrees == 0.0 {
            return (w, h);
        }
        let (cos, sin) = self.turn();
        let (w, h) = (f64::from(w), f64::from(h));
        (
            (w * cos + h * sin).ceil() as u32,
            (w * sin + h * cos).ceil() as u32,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_turned_picture_takes_more_room() {
        let upright = Look {
            frame: 5,
            shadow: Shadow::Hard { offset: 6 },
            degrees: 0.0,
        };
        assert_eq!(upright.outer((100, 50)), (110, 60));
        let turned = Look {
            degrees: -8.0,
            ..upright
        };
        let (w, h) = turned.outer((100, 50));
        // 110·cos 8° + 60·sin 8° ≈ 117.3, 110·sin 8° + 60·cos 8° ≈ 74.7.
        assert_eq!((w, h), (118, 75));
    }
}
