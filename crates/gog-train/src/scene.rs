//! What the oracle knows of a scene beyond the image: each picture's kind and gold box, and how
//! to point at a box the way the model does (thousandths of each side).

use rand::Rng;

/// What a picture shows, from its entity's id (`flag:jp`, `monument:colosseum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Flag,
    Monument,
    Animal,
    Logo,
    Other,
}

impl Kind {
    pub fn of(entity_id: &str) -> Kind {
        match entity_id.split_once(':').map(|(kind, _)| kind) {
            Some("flag") => Kind::Flag,
            Some("monument") => Kind::Monument,
            Some("animal") => Kind::Animal,
            Some("logo") => Kind::Logo,
            _ => Kind::Other,
        }
    }

    /// The page id's kind: result pages are `page:{entity id}`.
    pub fn of_page(page: &str) -> Kind {
        Kind::of(page.strip_prefix("page:").unwrap_or(page))
    }

    /// The noun a think and a box label use.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Flag => "flag",
            Kind::Monument => "monument",
            Kind::Animal => "animal",
            Kind::Logo => "logo",
            Kind::Other => "picture",
        }
    }
}

/// The name an answer gives for what a search result shows: a flag's country, anything else's
/// title.
pub fn name_from_title(title: &str, kind: Kind) -> &str {
    match kind {
        Kind::Flag => title.strip_prefix("Flag of ").unwrap_or(title),
        _ => title,
    }
}

/// The share of an image of `size` that `bbox` (`[x1, y1, x2, y2]`, pixels) covers.
pub fn area_share(bbox: [u32; 4], size: (u32, u32)) -> f64 {
    let [x1, y1, x2, y2] = bbox.map(f64::from);
    (x2 - x1) * (y2 - y1) / (f64::from(size.0) * f64::from(size.1)).max(1.0)
}

/// Words for where a box lies in the image: "top left", "bottom", "centre".
pub fn where_in_image(bbox: [u32; 4], size: (u32, u32)) -> &'static str {
    let [x1, y1, x2, y2] = bbox.map(f64::from);
    let cx = (x1 + x2) / 2.0 / f64::from(size.0.max(1));
    let cy = (y1 + y2) / 2.0 / f64::from(size.1.max(1));
    let column = if cx < 0.4 {
        0
    } else if cx > 0.6 {
        2
    } else {
        1
    };
    let row = if cy < 0.4 {
        0
    } else if cy > 0.6 {
        2
    } else {
        1
    };
    [
        ["top left", "top", "top right"],
        ["left", "centre", "right"],
        ["bottom left", "bottom", "bottom right"],
    ][row][column]
}

/// Intersection over union of two pixel boxes.
pub fn iou(a: [f64; 4], b: [f64; 4]) -> f64 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = w * h;
    let area = |r: [f64; 4]| (r[2] - r[0]) * (r[3] - r[1]);
    let union = area(a) + area(b) - inter;
    if union <= 0.0 { 0.0 } else { inter / union }
}

/// A pixel box in thousandths of each side, rounded to whole numbers as the model writes them.
pub fn to_thousandths(bbox: [f64; 4], size: (u32, u32)) -> [u32; 4] {
    let (w, h) = (f64::from(size.0.max(1)), f64::from(size.1.max(1)));
    let scale = [w, h, w, h];
    std::array::from_fn(|i| ((bbox[i] / scale[i] * 1000.0).round()).clamp(0.0, 1000.0) as u32)
}

/// The gold box with each edge moved by up to `jitter` of the box's side, as a person or a
/// model draws it: never so far that it stops covering the picture well (IoU ≥ 0.7).
pub fn jittered(bbox: [u32; 4], size: (u32, u32), jitter: f64, rng: &mut impl Rng) -> [f64; 4] {
    let gold = bbox.map(f64::from);
    let (bw, bh) = (gold[2] - gold[0], gold[3] - gold[1]);
    let limits = [f64::from(size.0), f64::from(size.1)];
    for _ in 0..16 {
        let moved: [f64; 4] = std::array::from_fn(|i| {
            let side = if i % 2 == 0 { bw } else { bh };
            (gold[i] + rng.random_range(-jitter..=jitter) * side).clamp(0.0, limits[i % 2])
        });
        if moved[0] < moved[2] && moved[1] < moved[3] && iou(moved, gold) >= 0.7 {
            return moved;
        }
    }
    gold
}

/// A box the size of the gold one moved beside it, so that it covers little of the picture
/// (IoU < 0.25): a crop that missed. `None` when the image has no room for one.
pub fn beside(bbox: [u32; 4], size: (u32, u32), rng: &mut impl Rng) -> Option<[f64; 4]> {
    let gold = bbox.map(f64::from);
    let (bw, bh) = (gold[2] - gold[0], gold[3] - gold[1]);
    let (w, h) = (f64::from(size.0), f64::from(size.1));
    let mut directions = [(1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0)];
    // Shuffled by hand so the stream of draws is fixed by this function alone.
    for i in (1..directions.len()).rev() {
        directions.swap(i, rng.random_range(0..=i));
    }
    let shift = rng.random_range(0.8..=1.1);
    directions.into_iter().find_map(|(dx, dy)| {
        let (x1, y1) = (gold[0] + dx * bw * shift, gold[1] + dy * bh * shift);
        let moved = [x1, y1, x1 + bw, y1 + bh];
        let inside = moved[0] >= 0.0 && moved[1] >= 0.0 && moved[2] <= w && moved[3] <= h;
        (inside && iou(moved, gold) < 0.25).then_some(moved)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn kinds_come_from_entity_and_page_ids() {
        assert_eq!(Kind::of("flag:jp"), Kind::Flag);
        assert_eq!(Kind::of_page("page:monument:colosseum"), Kind::Monument);
        assert_eq!(Kind::of_page("wiki:0"), Kind::Other);
        assert_eq!(name_from_title("Flag of Japan", Kind::Flag), "Japan");
        assert_eq!(
            name_from_title("Flag of Japan", Kind::Logo),
            "Flag of Japan"
        );
    }

    #[test]
    fn jitter_keeps_the_picture_and_a_miss_leaves_it() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let gold = [200, 100, 400, 300];
        let size = (800, 600);
        for _ in 0..200 {
            let box_ = jittered(gold, size, 0.08, &mut rng);
            assert!(iou(box_, gold.map(f64::from)) >= 0.7, "{box_:?}");
            let missed = beside(gold, size, &mut rng).expect("room beside");
            assert!(iou(missed, gold.map(f64::from)) < 0.25, "{missed:?}");
            assert!(missed[2] <= 800.0 && missed[3] <= 600.0);
        }
        assert_eq!(beside([0, 0, 800, 600], size, &mut rng), None);
        assert_eq!(
            to_thousandths([200.0, 150.0, 400.0, 600.0], size),
            [250, 250, 500, 1000]
        );
        assert_eq!(where_in_image(gold, size), "top left");
        assert_eq!(where_in_image([350, 250, 450, 350], size), "centre");
    }
}
