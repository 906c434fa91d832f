//! The few layers face-api's networks are made of, on one image at a time, channels last
//! (TF's NHWC with N = 1) so TF.js weights and its `same` padding carry over unchanged.
//!
//! Convolutions are an im2col copy (none for 1 × 1) plus one matrix product by the `gemm`
//! crate (the kernels candle's CPU matmul uses), straight on the maps' buffers: going through
//! candle tensors copied every input and output once more, and copying and zeroing memory
//! were a sixth of a corpus run's CPU samples. Depthwise convolutions, pooling and resizing are plain loops.

use super::ModelError;
use super::weights::WeightMap;

mod depthwise;
mod image;
pub use depthwise::{Depthwise, Then};
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
    fn average_pool_divides_by_the_window() {
        let x = Map::new(2, 2, 1, vec![1.0, 2.0, 3.0, 6.0]);
        assert_eq!(pool(&x, Pool::Average, 2, 2).data, vec![3.0]);
        assert_eq!(pool(&x, Pool::Max, 2, 2).data, vec![6.0]);
    }
}
