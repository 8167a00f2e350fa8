//! Files the web app serves that are built elsewhere: the offline corpus bundle, searched inside
//! the browser, and a gallery of GoG-Offline scenes to try. They are copied into
//! `app/generated/` (ignored by git), which `app/index.html` hands to Trunk.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// Where the staged files go.
fn generated_dir() -> PathBuf {
    crate::paths::workspace().join("app").join("generated")
}

/// The gallery's categories, in the order shown: the two searches the paper is named for first.
const GALLERY_CATEGORIES: [&str; 5] = ["glance", "gaze", "text", "multi-hop", "no-search"];
/// Scenes of each category in the gallery.
const GALLERY_PER_CATEGORY: usize = 2;

/// Stages what the app serves from the corpus directory `corpus`: the bundle, and a gallery of
/// the GoG-Offline test scenes beside it (empty when it has none).
pub fn stage(corpus: &Path) -> Result<()> {
    stage_corpus(corpus)?;
    stage_gallery(&corpus.join("gog-offline"), &fresh_dir("gallery")?)
}

/// Copies the bundle in `corpus` (its `manifest.json` and the files it lists; not the scenes or
/// backgrounds beside it) to `app/generated/corpus`.
fn stage_corpus(corpus: &Path) -> Result<()> {
    let dest = fresh_dir("corpus")?;
    let manifest_path = corpus.join("manifest.json");
    let manifest = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("cannot read {}", manifest_path.display()))?;
    let manifest: serde_json::Value = serde_json::from_str(&manifest)
        .with_context(|| format!("{} is not JSON", manifest_path.display()))?;
    let files = manifest["files"]
        .as_object()
        .with_context(|| format!("{} lists no files", manifest_path.display()))?;
    for name in files.keys().map(String::as_str).chain(["manifest.json"]) {
        std::fs::copy(corpus.join(name), dest.join(name))
            .with_context(|| format!("cannot copy {name} from {}", corpus.display()))?;
    }
    Ok(())
}

/// Writes into `dest` the first few test scenes of each category from `scenes` (what
/// `gog-corpus scenes` wrote): their images, and `gallery.json` listing them for the app.
fn stage_gallery(scenes: &Path, dest: &Path) -> Result<()> {
    let listing_path = scenes.join("test.jsonl");
    let listing = match std::fs::read_to_string(&listing_path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(err) => {
            return Err(err).with_context(|| format!("cannot read {}", listing_path.display()));
        }
    };
    let records = listing
        .lines()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).with_context(|| {
                format!("{} holds a line that is not JSON", listing_path.display())
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut shown = Vec::new();
    for category in GALLERY_CATEGORIES {
        for record in records
            .iter()
            .filter(|r| r["category"] == category)
            .take(GALLERY_PER_CATEGORY)
        {
            let image = record["image"]
                .as_str()
                .with_context(|| format!("a scene in {} names no image", listing_path.display()))?;
            let file_name = Path::new(image)
                .file_name()
                .with_context(|| format!("scene image {image} has no file name"))?;
            std::fs::copy(scenes.join(image), dest.join(file_name))
                .with_context(|| format!("cannot copy {image} from {}", scenes.display()))?;
            shown.push(serde_json::json!({
                "id": record["id"],
                "category": category,
                "question": record["question"],
                "answer": record["answer"],
                "width": record["width"],
                "height": record["height"],
                "image": format!("gallery/{}", file_name.to_string_lossy()),
            }));
        }
    }
    let gallery = serde_json::json!({ "scenes": shown });
    std::fs::write(
        dest.join("gallery.json"),
        serde_json::to_vec_pretty(&gallery).context("the gallery serialises")?,
    )
    .context("cannot write the gallery listing")
}

/// `app/generated/NAME`, emptied.
fn fresh_dir(name: &str) -> Result<PathBuf> {
    let dest = generated_dir().join(name);
    if dest.exists() {
        std::fs::remove_dir_all(&dest)
            .with_context(|| format!("cannot clear {}", dest.display()))?;
    }
    std::fs::create_dir_all(&dest).with_context(|| format!("cannot create {}", dest.display()))?;
    Ok(dest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scene(id: &str, category: &str) -> String {
        format!(
            r#"{{"id":"{id}","image":"images/{id}.jpg","width":800,"height":600,"question":"Q {id}?","answer":"A {id}","category":"{category}"}}"#
        )
    }

    #[test]
    fn the_gallery_takes_the_first_scenes_of_each_category_in_order() -> Result<()> {
        let root = std::env::temp_dir().join(format!("gog-gallery-test-{}", std::process::id()));
        let (scenes, dest) = (root.join("scenes"), root.join("gallery"));
        std::fs::create_dir_all(scenes.join("images"))?;
        std::fs::create_dir_all(&dest)?;
        let listed = [
            ("t0", "gaze"),
            ("t1", "glance"),
            ("t2", "gaze"),
            ("t3", "gaze"),
            ("t4", "text"),
        ];
        let lines: Vec<String> = listed.iter().map(|(id, c)| scene(id, c)).collect();
        std::fs::write(scenes.join("test.jsonl"), lines.join("\n"))?;
        for (id, _) in listed {
            std::fs::write(scenes.join(format!("images/{id}.jpg")), id)?;
        }

        stage_gallery(&scenes, &dest)?;
        let gallery: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dest.join("gallery.json"))?)?;
        let shown: Vec<(&str, &str)> = gallery["scenes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["id"].as_str().unwrap(), s["category"].as_str().unwrap()))
            .collect();
        assert_eq!(
            shown,
            [
                ("t1", "glance"),
                ("t0", "gaze"),
                ("t2", "gaze"),
                ("t4", "text")
            ]
        );
        assert_eq!(gallery["scenes"][0]["image"], "gallery/t1.jpg");
        assert_eq!(gallery["scenes"][0]["answer"], "A t1");
        assert_eq!(std::fs::read(dest.join("t1.jpg"))?, b"t1");
        assert!(!dest.join("t3.jpg").exists(), "only two of a category");

        // No scenes beside the corpus: an empty gallery, which the app hides.
        let empty = root.join("empty");
        std::fs::create_dir_all(&empty)?;
        stage_gallery(&root.join("no-scenes"), &empty)?;
        let gallery: serde_json::Value =
            serde_json::from_slice(&std::fs::read(empty.join("gallery.json"))?)?;
        assert_eq!(gallery["scenes"], serde_json::json!([]));
        std::fs::remove_dir_all(&root)?;
        Ok(())
    }
}
