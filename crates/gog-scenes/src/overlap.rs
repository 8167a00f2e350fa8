//! How much of a picture the pictures drawn after it hide: the share of its box under the union
//! of theirs. A version bounds it so that every picture stays recognisable.

use crate::layout::Rect;

/// The share of `rect`'s area that the union of `above` covers.
pub fn hidden_share(rect: Rect, above: &[Rect]) -> f64 {
    let [x1, y1, x2, y2] = rect.corners();
    let clipped: Vec<[u32; 4]> = above
        .iter()
        .map(|r| r.corners())
        .map(|[a1, b1, a2, b2]| [a1.max(x1), b1.max(y1), a2.min(x2), b2.min(y2)])
        .filter(|[a1, b1, a2, b2]| a1 < a2 && b1 < b2)
        .collect();
    let mut edges: Vec<u32> = clipped.iter().flat_map(|c| [c[0], c[2]]).collect();
    edges.sort_unstable();
    edges.dedup();
    let mut covered = 0u64;
    for slab in edges.windows(2) {
        let (left, right) = (slab[0], slab[1]);
        let mut spans: Vec<(u32, u32)> = clipped
            .iter()
            .filter(|c| c[0] <= left && right <= c[2])
            .map(|c| (c[1], c[3]))
            .collect();
        spans.sort_unstable();
        let mut height = 0u64;
        let mut reached = 0u32;
        for (top, bottom) in spans {
            let top = top.max(reached);
            if bottom > top {
                height += u64::from(bottom - top);
                reached = bottom;
            }
        }
        covered += height * u64::from(right - left);
    }
    covered as f64 / rect.area().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x: u32, y: u32, w: u32, h: u32) -> Rect {
        Rect { x, y, w, h }
    }

    #[test]
    fn overlapping_covers_count_once() {
        let base = rect(0, 0, 100, 100);
        assert_eq!(hidden_share(base, &[]), 0.0);
        assert_eq!(hidden_share(base, &[rect(200, 0, 10, 10)]), 0.0);
        assert_eq!(hidden_share(base, &[rect(50, 0, 100, 100)]), 0.5);
        // Two covers of the same corner count once; a third elsewhere adds.
        let corner = rect(80, 80, 40, 40);
        assert_eq!(hidden_share(base, &[corner, corner]), 0.04);
        assert_eq!(
            hidden_share(base, &[corner, rect(90, 90, 5, 5), rect(0, 0, 10, 10)]),
            0.05
        );
    }
}
