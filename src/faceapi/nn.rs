//! The few layers face-api's networks are made of, on one image at a time, channels last
//! (TF's NHWC with N = 1) so TF.js weights and its `same` padding carry over unchanged.
//!
//! Convolutions are an im2col copy (none for 1 × 1) plus one matrix product by the `gemm`
//! crate (the kernels candle's CPU matmul uses), straight on the maps' buffers: going through
//! candle tensors copied every input and output once more, and copying and zeroing memory
//! were a sixth of a corpus run's CPU samples. Depthwise convolutions, pooling and resizing are plain loops.

use super::ModelError;
use super::weights::WeightMap;

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
        assert_eq!(x.c, self.c, "depthwise input channels");
        let (oh, pt) = window(x.h, self.k, stride, padding);
        let (ow, pl) = window(x.w, self.k, stride, padding);
        let mut out = Map::zeros(oh, ow, x.c);
        for oy in 0..oh {
            for ox in 0..ow {
                let acc = &mut out.data[(oy * ow + ox) * x.c..][..x.c];
                for ky in 0..self.k {
                    let Some(iy) = (oy * stride + ky).checked_sub(pt).filter(|&iy| iy < x.h) else { continue };
                    for kx in 0..self.k {
                        let Some(ix) = (ox * stride + kx).checked_sub(pl).filter(|&ix| ix < x.w) else { continue };
                        let w = &self.weight[(ky * self.k + kx) * x.c..][..x.c];
                        for ((a, v), w) in acc.iter_mut().zip(x.at(iy, ix)).zip(w) {
                            *a += v * w;
                        }
                    }
                }
            }
        }
        out
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

/// Grows `x` with zero rows at the bottom and zero columns at the right to `h × w`.
pub fn pad_bottom_right(x: &Map, h: usize, w: usize) -> Map {
    let mut out = Map::zeros(h, w, x.c);
    for y in 0..x.h {
        out.data[y * w * x.c..][..x.w * x.c].copy_from_slice(&x.data[y * x.w * x.c..][..x.w * x.c]);
    }
    out
}

/// The `w × h` region of `x` at `(x0, y0)`, clipped to the map.
pub fn crop(x: &Map, x0: usize, y0: usize, w: usize, h: usize) -> Map {
    let (x0, y0) = (x0.min(x.w), y0.min(x.h));
    let (w, h) = (w.min(x.w - x0), h.min(x.h - y0));
    let mut data = Vec::with_capacity(w * h * x.c);
    for y in y0..y0 + h {
        data.extend_from_slice(&x.data[(y * x.w + x0) * x.c..][..w * x.c]);
    }
    Map::new(h, w, x.c, data)
}

/// Zeros to make `x` square, as face-api's `padToSquare`: all at the end (bottom/right), or, when
/// `centre`, `round(diff / 2)` at the end and the rest at the start.
pub fn pad_to_square(x: &Map, centre: bool) -> (Map, (usize, usize)) {
    let side = x.h.max(x.w);
    let diff = side - x.h.min(x.w);
    let before = if centre { diff - (diff as f64 * 0.5).round() as usize } else { 0 };
    let (top, left) = if x.h < x.w { (before, 0) } else { (0, before) };
    let mut out = Map::zeros(side, side, x.c);
    for y in 0..x.h {
        out.data[((y + top) * side + left) * x.c..][..x.w * x.c].copy_from_slice(&x.data[y * x.w * x.c..][..x.w * x.c]);
    }
    (out, (top, left))
}

/// `x` inside a border of zeros (black) `pad` pixels wide on every side.
pub fn pad_border(x: &Map, pad: usize) -> Map {
    let w = x.w + 2 * pad;
    let mut out = Map::zeros(x.h + 2 * pad, w, x.c);
    for y in 0..x.h {
        out.data[((y + pad) * w + pad) * x.c..][..x.w * x.c].copy_from_slice(&x.data[y * x.w * x.c..][..x.w * x.c]);
    }
    out
}

/// TF's `resizeBilinear` with `alignCorners = false, halfPixelCenters = false` (face-api's call):
/// source = destination × (in / out), neighbours `floor` and `min(ceil, in − 1)`.
pub fn resize_bilinear(x: &Map, oh: usize, ow: usize) -> Map {
    if (oh, ow) == (x.h, x.w) {
        return x.clone();
    }
    resize_bilinear_corner(x, (oh, ow), (oh, ow))
}

/// The top-left `keep` rows and columns of [`resize_bilinear`]`(x, size.0, size.1)`, computing
/// only those.
pub fn resize_bilinear_corner(x: &Map, size: (usize, usize), keep: (usize, usize)) -> Map {
    resize_bilinear_padded(x, (x.h, x.w), size, keep)
}

