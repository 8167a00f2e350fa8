//! Renamed trajectories: the asked-about entity's name replaced, in every message of a
//! trajectory (the tool responses included), by a made-up name, whole words only.
//!
//! The test split's entities are never seen in training, so the model can only answer with a
//! name it reads in the search results. Trained on real names alone it does not learn that: it
//! can lower its loss by recalling a training entity's name from the picture instead, and
//! measured on validation scenes (GoG-Tiny, `10m`, two epochs) it named the asked-about entity
//! after a search that had found it 2 times in 113, writing a training entity's name instead.
//! Renamed after other training entities of its kind (the `3m` preset, two epochs), it still
//! named none of them: a name drawn from the training entities can be recalled as well as read.
//! A made-up name, new in nearly every trajectory, can only be read.

use gog_agent::conversation::Part;
use gog_scenes::Record;
use rand::Rng;
use rand::seq::IndexedRandom;

use crate::scene::{Kind, name_from_title};
use crate::trajectory::Trajectory;

/// The share of trajectories renamed.
pub const RENAMED_SHARE: f64 = 0.75;

/// Renames the asked-about entity of `record` throughout `trajectory` with a made-up name drawn
/// with `rng`; `false` (and nothing changed) when the question asks about no picture.
pub fn rename(trajectory: &mut Trajectory, record: &Record, rng: &mut impl Rng) -> bool {
    let Some(target) = record.target_picture() else {
        return false;
    };
    let kind = Kind::of(&target.entity);
    let made_up = made_up_name(rng);
    let new_title = match kind {
        Kind::Flag => format!("Flag of {made_up}"),
        _ => made_up,
    };
    // The title first ("Flag of Norway"), then the name an answer gives ("Norway").
    let mut pairs = vec![(target.title.as_str(), new_title.as_str())];
    let (old_name, new_name) = (
        name_from_title(&target.title, kind),
        name_from_title(&new_title, kind),
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

/// A made-up name, new in nearly every trajectory, in one of the shapes real names take, so
/// that what the model learns is to copy whatever the results say, not to write one kind of
/// word. Trained on pronounceable names alone, GoG-Tiny copied those but answered "Mypa" for a
/// result titled "Monument 7" (the e2e tier's made-up corpus): a name with a number, an acronym
/// or ordinary words was new to it. Shapes, by share:
/// - 55 %: one or two pronounceable words of two or three syllables ("Vormela", "Tashin Brodu");
/// - 15 %: such a word or an ordinary one, then a number ("Vormela 7", "Harbor 12");
/// - 10 %: an acronym of two to five letters, sometimes with a digit ("KTM", "LVGL", "QX2");
/// - 10 %: two or three ordinary words ("Silver Harbor Gate");
/// - 10 %: two pronounceable words run together, brand-like ("BrouVix").
fn made_up_name(rng: &mut impl Rng) -> String {
    match rng.random_range(0..20) {
        0..11 => {
            let first = made_up_word(rng);
            if rng.random_bool(0.25) {
                format!("{first} {}", made_up_word(rng))
            } else {
                first
            }
        }
        11..14 => {
            let word = if rng.random_bool(0.5) {
                made_up_word(rng)
            } else {
                ordinary_word(rng).to_owned()
            };
            format!("{word} {}", rng.random_range(1..100))
        }
        14..16 => {
            let letters: String = (0..rng.random_range(2..=5))
                .map(|_| char::from(rng.random_range(b'A'..=b'Z')))
                .collect();
            if rng.random_bool(0.25) {
                format!("{letters}{}", rng.random_range(1..10))
            } else {
                letters
            }
        }
        16..18 => (0..rng.random_range(2..=3))
            .map(|_| ordinary_word(rng))
            .collect::<Vec<_>>()
            .join(" "),
        _ => format!("{}{}", made_up_word(rng), made_up_word(rng)),
    }
}

/// A capitalised English word of the kind names are made of.
fn ordinary_word(rng: &mut impl Rng) -> &'static str {
    const WORDS: &[&str] = &[
        "Amber", "Arch", "Bay", "Bell", "Black", "Blue", "Bridge", "Brook", "Castle", "Cedar",
        "Central", "City", "Cliff", "Cloud", "Coast", "Copper", "Crown", "Crystal", "Deep",
        "Delta", "Eagle", "East", "Echo", "Falcon", "Field", "Fire", "Forest", "Fort", "Fox",
        "Garden", "Gate", "Glass", "Gold", "Grand", "Green", "Grey", "Harbor", "Hill", "Hollow",
        "Iron", "Island", "Jade", "King", "Lake", "Light", "Lion", "Little", "Lotus", "Maple",
        "Meadow", "Mill", "Moon", "North", "Oak", "Ocean", "Old", "Orange", "Palace", "Peak",
        "Pearl", "Pine", "Point", "Port", "Queen", "Rapid", "Raven", "Red", "Ridge", "River",
        "Rock", "Rose", "Royal", "Sand", "Silver", "Sky", "Snow", "South", "Spring", "Star",
        "Stone", "Storm", "Summit", "Sun", "Swift", "Temple", "Tiger", "Tower", "Union", "Valley",
        "Vista", "West", "White", "Wild", "Willow", "Wind", "Wolf", "Wood",
    ];
    WORDS.choose(rng).copied().unwrap_or("Stone")
}

fn made_up_word(rng: &mut impl Rng) -> String {
    const ONSETS: &[&str] = &[
        "b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "j", "k", "l", "m", "n", "p", "pr",
        "r", "s", "sh", "st", "t", "tr", "v", "w", "z",
    ];
    const VOWELS: &[&str] = &["a", "e", "i", "o", "u", "ai", "ea", "io", "ou"];
    const CODAS: &[&str] = &["", "", "", "n", "r", "l", "s", "m", "th"];
    let syllables = rng.random_range(2..=3);
    let word: String = (0..syllables)
        .map(|_| {
            [ONSETS, VOWELS, CODAS]
                .map(|part| *part.choose(rng).unwrap_or(&""))
                .concat()
        })
        .collect();
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
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
    fn made_up_names_take_every_shape_and_hardly_repeat() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        let names: Vec<String> = (0..2000).map(|_| made_up_name(&mut rng)).collect();
        let distinct: std::collections::HashSet<&String> = names.iter().collect();
        assert!(distinct.len() > 1900, "{} distinct of 2000", distinct.len());
        let share = |shape: fn(&str) -> bool| {
            names.iter().filter(|name| shape(name)).count() as f64 / names.len() as f64
        };
        let pronounceable = |name: &str| {
            name.split(' ').all(|word| {
                word.len() >= 2
                    && word.starts_with(|c: char| c.is_ascii_uppercase())
                    && word.chars().skip(1).all(|c| c.is_ascii_lowercase())
            })
        };
        let numbered = |name: &str| {
            name.rsplit_once(' ')
                .is_some_and(|(_, n)| n.parse::<u32>().is_ok_and(|n| (1..100).contains(&n)))
        };
        let acronym = |name: &str| {
            (2..=6).contains(&name.len())
                && name.chars().take(2).all(|c| c.is_ascii_uppercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        };
        let run_together = |name: &str| {
            !name.contains(' ')
                && name.chars().filter(char::is_ascii_uppercase).count() == 2
                && name.chars().any(|c| c.is_ascii_lowercase())
        };
        // Ordinary words pass as pronounceable; every name is one of the shapes.
        assert!(share(pronounceable) > 0.55, "{}", share(pronounceable));
        assert!((0.1..0.2).contains(&share(numbered)), "{}", share(numbered));
        assert!((0.06..0.14).contains(&share(acronym)), "{}", share(acronym));
        assert!(
            (0.06..0.14).contains(&share(run_together)),
            "{}",
            share(run_together)
        );
        for name in &names {
            assert!(
                pronounceable(name) || numbered(name) || acronym(name) || run_together(name),
                "{name}"
            );
        }
    }

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
