//! GCompris's "explore" activities: real photos of monuments and animals, each with a title and
//! a paragraph, and per-file credits in the activity's README.

use std::collections::BTreeMap;

use anyhow::anyhow;

use crate::rcc;

/// One picture with its text, as an activity board lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub title: String,
    pub text: String,
    /// Path of the picture inside the resource file.
    pub picture_path: String,
    pub picture: Vec<u8>,
    /// The board's map folder (`france`, `usa`, `wonders`, …) for monuments.
    pub region: String,
    pub credit: Credit,
}

/// A README block: who made a file, its licence and where it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credit {
    pub copyright: String,
    pub licence: String,
    pub source: String,
}

/// The items of one activity's resource file (`explore_monuments.rcc`, …).
pub fn items(rcc_bytes: &[u8]) -> anyhow::Result<Vec<Item>> {
    let files = rcc::files(rcc_bytes)?;
    let mut credits: BTreeMap<String, Credit> = BTreeMap::new();
    for (path, bytes) in files.iter().filter(|(p, _)| p.ends_with("/README")) {
        let dir = path.trim_end_matches("README");
        for (file, credit) in readme_credits(&String::from_utf8_lossy(bytes)) {
            credits.insert(format!("{dir}{file}"), credit);
        }
    }
    let mut out = Vec::new();
    for (path, bytes) in files
        .iter()
        .filter(|(p, _)| p.contains("/board/") && p.ends_with(".qml"))
    {
        let source = String::from_utf8_lossy(bytes);
        let region = string_after(&source, "backgroundImage:")
            .and_then(|bg| bg.rsplit('/').nth(1).map(str::to_string))
            .unwrap_or_default();
        for object in objects(&source) {
            let fields = fields(object);
            let (Some(title), Some(text), Some(picture)) = (
                fields.get("title"),
                fields.get("text"),
                fields.get("image2"),
            ) else {
                continue;
            };
            let picture_path = picture.trim_start_matches("qrc:/").to_string();
            let bytes = files.get(&picture_path).ok_or_else(|| {
                anyhow!("{path} names {picture_path}, which the resource file lacks")
            })?;
            // A picture the README does not credit has no known licence: leave it out.
            let Some(credit) = credits.get(&picture_path).cloned() else {
                eprintln!(
                    "corpus: leaving out {picture_path}: the activity's README does not credit it"
                );
                continue;
            };
            out.push(Item {
                title: title.clone(),
                text: text.clone(),
                picture_path,
                picture: bytes.clone(),
                region: region.clone(),
                credit,
            });
        }
    }
    Ok(out)
}

/// README blocks, blank-line separated: `Copyright:`, `License:`, optional `Source:`, then
/// `Files:` and one file per line.
fn readme_credits(readme: &str) -> Vec<(String, Credit)> {
    let mut out = Vec::new();
    for block in readme.split("\n\n") {
        let mut credit = Credit::default();
        let mut files = Vec::new();
        let mut in_files = false;
        for line in block.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if let Some(v) = line.strip_prefix("Copyright:") {
                credit.copyright = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("License:") {
                credit.licence = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("Source:") {
                credit.source = v.trim().to_string();
            } else if line.starts_with("Files:") {
                in_files = true;
            } else if in_files {
                files.push(line.to_string());
            }
        }
        out.extend(files.into_iter().map(|f| (f, credit.clone())));
    }
    out
}

/// The first string literal after `marker`.
fn string_after(source: &str, marker: &str) -> Option<String> {
    let rest = &source[source.find(marker)? + marker.len()..];
    string_literal(&rest[rest.find('"')?..]).map(|(s, _)| s)
}

/// A double-quoted literal at the start of `s` (backslash escapes undone) and the bytes it took.
fn string_literal(s: &str) -> Option<(String, usize)> {
    let mut chars = s.char_indices();
    if chars.next()?.1 != '"' {
        return None;
    }
    let mut out = String::new();
    let mut escaped = false;
    for (i, c) in chars {
        if escaped {
            out.push(if c == 'n' { '\n' } else { c });
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            return Some((out, i + 1));
        } else {
            out.push(c);
        }
    }
    None
}

/// The `{ … }` objects of the board's list, found by brace depth outside string literals.
fn objects(source: &str) -> Vec<&str> {
    let Some(list) = source.find("tab") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut i = list;
    let bytes = source.as_bytes();
    while i < bytes.len() {
        match bytes[i] {
            b'"' => match string_literal(&source[i..]) {
                Some((_, len)) => i += len - 1,
                None => break,
            },
            b'{' => {
                if depth == 0 {
                    start = i;
                }
                depth += 1;
            }
            b'}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    out.push(&source[start..=i]);
                }
            }
            b'}' => break,
            _ => {}
        }
        i += 1;
    }
    out
}

/// `"key": qsTr("value")` and `"key": "value"` pairs of one object.
fn fields(object: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = object;
    while let Some(at) = rest.find('"') {
        let Some((key, len)) = string_literal(&rest[at..]) else {
            break;
        };
        rest = &rest[at + len..];
        let after = rest.trim_start();
        let Some(value) = after.strip_prefix(':') else {
            continue;
        };
        let value = value.trim_start();
        let value = value.strip_prefix("qsTr(").unwrap_or(value).trim_start();
        if let Some((v, used)) = string_literal(value) {
            out.insert(key, v);
            rest = &value[used..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn board_objects_and_fields_are_read() {
        let board = r#"QtObject {
            property string backgroundImage: "qrc:/x/resource/france/france.svg"
            property var tab: [
                { "image": "qrc:/x/key.svg", "title": qsTr("Eiffel Tower"),
                  "text": qsTr("It was built for the \"Exposition\" {1889}."),
                  "image2": "qrc:/x/resource/france/eiffel.webp", "x": "0.5" },
                { "title": qsTr("Second"), "text": qsTr("t"), "image2": "qrc:/b.webp" }
            ]
        }"#;
        let objects = objects(board);
        assert_eq!(objects.len(), 2);
        let first = fields(objects[0]);
        assert_eq!(first["title"], "Eiffel Tower");
        assert_eq!(first["text"], "It was built for the \"Exposition\" {1889}.");
        assert_eq!(first["image2"], "qrc:/x/resource/france/eiffel.webp");
        assert_eq!(first["x"], "0.5");
        assert_eq!(
            string_after(board, "backgroundImage:").unwrap(),
            "qrc:/x/resource/france/france.svg"
        );
    }

    #[test]
    fn readme_blocks_credit_each_file() {
        let readme = "Copyright: A\nLicense: CC0-1.0\nSource: https://commons.wikimedia.org/x\nFiles:\na.webp\nb.webp\n\nCopyright: B\nLicense: Public Domain\nFiles:\nc.webp\n";
        let credits = readme_credits(readme);
        assert_eq!(credits.len(), 3);
        assert_eq!(credits[1].0, "b.webp");
        assert_eq!(credits[1].1.source, "https://commons.wikimedia.org/x");
        assert_eq!(
            credits[2].1,
            Credit {
                copyright: "B".into(),
                licence: "Public Domain".into(),
                source: String::new()
            }
        );
    }
}
