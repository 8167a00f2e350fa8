//! Which entities a split may picture, sorted by what questions they allow.

use std::collections::{BTreeMap, HashMap};

use gog_search::corpus::{Entity, EntityKind};
use rand::Rng;
use rand::seq::IndexedRandom;

use crate::{SceneError, Split, question};

/// A split's entities, by index into the bundle's entities.
#[derive(Debug, Default)]
pub(crate) struct Pool {
    pub by_kind: BTreeMap<EntityKind, Vec<usize>>,
    /// Flags with at least one country fact.
    pub flags_with_facts: Vec<usize>,
    /// Monuments with a country whose flag has at least one country fact.
    pub located_monuments: Vec<usize>,
}

impl Pool {
    /// Every split's pool from `entities`, and the countries that multi-hop questions reach:
    /// country name → its flag entity, whatever its split (the second hop is text, never
    /// pictured).
    pub fn all(entities: &[Entity]) -> (BTreeMap<Split, Pool>, HashMap<&str, usize>) {
        let countries: HashMap<&str, usize> = entities
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind == EntityKind::Flag && !question::text_facts(e).is_empty())
            .map(|(i, e)| (question::answer_name(e), i))
            .collect();
        let mut pools: BTreeMap<Split, Pool> = BTreeMap::new();
        for (i, entity) in entities.iter().enumerate() {
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
        (pools, countries)
    }

    /// How many entities the split has.
    pub fn len(&self) -> usize {
        self.by_kind.values().map(Vec::len).sum()
    }

    /// Any entity of the split: a kind first, then one of that kind, so that the few monuments
    /// and animals appear as often as the thousands of logos.
    pub fn any(&self, split: Split, rng: &mut impl Rng) -> Result<usize, SceneError> {
        let kinds: Vec<&Vec<usize>> = self.by_kind.values().filter(|v| !v.is_empty()).collect();
        kinds
            .choose(rng)
            .and_then(|entities| entities.choose(rng))
            .copied()
            .ok_or(SceneError::EmptyPool {
                split,
                what: "entities",
            })
    }
}
