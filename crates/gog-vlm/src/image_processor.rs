//! The Qwen-VL image processor: pick a size within the visual-token budget, resize as Pillow
//! does, normalise, and cut the image into flattened patches in merge-window order — the same
//! numbers transformers' `Qwen2VLImageProcessorPil` produces.

use crate::config_error::ConfigError;
use crate::resize::resize_bicubic;
use image::RgbImage;

/// OpenAI CLIP's normalisation, used by Qwen2-VL and Qwen2.5-VL. Kept in f64 as published:
/// transformers narrows them to f32 from f64, and so must we to get the same f32 values.
pub const CLIP_MEAN: [f64; 3] = [0.481_454_66, 0.457_827_5, 0.408_210_73];
pub const CLIP_STD: [f64; 3] = [0.268_629_54, 0.261_302_58, 0.275_777_11];

/// The largest resized image any configuration may ask for: four times Qwen3-VL's own limit.
pub const MAX_RESIZED_PIXELS: u64 = 1 << 26;

/// How a family turns pixels into patches.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageProcessorConfig {
    /// Side of a square patch, in pixels (14 for Qwen2.5-VL, 16 for Qwen3-VL).
    pub patch_size: u32,
    /// Patches merged into one language-model token along each side (2).
    pub merge_size: u32,
    /// Frames per temporal patch; a still image is repeated this many times (2).
    pub temporal_patch_size: u32,
    /// Smallest resized area, in pixels.
    pub min_pixels: u64,
    /// Largest resized area, in pixels: the visual-token budget times the token's area.
    pub max_pixels: u64,
    pub image_mean: [f64; 3],
    pub image_std: [f64; 3],
}

impl ImageProcessorConfig {
    /// Qwen2.5-VL's processor with the hub's defaults (16 384 tokens at most).
    pub fn qwen2_5_vl() -> Self {
        ImageProcessorConfig {
            patch_size: 14,
            merge_size: 2,
            temporal_patch_size: 2,
            min_pixels: 56 * 56,
            max_pixels: 28 * 28 * 16_384,
            image_mean: CLIP_MEAN,
            image_std: CLIP_STD,
        }
    }

    /// Qwen3-VL's processor: 16-pixel patches (one token per 32×32 pixels), mean and standard
    /// deviation 0.5, and the hub's pixel limits.
    pub fn qwen3_vl() -> Self {
        ImageProcessorConfig {
            patch_size: 16,
            merge_size: 2,
            temporal_patch_size: 2,
            min_pixels: 65_536,
            max_pixels: 16_777_216,
            image_mean: [0.5; 3],
            image_std: [0.5; 3],
        }
    }

