//! What the corpus holds: entities (things with a picture, facts and a page) and documents
//! (searchable text: every entity's page and the encyclopedia summaries).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What kind of thing an entity is; scene questions and the UI word things by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Monument,
    Animal,
    Flag,
    Logo,
}

/// Where a corpus item came from and under which terms it may be shared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The registry package, pinned: `npm:flag-icons@7.5.0`, `deb:gcompris-qt-data@3.1-2`, ….
    pub package: String,
    /// The file inside the package the item was read from.
    pub path: String,
    /// SPDX identifier or the licence's name as the package states it.
    pub licence: String,
    /// Author and original source where the package names them.
    pub attribution: String,
}

/// A byte range of the bundle's thumbnail pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub offset: u64,
    pub len: u64,
}

/// An entity's picture as the bundle keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Picture {
    /// Where the encoded thumbnail lies in `thumbnails.bin`.
    pub thumbnail: Span,
    /// `image/png` or `image/jpeg`.
    pub mime: String,
    pub width: u32,
    pub height: u32,
}

/// A thing the corpus knows: a monument, an animal, a country's flag, a brand's logo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    /// Stable id, `kind:slug` (`flag:jp`, `monument:eiffel-tower`).
    pub id: String,
    pub kind: EntityKind,
    pub title: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// One or two sentences.
    pub description: String,
    /// Facts as `key → value` (`capital → Tokyo`, `country → France`, `colour → #E60012`).
    #[serde(default)]
    pub facts: BTreeMap<String, String>,
    pub picture: Picture,
    /// The id of the entity's own page among the documents.
    pub page: String,
    pub provenance: Provenance,
}

/// A searchable text: an entity's page or an encyclopedia summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Stable id (`page:flag:jp`, `wiki:Eiffel Tower`).
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub body: String,
    /// The entity this page describes, if any.
    #[serde(default)]
    pub entity: Option<String>,
    pub provenance: Provenance,
}

impl Document {
    /// The text indexed under the title field: the title and every alias.
    pub fn title_field(&self) -> String {
        std::iter::once(self.title.as_str())
            .chain(self.aliases.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" · ")
    }
}
