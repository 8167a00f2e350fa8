//! The seeded generator. Every scene draws from its own random stream, derived from the seed,
//! the split and the scene's number, so any scene can be made alone and the same seed always
//! gives the same JPEG bytes and the same records.

use std::collections::{BTreeMap, HashMap};
use std::io::{Cursor, Write as _};
use std::path::Path;

use gog_search::Bundle;
use gog_search::corpus::{Entity, EntityKind};
use image::RgbImage;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::background::Background;
use crate::layout::{self, MAX_PICTURES, Rect};
use crate::question::{self, Asked, COUNTRY_FACTS, Subject};
use crate::record::{Category, Pictured, Record, Reference};
use crate::{SceneError, Split, render};

/// Bumped whenever the same seed would give different scenes.
pub const GENERATOR_VERSION: u32 = 1;

/// The seed `cargo xtask corpus` makes the splits with (the paper's arXiv number).
pub const DEFAULT_SEED: u64 = 260_113_942;

/// JPEG quality of the scenes: high enough that compression is not what a search must survive.
const SCENE_QUALITY: u8 = 88;

/// Categories repeat in this order, so every split has them in the same proportions: 10 %
/// no-search, 20 % glance, 35 % gaze, 20 % text, 15 % multi-hop.
const SCHEDULE: [Category; 20] = {
    use Category::*;
    [
        Gaze, Glance, Text, Gaze, MultiHop, NoSearch, Gaze, Glance, Text, Gaze, //
        MultiHop, Gaze, Glance, Text, NoSearch, Gaze, Glance, Text, MultiHop, Gaze,
    ]
};

/// A picture is the largest (or smallest) for a question only by this margin in area.
const SIZE_MARGIN: f64 = 1.3;

/// How many scenes each split gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SplitCounts {
    pub train: usize,
    pub validation: usize,
    pub test: usize,
}

impl Default for SplitCounts {
    fn default() -> Self {
        SplitCounts {
            train: 1000,
            validation: 200,
            test: 500,
        }
    }
}

impl SplitCounts {
    pub fn of(&self, split: Split) -> usize {
        match split {
            Split::Train => self.train,
            Split::Validation => self.validation,
            Split::Test => self.test,
        }
    }
}

/// One generated scene.
#[derive(Debug, Clone)]
pub struct Scene {
    pub record: Record,
    pub jpeg: Vec<u8>,
}

/// Which entities a split may picture, by what questions they allow.
#[derive(Debug, Default)]
struct Pool {
    by_kind: BTreeMap<EntityKind, Vec<usize>>,
    /// Flags with at least one country fact.
    flags_with_facts: Vec<usize>,
    /// Monuments with a country whose flag has at least one country fact.
    located_monuments: Vec<usize>,
}

/// Makes GoG-Offline scenes from a corpus bundle and background photos.
#[derive(Debug)]
pub struct Generator<'a> {
    bundle: &'a Bundle,
    backgrounds: &'a [Background],
    seed: u64,
    pools: BTreeMap<Split, Pool>,
    /// Country name → its flag entity, where multi-hop questions find the second fact.
    countries: HashMap<&'a str, usize>,
}

/// What `write` made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub generator_version: u32,
    pub seed: u64,
    pub corpus_version: String,
    /// Split → category → scenes.
    pub scenes: BTreeMap<Split, BTreeMap<Category, usize>>,
}