    /// Reads a checkpoint's `preprocessor_config.json`; what it leaves out comes from `defaults`
    /// (the family's processor). The pixel limits may be written as `min_pixels`/`max_pixels` or
    /// as `size.shortest_edge`/`size.longest_edge` (areas, despite the names).
    pub fn from_preprocessor_json(json: &str, defaults: Self) -> Result<Self, ConfigError> {
        #[derive(serde::Deserialize)]
        struct Fields {
            patch_size: Option<u32>,
            merge_size: Option<u32>,
            temporal_patch_size: Option<u32>,
            min_pixels: Option<u64>,
            max_pixels: Option<u64>,
            size: Option<Size>,
            image_mean: Option<[f64; 3]>,
            image_std: Option<[f64; 3]>,
        }
        #[derive(serde::Deserialize)]
        struct Size {
            shortest_edge: Option<u64>,
            longest_edge: Option<u64>,
        }
        let fields: Fields = serde_json::from_str(json)
            .map_err(|err| ConfigError::invalid("preprocessor_config.json", err.to_string()))?;
        let size = fields.size.as_ref();
        let config = ImageProcessorConfig {
            patch_size: fields.patch_size.unwrap_or(defaults.patch_size),
            merge_size: fields.merge_size.unwrap_or(defaults.merge_size),
            temporal_patch_size: fields
                .temporal_patch_size
                .unwrap_or(defaults.temporal_patch_size),
            min_pixels: fields
                .min_pixels
                .or_else(|| size.and_then(|s| s.shortest_edge))
                .unwrap_or(defaults.min_pixels),
            max_pixels: fields
                .max_pixels
                .or_else(|| size.and_then(|s| s.longest_edge))
                .unwrap_or(defaults.max_pixels),
            image_mean: fields.image_mean.unwrap_or(defaults.image_mean),
            image_std: fields.image_std.unwrap_or(defaults.image_std),
        };
        if !(1..=64).contains(&config.patch_size)
            || !(1..=8).contains(&config.merge_size)
            || !(1..=4).contains(&config.temporal_patch_size)
        {
            return Err(ConfigError::invalid(
                "preprocessor_config.json",
                "patch_size (1–64), merge_size (1–8) or temporal_patch_size (1–4) is out of range",
            ));
        }
        let token_area = u64::from(config.factor()).pow(2);
        if config.min_pixels < token_area
            || config.min_pixels > config.max_pixels
            || config.max_pixels > MAX_RESIZED_PIXELS
        {
            return Err(ConfigError::invalid(
                "preprocessor_config.json",
                format!(
                    "the image area limits [{}, {}] must hold at least one token ({token_area} pixels) and at most {MAX_RESIZED_PIXELS} pixels",
                    config.min_pixels, config.max_pixels
                ),
            ));
        }
        if config.image_std.iter().any(|&std| std <= 0.0) {
            return Err(ConfigError::invalid(
                "preprocessor_config.json image_std",
                "must be positive",
            ));
        }
        Ok(config)
    }

    /// Pixels along one side of a language-model token (28 for Qwen2.5-VL).
    pub fn factor(&self) -> u32 {
        self.patch_size * self.merge_size
    }

    /// Caps the image at `tokens` language-model tokens.
    pub fn with_token_budget(mut self, tokens: u64) -> Self {
        self.max_pixels = tokens * u64::from(self.factor()).pow(2);
        self
    }

    /// Floats in one flattened patch: channels × frames × patch².
    pub fn patch_len(&self) -> usize {
        (3 * self.temporal_patch_size * self.patch_size * self.patch_size) as usize
    }

    /// Resizes, normalises and patchifies one image.
    pub fn process(&self, image: &RgbImage) -> Result<ProcessedImage, ImageProcessorError> {
        let (height, width) = smart_resize(
            image.height(),
            image.width(),
            self.factor(),
            self.min_pixels,
            self.max_pixels,
        )?;
        let resized = resize_bicubic(image, width, height);
        let patches = self.patchify(&resized);
        Ok(ProcessedImage {
            grid_thw: [1, height / self.patch_size, width / self.patch_size],
            resized,
            patches,
        })
    }