/// [`resize_bilinear_corner`] of `x` padded with zeros at the bottom and right to
/// `padded.0 × padded.1` (face-api's [`pad_to_square`] before resizing), without making the
/// padded copy.
pub fn resize_bilinear_padded(x: &Map, padded: (usize, usize), size: (usize, usize), keep: (usize, usize)) -> Map {
    let (oh, ow) = keep;
    assert!(oh <= size.0 && ow <= size.1, "the corner kept lies inside the resized map");
    assert!(padded.0 >= x.h && padded.1 >= x.w, "padding only adds rows and columns");
    // Source rows (or columns) and weight of each output row (or column), as TF takes them.
    let taps = |out: usize, scale: f64, last: usize| -> Vec<(usize, usize, f64)> {
        (0..out)
            .map(|o| {
                let f = o as f64 * scale;
                (f.floor() as usize, (f.ceil() as usize).min(last), f - f.floor())
            })
            .collect()
    };
    let rows = taps(oh, padded.0 as f64 / size.0 as f64, padded.0 - 1);
    let cols = taps(ow, padded.1 as f64 / size.1 as f64, padded.1 - 1);
    let zeros = vec![0.0; x.c];
    let at = |y: usize, col: usize| if y < x.h && col < x.w { x.at(y, col) } else { &zeros[..] };
    let mut out = Map::zeros(oh, ow, x.c);
    for (oy, &(y0, y1, dy)) in rows.iter().enumerate() {
        for (ox, &(x0, x1, dx)) in cols.iter().enumerate() {
            let dst = &mut out.data[(oy * ow + ox) * x.c..][..x.c];
            let (tl, tr, bl, br) = (at(y0, x0), at(y0, x1), at(y1, x0), at(y1, x1));
            for ch in 0..x.c {
                let top = tl[ch] as f64 + (tr[ch] as f64 - tl[ch] as f64) * dx;
                let bottom = bl[ch] as f64 + (br[ch] as f64 - bl[ch] as f64) * dx;
                dst[ch] = (top + (bottom - top) * dy) as f32;
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

    #[test]
    fn centred_square_padding_puts_the_rounded_half_at_the_end() {
        let x = Map::new(1, 4, 1, vec![1.0, 2.0, 3.0, 4.0]);
        let (sq, (top, left)) = pad_to_square(&x, true);
        // diff 3: round(1.5) = 2 rows after, 1 before.
        assert_eq!((top, left), (1, 0));
        assert_eq!(&sq.data[4..8], &[1.0, 2.0, 3.0, 4.0]);
        assert!(sq.data[..4].iter().chain(&sq.data[8..]).all(|&v| v == 0.0));
    }

    #[test]
    fn bilinear_resize_samples_like_tf() {
        let x = Map::new(1, 2, 1, vec![0.0, 10.0]);
        // out x = 0, 0.5, 1.0, 1.5 in source coordinates; the last clamps to the right pixel.
        assert_eq!(resize_bilinear(&x, 1, 4).data, vec![0.0, 5.0, 10.0, 10.0]);
    }

    #[test]
    fn a_resized_corner_is_the_corner_of_the_resized_map() {
        let x = Map::new(5, 7, 2, (0..70).map(|v| (v * 37 % 11) as f32).collect());
        let full = resize_bilinear(&x, 12, 9);
        let corner = resize_bilinear_corner(&x, (12, 9), (8, 5));
        assert_eq!((corner.h, corner.w), (8, 5));
        assert_eq!(corner, crop(&full, 0, 0, 5, 8));
    }

    #[test]
    fn resizing_with_virtual_padding_equals_resizing_the_padded_copy() {
        let x = Map::new(5, 3, 2, (0..30).map(|v| (v * 37 % 11) as f32).collect());
        let (square, _) = pad_to_square(&x, false);
        assert_eq!(resize_bilinear_padded(&x, (5, 5), (8, 8), (8, 6)), resize_bilinear_corner(&square, (8, 8), (8, 6)));
        let mut bigger = Map::zeros(9, 9, 2);
        for y in 0..5 {
            bigger.data[y * 9 * 2..][..3 * 2].copy_from_slice(&x.data[y * 3 * 2..][..3 * 2]);
        }
        assert_eq!(resize_bilinear_padded(&x, (9, 9), (4, 4), (3, 2)), resize_bilinear_corner(&bigger, (4, 4), (3, 2)));
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

    #[test]
    fn average_pool_divides_by_the_window() {
        let x = Map::new(2, 2, 1, vec![1.0, 2.0, 3.0, 6.0]);
        assert_eq!(pool(&x, Pool::Average, 2, 2).data, vec![3.0]);
        assert_eq!(pool(&x, Pool::Max, 2, 2).data, vec![6.0]);
    }
}
