//! What the oracle sets out to do on a scene, drawn before the run from the scene's category and
//! its own random stream: how it first looks for the asked-about picture, and whether its first
//! look is a deliberate mistake it then corrects.

use gog_scenes::Record;
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::scene::{Kind, area_share};

/// Which trajectories are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// The paper's behaviour: glance at a picture that fills the image, gaze at one of several.
    Gog,
    /// The paper's "SFT w/o Selective Gaze" ablation: the whole image is always searched.
    NoGaze,
}

impl Variant {
    pub fn name(self) -> &'static str {
        match self {
            Variant::Gog => "gog",
            Variant::NoGaze => "no-gaze",
        }
    }
}

/// A lone picture covering at least this share of the image is searched whole: it dominates
/// the whole-image search. A smaller lone picture is cropped first (whole-image search finds a
/// small lone picture first only about a third of the time; a tight crop almost always).
pub const GLANCE_SHARE: f64 = 0.2;

/// How often a scene whose picture is cropped starts with a deliberately wrong crop, so that at
/// least 15 % of all trajectories hold a reflection on results that do not fit.
pub const WRONG_FIRST: f64 = 0.3;

/// How often the first action is written malformed, so the model sees the protocol's error
/// turn and learns to correct itself.
pub const SLIP: f64 = 0.03;

/// A region that is wrong for the question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrongRegion {
    /// Another picture, of another kind than the one asked about.
    OtherPicture(usize),
    /// Beside the picture: the crop misses it.
    Missed,
}

/// How the asked-about picture is first looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approach {
    /// Nothing to search: count the pictures.
    Count,
    Glance,
    Gaze,
    /// A wrong crop first, then the right one.
    WrongGaze(WrongRegion),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub approach: Approach,
    /// The first action is written malformed, then corrected.
    pub slip: bool,
    /// Crops are allowed (not in the no-gaze ablation).
    pub may_gaze: bool,
}

impl Plan {
    /// The plan for `record` in `variant`.
    pub fn draw(record: &Record, variant: Variant, rng: &mut impl Rng) -> Plan {
        let slip = rng.random_bool(SLIP);
        let may_gaze = variant == Variant::Gog;
        let Some(target) = record.target_picture() else {
            return Plan {
                approach: Approach::Count,
                slip: false,
                may_gaze,
            };
        };
        let lone_and_large = record.entities.len() == 1
            && area_share(target.bbox_2d, (record.width, record.height)) >= GLANCE_SHARE;
        let approach = if !may_gaze || lone_and_large {
            Approach::Glance
        } else if rng.random_bool(WRONG_FIRST) {
            let asked = Kind::of(&target.entity);
            let others: Vec<usize> = record
                .entities
                .iter()
                .enumerate()
                .filter(|(_, p)| Kind::of(&p.entity) != asked)
                .map(|(i, _)| i)
                .collect();
            match others.len() {
                0 => Approach::WrongGaze(WrongRegion::Missed),
                n if rng.random_bool(0.5) => {
                    Approach::WrongGaze(WrongRegion::OtherPicture(others[rng.random_range(0..n)]))
                }
                _ => Approach::WrongGaze(WrongRegion::Missed),
            }
        } else {
            Approach::Gaze
        };
        Plan {
            approach,
            slip,
            may_gaze,
        }
    }
}
