//! The seeded generator. Every scene draws from its own random stream, derived from the seed,
//! the split and the scene's number, so any scene can be made alone, scenes can be made in any
//! order or in parallel, and the same seed and version always give the same JPEG bytes and
//! the same records.
//!
//! A scene is composed first — every random choice, in a fixed order — and drawn after. The
//! order is version 1's: what later versions added draws nothing under version 1's parameters.

use std::collections::{BTreeMap, HashMap};

use gog_search::Bundle;
use gog_search::corpus::Entity;
use image::RgbImage;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::background::Background;
use crate::composition::{Composition, Print};
use crate::layout::{self, Placement, Sizing};
use crate::look::Look;
use crate::params::Params;
use crate::pool::Pool;
use crate::question::{self, Asked, COUNTRY_FACTS, TextFact};
use crate::record::{Category, Pictured, Record};
use crate::refer::{self, Shown};
use crate::render::Backdrop;
use crate::render::photo::PhotoWindow;
use crate::render::synthetic::{Pattern, Synthetic};
use crate::version::GeneratorVersion;
use crate::{SceneError, Split, draw, overlap, phrasing};

/// The seed `cargo xtask corpus` makes the splits with (the paper's arXiv number).
pub const DEFAULT_SEED: u64 = 260_113_942;

/// Categories repeat in this order, so every split has them in the same proportions: 10 %
/// no-search, 20 % glance, 35 % gaze, 20 % text, 15 % multi-hop.
const SCHEDULE: [Category; 20] = {
    use Category::*;
    [
        Gaze, Glance, Text, Gaze, MultiHop, NoSearch, Gaze, Glance, Text, Gaze, //
        MultiHop, Gaze, Glance, Text, NoSearch, Gaze, Glance, Text, MultiHop, Gaze,
    ]
};

/// Placements tried with pictures spilling past their cells before settling for cells alone,
/// where pictures never overlap.
const SPILLING_TRIES: usize = 8;

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

/// Makes GoG-Offline scenes from a corpus bundle and background photos.
#[derive(Debug)]
pub struct Generator<'a> {
    pub(crate) bundle: &'a Bundle,
    /// The photos this version lays scenes on, in the listing's order.
    photos: Vec<&'a Background>,
    pub(crate) seed: u64,
    pub(crate) version: GeneratorVersion,
    pools: BTreeMap<Split, Pool>,
    /// Country name → its flag entity, where multi-hop questions find the second fact.
    countries: HashMap<&'a str, usize>,
}

impl<'a> Generator<'a> {
    /// A generator of the latest version.
    pub fn new(
        bundle: &'a Bundle,
        backgrounds: &'a [Background],
        seed: u64,
    ) -> Result<Self, SceneError> {
        Self::of_version(bundle, backgrounds, seed, GeneratorVersion::LATEST)
    }

    /// A generator of `version`; it lays scenes only on the photos that version knows.
    pub fn of_version(
        bundle: &'a Bundle,
        backgrounds: &'a [Background],
        seed: u64,
        version: GeneratorVersion,
    ) -> Result<Self, SceneError> {
        let photos: Vec<&Background> = backgrounds
            .iter()
            .filter(|b| b.since_version <= version.number())
            .collect();
        if photos.is_empty() {
            return Err(SceneError::NoBackgrounds(format!(
                "none given for generator version {version}"
            )));
        }
        let (pools, countries) = Pool::all(&bundle.entities);
        Ok(Generator {
            bundle,
            photos,
            seed,
            version,
            pools,
            countries,
        })
    }

    /// Scene number `index` of `split`, drawn and encoded.
    pub fn scene(&self, split: Split, index: usize) -> Result<Scene, SceneError> {
        let composition = self.compose(split, index)?;
        let jpeg = composition.encode()?;
        Ok(Scene {
            record: composition.record,
            jpeg,
        })
    }

