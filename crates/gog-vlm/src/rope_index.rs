//! Multimodal rotary positions (M-RoPE): every token gets a (temporal, height, width) position.
//!
//! Text tokens count up on all three axes together. An image's tokens share the temporal
//! position where the image starts and spread over its merged grid on the other two, so the
//! model sees the image's layout; the text after it resumes past the image's larger side. The
//! same rule serves Qwen2-VL, Qwen2.5-VL and Qwen3-VL (transformers' `get_rope_index`).

/// Positions of a whole prompt, one row per axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RopePositions {
    /// `[temporal, height, width]`, each as long as the prompt.
    pub axes: [Vec<i64>; 3],
    /// What decoding adds to a token's index to get its position: `max position + 1 − length`.
    pub delta: i64,
}

/// The prompt's image tokens do not fit the images given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RopeIndexError {
    #[error("the prompt has {tokens} image tokens but the images need {expected}")]
    ImageTokenCount { tokens: usize, expected: usize },
    #[error(
        "image {index} has grid {grid:?}, which the spatial merge size {merge} does not divide"
    )]
    Grid {
        index: usize,
        grid: [u32; 3],
        merge: u32,
    },
}

/// Computes the positions for `tokens`, where each run of `image_token` holds the images of
/// `grids` (patch grids `[t, h, w]`) in order.
pub fn rope_positions(
    tokens: &[u32],
    image_token: u32,
    grids: &[[u32; 3]],
    spatial_merge: u32,
) -> Result<RopePositions, RopeIndexError> {
    let mut token_counts = Vec::with_capacity(grids.len());
    for (index, &grid) in grids.iter().enumerate() {
        let [t, h, w] = grid;
        if spatial_merge == 0
            || !h.is_multiple_of(spatial_merge)
            || !w.is_multiple_of(spatial_merge)
        {
            return Err(RopeIndexError::Grid {
                index,
                grid,
                merge: spatial_merge,
            });
        }
        token_counts.push((t * (h / spatial_merge) * (w / spatial_merge)) as usize);
    }
    let image_tokens = tokens.iter().filter(|&&t| t == image_token).count();
    let expected: usize = token_counts.iter().sum();
    if image_tokens != expected {
        return Err(RopeIndexError::ImageTokenCount {
            tokens: image_tokens,
            expected,
        });
    }

    let mut axes: [Vec<i64>; 3] = std::array::from_fn(|_| Vec::with_capacity(tokens.len()));
    let mut next = 0i64;
    let mut index = 0;
    let mut images = grids.iter().zip(token_counts);
    while index < tokens.len() {
        if tokens[index] != image_token {
            for axis in &mut axes {
                axis.push(next);
            }
            next += 1;
            index += 1;
            continue;
        }
        // The counts were checked above, so an image token always has an image left.
        let Some((&[t, h, w], count)) = images.next() else {
            break;
        };
        let (h, w) = (i64::from(h / spatial_merge), i64::from(w / spatial_merge));
        for frame in 0..i64::from(t) {
            for row in 0..h {
                for col in 0..w {
                    axes[0].push(next + frame);
                    axes[1].push(next + row);
                    axes[2].push(next + col);
                }
            }
        }
        next += h.max(w);
        index += count;
    }
    let max = axes.iter().flatten().copied().max().unwrap_or(-1);
    Ok(RopePositions {
        delta: max + 1 - tokens.len() as i64,
        axes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_only_counts_up_on_every_axis() {
        let positions = rope_positions(&[5, 6, 7], 9, &[], 2).unwrap();
        assert_eq!(
            positions.axes,
            [vec![0, 1, 2], vec![0, 1, 2], vec![0, 1, 2]]
        );
        assert_eq!(positions.delta, 0);
    }

    #[test]
    fn an_image_spreads_over_its_merged_grid() {
        // Text, a 2x3 merged image (grid 1x4x6), text.
        let tokens = [1, 9, 9, 9, 9, 9, 9, 2];
        let positions = rope_positions(&tokens, 9, &[[1, 4, 6]], 2).unwrap();
        assert_eq!(positions.axes[0], [0, 1, 1, 1, 1, 1, 1, 4]);
        assert_eq!(positions.axes[1], [0, 1, 1, 1, 2, 2, 2, 4]);
        assert_eq!(positions.axes[2], [0, 1, 2, 3, 1, 2, 3, 4]);
        assert_eq!(positions.delta, 4 + 1 - 8);
    }

    #[test]
    fn mismatched_image_tokens_are_an_error() {
        assert_eq!(
            rope_positions(&[9, 9], 9, &[[1, 4, 4]], 2),
            Err(RopeIndexError::ImageTokenCount {
                tokens: 2,
                expected: 4
            })
        );
        assert!(matches!(
            rope_positions(&[9], 9, &[[1, 3, 4]], 2),
            Err(RopeIndexError::Grid { .. })
        ));
    }
}
