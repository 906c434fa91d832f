//! Dense layers in bf16 on CPUs with AVX-512 BF16 (`vdpbf16ps`): the weights are rounded to
//! bf16 once at load and laid out in 32-column panels, each input is rounded to bf16 as it is
//! packed, and products are summed in f32 — what PyTorch's bf16 autocast does for a linear
//! layer. gemm (candle's matrix product) has no bf16 kernel, hence this one.
//!
//! `vdpbf16ps` multiplies pairs: lane j of `acc += a · b` adds `a[2j]·b[2j] + a[2j+1]·b[2j+1]`.
//! With one input row's pair (x[k], x[k+1]) broadcast to every lane and a weight panel holding
//! (W[k][j], W[k+1][j]) in lane j, one instruction advances 16 output columns by two steps of
//! k. The micro-kernel keeps 14 rows × 32 columns of output in 28 registers (14 rows ran 5–20 %
//! faster than 12 in the kernel's own timing on CLIP's shapes); the bias starts the sums and CLIP's
//! quick-GELU, when asked, is applied before the store, so the output is written once.

use rayon::prelude::*;

/// Output columns per weight panel (two 16-lane registers).
const PANEL: usize = 32;
/// Packed input rows per chunk (see [`PackedWeight::matmul`]): a quarter of a Zen 5 / recent
/// Intel core's L2, leaving room for the weight panel.
const CHUNK_BYTES: usize = 256 * 1024;
/// Input rows per micro-kernel call.
const ROWS: usize = 14;

/// Whether this CPU (and OS) can run the bf16 kernels.
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512bf16")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// f32 → bf16 bits, rounded to nearest even (as `vcvtne2ps2bf16` does).
fn bf16_bits(x: f32) -> u16 {
    half::bf16::from_f32(x).to_bits()
}

/// What is applied to each output before it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    None,
    /// `x · σ(1.702 · x)`, CLIP's activation.
    QuickGelu,
}

/// A weight matrix `(inputs, outputs)` in bf16, in panels of [`PANEL`] output columns; within a
/// panel, step `k/2` holds for each column the pair (W[k][j], W[k+1][j]) as one `u32`.
pub struct PackedWeight {
    inputs: usize,
    outputs: usize,
    pairs: usize,
    data: Vec<u32>,
}

impl PackedWeight {
    /// `weight_t`: row-major `(inputs, outputs)`, i.e. the transpose of a PyTorch linear weight.
    pub fn pack(weight_t: &[f32], inputs: usize, outputs: usize) -> Self {
        assert_eq!(weight_t.len(), inputs * outputs, "weight of {inputs}×{outputs}");
        // (A checkpoint cannot have them: its tensors would not load.)
        assert!(inputs > 0 && outputs > 0, "a dense layer of {inputs}×{outputs}");
        let pairs = inputs.div_ceil(2);
        let panels = outputs.div_ceil(PANEL);
        let at = |k: usize, j: usize| -> u32 {
            if k < inputs && j < outputs { bf16_bits(weight_t[k * outputs + j]) as u32 } else { 0 }
        };
        let mut data = vec![0u32; panels * pairs * PANEL];
        data.par_chunks_mut(pairs * PANEL).enumerate().for_each(|(panel, out)| {
            for p in 0..pairs {
                for c in 0..PANEL {
                    let j = panel * PANEL + c;
                    out[p * PANEL + c] = at(2 * p, j) | (at(2 * p + 1, j) << 16);
                }
            }
        });
        Self { inputs, outputs, pairs, data }
    }