    /// Every choice of scene number `index` of `split`, not yet drawn.
    pub fn compose(&self, split: Split, index: usize) -> Result<Composition<'_>, SceneError> {
        let params = self.version.params();
        let mut rng = ChaCha8Rng::from_seed(
            Sha256::digest(format!("gog-offline/{}/{split}/{index}", self.seed)).into(),
        );
        let rng = &mut rng;
        let pool = self.pools.get(&split).ok_or(SceneError::EmptyPool {
            split,
            what: "entities",
        })?;
        let category = SCHEDULE[index % SCHEDULE.len()];
        let canvas = params.canvas.draw(rng);
        // A scene cannot picture more distinct entities than its split has.
        let most = params.max_pictures.min(pool.len()).max(1);
        let (count, small) = match category {
            Category::Glance => (1, false),
            Category::Gaze if most < 2 || draw::chance(rng, params.lone_gaze) => (1, true),
            Category::Gaze => (rng.random_range(2..=most), false),
            _ => {
                let count = rng.random_range(1..=most);
                (count, count == 1 && draw::chance(rng, params.small_lone))
            }
        };
        let target = self.target(category, pool, split, rng)?;
        let chosen = self.others(target, count, pool, split, rng)?;
        let target_slot = target.and_then(|t| chosen.iter().position(|&c| c == t));
        let entities: Vec<&Entity> = chosen.iter().map(|&i| &self.bundle.entities[i]).collect();

        let looks: Vec<Look> = (0..count).map(|_| Look::draw(&params.looks, rng)).collect();
        let pictures = entities
            .iter()
            .map(|entity| self.picture(entity))
            .collect::<Result<Vec<_>, _>>()?;
        let sizing = match (count, small) {
            (1, true) => params.small,
            (1, false) => params.lone,
            _ => params.several,
        };
        let cells = layout::cells(count, canvas);
        let sizes: Vec<(u32, u32)> = pictures.iter().map(|p| p.dimensions()).collect();
        let placements = arrange(params, canvas, &cells, &sizes, &looks, sizing, rng);

        let no_facts = || SceneError::EmptyPool {
            split,
            what: "entity with facts",
        };
        let (reference, subject, asked) = match target_slot {
            None => (None, None, question::count(count)),
            Some(slot) => {
                let shown: Vec<Shown> = entities
                    .iter()
                    .zip(&placements)
                    .zip(&cells)
                    .map(|((&entity, placement), cell)| Shown {
                        entity,
                        outer: placement.outer,
                        position: cell.position,
                    })
                    .collect();
                let (reference, subject) = refer::choose(&shown, slot, params.by_kind, rng);
                let entity = entities[slot];
                let asked = match category {
                    Category::Text => {
                        let facts = question::text_facts(entity);
                        let fact = facts.choose(rng).ok_or_else(no_facts)?;
                        question::fact(entity, *fact)
                    }
                    Category::MultiHop => self.multi_hop(entity, rng),
                    _ => Some(question::identity(entity)),
                };
                (
                    Some(reference),
                    Some((subject, entity.kind)),
                    asked.ok_or_else(no_facts)?,
                )
            }
        };
        let wording = phrasing::pick(asked.template, params.phrasing, rng);

        let backdrop = self.backdrop(params, canvas, rng)?;

