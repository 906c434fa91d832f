//! Guided matching: once a video pair's map is known, a keypoint of one frame is looked for only
//! where the map sends it in the other. The plain ratio test compares a descriptor with every
//! keypoint of the other frame, so under a strong squeeze (a copy pressed to 56 % of its width),
//! where ORB's descriptors change a lot, the right match is rarely clearly the best of 500. Near
//! its predicted place there are only a few candidates, and the right one is still the closest.

use super::{Descriptor, FrameFeatures, Transform, hamming};

/// What a guided match takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Guide {
    /// How far (pixels, in the second frame) from its predicted place a match may be.
    pub radius: f32,
    /// Descriptors further apart than this (of 256 bits) never match.
    pub max_hamming: u32,
}

/// Indices of `a`'s keypoints found in `b` where `map` sends them: the closest descriptor within
/// `guide.radius` of the predicted place, within `guide.max_hamming`, and clearly closer than
/// the second closest there (Lowe's ratio, as the plain matching).
pub fn guided_matches(a: &FrameFeatures, b: &FrameFeatures, map: &Transform, guide: Guide) -> Vec<usize> {
    let cell = guide.radius.max(1.0);
    let grid = Grid::new(b, cell);
    a.points
        .iter()
        .zip(&a.descriptors)
        .enumerate()
        .filter(|(_, (p, d))| {
            let at = [map.scale_x * p[0] + map.shift_x, map.scale_y * p[1] + map.shift_y];
            closest_near(&grid, b, at, d, guide.radius)
                .is_some_and(|(best, second)| best <= guide.max_hamming && (best as f32) < super::RATIO * second as f32)
        })
        .map(|(i, _)| i)
        .collect()
}

/// The two smallest Hamming distances from `d` to `b`'s keypoints within `radius` of `at`
/// (`u32::MAX` for a missing second).
fn closest_near(grid: &Grid, b: &FrameFeatures, at: [f32; 2], d: &Descriptor, radius: f32) -> Option<(u32, u32)> {
    let (mut best, mut second) = (u32::MAX, u32::MAX);
    for j in grid.near(at) {
        let q = b.points[j];
        if (q[0] - at[0]).powi(2) + (q[1] - at[1]).powi(2) > radius * radius {
            continue;
        }
        let h = hamming(d, &b.descriptors[j]);
        if h < best {
            (second, best) = (best, h);
        } else if h < second {
            second = h;
        }
    }
    (best != u32::MAX).then_some((best, second))
}

/// `b`'s keypoints bucketed into square cells, so the points near a place are found without
/// looking at all of them.
struct Grid {
    cell: f32,
    columns: usize,
    rows: usize,
    buckets: Vec<Vec<usize>>,
}

impl Grid {
    fn new(b: &FrameFeatures, cell: f32) -> Self {
        let columns = (f32::from(b.width.max(1)) / cell).ceil() as usize + 1;
        let rows = (f32::from(b.height.max(1)) / cell).ceil() as usize + 1;
        let mut buckets = vec![Vec::new(); columns * rows];
        for (j, p) in b.points.iter().enumerate() {
            let (c, r) = ((p[0] / cell).max(0.0) as usize, (p[1] / cell).max(0.0) as usize);
            buckets[r.min(rows - 1) * columns + c.min(columns - 1)].push(j);
        }
        Self { cell, columns, rows, buckets }
    }

    /// Keypoints in the cells around `at` (a superset of those within one cell of it).
    fn near(&self, at: [f32; 2]) -> impl Iterator<Item = usize> + '_ {
        let c = (at[0] / self.cell).floor() as i64;
        let r = (at[1] / self.cell).floor() as i64;
        (r - 1..=r + 1)
            .flat_map(move |r| (c - 1..=c + 1).map(move |c| (r, c)))
            .filter(|&(r, c)| r >= 0 && c >= 0 && (r as usize) < self.rows && (c as usize) < self.columns)
            .flat_map(move |(r, c)| self.buckets[r as usize * self.columns + c as usize].iter().copied())
    }
}