    pub fn inputs(&self) -> usize {
        self.inputs
    }

    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// `activation(x · W (+ bias))` for `x` row-major `(rows, inputs)`; the result is
    /// `(rows, outputs)`, f32. Call only where [`available`] says so.
    pub fn matmul(&self, x: &[f32], rows: usize, bias: Option<&[f32]>, activation: Activation) -> Vec<f32> {
        assert!(available(), "bf16 matmul on a CPU without AVX-512 BF16");
        assert_eq!(x.len(), rows * self.inputs, "input of {rows}×{}", self.inputs);
        if let Some(bias) = bias {
            assert_eq!(bias.len(), self.outputs, "bias of {}", self.outputs);
        }
        if rows == 0 || self.outputs == 0 {
            return Vec::new();
        }
        let packed = pack_rows(x, rows, self.inputs, self.pairs);
        // Not zeroed: the tiles write every element (all rows, all columns) exactly once.
        let mut out: Vec<f32> = Vec::with_capacity(rows * self.outputs);
        let out_ptr = SharedOut(out.spare_capacity_mut().as_mut_ptr().cast());
        let panels = self.outputs.div_ceil(PANEL);
        let blocks = rows.div_ceil(ROWS);
        // Rows go in chunks whose packed inputs stay in a core's L2 while every weight panel
        // passes over them; streaming all the inputs from L3 for each panel instead ran at
        // ~80 % of the kernel's speed on 1,600 rows.
        let block_bytes = (self.pairs * ROWS * std::mem::size_of::<u32>()).max(1);
        let chunk = (CHUNK_BYTES / block_bytes).clamp(1, blocks);
        let chunks = blocks.div_ceil(chunk);
        (0..chunks * panels).into_par_iter().for_each(|item| {
            let (first_block, panel) = ((item / panels) * chunk, item % panels);
            let weights = &self.data[panel * self.pairs * PANEL..][..self.pairs * PANEL];
            let first = panel * PANEL;
            let columns = PANEL.min(self.outputs - first);
            let out = &out_ptr;
            for block in first_block..(first_block + chunk).min(blocks) {
                let inputs = &packed[block * self.pairs * ROWS..][..self.pairs * ROWS];
                let valid = ROWS.min(rows - block * ROWS);
                // SAFETY: `available()` was checked; each item writes only its own columns
                // [first, first + columns) of its own rows, which exist, so no two threads
                // touch the same element and every write is inside `out`.
                unsafe {
                    kernel::tile(
                        inputs,
                        weights,
                        self.pairs,
                        bias.map(|b| &b[first..first + columns]),
                        activation,
                        out.0.add(block * ROWS * self.outputs + first),
                        self.outputs,
                        valid,
                        columns,
                    );
                }
            }
        });
        // SAFETY: the chunks × panels above cover every row and column; each tile stored its
        // `valid` rows × `columns` elements.
        unsafe { out.set_len(rows * self.outputs) };
        out
    }
}

/// The output pointer, shared by the panels (each writes its own columns).
struct SharedOut(*mut f32);
// SAFETY: the panels write disjoint elements (see `matmul`).
unsafe impl Sync for SharedOut {}

/// `x` `(rows, inputs)` f32 → bf16 pairs (x[r][2p], x[r][2p+1]), row by row, zero past the
/// last input and in the rows that pad the last block to [`ROWS`].
fn pack_rows(x: &[f32], rows: usize, inputs: usize, pairs: usize) -> Vec<u32> {
    let mut packed = vec![0u32; rows.div_ceil(ROWS) * ROWS * pairs];
    packed.par_chunks_mut(pairs).zip(x.par_chunks(inputs.max(1))).for_each(|(out, row)| {
        // SAFETY: only called where `available()` holds (from `matmul`).
        unsafe { kernel::to_pairs(row, out) };
    });
    packed
}

/// `values[i] = e^values[i]` with the vector exp (within 2 ulp of `f32::exp`). Call only where
/// [`available`] says so.
pub fn exp_in_place(values: &mut [f32]) {
    assert!(available(), "vector exp on a CPU without AVX-512");
    // SAFETY: AVX-512F checked just above.
    unsafe { kernel::exp_slice(values) }
}

/// e^x for each lane of `x` (within 2 ulp of `f32::exp`), for code already running with
/// AVX-512F.
///
/// # Safety
/// Safe to call from functions compiled for AVX-512F; anywhere else, only on a CPU that has it.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
pub fn exp_lanes(x: std::arch::x86_64::__m512) -> std::arch::x86_64::__m512 {
    kernel::exp(x)
}

/// Scalar rounding of `row` into bf16 pairs, for the tail the vector loop leaves.
fn to_pairs_scalar(row: &[f32], pairs: &mut [u32]) {
    for (p, pair) in pairs.iter_mut().enumerate() {
        let lo = row.get(2 * p).map_or(0, |&v| bf16_bits(v) as u32);
        let hi = row.get(2 * p + 1).map_or(0, |&v| bf16_bits(v) as u32);
        *pair = lo | (hi << 16);
    }
}

