//! The GoG-Offline generator on a small made-up corpus: determinism, splits, grounding of every
//! question in entity facts, and boxes that match what was drawn.
#![cfg(not(target_family = "wasm"))]

use std::collections::{BTreeMap, BTreeSet};

use gog_scenes::background::Background;
use gog_scenes::layout::CANVAS;
use gog_scenes::question::answer_name;
use gog_scenes::{Category, Generator, SceneError, Split, SplitCounts};
use gog_search::Bundle;
use gog_search::corpus::EntityKind;
use gog_search::fixture::made_up_bundle;

fn full_bundle() -> Bundle {
    made_up_bundle(&[
        (EntityKind::Flag, 12),
        (EntityKind::Monument, 30),
        (EntityKind::Animal, 15),
        (EntityKind::Logo, 30),
    ])
}

fn backgrounds() -> Vec<Background> {
    gog_scenes::background::gradients(2)
}

const SEED: u64 = 7;

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_other_scenes() {
    let bundle = full_bundle();
    let backgrounds = backgrounds();
    let generator = Generator::new(&bundle, &backgrounds, SEED).unwrap();
    let again = Generator::new(&bundle, &backgrounds, SEED).unwrap();
    let other = Generator::new(&bundle, &backgrounds, SEED + 1).unwrap();
    let mut differing = 0;
    for index in 0..20 {
        let scene = generator.scene(Split::Test, index).unwrap();
        let same = again.scene(Split::Test, index).unwrap();
        assert_eq!(scene.record, same.record);
        assert_eq!(scene.jpeg, same.jpeg, "scene {index}");
        differing += usize::from(other.scene(Split::Test, index).unwrap().jpeg != scene.jpeg);
    }
    assert!(
        differing >= 18,
        "only {differing} of 20 scenes changed with the seed"
    );

    // Written out, twice, byte for byte.
    let root = std::env::temp_dir().join(format!("gog-scenes-{}", std::process::id()));
    let counts = SplitCounts {
        train: 10,
        validation: 5,
        test: 10,
    };
    let first = generator.write(&root.join("a"), counts).unwrap();
    let second = again.write(&root.join("b"), counts).unwrap();
    assert_eq!(first, second);
    let listing = |dir: &std::path::Path| -> BTreeMap<String, Vec<u8>> {
        let mut files = BTreeMap::new();
        for sub in ["", "images"] {
            for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() {
                    let name = path.strip_prefix(dir).unwrap().display().to_string();
                    files.insert(name, std::fs::read(&path).unwrap());
                }
            }
        }
        files
    };
    let (a, b) = (listing(&root.join("a")), listing(&root.join("b")));
    assert_eq!(a.len(), 25 + 4, "25 images, three splits and the summary");
    assert_eq!(a, b);
    let test_lines = String::from_utf8(a["test.jsonl"].clone()).unwrap();
    assert_eq!(test_lines.lines().count(), 10);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn splits_are_disjoint_by_entity() {
    let bundle = full_bundle();
    let backgrounds = backgrounds();
    let generator = Generator::new(&bundle, &backgrounds, SEED).unwrap();
    let mut seen: BTreeMap<Split, BTreeSet<String>> = BTreeMap::new();
    for split in Split::ALL {
        for index in 0..40 {
            let scene = generator.scene(split, index).unwrap();
            for pictured in &scene.record.entities {
                assert_eq!(Split::of(&pictured.entity), split, "{}", scene.record.id);
                seen.entry(split)
                    .or_default()
                    .insert(pictured.entity.clone());
            }
        }
    }
    let [train, validation, test] = Split::ALL.map(|s| &seen[&s]);
    assert!(train.is_disjoint(validation) && train.is_disjoint(test));
    assert!(validation.is_disjoint(test));
}

#[test]
fn every_question_is_grounded_in_the_corpus_and_every_box_in_the_drawing() {
    let bundle = full_bundle();
    let backgrounds = backgrounds();
    let generator = Generator::new(&bundle, &backgrounds, SEED).unwrap();
    let entity = |id: &str| bundle.entities.iter().find(|e| e.id == id).unwrap();
    let mut categories = BTreeSet::new();
    for index in 0..60 {
        let scene = generator.scene(Split::Train, index).unwrap();
        let record = &scene.record;
        categories.insert(record.category);
        assert_eq!((record.width, record.height), CANVAS);
        let drawn = image::load_from_memory(&scene.jpeg).unwrap().into_rgb8();
        assert_eq!(drawn.dimensions(), CANVAS);
        let boxes: Vec<[u32; 4]> = record.entities.iter().map(|p| p.bbox_2d).collect();
        for (i, &[x1, y1, x2, y2]) in boxes.iter().enumerate() {
            assert!(x1 < x2 && y1 < y2 && x2 <= CANVAS.0 && y2 <= CANVAS.1);
            // The white frame is drawn exactly on the box's edge.
            for (x, y) in [(x1 + 2, y1 + 2), (x2 - 3, y2 - 3), (x1 + 2, y2 - 3)] {
                let pixel = drawn.get_pixel(x, y);
                assert!(
                    pixel.0.iter().all(|&c| c > 200),
                    "{} at {x},{y}: {pixel:?}",
                    record.id
                );
            }
            for other in &boxes[i + 1..] {
                assert!(x2 <= other[0] || other[2] <= x1 || y2 <= other[1] || other[3] <= y1);
            }
        }
        let target = record.target_picture().map(|p| entity(&p.entity));
        match record.category {
            Category::NoSearch => {
                assert!(target.is_none());
                assert_eq!(record.answer, record.entities.len().to_string());
            }
            Category::Glance | Category::Gaze => {
                let target = target.unwrap();
                assert_eq!(record.answer, answer_name(target));
                assert!(record.evidence.is_empty());
                assert_eq!(
                    record.category == Category::Glance,
                    record.entities.len() == 1
                );
            }
            Category::Text => {
                let target = target.unwrap();
                let [evidence] = record.evidence.as_slice() else {
                    panic!("{}: one fact expected", record.id)
                };
                assert_eq!(evidence.page, target.page);
                assert_eq!(target.facts[&evidence.fact], record.answer);
            }
            Category::MultiHop => {
                let monument = target.unwrap();
                let [first, second] = record.evidence.as_slice() else {
                    panic!("{}: two facts expected", record.id)
                };
                assert_eq!(monument.kind, EntityKind::Monument);
                assert_eq!(first.page, monument.page);
                assert_eq!(monument.facts["country"], first.value);
                let country = bundle
                    .entities
                    .iter()
                    .find(|e| e.page == second.page)
                    .unwrap();
                assert_eq!(answer_name(country), first.value);
                assert_eq!(country.facts[&second.fact], record.answer);
            }
        }
    }
    assert_eq!(categories.len(), Category::ALL.len());
}

#[test]
fn a_corpus_without_what_a_category_needs_is_a_typed_error() {
    let logos_only = made_up_bundle(&[(EntityKind::Logo, 40)]);
    let backgrounds = backgrounds();
    let generator = Generator::new(&logos_only, &backgrounds, SEED).unwrap();
    // Scene 2 is a text question: logos have no facts to ask about.
    assert!(matches!(
        generator.scene(Split::Train, 2),
        Err(SceneError::EmptyPool { .. })
    ));
    assert!(
        generator.scene(Split::Train, 1).is_ok(),
        "a glance needs any entity"
    );
    assert!(matches!(
        Generator::new(&logos_only, &[], SEED),
        Err(SceneError::NoBackgrounds(_))
    ));
}
