//! The few layers face-api's networks are made of, on one image at a time, channels last
//! (TF's NHWC with N = 1) so TF.js weights and its `same` padding carry over unchanged.
//!
//! Convolutions are an im2col copy (none for 1 × 1) plus one matrix product by the `gemm`
//! crate (the kernels candle's CPU matmul uses), straight on the maps' buffers: going through
//! candle tensors copied every input and output once more, and copying and zeroing memory
//! were a sixth of a corpus run's CPU samples. Depthwise convolutions, pooling and resizing are plain loops.

use super::ModelError;
use super::weights::WeightMap;

mod image;
pub use image::{crop, pad_border, pad_bottom_right, pad_to_square, resize_bilinear, resize_bilinear_padded};

/// A feature map: `h × w × c` values, channel fastest.
#[derive(Debug, Clone, PartialEq)]
pub struct Map {
    pub h: usize,
    pub w: usize,
    pub c: usize,
    pub data: Vec<f32>,
}

impl Map {
    pub fn new(h: usize, w: usize, c: usize, data: Vec<f32>) -> Self {
        assert_eq!(data.len(), h * w * c, "map data does not match its shape");
        Self { h, w, c, data }
    }

    pub fn zeros(h: usize, w: usize, c: usize) -> Self {
        Self::new(h, w, c, vec![0.0; h * w * c])
    }

    fn at(&self, y: usize, x: usize) -> &[f32] {
        let start = (y * self.w + x) * self.c;
        &self.data[start..start + self.c]
    }

    pub fn map(mut self, f: impl Fn(f32) -> f32) -> Self {
        self.data.iter_mut().for_each(|v| *v = f(*v));
        self
    }

    pub fn relu(self) -> Self {
        self.map(|v| v.max(0.0))
    }

    /// TF's `relu6`-style clip used by MobileNet.
    pub fn clip6(self) -> Self {
        self.map(|v| v.clamp(0.0, 6.0))
    }

    /// Adds `other` element-wise (same shape).
    pub fn add(mut self, other: &Map) -> Self {
        assert_eq!((self.h, self.w, self.c), (other.h, other.w, other.c), "adding maps of different shapes");
        self.data.iter_mut().zip(&other.data).for_each(|(a, b)| *a += b);
        self
    }

    /// `v × scale[c] + offset[c]` per channel.
    pub fn affine(mut self, scale: Option<&[f32]>, offset: &[f32]) -> Self {
        for px in self.data.chunks_exact_mut(offset.len()) {
            for (ch, v) in px.iter_mut().enumerate() {
                *v = scale.map_or(*v, |s| *v * s[ch]) + offset[ch];
            }
        }
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    Same,
    /// `same`'s output size, with the leading padding an even-sized input gets,
    /// `(k − stride) / 2`, whatever the size: on even sizes this is `Same`; on odd ones output
    /// cell `i` still reads from input `i × stride − (k − stride) / 2`, where it would in a larger,
    /// even-sized map. The SSD runs on part of its square with it and finds the square's cells.
    SameAligned,
    Valid,
}

/// Output size and leading padding of a window `k` sliding by `stride` over `input`, as TF
/// computes them (`same` puts the odd padding pixel at the end).
pub fn window(input: usize, k: usize, stride: usize, padding: Padding) -> (usize, usize) {
    match padding {
        Padding::Same => {
            let out = input.div_ceil(stride);
            let total = ((out - 1) * stride + k).saturating_sub(input);
            (out, total / 2)
        }
        Padding::SameAligned => (input.div_ceil(stride), k.saturating_sub(stride) / 2),
        Padding::Valid => ((input - k) / stride + 1, 0),
    }
}

/// A 2-D convolution with TF's `[kh, kw, cin, cout]` filters, run as im2col + matmul.
pub struct Conv {
    k: (usize, usize),
    cin: usize,
    cout: usize,
    /// `(kh·kw·cin) × cout`, row-major: TF's filter layout is already the im2col row order.
    weight: Vec<f32>,
    bias: Option<Vec<f32>>,
}

impl Conv {
    pub fn load(weights: &WeightMap, filters: &str, bias: Option<&str>) -> Result<Self, ModelError> {
        let shape = weights.shape(filters)?.to_vec();
        let [kh, kw, cin, cout] = shape[..] else {
            return Err(ModelError::Shape {
                model: String::new(),
                tensor: filters.into(),
                expected: vec![0; 4],
                actual: shape,
            });
        };
        let weight = weights.values(filters, &shape)?.to_vec();
        let bias = bias.map(|name| weights.values(name, &[cout]).map(<[f32]>::to_vec)).transpose()?;
        Ok(Self { k: (kh, kw), cin, cout, weight, bias })
    }

