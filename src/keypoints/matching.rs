//! Descriptor matching: Hamming distances between ORB descriptors and Lowe's ratio test over
//! every pair of two frames' keypoints. Same-ad grouping compares many frame pairs of many file
//! pairs (up to 500 × 500 distances each), so this loop is most of the group stage's time.
//!
//! The second frame's descriptors are laid out as four columns of 64-bit words, so the distances
//! from one descriptor to all of them are one plain loop over the columns, which the compiler
//! vectorises: eight distances a step on CPUs with AVX-512's vector POPCNT (checked at run time;
//! the build targets baseline x86-64, which lacks even the scalar POPCNT), else one at a time
//! with scalar POPCNT when the CPU has it. Distances are integers: every path gives the same
//! matches.

use super::{Descriptor, FrameFeatures};

/// Two descriptors further apart than this never match.
const MAX_HAMMING: u32 = 64;
/// Lowe's ratio test: the best match must be clearly better than the second best.
pub(super) const RATIO: f32 = 0.8;

type Words = [u64; 4];

fn words(d: &Descriptor) -> Words {
    std::array::from_fn(|i| u64::from_le_bytes(d[i * 8..i * 8 + 8].try_into().expect("8 bytes")))
}

/// The number of bits in which two descriptors differ.
pub(super) fn hamming(a: &Descriptor, b: &Descriptor) -> u32 {
    let (a, b) = (words(a), words(b));
    a.iter().zip(&b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

/// A frame's descriptors as four columns: `columns[i][j]` is word `i` of descriptor `j`.
struct Columns([Vec<u64>; 4]);

impl Columns {
    fn new(descriptors: &[Descriptor]) -> Self {
        let words: Vec<Words> = descriptors.iter().map(words).collect();
        Self(std::array::from_fn(|i| words.iter().map(|w| w[i]).collect()))
    }

    fn len(&self) -> usize {
        self.0[0].len()
    }
}

/// Matches of `a`'s keypoints in `b` that pass the ratio test: (index in a, index in b).
pub fn ratio_matches(a: &FrameFeatures, b: &FrameFeatures) -> Vec<(usize, usize)> {
    let a: Vec<Words> = a.descriptors.iter().map(words).collect();
    let b = Columns::new(&b.descriptors);
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512vpopcntdq") {
            // SAFETY: the CPU has AVX-512F and its vector POPCNT, checked just above.
            return unsafe { ratio_matches_avx512(&a, &b) };
        }
        if std::arch::is_x86_feature_detected!("popcnt") {
            // SAFETY: the CPU has POPCNT, checked just above.
            return unsafe { ratio_matches_popcnt(&a, &b) };
        }
    }
    ratio_matches_columns(&a, &b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vpopcntdq,popcnt")]
fn ratio_matches_avx512(a: &[Words], b: &Columns) -> Vec<(usize, usize)> {
    ratio_matches_columns(a, b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn ratio_matches_popcnt(a: &[Words], b: &Columns) -> Vec<(usize, usize)> {
    ratio_matches_columns(a, b)
}

#[inline(always)]
fn ratio_matches_columns(a: &[Words], b: &Columns) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut distances = vec![0u32; b.len()];
    let [w0, w1, w2, w3] = &b.0;
    for (i, da) in a.iter().enumerate() {
        for ((((d, x0), x1), x2), x3) in distances.iter_mut().zip(w0).zip(w1).zip(w2).zip(w3) {
            *d = (x0 ^ da[0]).count_ones()
                + (x1 ^ da[1]).count_ones()
                + (x2 ^ da[2]).count_ones()
                + (x3 ^ da[3]).count_ones();
        }
        let (mut best, mut second, mut at) = (u32::MAX, u32::MAX, 0);
        for (j, &d) in distances.iter().enumerate() {
            if d < best {
                (second, best, at) = (best, d, j);
            } else if d < second {
                second = d;
            }
        }
        if best <= MAX_HAMMING && (best as f32) < RATIO * second as f32 {
            out.push((i, at));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The matching as first written: byte by byte, no words, no POPCNT.
    fn reference(a: &FrameFeatures, b: &FrameFeatures) -> Vec<(usize, usize)> {
        let bits = |x: &Descriptor, y: &Descriptor| x.iter().zip(y).map(|(p, q)| (p ^ q).count_ones()).sum::<u32>();
        let mut out = Vec::new();
        for (i, da) in a.descriptors.iter().enumerate() {
            let mut distances: Vec<(u32, usize)> = b.descriptors.iter().map(|db| bits(da, db)).zip(0..).collect();
            distances.sort();
            let (best, at) = distances.first().copied().unwrap_or((u32::MAX, 0));
            let second = distances.get(1).map_or(u32::MAX, |d| d.0);
            if best <= MAX_HAMMING && (best as f32) < RATIO * second as f32 {
                out.push((i, at));
            }
        }
        out
    }

    /// Descriptors from a small xorshift generator; `near` of them copies of `base`'s with a few
    /// bits flipped, so there are matches to find and ties to break.
    fn frame(seed: u64, count: usize, base: Option<&FrameFeatures>, near: usize) -> FrameFeatures {
        let mut state = seed;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let descriptors = (0..count)
            .map(|i| match base {
                Some(base) if i < near => {
                    let mut d = base.descriptors[i % base.descriptors.len()];
                    for _ in 0..(next() % 24) {
                        let bit = (next() % 256) as usize;
                        d[bit / 8] ^= 1 << (bit % 8);
                    }
                    d
                }
                _ => std::array::from_fn(|_| next() as u8),
            })
            .collect::<Vec<Descriptor>>();
        FrameFeatures { points: vec![[0.0, 0.0]; count], descriptors, ..FrameFeatures::default() }
    }

    #[test]
    fn every_path_finds_the_matches_the_byte_by_byte_matching_finds() {
        let a = frame(7, 300, None, 0);
        let b = frame(11, 280, Some(&a), 150);
        let expected = reference(&a, &b);
        assert!(expected.len() >= 100, "there are matches to find: {}", expected.len());
        assert_eq!(ratio_matches(&a, &b), expected);
        let words = |f: &FrameFeatures| f.descriptors.iter().map(words).collect::<Vec<_>>();
        assert_eq!(ratio_matches_columns(&words(&a), &Columns::new(&b.descriptors)), expected, "as built");
        assert_eq!(ratio_matches(&b, &a), reference(&b, &a));
        assert_eq!(ratio_matches(&a, &FrameFeatures::default()), reference(&a, &FrameFeatures::default()));
        let same = |x: &Descriptor, y: &Descriptor| x.iter().zip(y).map(|(p, q)| (p ^ q).count_ones()).sum::<u32>();
        for (x, y) in a.descriptors.iter().zip(&b.descriptors) {
            assert_eq!(hamming(x, y), same(x, y));
        }
    }
}
