//! The prompts, as data files (`crates/gog-agent/prompts/`): shared ones in `common/`, and a
//! directory per model family whose files take precedence: how Qwen-VL families write boxes,
//! and GoG-Tiny's compact prompts (a small model's context is better spent on results).
//! They are compiled in, so the browser has them, and can be replaced from a directory of the
//! same layout (`gog ask --prompts DIR`) when the paper's authors publish theirs. Placeholders
//! are `{name}`; any other brace is left alone (the tool schemas are JSON).

use serde::{Deserialize, Serialize};

use crate::boxes::BoxConvention;

/// The model families the agent can drive, by how they are prompted.
///
/// Not `gog_vlm::qwen_vl::Family`, the architecture the runtime builds: several prompt families
/// can share one architecture (GoG-Tiny is a Qwen3-VL), and the agent knows nothing of the
/// runtime. `gog-vlm-policy` maps a checkpoint's architecture and `gog_prompt_family` to this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    #[serde(rename = "qwen2_5_vl")]
    Qwen2_5Vl,
    #[serde(rename = "qwen3_vl")]
    Qwen3Vl,
    /// GoG's own small models: the Qwen3-VL architecture, trained on the compact prompts of
    /// `prompts/gog_tiny/` (a checkpoint says so with `"gog_prompt_family": "gog_tiny"`).
    #[serde(rename = "gog_tiny")]
    GogTiny,
}

impl Family {
    /// The directory of its prompt files.
    pub fn dir(self) -> &'static str {
        match self {
            Family::Qwen2_5Vl => "qwen2_5_vl",
            Family::Qwen3Vl => "qwen3_vl",
            Family::GogTiny => "gog_tiny",
        }
    }

    /// The architecture whose box convention the family follows.
    pub fn box_family(self) -> Family {
        match self {
            Family::GogTiny => Family::Qwen3Vl,
            other => other,
        }
    }

    /// The family a checkpoint's `gog_prompt_family` names, if any.
    pub fn from_prompt_family(name: &str) -> Option<Family> {
        [Family::Qwen2_5Vl, Family::Qwen3Vl, Family::GogTiny]
            .into_iter()
            .find(|family| family.dir() == name)
    }
}

/// The prompt files, by name.
pub const FILES: [&str; 10] = [
    "system.txt",
    "system_direct.txt",
    "system_full_search.txt",
    "question.txt",
    "tool_response.txt",
    "image_result.txt",
    "text_result.txt",
    "reflection.txt",
    "error.txt",
    "box_convention.txt",
];

/// The compiled-in files: `(directory, name, text)`.
const BUILT_IN: [(&str, &str, &str); 15] = [
    (
        "common",
        "system.txt",
        include_str!("../prompts/common/system.txt"),
    ),
    (
        "common",
        "system_direct.txt",
        include_str!("../prompts/common/system_direct.txt"),
    ),
    (
        "common",
        "system_full_search.txt",
        include_str!("../prompts/common/system_full_search.txt"),
    ),
    (
        "common",
        "question.txt",
        include_str!("../prompts/common/question.txt"),
    ),
    (
        "common",
        "tool_response.txt",
        include_str!("../prompts/common/tool_response.txt"),
    ),
    (
        "common",
        "image_result.txt",
        include_str!("../prompts/common/image_result.txt"),
    ),
    (
        "common",
        "text_result.txt",
        include_str!("../prompts/common/text_result.txt"),
    ),
    (
        "common",
        "reflection.txt",
        include_str!("../prompts/common/reflection.txt"),
    ),
    (
        "common",
        "error.txt",
        include_str!("../prompts/common/error.txt"),
    ),
    (
        "qwen2_5_vl",
        "box_convention.txt",
        include_str!("../prompts/qwen2_5_vl/box_convention.txt"),
    ),
    (
        "qwen3_vl",
        "box_convention.txt",
        include_str!("../prompts/qwen3_vl/box_convention.txt"),
    ),
    (
        "gog_tiny",
        "system.txt",
        include_str!("../prompts/gog_tiny/system.txt"),
    ),
    (
        "gog_tiny",
        "box_convention.txt",
        include_str!("../prompts/gog_tiny/box_convention.txt"),
    ),
    (
        "gog_tiny",
        "reflection.txt",
        include_str!("../prompts/gog_tiny/reflection.txt"),
    ),
    (
        "gog_tiny",
        "image_result.txt",
        include_str!("../prompts/gog_tiny/image_result.txt"),
    ),
];

/// A prompt file missing from a replacement directory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no prompt {name} for {family}: give it in {family}/ or common/")]
pub struct MissingPrompt {
    pub family: &'static str,
    pub name: &'static str,
}

/// One family's prompts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompts {
    pub family: Family,
    /// File name → text.
    pub files: std::collections::BTreeMap<String, String>,
}

impl Prompts {
    /// The compiled-in prompts of `family`.
    pub fn built_in(family: Family) -> Self {
        Self::resolve(family, |dir, name| {
            BUILT_IN
                .iter()
                .find(|(d, n, _)| *d == dir && *n == name)
                .map(|(_, _, text)| text.to_string())
        })
        .unwrap_or_else(|missing| unreachable!("built-in prompts are complete: {missing}"))
    }