    pub fn out_channels(&self) -> usize {
        self.cout
    }

    pub fn forward(&self, x: &Map, stride: usize, padding: Padding) -> Result<Map, ModelError> {
        assert_eq!(x.c, self.cin, "convolution input channels");
        let (kh, kw) = self.k;
        let (oh, pad_top) = window(x.h, kh, stride, padding);
        let (ow, pad_left) = window(x.w, kw, stride, padding);
        let cols;
        let rows: &[f32] = if kh == 1 && kw == 1 && stride == 1 {
            &x.data
        } else {
            cols = im2col(x, (kh, kw), stride, (oh, ow), (pad_top, pad_left));
            &cols
        };
        let (m, k, n) = (oh * ow, kh * kw * x.c, self.cout);
        // The output starts as the bias of every pixel, and the product is added to it.
        let mut data = match &self.bias {
            Some(bias) => bias.repeat(m),
            None => vec![0.0; m * n],
        };
        assert!(rows.len() == m * k && self.weight.len() == k * n, "convolution operand sizes");
        // SAFETY: `data` is m × n, `rows` m × k and `weight` k × n, all row-major and contiguous
        // (column stride 1, row stride the row length), as the assertion and `Map::new` check.
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                data.as_mut_ptr(),
                1,
                n as isize,
                true,
                rows.as_ptr(),
                1,
                k as isize,
                self.weight.as_ptr(),
                1,
                n as isize,
                1.0,
                1.0,
                false,
                false,
                false,
                parallelism(),
            );
        }
        Ok(Map::new(oh, ow, self.cout, data))
    }
}

