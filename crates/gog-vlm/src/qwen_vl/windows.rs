//! Qwen2.5-VL's attention windows: which merged tokens attend together in the windowed blocks.
//!
//! Each image's grid of merged tokens is cut into square windows of
//! `window_size / (patch_size · spatial_merge_size)` tokens a side, frame by frame, window row by
//! window row; windows at the right and bottom edges are smaller. The vision tower reorders its
//! patches so each window is contiguous, and restores the order after the merger
//! (transformers' `get_vision_window_index`).

/// The window order of a batch of images.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Windows {
    /// Merged-token indices in window order.
    pub order: Vec<usize>,
    /// Each window's length in patches.
    pub lengths: Vec<usize>,
}

impl Windows {
    /// `grids` are `[t, h, w]` in patches; `side` is a window's side in merged tokens.
    pub fn new(grids: &[[usize; 3]], merge: usize, side: usize) -> Self {
        let mut order = Vec::new();
        let mut lengths = Vec::new();
        let mut offset = 0;
        for &[frames, height, width] in grids {
            let (rows, cols) = (height / merge, width / merge);
            for frame in 0..frames {
                let frame_start = offset + frame * rows * cols;
                for top in (0..rows).step_by(side) {
                    for left in (0..cols).step_by(side) {
                        let bottom = (top + side).min(rows);
                        let right = (left + side).min(cols);
                        for row in top..bottom {
                            order.extend((left..right).map(|col| frame_start + row * cols + col));
                        }
                        lengths.push((bottom - top) * (right - left) * merge * merge);
                    }
                }
            }
            offset += frames * rows * cols;
        }
        Windows { order, lengths }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grid_not_divisible_by_the_window_gets_smaller_edge_windows() {
        // 4×10 patches → 2×5 merged tokens; windows of 2×2 tokens.
        let windows = Windows::new(&[[1, 4, 10]], 2, 2);
        assert_eq!(windows.order, [0, 1, 5, 6, 2, 3, 7, 8, 4, 9]);
        assert_eq!(windows.lengths, [16, 16, 8]);
        // A second image continues the numbering.
        let two = Windows::new(&[[1, 4, 4], [1, 2, 2]], 2, 2);
        assert_eq!(two.order, [0, 1, 2, 3, 4]);
        assert_eq!(two.lengths, [16, 4]);
    }
}