impl<'a> Generator<'a> {
    pub fn new(
        bundle: &'a Bundle,
        backgrounds: &'a [Background],
        seed: u64,
    ) -> Result<Self, SceneError> {
        if backgrounds.is_empty() {
            return Err(SceneError::NoBackgrounds("none given".into()));
        }
        let countries: HashMap<&str, usize> = bundle
            .entities
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind == EntityKind::Flag && !question::text_facts(e).is_empty())
            .map(|(i, e)| (question::answer_name(e), i))
            .collect();
        let mut pools: BTreeMap<Split, Pool> = BTreeMap::new();
        for (i, entity) in bundle.entities.iter().enumerate() {
            let pool = pools.entry(Split::of(&entity.id)).or_default();
            pool.by_kind.entry(entity.kind).or_default().push(i);
            match entity.kind {
                EntityKind::Flag if !question::text_facts(entity).is_empty() => {
                    pool.flags_with_facts.push(i);
                }
                EntityKind::Monument
                    if entity
                        .facts
                        .get("country")
                        .is_some_and(|c| countries.contains_key(c.as_str())) =>
                {
                    pool.located_monuments.push(i);
                }
                _ => {}
            }
        }
        Ok(Generator {
            bundle,
            backgrounds,
            seed,
            pools,
            countries,
        })
    }

    /// Scene number `index` of `split`.
    pub fn scene(&self, split: Split, index: usize) -> Result<Scene, SceneError> {
        let mut rng = ChaCha8Rng::from_seed(
            Sha256::digest(format!("gog-offline/{}/{split}/{index}", self.seed)).into(),
        );
        let pool = self.pools.get(&split).ok_or(SceneError::EmptyPool {
            split,
            what: "entities",
        })?;
        let category = SCHEDULE[index % SCHEDULE.len()];
        let count = match category {
            Category::Glance => 1,
            Category::Gaze => rng.random_range(2..=MAX_PICTURES),
            _ => rng.random_range(1..=MAX_PICTURES),
        };
        let target = match category {
            Category::NoSearch => None,
            Category::Glance | Category::Gaze => Some(any_entity(pool, split, &mut rng)?),
            Category::Text => {
                let mut choices = vec![&pool.flags_with_facts, &pool.located_monuments];
                choices.retain(|c| !c.is_empty());
                let from = choices.choose(&mut rng).ok_or(SceneError::EmptyPool {
                    split,
                    what: "entity with facts",
                })?;
                from.choose(&mut rng).copied()
            }
            Category::MultiHop => Some(*pool.located_monuments.choose(&mut rng).ok_or(
                SceneError::EmptyPool {
                    split,
                    what: "monument with a country",
                },
            )?),
        };

        let mut chosen: Vec<usize> = target.into_iter().collect();
        // A split's pool may be smaller than a scene; give up drawing after enough tries.
        for _ in 0..64 {
            if chosen.len() == count {
                break;
            }
            let other = any_entity(pool, split, &mut rng)?;
            if !chosen.contains(&other) {
                chosen.push(other);
            }
        }
        if chosen.len() < count {
            return Err(SceneError::EmptyPool {
                split,
                what: "enough distinct entities",
            });
        }
        chosen.shuffle(&mut rng);
        let target_slot = target.and_then(|t| chosen.iter().position(|&c| c == t));

        let cells = layout::cells(count);
        let scale = if count == 1 {
            (0.55, 0.95)
        } else {
            (0.45, 0.95)
        };
        let mut pictures = Vec::with_capacity(count);
        for (&entity, cell) in chosen.iter().zip(&cells) {
            let entity = &self.bundle.entities[entity];
            let decoded =
                gog_search::image::decode(self.bundle.thumbnail(entity)).map_err(|e| {
                    SceneError::Picture {
                        what: entity.id.clone(),
                        reason: e.to_string(),
                    }
                })?;
            let framed = layout::place(cell.rect, decoded.dimensions(), scale, &mut rng);
            pictures.push((entity, decoded, framed, cell.position));
        }

        let no_facts = || SceneError::EmptyPool {
            split,
            what: "entity with facts",
        };
        let (reference, asked) = match target_slot {
            None => (None, question::count(count)),
            Some(slot) => {
                let (reference, subject) = subject_for(&pictures, slot, &mut rng);
                let entity = pictures[slot].0;
                let asked = match category {
                    Category::Text => {
                        let facts = question::text_facts(entity);
                        let fact = facts.choose(&mut rng).ok_or_else(no_facts)?;
                        question::fact(&subject, entity, fact)
                    }
                    Category::MultiHop => self.multi_hop(&subject, entity, &mut rng),
                    _ => Some(question::identity(&subject, entity)),
                };
                (Some(reference), asked.ok_or_else(no_facts)?)
            }
        };

        let background = self
            .backgrounds
            .choose(&mut rng)
            .ok_or_else(|| SceneError::NoBackgrounds("none given".into()))?;
        let mut canvas = render::background(&background.image, &mut rng);
        for (_, decoded, framed, _) in &pictures {
            render::picture(&mut canvas, decoded, *framed);
        }
        let id = format!("{split}-{index:05}");
        let jpeg = encode(&canvas).map_err(|reason| SceneError::Encode {
            id: id.clone(),
            reason,
        })?;
        let Asked {
            question,
            answer,
            aliases,
            evidence,
        } = asked;
        let record = Record {
            image: format!("images/{id}.jpg"),
            id,
            split,
            width: canvas.width(),
            height: canvas.height(),
            question,
            answer,
            aliases,
            category,
            entities: pictures
                .iter()
                .map(|(entity, _, framed, _)| Pictured {
                    entity: entity.id.clone(),
                    title: entity.title.clone(),
                    bbox_2d: framed.corners(),
                })
                .collect(),
            target: target_slot,
            reference,
            evidence,
            background: background.name.clone(),
        };
        Ok(Scene { record, jpeg })
    }

    /// A multi-hop question about `monument`: a fact of the country it stands in.
    fn multi_hop(&self, subject: &Subject, monument: &Entity, rng: &mut impl Rng) -> Option<Asked> {
        let country = &self.bundle.entities[*self
            .countries
            .get(monument.facts.get("country")?.as_str())?];
        let facts: Vec<&str> = COUNTRY_FACTS
            .iter()
            .map(|(fact, _, _)| *fact)
            .filter(|fact| question::text_facts(country).contains(fact))
            .collect();
        question::multi_hop(subject, monument, country, facts.choose(rng)?)
    }

    /// Writes every split into `out` (replacing it): `images/`, `{split}.jsonl`, and
    /// `gog-offline.json` describing the run.
    pub fn write(&self, out: &Path, counts: SplitCounts) -> Result<Summary, SceneError> {
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| SceneError::Io { path, source }
        };
        if out.exists() {
            std::fs::remove_dir_all(out).map_err(io(out))?;
        }
        let images = out.join("images");
        std::fs::create_dir_all(&images).map_err(io(&images))?;
        let mut summary = Summary {
            generator_version: GENERATOR_VERSION,
            seed: self.seed,
            corpus_version: self.bundle.manifest.corpus_version.clone(),
            scenes: BTreeMap::new(),
        };
        for split in Split::ALL {
            let mut lines = Vec::new();
            for index in 0..counts.of(split) {
                let Scene { record, jpeg } = self.scene(split, index)?;
                let path = out.join(&record.image);
                std::fs::write(&path, &jpeg).map_err(io(&path))?;
                *summary
                    .scenes
                    .entry(split)
                    .or_default()
                    .entry(record.category)
                    .or_default() += 1;
                serde_json::to_writer(&mut lines, &record).expect("a record serialises");
                lines.write_all(b"\n").expect("writing to a Vec");
            }
            let path = out.join(format!("{split}.jsonl"));
            std::fs::write(&path, lines).map_err(io(&path))?;
        }
        let path = out.join("gog-offline.json");
        let meta = serde_json::to_vec_pretty(&summary).expect("a summary serialises");
        std::fs::write(&path, meta).map_err(io(&path))?;
        Ok(summary)
    }
}