        let id = format!("{split}-{index:05}");
        let Asked {
            answer,
            aliases,
            evidence,
            ..
        } = asked;
        let record = Record {
            image: format!("images/{id}.jpg"),
            id,
            split,
            width: canvas.0,
            height: canvas.1,
            question: phrasing::fill(wording, subject),
            answer,
            aliases,
            category,
            entities: entities
                .iter()
                .zip(&placements)
                .map(|(entity, placement)| Pictured {
                    entity: entity.id.clone(),
                    title: entity.title.clone(),
                    bbox_2d: placement.outer.corners(),
                })
                .collect(),
            target: target_slot,
            reference,
            evidence,
            background: backdrop.name(),
        };
        let prints = pictures
            .into_iter()
            .zip(placements)
            .zip(looks)
            .map(|((picture, placement), look)| Print {
                picture,
                placement,
                look,
            })
            .collect();
        Ok(Composition {
            record,
            wording,
            canvas,
            backdrop,
            prints,
        })
    }

    /// `target` (if any) and other entities of the split, `count` distinct ones in all, in
    /// drawing order.
    fn others(
        &self,
        target: Option<usize>,
        count: usize,
        pool: &Pool,
        split: Split,
        rng: &mut impl Rng,
    ) -> Result<Vec<usize>, SceneError> {
        let mut chosen: Vec<usize> = target.into_iter().collect();
        // Kinds are drawn first, so distinct entities may take a few tries.
        for _ in 0..64 {
            if chosen.len() == count {
                break;
            }
            let other = pool.any(split, rng)?;
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
        chosen.shuffle(rng);
        Ok(chosen)
    }

    /// An entity's thumbnail, decoded.
    fn picture(&self, entity: &Entity) -> Result<RgbImage, SceneError> {
        gog_types::image::decode(self.bundle.thumbnail(entity)).map_err(|e| SceneError::Picture {
            what: entity.id.clone(),
            reason: e.to_string(),
        })
    }

    /// What the pictures are laid on: a background made from the seed, or a window of one of
    /// this version's photos.
    fn backdrop(
        &self,
        params: &Params,
        canvas: (u32, u32),
        rng: &mut impl Rng,
    ) -> Result<Backdrop<'a>, SceneError> {
        Ok(if draw::chance(rng, params.synthetic) {
            Backdrop::Synthetic(Synthetic {
                pattern: draw::one_of(rng, &Pattern::ALL),
                seed: rng.random(),
            })
        } else {
            let photo = self
                .photos
                .choose(rng)
                .ok_or_else(|| SceneError::NoBackgrounds("none given".into()))?;
            Backdrop::Photo(PhotoWindow::draw(
                photo,
                canvas,
                params.photo_share,
                params.mirror,
                rng,
            ))
        })
    }

    /// The entity a question of `category` asks about; none for counting.
    fn target(
        &self,
        category: Category,
        pool: &Pool,
        split: Split,
        rng: &mut impl Rng,
    ) -> Result<Option<usize>, SceneError> {
        Ok(match category {
            Category::NoSearch => None,
            Category::Glance | Category::Gaze => Some(pool.any(split, rng)?),
            Category::Text => {
                let mut choices = vec![&pool.flags_with_facts, &pool.located_monuments];
                choices.retain(|c| !c.is_empty());
                let from = choices.choose(rng).ok_or(SceneError::EmptyPool {
                    split,
                    what: "entity with facts",
                })?;
                from.choose(rng).copied()
            }
            Category::MultiHop => Some(*pool.located_monuments.choose(rng).ok_or(
                SceneError::EmptyPool {
                    split,
                    what: "monument with a country",
                },
            )?),
        })
    }

    /// A multi-hop question about `monument`: a fact of the country it stands in.
    fn multi_hop(&self, monument: &Entity, rng: &mut impl Rng) -> Option<Asked> {
        let country = &self.bundle.entities[*self
            .countries
            .get(monument.facts.get("country")?.as_str())?];
        let offered = question::text_facts(country);
        let facts: Vec<_> = COUNTRY_FACTS
            .into_iter()
            .filter(|fact| offered.contains(&TextFact::OfCountry(*fact)))
            .collect();
        question::multi_hop(monument, country, *facts.choose(rng)?)
    }
}

/// Places every picture in its cell. Pictures may spill past their cells as `params` allow, as
/// long as no picture is hidden more than `params.max_hidden` by those drawn after it; after
/// [`SPILLING_TRIES`] failed tries they keep to their cells, where they cannot overlap.
fn arrange(
    params: &Params,
    canvas: (u32, u32),
    cells: &[layout::Cell],
    sizes: &[(u32, u32)],
    looks: &[Look],
    sizing: Sizing,
    rng: &mut impl Rng,
) -> Vec<Placement> {
    let mut attempt = |spill: f64| -> Vec<Placement> {
        cells
            .iter()
            .zip(sizes)
            .zip(looks)
            .map(|((cell, &size), look)| {
                layout::place(cell.rect, canvas, size, look, sizing, spill, rng)
            })
            .collect()
    };
    let visible = |placements: &[Placement]| {
        let boxes: Vec<_> = placements.iter().map(|p| p.outer).collect();
        (0..boxes.len())
            .all(|i| overlap::hidden_share(boxes[i], &boxes[i + 1..]) <= params.max_hidden)
    };
    for _ in 0..SPILLING_TRIES {
        let placements = attempt(params.spill);
        if visible(&placements) || params.spill == 0.0 {
            return placements;
        }
    }
    attempt(0.0)
}