    /// The built-in prompts of `family` with files found by `read(directory, name)` in their
    /// place: a replacement directory need hold only the files it changes. For each file the
    /// replacement's family directory is tried, then its `common`, then the built-in ones.
    pub fn overridden(family: Family, mut read: impl FnMut(&str, &str) -> Option<String>) -> Self {
        let mut prompts = Self::built_in(family);
        for (name, text) in &mut prompts.files {
            if let Some(replacement) = read(family.dir(), name).or_else(|| read("common", name)) {
                *text = replacement;
            }
        }
        prompts
    }

    /// Prompts of `family` from files found by `read(directory, name)` (the family's directory
    /// first, then `common`).
    pub fn resolve(
        family: Family,
        mut read: impl FnMut(&str, &str) -> Option<String>,
    ) -> Result<Self, MissingPrompt> {
        let mut files = std::collections::BTreeMap::new();
        for name in FILES {
            let text = read(family.dir(), name)
                .or_else(|| read("common", name))
                .ok_or(MissingPrompt {
                    family: family.dir(),
                    name,
                })?;
            files.insert(name.to_string(), text);
        }
        Ok(Prompts { family, files })
    }

    /// The SHA-256 of the files as canonical JSON (a map sorted by name): what a trace records.
    pub fn sha256(&self) -> String {
        let json = serde_json::to_vec(&self.files).expect("prompt files are strings");
        gog_types::sha256_hex(&json)
    }

    /// File `name` with its placeholders filled in one pass, so a value that itself looks like
    /// a placeholder (a web page's title, say) is kept as it is.
    pub fn fill(&self, name: &str, values: &[(&str, &str)]) -> String {
        let template = self.files.get(name).map_or("", String::as_str);
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let filled = values.iter().find_map(|(key, value)| {
                after
                    .strip_prefix(key)
                    .and_then(|tail| tail.strip_prefix('}'))
                    .map(|tail| (value, tail))
            });
            match filled {
                Some((value, tail)) => {
                    out.push_str(value);
                    rest = tail;
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// How this family writes boxes, for an image the model sees as `convention` says.
    pub fn box_convention(&self, convention: BoxConvention) -> String {
        let (width, height) = convention.extent();
        self.fill(
            "box_convention.txt",
            &[
                ("width", &width.to_string()),
                ("height", &height.to_string()),
            ],
        )
        .trim_end()
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_has_every_file_and_a_replacement_can_override_one() {
        for family in [Family::Qwen2_5Vl, Family::Qwen3Vl, Family::GogTiny] {
            assert_eq!(Family::from_prompt_family(family.dir()), Some(family));
            let prompts = Prompts::built_in(family);
            assert_eq!(prompts.files.len(), FILES.len());
            assert!(prompts.files.values().all(|text| !text.trim().is_empty()));
        }
        let replaced = Prompts::resolve(Family::Qwen3Vl, |dir, name| {
            (dir == "qwen3_vl" && name == "reflection.txt")
                .then(|| "Mine.".to_string())
                .or_else(|| Some(Prompts::built_in(Family::Qwen3Vl).files[name].clone()))
        })
        .unwrap();
        assert_eq!(replaced.files["reflection.txt"], "Mine.");
        let missing = Prompts::resolve(Family::Qwen3Vl, |_, name| {
            (name != "error.txt").then(String::new)
        })
        .unwrap_err();
        assert_eq!(missing.name, "error.txt");
    }

    #[test]
    fn a_partial_replacement_directory_keeps_the_rest_built_in() {
        let built_in = Prompts::built_in(Family::Qwen2_5Vl);
        let overridden = Prompts::overridden(Family::Qwen2_5Vl, |dir, name| match (dir, name) {
            ("common", "reflection.txt") => Some("Common reflection.".into()),
            ("qwen2_5_vl", "error.txt") => Some("Family error.".into()),
            ("common", "error.txt") => Some("Loses to the family's.".into()),
            _ => None,
        });
        assert_eq!(overridden.files["reflection.txt"], "Common reflection.");
        assert_eq!(overridden.files["error.txt"], "Family error.");
        for (name, text) in &overridden.files {
            if name != "reflection.txt" && name != "error.txt" {
                assert_eq!(text, &built_in.files[name], "{name}");
            }
        }
        assert_ne!(overridden.sha256(), built_in.sha256());
    }

    #[test]
    fn placeholders_are_filled_and_json_braces_kept() {
        let prompts = Prompts::built_in(Family::Qwen2_5Vl);
        let text = prompts.box_convention(BoxConvention::ModelPixels {
            width: 812,
            height: 616,
        });
        assert!(text.contains("812 wide and 616 high"), "{text}");
        let system = prompts.fill("system.txt", &[("box_convention", &text)]);
        assert!(system.contains(r#""description": "The region as [x1, y1, x2, y2] in pixels"#));
        assert!(system.contains(r#"{"type": "function""#));
        assert!(!system.contains("{box_convention}"));
    }

    #[test]
    fn a_value_that_looks_like_a_placeholder_is_kept() {
        let prompts = Prompts::built_in(Family::Qwen3Vl);
        let line = prompts.fill(
            "image_result.txt",
            &[
                ("rank", "1"),
                ("title", "{source} and {similarity}"),
                ("similarity", "0.50"),
                ("source", "web"),
            ],
        );
        assert_eq!(
            line.trim_end(),
            "1. {source} and {similarity} (similarity 0.50; web)"
        );
    }
}