    /// Normalised values in the order transformers lays them out: patches by
    /// (row block, column block, row in block, column in block); inside a patch by
    /// (channel, frame, row, column).
    fn patchify(&self, image: &RgbImage) -> Vec<f32> {
        let (p, m, t) = (self.patch_size, self.merge_size, self.temporal_patch_size);
        let (grid_h, grid_w) = (image.height() / p, image.width() / p);
        let (mean, std) = (
            self.image_mean.map(|m| m as f32),
            self.image_std.map(|s| s as f32),
        );
        // One plane per channel. transformers rescales in f64, stores f32, then normalises in f32.
        let planes: [Vec<f32>; 3] = std::array::from_fn(|c| {
            image
                .pixels()
                .map(|pixel| {
                    let scaled = (f64::from(pixel.0[c]) * (1.0 / 255.0)) as f32;
                    (scaled - mean[c]) / std[c]
                })
                .collect()
        });
        let width = image.width();
        let mut out = Vec::with_capacity((grid_h * grid_w) as usize * self.patch_len());
        for block_row in 0..grid_h / m {
            for block_col in 0..grid_w / m {
                for in_row in 0..m {
                    for in_col in 0..m {
                        let top = (block_row * m + in_row) * p;
                        let left = (block_col * m + in_col) * p;
                        for plane in &planes {
                            for _frame in 0..t {
                                for y in top..top + p {
                                    let row = (y * width) as usize;
                                    out.extend_from_slice(
                                        &plane[row + left as usize..row + (left + p) as usize],
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
        out
    }
}

/// An image ready for the vision encoder.
#[derive(Debug, Clone)]
pub struct ProcessedImage {
    /// The resized image (the model's own pixel space, where Qwen2.5-VL's boxes live).
    pub resized: RgbImage,
    /// Temporal, row and column patch counts.
    pub grid_thw: [u32; 3],
    /// `grid_t·grid_h·grid_w` flattened patches, one after another.
    pub patches: Vec<f32>,
}

impl ProcessedImage {
    /// Language-model tokens the image becomes (`<|image_pad|>` count).
    pub fn token_count(&self, merge_size: u32) -> usize {
        let [t, h, w] = self.grid_thw;
        (t * h * w / (merge_size * merge_size)) as usize
    }
}

/// An image the processor cannot take.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImageProcessorError {
    #[error("the image is empty ({width}×{height})")]
    Empty { width: u32, height: u32 },
    #[error("the image is {ratio:.0} times longer than it is wide; at most 200 is supported")]
    AspectRatio { ratio: f64 },
}

/// The size transformers' `smart_resize` picks: both sides multiples of `factor`, the area within
/// `[min_pixels, max_pixels]`, the aspect ratio kept as closely as possible. Returns
/// `(height, width)`.
pub fn smart_resize(
    height: u32,
    width: u32,
    factor: u32,
    min_pixels: u64,
    max_pixels: u64,
) -> Result<(u32, u32), ImageProcessorError> {
    if height == 0 || width == 0 {
        return Err(ImageProcessorError::Empty { width, height });
    }
    let (h, w, f) = (f64::from(height), f64::from(width), f64::from(factor));
    let ratio = h.max(w) / h.min(w);
    if ratio > 200.0 {
        return Err(ImageProcessorError::AspectRatio { ratio });
    }
    // Python's round() rounds halves to even.
    let mut h_bar = (h / f).round_ties_even() * f;
    let mut w_bar = (w / f).round_ties_even() * f;
    if h_bar * w_bar > max_pixels as f64 {
        let beta = (h * w / max_pixels as f64).sqrt();
        h_bar = f.max((h / beta / f).floor() * f);
        w_bar = f.max((w / beta / f).floor() * f);
    } else if h_bar * w_bar < min_pixels as f64 {
        let beta = (min_pixels as f64 / (h * w)).sqrt();
        h_bar = (h * beta / f).ceil() * f;
        w_bar = (w * beta / f).ceil() * f;
    }
    Ok((h_bar as u32, w_bar as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smart_resize_matches_transformers() {
        // (height, width) → expected, worked through transformers' smart_resize by hand.
        let cases = [
            ((60, 150), (56, 140)),
            ((150, 200), (84, 112)),
            ((90, 60), (84, 56)),
            ((10, 10), (56, 56)),
            // 42/28 = 1.5 rounds to even (2); 70/28 = 2.5 rounds to even (2).
            ((42, 70), (56, 56)),
        ];
        for ((h, w), expected) in cases {
            assert_eq!(
                smart_resize(h, w, 28, 56 * 56, 28 * 28 * 12),
                Ok(expected),
                "{h}x{w}"
            );
        }
    }

    #[test]
    fn degenerate_images_are_errors() {
        assert!(matches!(
            smart_resize(0, 5, 28, 1, 100),
            Err(ImageProcessorError::Empty { .. })
        ));
        assert!(matches!(
            smart_resize(1, 300, 28, 1, 1 << 30),
            Err(ImageProcessorError::AspectRatio { .. })
        ));
    }
}
