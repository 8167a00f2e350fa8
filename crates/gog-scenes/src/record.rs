//! One benchmark item as a JSON line, in the FVQA-like layout the peers' datasets use (`image`,
//! `question`, `answer`, `aliases`, `category`), plus what the generator knows and a search
//! benchmark needs: every picture's gold box, which one the question asks about, and the
//! documents that hold the answer.

use serde::{Deserialize, Serialize};

use crate::split::Split;

/// What answering a question needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// The answer is visible: counting the pictures.
    NoSearch,
    /// One picture that fills most of the image: searching the whole image finds it.
    Glance,
    /// The question is about one of several pictures, named by position, size, colour or
    /// kind, or about a lone picture too small for a search of the whole image to find.
    Gaze,
    /// A fact about a pictured entity that the image does not show.
    Text,
    /// A fact about a fact: the country a monument stands in, then that country's capital.
    MultiHop,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::NoSearch,
        Category::Glance,
        Category::Gaze,
        Category::Text,
        Category::MultiHop,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Category::NoSearch => "no-search",
            Category::Glance => "glance",
            Category::Gaze => "gaze",
            Category::Text => "text",
            Category::MultiHop => "multi-hop",
        }
    }
}

/// How the question singles out the picture it asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reference {
    /// The only picture: "the image".
    Whole,
    /// "The picture on the left", "… in the top-right corner".
    Position,
    /// "The largest picture", "the smallest picture".
    Size,
    /// "The red logo".
    Colour,
    /// The only picture of its kind: "the flag".
    Kind,
}

/// A picture in the scene.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pictured {
    /// The corpus entity's id.
    pub entity: String,
    pub title: String,
    /// `[x1, y1, x2, y2]` in the scene's pixels, end exclusive: the axis-aligned box of what
    /// was drawn, frame included, turned if the picture was.
    pub bbox_2d: [u32; 4],
}

/// One fact on the way to the answer, and the corpus page that states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// What the fact is about, by name (`Eiffel Tower`, `France`): a text query's subject.
    pub subject: String,
    /// The fact's key in the entity's facts (`country`, `capital`).
    pub fact: String,
    pub value: String,
    /// The page holding it (`page:flag:fr`).
    pub page: String,
}

/// One scene and its question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// `test-00042`.
    pub id: String,
    pub split: Split,
    /// The JPEG's path relative to the JSON-lines file.
    pub image: String,
    pub width: u32,
    pub height: u32,
    pub question: String,
    pub answer: String,
    /// Other answers that count as right (native names, alternative spellings, numbers as words).
    pub aliases: Vec<String>,
    pub category: Category,
    /// Every picture, in drawing order: a later one may lie partly over an earlier one.
    pub entities: Vec<Pictured>,
    /// The index in `entities` of the picture the question asks about; none when it asks about
    /// the whole image (counting).
    pub target: Option<usize>,
    pub reference: Option<Reference>,
    /// The facts leading to the answer, in order; empty when the answer is the entity itself
    /// or visible.
    pub evidence: Vec<Evidence>,
    /// The background photo's name, or `synthetic-` and the pattern of a made background.
    pub background: String,
}

impl Record {
    /// The asked-about picture.
    pub fn target_picture(&self) -> Option<&Pictured> {
        self.target.and_then(|i| self.entities.get(i))
    }
}
