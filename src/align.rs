//! Alignment of two videos' fingerprint sequences: which stretch of one is which stretch of the
//! other, tolerating trims at either end, re-timed frames and short inserted or changed segments.
//!
//! Smith–Waterman local alignment over frame matches: +1 for two frames within
//! `max_distance` of each other, −1 for a mismatch, −1 for a gap (a frame only one video has).
//! The best-scoring local alignment is the longest shared run, gaps allowed; its extent in each
//! video says where the shared part starts (a late start is a different hook in front).

use crate::fingerprint::FrameHash;

/// The shared stretch of two videos, as frame index ranges `start..end` in each.
#[derive(Debug, Clone, PartialEq)]
pub struct Shared {
    pub a_start: usize,
    pub a_end: usize,
    pub b_start: usize,
    pub b_end: usize,
    /// Frame pairs inside the stretch that match.
    pub matched: usize,
    /// Those pairs, (frame of a, frame of b), in order.
    pub pairs: Vec<(usize, usize)>,
}

impl Shared {
    /// Share of video `a`'s frames that match `b` (0..1).
    pub fn share_of_a(&self, a_len: usize) -> f64 {
        self.matched as f64 / a_len.max(1) as f64
    }

    pub fn share_of_b(&self, b_len: usize) -> f64 {
        self.matched as f64 / b_len.max(1) as f64
    }
}

const MATCH: i32 = 1;
const MISMATCH: i32 = -1;
const GAP: i32 = -1;

#[derive(Clone, Copy, PartialEq)]
enum Step {
    Stop,
    Diagonal,
    Up,
    Left,
}

/// The best shared stretch of `a` and `b`, or `None` when no two frames match.
pub fn align(a: &[FrameHash], b: &[FrameHash], max_distance: f32) -> Option<Shared> {
    align_by(a.len(), b.len(), |i, j| a[i].distance(&b[j]) <= max_distance)
}

/// The best shared stretch of two videos of `n` and `m` frames, where frame `i` of the first
/// matches frame `j` of the second when `matches(i, j)`.
pub fn align_by(n: usize, m: usize, matches: impl Fn(usize, usize) -> bool) -> Option<Shared> {
    let width = m + 1;
    let mut score = vec![0i32; (n + 1) * width];
    let mut step = vec![Step::Stop; (n + 1) * width];
    let mut best = (0, 0, 0);
    for i in 1..=n {
        for j in 1..=m {
            let is_match = matches(i - 1, j - 1);
            let diagonal = score[(i - 1) * width + j - 1] + if is_match { MATCH } else { MISMATCH };
            let up = score[(i - 1) * width + j] + GAP;
            let left = score[i * width + j - 1] + GAP;
            let (value, from) = [(0, Step::Stop), (diagonal, Step::Diagonal), (up, Step::Up), (left, Step::Left)]
                .into_iter()
                .max_by_key(|(v, s)| (*v, *s == Step::Diagonal))
                .unwrap_or((0, Step::Stop));
            score[i * width + j] = value;
            step[i * width + j] = from;
            if value > best.0 {
                best = (value, i, j);
            }
        }
    }
    if best.0 == 0 {
        return None;
    }
    let (_, a_end, b_end) = best;
    let (mut i, mut j, mut pairs) = (a_end, b_end, Vec::new());
    while i > 0 && j > 0 && score[i * width + j] > 0 {
        match step[i * width + j] {
            Step::Diagonal => {
                if matches(i - 1, j - 1) {
                    pairs.push((i - 1, j - 1));
                }
                i -= 1;
                j -= 1;
            }
            Step::Up => i -= 1,
            Step::Left => j -= 1,
            Step::Stop => break,
        }
    }
    pairs.reverse();
    Some(Shared { a_start: i, a_end, b_start: j, b_end, matched: pairs.len(), pairs })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame whose hash is `seed`'s bits: distinct seeds are far apart.
    fn frame(seed: u64) -> FrameHash {
        let phash = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        FrameHash { time_ds: 0, phash, blocks: vec![], colour: [100, 100, 100], phash_mirrored: 0 }
    }

    fn video(seeds: &[u64]) -> Vec<FrameHash> {
        seeds.iter().map(|s| frame(*s)).collect()
    }

    #[test]
    fn identical_videos_match_entirely() {
        let a = video(&[1, 2, 3, 4, 5]);
        let shared = align(&a, &a, 0.1).unwrap();
        assert_eq!((shared.a_start, shared.a_end, shared.matched), (0, 5, 5));
    }

    #[test]
    fn a_new_hook_in_front_leaves_the_body_shared() {
        let body = [10, 11, 12, 13, 14, 15, 16, 17];
        let a = video(&[1, 2, 3].iter().chain(&body).copied().collect::<Vec<_>>());
        let b = video(&[7, 8].iter().chain(&body).copied().collect::<Vec<_>>());
        let shared = align(&a, &b, 0.1).unwrap();
        assert_eq!((shared.a_start, shared.b_start, shared.matched), (3, 2, 8));
        assert_eq!((shared.a_end, shared.b_end), (11, 10));
    }

    #[test]
    fn trims_and_a_changed_frame_are_tolerated() {
        let a = video(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
        let b = video(&[2, 3, 4, 99, 6, 7, 8]);
        let shared = align(&a, &b, 0.1).unwrap();
        assert_eq!(shared.matched, 6);
        assert!((shared.share_of_b(b.len()) - 6.0 / 7.0).abs() < 1e-9);
    }

    #[test]
    fn different_videos_share_nothing() {
        assert_eq!(align(&video(&[1, 2, 3]), &video(&[4, 5, 6]), 0.1), None);
    }
}
