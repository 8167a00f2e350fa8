//! Splits disjoint by entity: an entity's split follows from its id alone, so no picture of a
//! test entity is ever seen while training or tuning, whatever the seed.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    Train,
    Validation,
    Test,
}

impl Split {
    pub const ALL: [Split; 3] = [Split::Train, Split::Validation, Split::Test];

    /// The split an entity belongs to: 60 % train, 20 % validation, 20 % test, by the first
    /// byte of the sha256 of its id.
    pub fn of(entity_id: &str) -> Split {
        let bucket = Sha256::digest(entity_id.as_bytes())[0] % 10;
        match bucket {
            0..=5 => Split::Train,
            6 | 7 => Split::Validation,
            _ => Split::Test,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Validation => "validation",
            Split::Test => "test",
        }
    }
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entity_always_lands_in_the_same_split_and_every_split_gets_some() {
        let ids: Vec<String> = (0..1000).map(|i| format!("logo:brand-{i}")).collect();
        let mut counts = [0usize; 3];
        for id in &ids {
            let split = Split::of(id);
            assert_eq!(split, Split::of(id));
            counts[split as usize] += 1;
        }
        // 600/200/200 expected; a hash is not exact, but it is close.
        assert!((540..=660).contains(&counts[0]), "{counts:?}");
        assert!((160..=240).contains(&counts[1]), "{counts:?}");
        assert!((160..=240).contains(&counts[2]), "{counts:?}");
    }
}
