//! Depthwise convolutions (one 3 × 3 filter per channel), with TF's folded batch norm and
//! relu6 optionally applied as each sum is stored.

use super::{Map, ModelError, Padding, window};
use crate::faceapi::weights::WeightMap;

/// A depthwise convolution (channel multiplier 1) with TF's `[k, k, c, 1]` filters.
pub struct Depthwise {
    k: usize,
    c: usize,
    weight: Vec<f32>,
}

/// What a depthwise convolution does to each sum before storing it.
#[derive(Debug, Clone, Copy)]
pub enum Then<'a> {
    Store,
    /// `(v × scale[c] + offset[c])` clipped to 0..6: a folded batch norm then relu6, as
    /// [`Map::affine`] then [`Map::clip6`] would do it, without two more passes over the map.
    AffineClip6 {
        scale: &'a [f32],
        offset: &'a [f32],
    },
}

impl Depthwise {
    pub fn load(weights: &WeightMap, filters: &str) -> Result<Self, ModelError> {
        let shape = weights.shape(filters)?.to_vec();
        let [k, _, c, 1] = shape[..] else {
            return Err(ModelError::Shape {
                model: String::new(),
                tensor: filters.into(),
                expected: vec![0, 0, 0, 1],
                actual: shape,
            });
        };
        Ok(Self { k, c, weight: weights.values(filters, &shape)?.to_vec() })
    }

    pub fn forward(&self, x: &Map, stride: usize, padding: Padding) -> Map {
        self.forward_then(x, stride, padding, Then::Store)
    }

    /// The convolution with `then` applied to each sum on its way out.
    pub fn forward_then(&self, x: &Map, stride: usize, padding: Padding, then: Then) -> Map {
        assert_eq!(x.c, self.c, "depthwise input channels");
        if let Then::AffineClip6 { scale, offset } = then {
            assert!(scale.len() == x.c && offset.len() == x.c, "depthwise batch norm channels");
        }
        let (oh, pt) = window(x.h, self.k, stride, padding);
        let (ow, pl) = window(x.w, self.k, stride, padding);
        let mut out = Map::zeros(oh, ow, x.c);
        // A tenth of a corpus run's CPU samples were this loop. It now sums blocks of channels
        // over the window in registers, at the CPU's widest vectors, several blocks at once:
        // each sum is a chain of dependent adds, and one chain at a time waits on each add.
        crate::simd::on_widest_vectors(
            #[inline(always)]
            || self.accumulate(x, stride, (pt, pl), then, &mut out),
        );
        out
    }

    /// Each output value is 0 plus the products of the window's taps in row-major order,
    /// skipping taps over the edge; the order is the same on every path.
    #[inline(always)]
    fn accumulate(&self, x: &Map, stride: usize, (pt, pl): (usize, usize), then: Then, out: &mut Map) {
        let c = x.c;
        // (offset of the tap's input pixel, offset of its filter), for the taps inside the map.
        let mut taps: Vec<(usize, usize)> = Vec::with_capacity(self.k * self.k);
        for oy in 0..out.h {
            for ox in 0..out.w {
                taps.clear();
                for ky in 0..self.k {
                    let Some(iy) = (oy * stride + ky).checked_sub(pt).filter(|&iy| iy < x.h) else { continue };
                    for kx in 0..self.k {
                        let Some(ix) = (ox * stride + kx).checked_sub(pl).filter(|&ix| ix < x.w) else { continue };
                        taps.push(((iy * x.w + ix) * c, (ky * self.k + kx) * c));
                    }
                }
                let row = &mut out.data[(oy * out.w + ox) * c..][..c];
                let mut start = 0;
                while c - start >= 64 {
                    store(&mut row[start..], &sum_block::<64>(x, &self.weight, &taps, start), start, then);
                    start += 64;
                }
                if c - start >= 32 {
                    store(&mut row[start..], &sum_block::<32>(x, &self.weight, &taps, start), start, then);
                    start += 32;
                }
                if c - start >= 16 {
                    store(&mut row[start..], &sum_block::<16>(x, &self.weight, &taps, start), start, then);
                    start += 16;
                }
                for ch in start..c {
                    store(&mut row[ch..], &sum_block::<1>(x, &self.weight, &taps, ch), ch, then);
                }
            }
        }
    }
}

/// Channels `start..start + N` of one output pixel: 0 plus each tap's product, in tap order.
#[inline(always)]
fn sum_block<const N: usize>(x: &Map, weight: &[f32], taps: &[(usize, usize)], start: usize) -> [f32; N] {
    let mut acc = [0.0f32; N];
    for &(at, w) in taps {
        let v: &[f32; N] = x.data[at + start..][..N].try_into().expect("N values");
        let w: &[f32; N] = weight[w + start..][..N].try_into().expect("N weights");
        for l in 0..N {
            acc[l] += v[l] * w[l];
        }
    }
    acc
}

