//! Dense layers in bf16 on CPUs with AVX-512 BF16 (`vdpbf16ps`): the weights are rounded to
//! bf16 once at load and laid out in 32-column panels, each input is rounded to bf16 as it is
//! packed, and products are summed in f32 — what PyTorch's bf16 autocast does for a linear
//! layer. gemm (candle's matrix product) has no bf16 kernel, hence this one.
//!
//! `vdpbf16ps` multiplies pairs: lane j of `acc += a · b` adds `a[2j]·b[2j] + a[2j+1]·b[2j+1]`.
//! With one input row's pair (x[k], x[k+1]) broadcast to every lane and a weight panel holding
//! (W[k][j], W[k+1][j]) in lane j, one instruction advances 16 output columns by two steps of
//! k. The micro-kernel keeps 12 rows × 32 columns of output in 24 registers.

use rayon::prelude::*;

/// Output columns per weight panel (two 16-lane registers).
const PANEL: usize = 32;
/// Input rows per micro-kernel call.
const ROWS: usize = 12;

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

    /// `x · W (+ bias)` for `x` row-major `(rows, inputs)`; the result is `(rows, outputs)`, f32.
    /// Call only where [`available`] says so.
    pub fn matmul(&self, x: &[f32], rows: usize, bias: Option<&[f32]>) -> Vec<f32> {
        assert!(available(), "bf16 matmul on a CPU without AVX-512 BF16");
        assert_eq!(x.len(), rows * self.inputs, "input of {rows}×{}", self.inputs);
        if let Some(bias) = bias {
            assert_eq!(bias.len(), self.outputs, "bias of {}", self.outputs);
        }
        let packed = pack_rows(x, rows, self.inputs, self.pairs);
        let mut out = vec![0f32; rows * self.outputs];
        let out_ptr = SharedOut(out.as_mut_ptr());
        let panels = self.outputs.div_ceil(PANEL);
        (0..panels).into_par_iter().for_each(|panel| {
            let weights = &self.data[panel * self.pairs * PANEL..][..self.pairs * PANEL];
            let first = panel * PANEL;
            let columns = PANEL.min(self.outputs - first);
            let out = &out_ptr;
            for block in 0..rows.div_ceil(ROWS) {
                let inputs = &packed[block * self.pairs * ROWS..][..self.pairs * ROWS];
                let valid = ROWS.min(rows - block * ROWS);
                // SAFETY: `available()` was checked; each panel writes only its own columns
                // [first, first + columns) of rows that exist, so no two threads touch the
                // same element and every write is inside `out`.
                unsafe {
                    kernel::tile(
                        inputs,
                        weights,
                        self.pairs,
                        bias.map(|b| &b[first..first + columns]),
                        out.0.add(block * ROWS * self.outputs + first),
                        self.outputs,
                        valid,
                        columns,
                    );
                }
            }
        });
        out
    }
}

/// The output pointer, shared by the panels (each writes its own columns).
struct SharedOut(*mut f32);
// SAFETY: the panels write disjoint elements (see `matmul`).
unsafe impl Sync for SharedOut {}

/// `x` `(rows, inputs)` f32 → bf16 pairs in blocks of [`ROWS`] rows: block b, step p holds the
/// pairs (x[r][2p], x[r][2p+1]) of its rows one after another, zero past the last row/input.
fn pack_rows(x: &[f32], rows: usize, inputs: usize, pairs: usize) -> Vec<u32> {
    let mut packed = vec![0u32; rows.div_ceil(ROWS) * pairs * ROWS];
    packed.par_chunks_mut(pairs * ROWS).enumerate().for_each(|(block, out)| {
        let mut row_pairs = vec![0u32; pairs];
        for r in 0..ROWS.min(rows - block * ROWS) {
            let row = &x[(block * ROWS + r) * inputs..][..inputs];
            // SAFETY: only called where `available()` holds (from `matmul`).
            unsafe { kernel::to_pairs(row, &mut row_pairs) };
            for (p, pair) in row_pairs.iter().enumerate() {
                out[p * ROWS + r] = *pair;
            }
        }
    });
    packed
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

    use super::{PANEL, ROWS};

    /// One tile: `valid` rows × `columns` of `out` (row stride `stride`) = inputs · weights
    /// (+ bias), over `pairs` steps.
    ///
    /// # Safety
    /// The CPU has AVX-512F and AVX-512 BF16; `out` is valid for `valid` rows of `columns`
    /// elements at `stride`; `inputs` holds `pairs · ROWS` and `weights` `pairs · PANEL` values.
    #[target_feature(enable = "avx512f,avx512bf16")]
    #[allow(clippy::too_many_arguments)]
    pub(super) unsafe fn tile(
        inputs: &[u32],
        weights: &[u32],
        pairs: usize,
        bias: Option<&[f32]>,
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
                let row = a.add(p * ROWS);
                for (r, acc) in acc.iter_mut().enumerate() {
                    let x: __m512bh = std::mem::transmute(_mm512_set1_epi32(*row.add(r) as i32));
                    acc[0] = _mm512_dpbf16_ps(acc[0], x, w0);
                    acc[1] = _mm512_dpbf16_ps(acc[1], x, w1);
                }
            }
        }
        for (r, acc) in acc.iter().enumerate().take(valid) {
            // SAFETY: row r < valid and the masks cover only `columns` elements.
            unsafe {
                let row = out.add(r * stride);
                _mm512_mask_storeu_ps(row, low, acc[0]);
                _mm512_mask_storeu_ps(row.add(16), high, acc[1]);
            }
        }
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
        _: *mut f32,
        _: usize,
        _: usize,
        _: usize,
    ) {
        unreachable!("bf16 kernels exist only on x86_64; `available()` says false elsewhere")
    }

    pub(super) unsafe fn to_pairs(_: &[f32], _: &mut [u32]) {
        unreachable!("bf16 kernels exist only on x86_64; `available()` says false elsewhere")
    }
}