/// Any entity of the split: a kind first, then one of that kind, so that the few monuments and
/// animals appear as often as the thousands of logos.
fn any_entity(pool: &Pool, split: Split, rng: &mut impl Rng) -> Result<usize, SceneError> {
    let kinds: Vec<&Vec<usize>> = pool.by_kind.values().filter(|v| !v.is_empty()).collect();
    kinds
        .choose(rng)
        .and_then(|entities| entities.choose(rng))
        .copied()
        .ok_or(SceneError::EmptyPool {
            split,
            what: "entities",
        })
}

/// How the question names the picture in `slot`: "the image" when it is alone, otherwise its
/// position, or its size or colour when those single it out.
fn subject_for(
    pictures: &[(&Entity, RgbImage, Rect, &'static str)],
    slot: usize,
    rng: &mut impl Rng,
) -> (Reference, Subject) {
    if pictures.len() == 1 {
        return (Reference::Whole, Subject::Picture("The image".into()));
    }
    let (entity, _, framed, position) = &pictures[slot];
    let mut choices = vec![(
        Reference::Position,
        Subject::Picture(format!("The picture {position}")),
    )];
    let area = framed.area() as f64;
    let others = || {
        pictures
            .iter()
            .enumerate()
            .filter(move |(i, _)| *i != slot)
            .map(|(_, p)| p)
    };
    if others().all(|(_, _, r, _)| area >= SIZE_MARGIN * r.area() as f64) {
        choices.push((
            Reference::Size,
            Subject::Picture("The largest picture".into()),
        ));
    } else if others().all(|(_, _, r, _)| area * SIZE_MARGIN <= r.area() as f64) {
        choices.push((
            Reference::Size,
            Subject::Picture("The smallest picture".into()),
        ));
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
    if let Some(name) = colour(entity)
        && others().all(|(other, ..)| colour(other) != Some(name))
    {
        choices.push((Reference::Colour, Subject::Colour(name)));
    }
    let at = rng.random_range(0..choices.len());
    choices.swap_remove(at)
}

fn encode(canvas: &RgbImage) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(Cursor::new(&mut out), SCENE_QUALITY)
        .encode_image(canvas)
        .map_err(|e| e.to_string())?;
    Ok(out)
}
