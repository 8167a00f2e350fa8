//! The image index: every corpus picture's descriptor, searched exhaustively.

use image::RgbImage;

use super::descriptor::{DESCRIPTOR_LEN, Descriptor, Prepared, QUERY_WINDOWS};
use crate::SearchError;

/// One reverse-image-search result: the entity's position in the index and its similarity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageHit {
    pub entity: usize,
    pub score: f32,
}

/// The descriptors of the corpus pictures, one per entity, searched exhaustively: a few
/// thousand pictures take milliseconds, and an exhaustive scan has no recall to lose.
#[derive(Debug, Clone, Default)]
pub struct ImageIndex {
    vectors: Vec<f32>,
}

impl ImageIndex {
    /// An index over descriptors laid end to end, [`DESCRIPTOR_LEN`] floats each.
    pub fn from_flat(vectors: Vec<f32>) -> Result<Self, SearchError> {
        if !vectors.len().is_multiple_of(DESCRIPTOR_LEN) {
            return Err(SearchError::Bundle(format!(
                "{} descriptor values is not a whole number of {DESCRIPTOR_LEN}-value descriptors",
                vectors.len()
            )));
        }
        Ok(Self { vectors })
    }

    pub fn from_descriptors<'a>(descriptors: impl IntoIterator<Item = &'a Descriptor>) -> Self {
        Self {
            vectors: descriptors
                .into_iter()
                .flat_map(|d| d.0.iter().copied())
                .collect(),
        }
    }

    /// The descriptors laid end to end, as a bundle stores them.
    pub fn as_flat(&self) -> &[f32] {
        &self.vectors
    }

    pub fn len(&self) -> usize {
        self.vectors.len() / DESCRIPTOR_LEN
    }

    pub fn is_empty(&self) -> bool {
        self.vectors.is_empty()
    }

    /// The `k` entities most like `picture`, best first (ties to the lower position). An
    /// entity's score is its best similarity over the query's windows.
    pub fn search(&self, picture: &RgbImage, k: usize) -> Vec<ImageHit> {
        let prepared = Prepared::new(picture);
        let windows: Vec<Descriptor> = QUERY_WINDOWS
            .iter()
            .map(|w| prepared.describe(*w))
            .collect();
        let mut hits: Vec<ImageHit> = self
            .vectors
            .chunks_exact(DESCRIPTOR_LEN)
            .enumerate()
            .map(|(entity, stored)| ImageHit {
                entity,
                score: windows
                    .iter()
                    .map(|w| w.similarity(stored))
                    .fold(f32::MIN, f32::max),
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entity.cmp(&b.entity)));
        hits.truncate(k);
        hits
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use image::{ImageFormat, Rgb, imageops};

    use super::*;

    /// A tiny deterministic generator, so the test pictures are the same on every run.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u32 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) as u32
        }
        fn below(&mut self, n: u32) -> u32 {
            self.next() % n
        }
    }

    /// A picture of overlapping coloured rectangles and discs on a tinted ground: flag- and
    /// logo-like structure with edges in every direction.
    fn picture(seed: u64) -> RgbImage {
        let mut rng = Lcg(seed);
        let (w, h) = (160 + rng.below(160), 120 + rng.below(120));
        let ground = Rgb([
            rng.below(256) as u8,
            rng.below(256) as u8,
            rng.below(256) as u8,
        ]);
        let mut img = RgbImage::from_pixel(w, h, ground);
        for _ in 0..6 {
            let colour = Rgb([
                rng.below(256) as u8,
                rng.below(256) as u8,
                rng.below(256) as u8,
            ]);
            let (cx, cy) = (rng.below(w), rng.below(h));
            let (rx, ry) = (10 + rng.below(w / 3), 10 + rng.below(h / 3));
            let disc = rng.below(2) == 0;
            for y in cy.saturating_sub(ry)..(cy + ry).min(h) {
                for x in cx.saturating_sub(rx)..(cx + rx).min(w) {
                    let (dx, dy) = (
                        (x as f32 - cx as f32) / rx as f32,
                        (y as f32 - cy as f32) / ry as f32,
                    );
                    if !disc || dx * dx + dy * dy <= 1.0 {
                        img.put_pixel(x, y, colour);
                    }
                }
            }
        }
        img
    }

    fn index_of(pictures: &[RgbImage]) -> ImageIndex {
        let descriptors: Vec<Descriptor> = pictures
            .iter()
            .map(|p| Prepared::new(p).describe_whole())
            .collect();
        ImageIndex::from_descriptors(&descriptors)
    }

    fn jpeg(img: &RgbImage, quality: u8) -> RgbImage {
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(Cursor::new(&mut bytes), quality)
            .encode_image(img)
            .unwrap();
        image::load_from_memory_with_format(&bytes, ImageFormat::Jpeg)
            .unwrap()
            .into_rgb8()
    }

    /// The picture pasted on a busy background with `margin` of its size around it on each side.
    fn loosely_cropped(img: &RgbImage, margin: f32, background: &RgbImage) -> RgbImage {
        let (w, h) = img.dimensions();
        let (mx, my) = ((w as f32 * margin) as u32, (h as f32 * margin) as u32);
        let mut out = imageops::resize(
            background,
            w + 2 * mx,
            h + 2 * my,
            imageops::FilterType::Triangle,
        );
        imageops::replace(&mut out, img, i64::from(mx), i64::from(my));
        out
    }

    /// Rotated by `degrees` about the centre (nearest neighbour), corners filled from the edge.
    fn rotated(img: &RgbImage, degrees: f32) -> RgbImage {
        let (w, h) = img.dimensions();
        let (s, c) = degrees.to_radians().sin_cos();
        let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
        RgbImage::from_fn(w, h, |x, y| {
            let (dx, dy) = (x as f32 - cx, y as f32 - cy);
            let sx = (c * dx + s * dy + cx).clamp(0.0, w as f32 - 1.0);
            let sy = (-s * dx + c * dy + cy).clamp(0.0, h as f32 - 1.0);
            *img.get_pixel(sx as u32, sy as u32)
        })
    }

    /// A fifth of the picture's area covered by a grey block.
    fn occluded(img: &RgbImage) -> RgbImage {
        let mut out = img.clone();
        let (w, h) = img.dimensions();
        let (bw, bh) = ((w as f32 * 0.45) as u32, (h as f32 * 0.45) as u32);
        for y in h - bh..h {
            for x in w - bw..w {
                out.put_pixel(x, y, Rgb([128, 128, 128]));
            }
        }
        out
    }

    /// Every distortion the issue names must keep the right picture first among 40.
    #[test]
    fn distorted_copies_find_their_original_first() {
        let pictures: Vec<RgbImage> = (0..40).map(picture).collect();
        let index = index_of(&pictures);
        let background = picture(1000);
        type Distortion = Box<dyn Fn(&RgbImage) -> RgbImage>;
        let distortions: Vec<(&str, Distortion)> = vec![
            ("identity", Box::new(|p| p.clone())),
            (
                "half size",
                Box::new(|p| {
                    imageops::resize(
                        p,
                        p.width() / 2,
                        p.height() / 2,
                        imageops::FilterType::Triangle,
                    )
                }),
            ),
            (
                "double size",
                Box::new(|p| {
                    imageops::resize(
                        p,
                        p.width() * 2,
                        p.height() * 2,
                        imageops::FilterType::CatmullRom,
                    )
                }),
            ),
            ("jpeg q40", Box::new(|p| jpeg(p, 40))),
            (
                "loose crop 12.5 %",
                Box::new(move |p| loosely_cropped(p, 0.125, &background)),
            ),
            ("rotation 5°", Box::new(|p| rotated(p, 5.0))),
            ("rotation −5°", Box::new(|p| rotated(p, -5.0))),
            ("20 % occlusion", Box::new(occluded)),
        ];
        for (name, distort) in &distortions {
            let mut misses = Vec::new();
            for (i, p) in pictures.iter().enumerate() {
                let hits = index.search(&distort(p), 5);
                if hits[0].entity != i {
                    misses.push((i, hits[0].entity));
                }
            }
            assert!(
                misses.len() <= 1,
                "{name}: {} of 40 not first: {misses:?}",
                misses.len()
            );
        }
    }

    #[test]
    fn an_exact_copy_scores_one() {
        let pictures: Vec<RgbImage> = (0..3).map(picture).collect();
        let hits = index_of(&pictures).search(&pictures[1], 3);
        assert_eq!(hits[0].entity, 1);
        assert!((hits[0].score - 1.0).abs() < 1e-4, "{}", hits[0].score);
    }

    #[test]
    fn a_flat_buffer_must_hold_whole_descriptors() {
        assert!(ImageIndex::from_flat(vec![0.0; DESCRIPTOR_LEN * 2]).is_ok());
        assert!(matches!(
            ImageIndex::from_flat(vec![0.0; DESCRIPTOR_LEN + 1]),
            Err(SearchError::Bundle(_))
        ));
    }
}
