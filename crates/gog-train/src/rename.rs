//! Renamed trajectories: the asked-about entity's name replaced, in every message of a
//! trajectory (the tool responses included), by the name of another entity of the same kind and
//! split, whole words only.
//!
//! The test split's entities are never seen in training, so the model can only answer with a
//! name it reads in the search results. Trained on real names alone it does not learn that: it
//! can lower its loss by recalling a training entity's name from the picture instead, and
//! measured on validation scenes (GoG-Tiny, `10m`, two epochs) it named the asked-about entity
//! after a search that had found it 2 times in 113, writing a training entity's name instead. In
//! a renamed trajectory the picture and the name disagree, and only the results tell the name.

use std::collections::HashMap;

use gog_agent::conversation::Part;
use gog_scenes::{Record, Split};
use gog_search::corpus::Entity;
use rand::Rng;
use rand::seq::IndexedRandom;

use crate::scene::{Kind, name_from_title};
use crate::synthesize::Trajectory;

/// The share of trajectories renamed.
pub const RENAMED_SHARE: f64 = 0.5;

/// The titles a renamed entity may take: the corpus's entities of each kind, within a split.
#[derive(Debug, Clone, Default)]
pub struct Names {
    titles: HashMap<(Split, Kind), Vec<String>>,
}

impl Names {
    pub fn new(entities: &[Entity]) -> Self {
        let mut titles: HashMap<(Split, Kind), Vec<String>> = HashMap::new();
        for entity in entities {
            titles
                .entry((Split::of(&entity.id), Kind::of(&entity.id)))
                .or_default()
                .push(entity.title.clone());
        }
        Names { titles }
    }

    /// Renames the asked-about entity of `record` throughout `trajectory` with `rng`'s pick of
    /// another title of its kind and split; `false` (and nothing changed) when the question asks
    /// about no picture or no other title is there to take.
    pub fn rename(&self, trajectory: &mut Trajectory, record: &Record, rng: &mut impl Rng) -> bool {
        let Some(target) = record.target_picture() else {
            return false;
        };
        let kind = Kind::of(&target.entity);
        let others: Vec<&String> = self
            .titles
            .get(&(record.split, kind))
            .into_iter()
            .flatten()
            .filter(|title| **title != target.title)
            .collect();
        let Some(&new_title) = others.choose(rng) else {
            return false;
        };
        // The title first ("Flag of Norway"), then the name an answer gives ("Norway").
        let mut pairs = vec![(target.title.as_str(), new_title.as_str())];
        let (old_name, new_name) = (
            name_from_title(&target.title, kind),
            name_from_title(new_title, kind),
        );
        if old_name != target.title {
            pairs.push((old_name, new_name));
        }
        for message in &mut trajectory.messages {
            for part in &mut message.parts {
                if let Part::Text { text } = part {
                    *text = replace_all(text, &pairs);
                }
            }
        }
        trajectory.answer = replace_all(&trajectory.answer, &pairs);
        true
    }
}

/// `text` with each pair's first string, where it stands as whole words, replaced by its second,
/// pair by pair.
fn replace_all(text: &str, pairs: &[(&str, &str)]) -> String {
    pairs.iter().fold(text.to_owned(), |text, (old, new)| {
        replace_words(&text, old, new)
    })
}

fn replace_words(text: &str, old: &str, new: &str) -> String {
    if old.is_empty() {
        return text.to_owned();
    }
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(old) {
        out.push_str(&rest[..at]);
        let before = out.chars().next_back();
        let after = rest[at + old.len()..].chars().next();
        out.push_str(if word(before) || word(after) {
            old
        } else {
            new
        });
        rest = &rest[at + old.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_only_are_replaced() {
        assert_eq!(
            replace_words("Niger, Nigeria and Niger's flag", "Niger", "Peru"),
            "Peru, Nigeria and Peru's flag"
        );
        assert_eq!(
            replace_words("NigerNiger Niger", "Niger", "X"),
            "NigerNiger X"
        );
        assert_eq!(
            replace_all(
                "1. Flag of Norway (0.84)\nThe flag is Norway's.",
                &[("Flag of Norway", "Flag of Peru"), ("Norway", "Peru")]
            ),
            "1. Flag of Peru (0.84)\nThe flag is Peru's."
        );
    }
}