/// Writes the sums of channels `first_channel..` to the start of `out`.
#[inline(always)]
fn store<const N: usize>(out: &mut [f32], sums: &[f32; N], first_channel: usize, then: Then) {
    let out: &mut [f32; N] = (&mut out[..N]).try_into().expect("N outputs");
    match then {
        Then::Store => *out = *sums,
        Then::AffineClip6 { scale, offset } => {
            let scale: &[f32; N] = scale[first_channel..][..N].try_into().expect("N scales");
            let offset: &[f32; N] = offset[first_channel..][..N].try_into().expect("N offsets");
            for l in 0..N {
                out[l] = (sums[l] * scale[l] + offset[l]).clamp(0.0, 6.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depthwise_convolutions_equal_the_sum_by_hand() {
        let values = |n: usize, seed: f32| (0..n).map(|i| (i as f32 * 0.53 + seed).cos()).collect::<Vec<f32>>();
        let x = Map::new(6, 7, 5, values(6 * 7 * 5, 0.2));
        for (stride, padding) in [(1, Padding::Same), (2, Padding::Same), (1, Padding::Valid), (2, Padding::Valid)] {
            let conv = Depthwise { k: 3, c: 5, weight: values(3 * 3 * 5, 0.9) };
            let got = conv.forward(&x, stride, padding);
            let (oh, pt) = window(x.h, 3, stride, padding);
            let (ow, pl) = window(x.w, 3, stride, padding);
            assert_eq!((got.h, got.w, got.c), (oh, ow, 5));
            for oy in 0..oh {
                for ox in 0..ow {
                    for ch in 0..5 {
                        let mut sum = 0.0;
                        for ky in 0..3 {
                            for kx in 0..3 {
                                let (iy, ix) = (
                                    (oy * stride + ky) as isize - pt as isize,
                                    (ox * stride + kx) as isize - pl as isize,
                                );
                                if iy >= 0 && ix >= 0 && (iy as usize) < x.h && (ix as usize) < x.w {
                                    sum += conv.weight[(ky * 3 + kx) * 5 + ch] * x.at(iy as usize, ix as usize)[ch];
                                }
                            }
                        }
                        let v = got.at(oy, ox)[ch];
                        assert!((v - sum).abs() < 1e-5, "stride {stride} at {oy},{ox},{ch}: {v} vs {sum}");
                    }
                }
            }
        }
    }

    /// The depthwise loop as first written: one pass per tap over all channels, then batch norm
    /// and relu6 as separate passes.
    fn depthwise_as_first_written(conv: &Depthwise, x: &Map, stride: usize, padding: Padding) -> Map {
        let (oh, pt) = window(x.h, conv.k, stride, padding);
        let (ow, pl) = window(x.w, conv.k, stride, padding);
        let mut out = Map::zeros(oh, ow, x.c);
        for oy in 0..oh {
            for ox in 0..ow {
                let acc = &mut out.data[(oy * ow + ox) * x.c..][..x.c];
                for ky in 0..conv.k {
                    let Some(iy) = (oy * stride + ky).checked_sub(pt).filter(|&iy| iy < x.h) else { continue };
                    for kx in 0..conv.k {
                        let Some(ix) = (ox * stride + kx).checked_sub(pl).filter(|&ix| ix < x.w) else { continue };
                        let w = &conv.weight[(ky * conv.k + kx) * x.c..][..x.c];
                        for ((a, v), w) in acc.iter_mut().zip(x.at(iy, ix)).zip(w) {
                            *a += v * w;
                        }
                    }
                }
            }
        }
        out
    }

    /// Blocked channels at this CPU's vector width, the leftover channels one by one, and the
    /// fused batch norm + relu6: bit for bit what the first loop and the separate passes give,
    /// on channel counts with and without leftovers.
    #[test]
    fn depthwise_convolutions_are_bit_identical_to_the_first_loop() {
        let values = |n: usize, seed: f32| (0..n).map(|i| 3.0 * (i as f32 * 0.37 + seed).sin()).collect::<Vec<f32>>();
        let same_bits = |a: &Map, b: &Map| {
            (a.h, a.w, a.c) == (b.h, b.w, b.c) && a.data.iter().zip(&b.data).all(|(p, q)| p.to_bits() == q.to_bits())
        };
        for c in [3, 17, 32, 45, 64, 117] {
            let x = Map::new(9, 8, c, values(9 * 8 * c, 0.4));
            let conv = Depthwise { k: 3, c, weight: values(3 * 3 * c, 1.3) };
            let (scale, offset) = (values(c, 2.1), values(c, 0.7));
            for (stride, padding) in
                [(1, Padding::Same), (2, Padding::Same), (2, Padding::SameAligned), (1, Padding::Valid)]
            {
                let first = depthwise_as_first_written(&conv, &x, stride, padding);
                assert!(same_bits(&conv.forward(&x, stride, padding), &first), "c {c}, stride {stride}");
                let fused =
                    conv.forward_then(&x, stride, padding, Then::AffineClip6 { scale: &scale, offset: &offset });
                let passes = first.affine(Some(&scale), &offset).clip6();
                assert!(same_bits(&fused, &passes), "fused, c {c}, stride {stride}");
                assert!(passes.data.iter().any(|&v| v == 0.0) && passes.data.iter().any(|&v| v == 6.0));
            }
        }
    }
}
