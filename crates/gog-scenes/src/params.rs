//! What each generator version draws from. One generator serves every version; a version is
//! these numbers. Version 1 fixes what version 2 varies, and a fixed parameter draws nothing
//! (see [`crate::draw`]), so version 1 still makes exactly its old scenes.

use crate::canvas::CanvasSizes;
use crate::layout::Sizing;
use crate::look::{Finish, LookRanges};
use crate::phrasing::Phrasing;

/// A generator version's parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub canvas: CanvasSizes,
    /// Scenes hold from one to this many pictures.
    pub max_pictures: usize,
    /// Share of gaze scenes that ask about a lone small picture instead of one of several.
    pub lone_gaze: f64,
    /// Share of other lone pictures (text, multi-hop, counting) drawn small.
    pub small_lone: f64,
    /// A lone picture that fills most of the canvas (every glance).
    pub lone: Sizing,
    /// A lone picture that a search of the whole scene rarely finds first.
    pub small: Sizing,
    /// One of several pictures, in its cell.
    pub several: Sizing,
    pub looks: LookRanges,
    /// How far, as a share of its cell's size, a picture may reach past its cell.
    pub spill: f64,
    /// The most of any picture's box that later pictures may cover.
    pub max_hidden: f64,
    /// Whether a question may name a picture by its kind ("the flag") when it is the only one.
    pub by_kind: bool,
    pub phrasing: Phrasing,
    /// Share of scenes laid on a background made from the seed rather than a photo.
    pub synthetic: f64,
    /// A photo is cropped to between these shares of the largest window of the canvas's shape.
    pub photo_share: (f64, f64),
    /// Share of photos mirrored.
    pub mirror: f64,
}

/// Today's scenes when version 1 was made: 800 × 600, one to four framed prints on a photo,
/// each in its own cell, one wording per question.
pub const V1: Params = Params {
    canvas: CanvasSizes {
        aspects: &[(4, 3)],
        long_side: (800, 800),
        min_side: 600,
    },
    max_pictures: 4,
    lone_gaze: 0.0,
    small_lone: 0.0,
    lone: Sizing {
        scale: (0.55, 0.95),
        max_upscale: 2.0,
    },
    // Never used: version 1 draws no small lone pictures.
    small: Sizing {
        scale: (0.55, 0.95),
        max_upscale: 2.0,
    },
    several: Sizing {
        scale: (0.45, 0.95),
        max_upscale: 2.0,
    },
    looks: LookRanges {
        finishes: &[Finish::Framed],
        frame: (5, 5),
        hard_shadow: (6, 6),
        soft_offset: (0, 0),
        soft_blur: (0, 0),
        turned: 0.0,
        max_degrees: 0.0,
    },
    spill: 0.0,
    max_hidden: 0.0,
    by_kind: false,
    phrasing: Phrasing::Single,
    synthetic: 0.0,
    photo_share: (0.6, 1.0),
    mirror: 0.0,
};

/// A world a model cannot game: canvases of every common shape from 480 to 1600 pixels a side;
/// one to five pictures, framed, plain or softly shadowed, some turned, some overlapping; lone
/// pictures large or small; photos and made backgrounds; several wordings per question.
pub const V2: Params = Params {
    canvas: CanvasSizes {
        aspects: &[(4, 3), (3, 2), (16, 9), (1, 1), (3, 4), (2, 3), (9, 16)],
        long_side: (480, 1600),
        min_side: 480,
    },
    max_pictures: 5,
    // Gaze is 35 % of scenes: a quarter of them on a lone small picture.
    lone_gaze: 0.25,
    small_lone: 0.5,
    lone: Sizing {
        scale: (0.7, 0.95),
        max_upscale: 6.0,
    },
    small: Sizing {
        scale: (0.12, 0.3),
        max_upscale: 6.0,
    },
    several: Sizing {
        scale: (0.35, 1.0),
        max_upscale: 6.0,
    },
    looks: LookRanges {
        finishes: &[Finish::Framed, Finish::Plain, Finish::SoftShadow],
        frame: (3, 10),
        hard_shadow: (3, 8),
        soft_offset: (2, 8),
        soft_blur: (3, 9),
        turned: 0.35,
        max_degrees: 8.0,
    },
    spill: 0.15,
    max_hidden: 0.2,
    by_kind: true,
    phrasing: Phrasing::Varied,
    synthetic: 0.45,
    photo_share: (0.4, 1.0),
    mirror: 0.5,
};
