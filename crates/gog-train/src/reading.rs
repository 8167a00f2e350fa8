//! Reading drills: a trajectory's opening up to the turn that reads the asked-about entity's name
//! off the first search's results, without the picture, the entity renamed afresh, only that
//! reading turn learned.
//!
//! GoG-Tiny trained on trajectories alone named the entity a search had found after none of 132
//! image searches on validation scenes (`names read` in `gog eval`): it wrote a name it had
//! learned, often of the right kind, never the one in front of it. Copying a name out of the
//! context is a skill a small model learns from many examples where the name is the only thing
//! that changes; a trajectory holds one such turn among several hundred image and prompt
//! tokens. A drill is that turn again with a new made-up name, at about a third of a
//! trajectory's length (no image tokens, nothing after the reading turn). What the first turn
//! did is shown, never learned: without the picture it could not be decided.

use gog_agent::conversation::Part;
use gog_scenes::Record;
use rand::Rng;

use crate::trajectory::{Trajectory, assistant_turns, text_of};

/// The behaviour label of a drill.
pub const BEHAVIOUR: &str = "reading";

/// The share of trajectories a drill is drawn for (kept where [`drill`] gives one).
pub const DRILL_SHARE: f64 = 0.6;

/// The drill made from `trajectory` (as the oracle wrote it, not renamed) with a made-up name
/// drawn with `rng`, keeping the trajectory's answer (renamed alike); `None` unless the
/// trajectory's second turn reads the asked-about entity's name off the first search's results
/// and is learned. A second turn that crops again is no drill: where to crop is decided by the
/// picture, which a drill does not show.
pub fn drill(trajectory: &Trajectory, record: &Record, rng: &mut impl Rng) -> Option<Trajectory> {
    let assistant = assistant_turns(&trajectory.messages);
    // The second assistant turn answers the first tool response.
    let (&reading, &learned) = assistant.get(1).zip(trajectory.learn.get(1))?;
    if !learned || text_of(&trajectory.messages[reading]).contains(IMAGE_SEARCH) {
        return None;
    }
    let mut messages = trajectory.messages[..=reading].to_vec();
    for message in &mut messages {
        message.parts.retain(|p| matches!(p, Part::Text { .. }));
    }
    let mut drill = Trajectory {
        id: format!("{}.{BEHAVIOUR}", trajectory.scene),
        behaviour: BEHAVIOUR.into(),
        messages,
        learn: vec![false, true],
        ..trajectory.clone()
    };
    if !crate::rename::rename(&mut drill, record, rng) {
        return None;
    }
    // The name changed in the reading turn only if that turn named the entity.
    let read = text_of(&drill.messages[reading]) != text_of(&trajectory.messages[reading]);
    read.then_some(drill)
}

/// The name of the tool a drill's reading turn may not call.
const IMAGE_SEARCH: &str = "\"image_search\"";
