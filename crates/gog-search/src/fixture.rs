//! A made-up corpus for the tests of crates that search (feature `fixture`): entities of every
//! kind with distinct two-band pictures, facts that questions can be asked about, and a page
//! each. Flags are countries 0..n with a capital, currency and continent; monument `i` stands in
//! country `i % 12`; logos have brand colours.

use std::collections::BTreeMap;

use image::{Rgb, RgbImage};

use crate::Bundle;
use crate::bundle::BundleParts;
use crate::corpus::{Document, Entity, EntityKind, Picture, Provenance, Span};
use crate::image::{ImageIndex, Prepared};

fn provenance() -> Provenance {
    Provenance {
        package: "test:made-up".into(),
        path: String::new(),
        licence: "CC0-1.0".into(),
        attribution: "the test".into(),
    }
}

/// Picture number `i`, unlike the others: two colour bands whose colours and split follow `i`.
pub fn picture(i: u32, w: u32, h: u32) -> RgbImage {
    let a = Rgb([
        (i * 37 % 256) as u8,
        (i * 91 % 256) as u8,
        (i * 53 % 256) as u8,
    ]);
    let b = Rgb([255 - a[0], a[2], a[1]]);
    let split = w / 4 + (i * 7) % (w / 2);
    RgbImage::from_fn(w, h, |x, y| if x + y / 3 < split { a } else { b })
}

/// `(kind, count)` of made-up entities; flags are countries with facts, monuments stand in
/// them, logos have brand colours.
pub fn made_up_bundle(kinds: &[(EntityKind, u32)]) -> Bundle {
    let mut files = made_up_files(kinds);
    let manifest = files.remove("manifest.json").expect("a manifest");
    Bundle::load(&manifest, |name| {
        Ok(files.remove(name).expect("every file"))
    })
    .expect("the bundle loads")
}

/// The files of [`made_up_bundle`]'s bundle by name, manifest included: what a test writes to
/// a directory for a program that opens one.
pub fn made_up_files(kinds: &[(EntityKind, u32)]) -> BTreeMap<String, Vec<u8>> {
    let mut entities = Vec::new();
    let mut documents = Vec::new();
    let mut thumbnails = Vec::new();
    let mut descriptors = Vec::new();
    let mut n = 0;
    for &(kind, count) in kinds {
        for i in 0..count {
            n += 1;
            let (id, title, facts): (String, String, Vec<(&str, String)>) = match kind {
                EntityKind::Flag => (
                    format!("flag:c{i}"),
                    format!("Flag of Country {i}"),
                    vec![
                        ("country", format!("Country {i}")),
                        ("capital", format!("Capital {i}")),
                        ("currency", format!("Coin {i}")),
                        ("continent", "Testland".into()),
                    ],
                ),
                EntityKind::Monument => (
                    format!("monument:m{i}"),
                    format!("Monument {i}"),
                    vec![("country", format!("Country {}", i % 12))],
                ),
                EntityKind::Animal => (format!("animal:a{i}"), format!("Animal {i}"), vec![]),
                EntityKind::Logo => (
                    format!("logo:l{i}"),
                    format!("Brand {i}"),
                    vec![(
                        "brand colour",
                        ["#E60012", "#512BD4", "#3DDC84"][i as usize % 3].into(),
                    )],
                ),
            };
            let drawn = picture(n, 96 + (n % 5) * 16, 64 + (n % 3) * 16);
            let encoded = crate::image::encode_png(&drawn);
            descriptors.push(Prepared::new(&drawn).describe_whole());
            let page = format!("page:{id}");
            documents.push(Document {
                id: page.clone(),
                title: title.clone(),
                aliases: vec![],
                body: body(kind, &title, &facts),
                entity: Some(id.clone()),
                provenance: provenance(),
            });
            entities.push(Entity {
                id,
                kind,
                title,
                aliases: vec![],
                description: String::new(),
                facts: facts.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
                picture: Picture {
                    thumbnail: Span {
                        offset: thumbnails.len() as u64,
                        len: encoded.len() as u64,
                    },
                    mime: "image/png".into(),
                    width: drawn.width(),
                    height: drawn.height(),
                },
                page,
                provenance: provenance(),
            });
            thumbnails.extend_from_slice(&encoded);
        }
    }
    BundleParts {
        corpus_version: "test".into(),
        sources: vec![],
        entities,
        documents,
        descriptors: ImageIndex::from_descriptors(&descriptors),
        thumbnails,
        attribution: String::new(),
    }
    .into_files()
    .expect("a bundle's files")
    .into_iter()
    .collect()
}

/// A page's text, stating the entity's facts the way the real corpus's pages do, so a text
/// search can find them and a read can show them.
fn body(kind: EntityKind, title: &str, facts: &[(&str, String)]) -> String {
    let fact = |name: &str| {
        facts
            .iter()
            .find(|(k, _)| *k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    match kind {
        EntityKind::Flag => format!(
            "The national flag of {country}. {country} is a country in {continent}. Its capital \
             is {capital}. Currency: {currency}.",
            country = fact("country"),
            continent = fact("continent"),
            capital = fact("capital"),
            currency = fact("currency"),
        ),
        EntityKind::Monument => format!("{title} is a monument. Country: {}.", fact("country")),
        EntityKind::Animal => format!("{title} is an animal."),
        EntityKind::Logo => format!(
            "The logo of {title}. Brand colour: {}.",
            fact("brand colour")
        ),
    }
}
