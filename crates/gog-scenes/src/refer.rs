//! How a question singles out the picture it asks about: as the image itself when the picture
//! is alone, otherwise by its position, or by its size, colour or kind when those set it apart
//! from every other picture.

use gog_search::corpus::{Entity, EntityKind};
use rand::Rng;

use crate::layout::Rect;
use crate::question;
use crate::record::Reference;

/// A picture is the largest (or smallest) for a question only by this margin in area.
const SIZE_MARGIN: f64 = 1.3;

/// The picture a question is about, as it names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// The only picture.
    Whole,
    /// "on the left", "in the top-right corner".
    Position(&'static str),
    Largest,
    Smallest,
    /// A logo by its brand colour: "red".
    Colour(&'static str),
    /// The only picture of its kind.
    Kind,
}

/// What naming a picture needs to know about each one in the scene.
#[derive(Debug, Clone, Copy)]
pub struct Shown<'a> {
    pub entity: &'a Entity,
    /// Its drawn box.
    pub outer: Rect,
    /// Its cell's position words.
    pub position: &'static str,
}

/// How a question names the picture in `slot`: one of the ways that single it out, drawn.
/// Naming by kind is offered only when `by_kind` is set.
pub fn choose(
    pictures: &[Shown],
    slot: usize,
    by_kind: bool,
    rng: &mut impl Rng,
) -> (Reference, Subject) {
    if pictures.len() == 1 {
        return (Reference::Whole, Subject::Whole);
    }
    let target = pictures[slot];
    let mut choices = vec![(Reference::Position, Subject::Position(target.position))];
    let area = target.outer.area() as f64;
    let others = || {
        pictures
            .iter()
            .enumerate()
            .filter(move |(i, _)| *i != slot)
            .map(|(_, p)| p)
    };
    if others().all(|p| area >= SIZE_MARGIN * p.outer.area() as f64) {
        choices.push((Reference::Size, Subject::Largest));
    } else if others().all(|p| area * SIZE_MARGIN <= p.outer.area() as f64) {
        choices.push((Reference::Size, Subject::Smallest));
    }
    let colour = |e: &Entity| {
        (e.kind == EntityKind::Logo)
            .then(|| {
                e.facts
                    .get("brand colour")
                    .and_then(|c| question::colour_name(c))
            })
            .flatten()
    };
    if let Some(name) = colour(target.entity)
        && others().all(|p| colour(p.entity) != Some(name))
    {
        choices.push((Reference::Colour, Subject::Colour(name)));
    }
    if by_kind && others().all(|p| p.entity.kind != target.entity.kind) {
        choices.push((Reference::Kind, Subject::Kind));
    }
    let at = rng.random_range(0..choices.len());
    choices.swap_remove(at)
}