thread_local! {
    /// Set on threads whose products should not spread over rayon's threads.
    static OWN_THREAD_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// From now on, the convolutions this thread runs use it alone. For workers that
/// already fill the cores one image each (the analyse stage's): a product split over rayon's
/// threads there waits for the other workers' products; the corpus run took 202.9 s that way
/// against 174.2 s with every product on its own worker's thread (README, Speed).
pub fn products_on_this_thread_only() {
    OWN_THREAD_ONLY.with(|own| own.set(true));
}

/// Threads for one matrix product: rayon's, as candle's CPU matmul does, unless this thread
/// keeps its products to itself.
fn parallelism() -> gemm::Parallelism {
    if OWN_THREAD_ONLY.with(std::cell::Cell::get) {
        return gemm::Parallelism::None;
    }
    match rayon::current_num_threads() {
        0 | 1 => gemm::Parallelism::None,
        n => gemm::Parallelism::Rayon(n),
    }
}

/// Each output pixel's receptive field as one row (zeros where it hangs over the edge).
fn im2col(
    x: &Map,
    (kh, kw): (usize, usize),
    stride: usize,
    (oh, ow): (usize, usize),
    (pt, pl): (usize, usize),
) -> Vec<f32> {
    let row_len = kh * kw * x.c;
    let mut cols = vec![0.0f32; oh * ow * row_len];
    for oy in 0..oh {
        for ox in 0..ow {
            let row = &mut cols[(oy * ow + ox) * row_len..][..row_len];
            for ky in 0..kh {
                let Some(iy) = (oy * stride + ky).checked_sub(pt).filter(|&iy| iy < x.h) else { continue };
                for kx in 0..kw {
                    let Some(ix) = (ox * stride + kx).checked_sub(pl).filter(|&ix| ix < x.w) else { continue };
                    row[(ky * kw + kx) * x.c..][..x.c].copy_from_slice(x.at(iy, ix));
                }
            }
        }
    }
    cols
}

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

#[derive(Debug, Clone, Copy)]
pub enum Pool {
    Max,
    Average,
}

/// `valid` pooling with a `k × k` window (TF's `maxPool` / `avgPool`).
pub fn pool(x: &Map, kind: Pool, k: usize, stride: usize) -> Map {
    let (oh, _) = window(x.h, k, stride, Padding::Valid);
    let (ow, _) = window(x.w, k, stride, Padding::Valid);
    let mut out = Map::zeros(oh, ow, x.c);
    for oy in 0..oh {
        for ox in 0..ow {
            let acc = &mut out.data[(oy * ow + ox) * x.c..][..x.c];
            if let Pool::Max = kind {
                acc.fill(f32::NEG_INFINITY);
            }
            for ky in 0..k {
                for kx in 0..k {
                    for (a, v) in acc.iter_mut().zip(x.at(oy * stride + ky, ox * stride + kx)) {
                        *a = match kind {
                            Pool::Max => a.max(*v),
                            Pool::Average => *a + v,
                        };
                    }
                }
            }
            if let Pool::Average = kind {
                acc.iter_mut().for_each(|a| *a /= (k * k) as f32);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_padding_matches_tf() {
        // 512 → 256 with a 3×3 stride-2 window: TF pads 0 before, 1 after.
        assert_eq!(window(512, 3, 2, Padding::Same), (256, 0));
        assert_eq!(window(7, 3, 1, Padding::Same), (7, 1));
        assert_eq!(window(150, 7, 2, Padding::Valid), (72, 0));
        // Aligned: the even size's leading padding on odd sizes too.
        assert_eq!(window(512, 3, 2, Padding::SameAligned), window(512, 3, 2, Padding::Same));
        assert_eq!(window(9, 3, 2, Padding::Same), (5, 1));
        assert_eq!(window(9, 3, 2, Padding::SameAligned), (5, 0));
        assert_eq!(window(7, 3, 1, Padding::SameAligned), (7, 1));
        assert_eq!(window(5, 1, 1, Padding::SameAligned), (5, 0));
    }

    /// The convolution summed out by hand, TF's layout and padding.
    fn direct_conv(conv: &Conv, x: &Map, stride: usize, padding: Padding) -> Vec<f32> {
        let (kh, kw) = conv.k;
        let (oh, pt) = window(x.h, kh, stride, padding);
        let (ow, pl) = window(x.w, kw, stride, padding);
        let mut out = Vec::new();
        for oy in 0..oh {
            for ox in 0..ow {
                for o in 0..conv.cout {
                    let mut sum = conv.bias.as_ref().map_or(0.0, |b| b[o]);
                    for ky in 0..kh {
                        for kx in 0..kw {
                            let (iy, ix) =
                                ((oy * stride + ky) as isize - pt as isize, (ox * stride + kx) as isize - pl as isize);
                            if iy < 0 || ix < 0 || iy as usize >= x.h || ix as usize >= x.w {
                                continue;
                            }
                            for i in 0..conv.cin {
                                let w = conv.weight[((ky * kw + kx) * conv.cin + i) * conv.cout + o];
                                sum += w * x.at(iy as usize, ix as usize)[i];
                            }
                        }
                    }
                    out.push(sum);
                }
            }
        }
        out
    }

    #[test]
    fn convolutions_equal_the_sum_by_hand_on_any_thread_setting() {
        let values = |n: usize, seed: f32| (0..n).map(|i| (i as f32 * 0.37 + seed).sin() * 2.0).collect::<Vec<f32>>();
        let x = Map::new(7, 5, 3, values(7 * 5 * 3, 0.1));
        let cases =
            [((3, 3), 2, Padding::Same, true), ((1, 1), 1, Padding::Valid, true), ((3, 3), 1, Padding::Valid, false)];
        for ((kh, kw), stride, padding, with_bias) in cases {
            let conv = Conv {
                k: (kh, kw),
                cin: 3,
                cout: 4,
                weight: values(kh * kw * 3 * 4, 0.7),
                bias: with_bias.then(|| values(4, 1.3)),
            };
            let expected = direct_conv(&conv, &x, stride, padding);
            let shared = conv.forward(&x, stride, padding).unwrap().data;
            let own = std::thread::scope(|s| {
                s.spawn(|| {
                    products_on_this_thread_only();
                    conv.forward(&x, stride, padding).unwrap().data
                })
                .join()
                .unwrap()
            });
            for got in [&shared, &own] {
                assert_eq!(got.len(), expected.len());
                let worst = got.iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
                assert!(worst < 1e-4, "{kh}x{kw} stride {stride}: off by {worst}");
            }
        }
    }

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

    #[test]
    fn average_pool_divides_by_the_window() {
        let x = Map::new(2, 2, 1, vec![1.0, 2.0, 3.0, 6.0]);
        assert_eq!(pool(&x, Pool::Average, 2, 2).data, vec![3.0]);
        assert_eq!(pool(&x, Pool::Max, 2, 2).data, vec![6.0]);
    }
}