#[cfg(target_arch = "x86_64")]
mod kernel {
    use std::arch::x86_64::*;

    use super::{Activation, PANEL, ROWS};

    /// One tile: `valid` rows × `columns` of `out` (row stride `stride`) = inputs · weights
    /// (+ bias), over `pairs` steps.
    ///
    /// # Safety
    /// The CPU has AVX-512F and AVX-512 BF16; `out` is valid for `valid` rows of `columns`
    /// elements at `stride`; `inputs` holds [`ROWS`] rows of `pairs` pairs, `weights` `pairs`
    /// steps of [`PANEL`].
    #[target_feature(enable = "avx512f,avx512bf16")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn tile(
        inputs: &[u32],
        weights: &[u32],
        pairs: usize,
        bias: Option<&[f32]>,
        activation: Activation,
        out: *mut f32,
        stride: usize,
        valid: usize,
        columns: usize,
    ) {
        debug_assert!(inputs.len() >= pairs * ROWS && weights.len() >= pairs * PANEL);
        let low = mask(columns.min(16));
        let high = mask(columns.saturating_sub(16));
        let (b0, b1) = match bias {
            Some(b) => unsafe {
                (_mm512_maskz_loadu_ps(low, b.as_ptr()), _mm512_maskz_loadu_ps(high, b.as_ptr().add(16)))
            },
            None => (_mm512_setzero_ps(), _mm512_setzero_ps()),
        };
        let mut acc = [[b0, b1]; ROWS];
        let (a, w) = (inputs.as_ptr(), weights.as_ptr());
        for p in 0..pairs {
            // SAFETY: p < pairs, within the lengths checked above.
            unsafe {
                let w0: __m512bh = std::mem::transmute(_mm512_loadu_si512(w.add(p * PANEL).cast()));
                let w1: __m512bh = std::mem::transmute(_mm512_loadu_si512(w.add(p * PANEL + 16).cast()));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let x: __m512bh = std::mem::transmute(_mm512_set1_epi32(*a.add(r * pairs + p) as i32));
                    acc[0] = _mm512_dpbf16_ps(acc[0], x, w0);
                    acc[1] = _mm512_dpbf16_ps(acc[1], x, w1);
                }
            }
        }
        for (r, acc) in acc.iter().enumerate().take(valid) {
            let (y0, y1) = match activation {
                Activation::None => (acc[0], acc[1]),
                Activation::QuickGelu => (quick_gelu(acc[0]), quick_gelu(acc[1])),
            };
            // SAFETY: row r < valid and the masks cover only `columns` elements.
            unsafe {
                let row = out.add(r * stride);
                _mm512_mask_storeu_ps(row, low, y0);
                _mm512_mask_storeu_ps(row.add(16), high, y1);
            }
        }
    }

    /// e^v for each element, 16 at a time (the tail under a mask).
    ///
    /// # Safety
    /// The CPU has AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn exp_slice(values: &mut [f32]) {
        for chunk in values.chunks_mut(16) {
            let m = mask(chunk.len());
            // SAFETY: the mask covers only the chunk's elements.
            unsafe {
                let v = _mm512_maskz_loadu_ps(m, chunk.as_ptr());
                _mm512_mask_storeu_ps(chunk.as_mut_ptr(), m, exp(v));
            }
        }
    }

    /// `x / (1 + e^(−1.702·x))`, lane by lane.
    #[target_feature(enable = "avx512f")]
    pub(super) fn quick_gelu(x: __m512) -> __m512 {
        let e = exp(_mm512_mul_ps(x, _mm512_set1_ps(-1.702)));
        _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0), e))
    }

    /// e^x for each lane, within 2 ulp of `f32::exp` (Cephes' `expf`: x = n·ln 2 + r with
    /// |r| ≤ ln 2 / 2, a degree-6 polynomial for e^r, then scaled by 2^n). x is clamped to
    /// [−103.97, 88.72] first: above, the result is +∞ (as `f32::exp`), below, f32's smallest
    /// subnormal (where `f32::exp` gives 0), which makes no difference to quick-GELU.
    #[target_feature(enable = "avx512f")]
    pub(super) fn exp(x: __m512) -> __m512 {
        let x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.722_84)), _mm512_set1_ps(-103.972_08));
        let n = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm512_mul_ps(
            x,
            _mm512_set1_ps(std::f32::consts::LOG2_E),
        ));
        // ln 2 in two parts, so n · ln 2 is exact enough for the reduction.
        let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693_359_4), x);
        let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.121_944_4e-4), r);
        let mut p = _mm512_set1_ps(1.987_569_1e-4);
        for c in [1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 0.5] {
            p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c));
        }
        let y = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.0));
        _mm512_scalef_ps(y, n)
    }

    /// `row` rounded to bf16 (nearest even) as pairs; `pairs` has `row.len().div_ceil(2)` slots.
    ///
    /// # Safety
    /// The CPU has AVX-512F and AVX-512 BF16.
    #[target_feature(enable = "avx512f,avx512bf16")]
    pub(super) unsafe fn to_pairs(row: &[f32], pairs: &mut [u32]) {
        let whole = row.len() / 32;
        for i in 0..whole {
            // SAFETY: 32 floats from 32·i are inside `row`; 16 pairs from 16·i inside `pairs`.
            unsafe {
                let lo = _mm512_loadu_ps(row.as_ptr().add(32 * i));
                let hi = _mm512_loadu_ps(row.as_ptr().add(32 * i + 16));
                let bf: __m512i = std::mem::transmute(_mm512_cvtne2ps_pbh(hi, lo));
                _mm512_storeu_si512(pairs.as_mut_ptr().add(16 * i).cast(), bf);
            }
        }
        super::to_pairs_scalar(&row[32 * whole..], &mut pairs[16 * whole..]);
    }

    fn mask(columns: usize) -> __mmask16 {
        if columns >= 16 { 0xFFFF } else { ((1u32 << columns) - 1) as __mmask16 }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod kernel {
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn tile(
        _: &[u32],
        _: &[u32],
        _: usize,
        _: Option<&[f32]>,
        _: super::Activation,
        _: *mut f32,
        _: usize,
        _: usize,
        _: usize,
    ) {
        unreachable!("bf16 kernels exist only on x86_64; `available()` says false elsewhere")
    }

    pub(super) unsafe fn exp_slice(_: &mut [f32]) {
        unreachable!("bf16 kernels exist only on x86_64; `available()` says false elsewhere")
    }

    pub(super) unsafe fn to_pairs(_: &[f32], _: &mut [u32]) {
        unreachable!("bf16 kernels exist only on x86_64; `available()` says false elsewhere")
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use std::arch::x86_64::*;

    /// The vector e^x against the standard library's over CLIP's range and past both ends.
    #[test]
    fn the_vector_exp_is_within_two_ulp() {
        if !super::available() {
            eprintln!("this CPU has no AVX-512: the vector exp is never called here");
            assert!(
                !std::arch::is_x86_feature_detected!("avx512bf16") || !std::arch::is_x86_feature_detected!("avx512f")
            );
            return;
        }
        let mut worst = 0f32;
        for i in -2000..=2000 {
            let xs: [f32; 16] = std::array::from_fn(|l| (i * 16 + l as i32) as f32 * 0.0027);
            let mut got = [0f32; 16];
            // SAFETY: AVX-512F checked above; 16 floats in and out.
            unsafe { _mm512_storeu_ps(got.as_mut_ptr(), super::kernel::exp(_mm512_loadu_ps(xs.as_ptr()))) };
            for (x, g) in xs.iter().zip(got) {
                let want = x.exp();
                worst = worst.max((g - want).abs() / want);
            }
        }
        assert!(worst <= 2.0 * f32::EPSILON, "relative error {worst}");
        let mut edge = [0f32; 16];
        let xs: [f32; 16] = std::array::from_fn(|l| if l % 2 == 0 { -200.0 } else { 200.0 });
        // SAFETY: as above.
        unsafe { _mm512_storeu_ps(edge.as_mut_ptr(), super::kernel::exp(_mm512_loadu_ps(xs.as_ptr()))) };
        assert!(edge.iter().step_by(2).all(|&v| (0.0..1e-44).contains(&v)), "{edge:?}");
        assert!(edge.iter().skip(1).step_by(2).all(|&v| v == f32::INFINITY), "{edge:?}");
    }
}
