//! What a run's trace shows of its behaviour against the scene's gold record: whether the
//! protocol accepted each model turn, how well each gaze boxed the asked-about picture, whether
//! a wrong gaze was corrected, whether the model read the name off results that held it, and
//! which kinds of search it used. `gog eval` reports these per
//! category (`docs/EVAL.md` defines them); the RL rollouts score with the same definitions.

use gog_agent::Action;
use gog_agent::boxes::{CropRules, to_original};
use gog_agent::trace::{Actor, SearchRequest, SearchResults, Step, Trace};
use gog_scenes::Record;
use serde::Serialize;

use crate::scene::{Kind, iou, name_from_title};

/// A gaze whose box overlaps the asked-about picture's gold box at least this much (IoU) chose
/// the right region: the usual detection threshold.
pub const RIGHT_CROP_IOU: f64 = 0.5;

/// Which kinds of search a run used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchMix {
    /// No search at all.
    None,
    /// Image searches only, or text searches (and reads) only.
    Single,
    /// Both image and text searches: the paper's hybrid search.
    Hybrid,
}

/// One run measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunMetrics {
    /// Turns the model wrote.
    pub model_turns: usize,
    /// Of those, turns the protocol accepted (they parsed to an action).
    pub accepted_turns: usize,
    /// Image searches of the whole image.
    pub glances: usize,
    /// The IoU of each gaze's box (as the model drew it, before the agent's margin) with the
    /// asked-about picture's gold box, in order; empty when the question asks about no picture
    /// (counting), whose gazes are not judged.
    pub gaze_ious: Vec<f64>,
    /// Text searches and reads.
    pub text_searches: usize,
    pub search_mix: SearchMix,
    /// For each image search whose results held the asked-about picture's entity, whether the
    /// model's next turn named it (as an answer names it: a flag's country, anything else's
    /// title); empty when the question asks about no picture.
    pub found_then_named: Vec<bool>,
}

impl RunMetrics {
    pub fn of(trace: &Trace, record: &Record) -> Self {
        let gold = record.target_picture().map(|p| p.bbox_2d.map(f64::from));
        let (mut model_turns, mut accepted_turns) = (0, 0);
        let (mut glances, mut gazes, mut text_searches) = (0, 0, 0);
        let mut gaze_ious = Vec::new();
        let mut found_then_named = Vec::new();
        let target = record.target_picture();
        for (index, step) in trace.steps.iter().enumerate() {
            if let (Some(target), Some(SearchResults::Images(results))) =
                (target, step.search.as_ref().map(|s| &s.results))
                && results.iter().any(|r| r.title == target.title)
            {
                let name = name_from_title(&target.title, Kind::of(&target.entity));
                let next = trace.steps[index + 1..]
                    .iter()
                    .find(|s| s.actor == Actor::Model);
                found_then_named.push(next.is_some_and(|next| next.raw.contains(name)));
            }
            if step.actor == Actor::Model {
                model_turns += 1;
                accepted_turns += usize::from(step.action.is_some());
            }
            match step.search.as_ref().map(|s| &s.request) {
                Some(SearchRequest::Image { crop: None, .. }) => glances += 1,
                Some(SearchRequest::Image {
                    crop: Some(crop), ..
                }) => {
                    gazes += 1;
                    if let Some(gold) = gold {
                        let drawn = drawn_box(step, trace).unwrap_or(*crop);
                        let drawn = [drawn.x1, drawn.y1, drawn.x2, drawn.y2].map(f64::from);
                        gaze_ious.push(iou(drawn, gold));
                    }
                }
                Some(SearchRequest::Text { .. } | SearchRequest::Read { .. }) => {
                    text_searches += 1;
                }
                None => {}
            }
        }
        let image_searches = glances + gazes;
        let search_mix = match (image_searches > 0, text_searches > 0) {
            (false, false) => SearchMix::None,
            (true, true) => SearchMix::Hybrid,
            _ => SearchMix::Single,
        };
        Self {
            model_turns,
            accepted_turns,
            glances,
            gaze_ious,
            text_searches,
            search_mix,
            found_then_named,
        }
    }

    /// Gazes that chose the right region.
    pub fn right_gazes(&self) -> usize {
        self.gaze_ious
            .iter()
            .filter(|&&v| v >= RIGHT_CROP_IOU)
            .count()
    }

    /// `Some(corrected)` when a gaze missed the asked-about picture: whether a later gaze then
    /// found it (the paper's reflection after a wrong crop); `None` when no gaze missed.
    pub fn reflection(&self) -> Option<bool> {
        let first_miss = self.gaze_ious.iter().position(|&v| v < RIGHT_CROP_IOU)?;
        Some(
            self.gaze_ious[first_miss + 1..]
                .iter()
                .any(|&v| v >= RIGHT_CROP_IOU),
        )
    }
}

/// The box a gaze's step asked for, in original pixels, without the margin and least size
/// the agent adds before it crops.
fn drawn_box(step: &Step, trace: &Trace) -> Option<gog_agent::PixelBox> {
    let Some(Action::ImageSearch {
        bbox_2d: Some(bbox),
        ..
    }) = &step.action
    else {
        return None;
    };
    let exact = CropRules {
        margin: 0.0,
        min_side: 1,
    };
    let size = (trace.image.width, trace.image.height);
    to_original(*bbox, trace.settings.box_convention, size, exact).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(gaze_ious: Vec<f64>) -> RunMetrics {
        RunMetrics {
            model_turns: 3,
            accepted_turns: 3,
            glances: 0,
            gaze_ious,
            text_searches: 0,
            search_mix: SearchMix::Single,
            found_then_named: Vec::new(),
        }
    }

    #[test]
    fn a_miss_followed_by_a_hit_is_a_reflection_and_a_hit_first_is_none() {
        assert_eq!(metrics(vec![0.1, 0.7]).reflection(), Some(true));
        assert_eq!(metrics(vec![0.1, 0.2]).reflection(), Some(false));
        assert_eq!(metrics(vec![0.8, 0.1]).reflection(), Some(false));
        assert_eq!(metrics(vec![0.6]).reflection(), None);
        assert_eq!(metrics(vec![]).reflection(), None);
        assert_eq!(metrics(vec![0.5, 0.49, 0.9]).right_gazes(), 2);
    }
}
