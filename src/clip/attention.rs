//! Multi-head self-attention in one pass over the query/key/value product, for the bf16 tower
//! (which runs only on AVX-512 CPUs). The f32 tower does the same maths as tensor operations;
//! there, splitting the heads out, transposing them back and the many small matrix products
//! (each a parallel call with its own barrier) cost more than the attention itself, and half
//! of that ran on one core. Here each (image, head) is one task: keys transposed into a small
//! buffer, scores, softmax with the vector `exp`, and the weighted values written straight
//! into the layout the output projection reads. Sums stay in f32.

use rayon::prelude::*;

/// The shape of one attention call.
#[derive(Debug, Clone, Copy)]
pub struct Heads {
    pub batch: usize,
    pub tokens: usize,
    pub heads: usize,
    pub head_dim: usize,
    /// The first `queries` tokens of each image attend (all of them, or the class token only).
    pub queries: usize,
}

/// `qkv`: `(batch · tokens, 3 · d)` rows of query (already scaled by 1/√head_dim), key and
/// value, heads side by side within each. Returns `(batch · queries, d)`: for each query, the
/// softmax-weighted sum of the values, heads side by side. Call only where
/// [`super::bf16::available`] says so.
pub fn attend(qkv: &[f32], shape: Heads) -> Vec<f32> {
    assert!(super::bf16::available(), "fused attention on a CPU without AVX-512");
    let Heads { batch, tokens, heads, head_dim, queries } = shape;
    let d = heads * head_dim;
    assert!(tokens > 0, "attention over no tokens");
    assert_eq!(qkv.len(), batch * tokens * 3 * d, "qkv of {batch}×{tokens}×3×{d}");
    assert!(queries <= tokens, "{queries} queries of {tokens} tokens");
    let mut out: Vec<f32> = Vec::with_capacity(batch * queries * d);
    let out_ptr = SharedOut(out.spare_capacity_mut().as_mut_ptr().cast());
    (0..batch * heads).into_par_iter().for_each(|task| {
        let (image, head) = (task / heads, task % heads);
        let rows = &qkv[image * tokens * 3 * d..][..tokens * 3 * d];
        let out = &out_ptr;
        let first = out.0.wrapping_add(image * queries * d);
        // SAFETY: AVX-512F is there (asserted above); this task writes only its image's rows,
        // its head's columns, inside `out`; no other task writes them.
        #[cfg(target_arch = "x86_64")]
        unsafe {
            match (tokens.div_ceil(16), head_dim) {
                // ViT-B/32 (50 tokens) and ViT-B/16, L/14 (197, 257 tokens), 64 per head.
                (4, 64) => one_head_in_registers::<4, 4>(rows, shape, head, first),
                (13, 64) => one_head_in_registers::<13, 4>(rows, shape, head, first),
                (17, 64) => one_head_in_registers::<17, 4>(rows, shape, head, first),
                _ => one_head(rows, shape, head, first),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        unsafe {
            one_head(rows, shape, head, first)
        }
    });
    // SAFETY: the tasks cover every (image, head), and each wrote all its queries × head_dim.
    unsafe { out.set_len(batch * queries * d) };
    out
}

struct SharedOut(*mut f32);
// SAFETY: tasks write disjoint elements (see `attend`).
unsafe impl Sync for SharedOut {}

/// [`one_head`] with the scores of a query in `TOKEN_CHUNKS` registers of 16 and its output in
/// `DIM_CHUNKS` (`head_dim` = 16 · `DIM_CHUNKS`), each sum split in two interleaved halves so
/// the additions do not wait on each other. (The plain loops, run on CLIP's shapes, kept every
/// running sum in memory; this took the attention from 13 % to 9 % of the bf16 tower's profile.)
///
/// # Safety
/// As [`one_head`], and `tokens` ≤ 16 · `TOKEN_CHUNKS`, `head_dim` = 16 · `DIM_CHUNKS`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn one_head_in_registers<const TOKEN_CHUNKS: usize, const DIM_CHUNKS: usize>(
    rows: &[f32],
    shape: Heads,
    head: usize,
    out: *mut f32,
) {
    use std::arch::x86_64::*;
    let Heads { tokens, heads, head_dim, queries, .. } = shape;
    debug_assert!(tokens <= 16 * TOKEN_CHUNKS && head_dim == 16 * DIM_CHUNKS);
    let d = heads * head_dim;
    let padded = 16 * TOKEN_CHUNKS;
    let part = |row: usize, which: usize| &rows[row * 3 * d + which * d + head * head_dim..][..head_dim];
    // Keys transposed, (head_dim, padded tokens), zero past the last token.
    let mut keys_t = vec![0f32; head_dim * padded];
    for j in 0..tokens {
        for (c, k) in part(j, 1).iter().enumerate() {
            keys_t[c * padded + j] = *k;
        }
    }
    let last = (tokens - 16 * (TOKEN_CHUNKS - 1)).min(16);
    let last_mask: __mmask16 = if last == 16 { 0xFFFF } else { ((1u32 << last) - 1) as __mmask16 };
    let mut weights = vec![0f32; padded];
    for i in 0..queries {
        let q = part(i, 0);
        // Two running sums per chunk, even and odd dimensions (named, not indexed: an index
        // that changes with the loop sends the arrays to memory).
        let (mut even, mut odd) = ([_mm512_setzero_ps(); TOKEN_CHUNKS], [_mm512_setzero_ps(); TOKEN_CHUNKS]);
        for c in (0..head_dim).step_by(2) {
            let (q0, q1) = (_mm512_set1_ps(q[c]), _mm512_set1_ps(q[c + 1]));
            let (k0, k1) = (&keys_t[c * padded..][..padded], &keys_t[(c + 1) * padded..][..padded]);
            for t in 0..TOKEN_CHUNKS {
                // SAFETY: 16 · t + 16 ≤ padded.
                unsafe {
                    even[t] = _mm512_fmadd_ps(q0, _mm512_loadu_ps(k0.as_ptr().add(16 * t)), even[t]);
                    odd[t] = _mm512_fmadd_ps(q1, _mm512_loadu_ps(k1.as_ptr().add(16 * t)), odd[t]);
                }
            }
        }
        let mut merged = [_mm512_setzero_ps(); TOKEN_CHUNKS];
        for t in 0..TOKEN_CHUNKS {
            merged[t] = _mm512_add_ps(even[t], odd[t]);
        }
        // Padding tokens get −∞, so they neither win the max nor weigh.
        merged[TOKEN_CHUNKS - 1] =
            _mm512_mask_blend_ps(last_mask, _mm512_set1_ps(f32::NEG_INFINITY), merged[TOKEN_CHUNKS - 1]);
        let max =
            _mm512_reduce_max_ps(merged.iter().fold(_mm512_set1_ps(f32::NEG_INFINITY), |a, &b| _mm512_max_ps(a, b)));
        let mut total = _mm512_setzero_ps();
        for (t, m) in merged.iter().enumerate() {
            let mut e = super::bf16::exp_lanes(_mm512_sub_ps(*m, _mm512_set1_ps(max)));
            if t == TOKEN_CHUNKS - 1 {
                e = _mm512_maskz_mov_ps(last_mask, e);
            }
            total = _mm512_add_ps(total, e);
            // SAFETY: 16 · t + 16 ≤ padded.
            unsafe { _mm512_storeu_ps(weights.as_mut_ptr().add(16 * t), e) };
        }
        let scale = _mm512_set1_ps(1.0 / _mm512_reduce_add_ps(total));
        let (mut even, mut odd) = ([_mm512_setzero_ps(); DIM_CHUNKS], [_mm512_setzero_ps(); DIM_CHUNKS]);
        for j in (0..tokens).step_by(2) {
            let (p0, v0) = (_mm512_set1_ps(weights[j]), part(j, 2));
            // An odd last token pairs with a zero weight (and its own values again).
            let (p1, v1) = if j + 1 < tokens {
                (_mm512_set1_ps(weights[j + 1]), part(j + 1, 2))
            } else {
                (_mm512_setzero_ps(), v0)
            };
            for k in 0..DIM_CHUNKS {
                // SAFETY: 16 · k + 16 ≤ head_dim.
                unsafe {
                    even[k] = _mm512_fmadd_ps(p0, _mm512_loadu_ps(v0.as_ptr().add(16 * k)), even[k]);
                    odd[k] = _mm512_fmadd_ps(p1, _mm512_loadu_ps(v1.as_ptr().add(16 * k)), odd[k]);
                }
            }
        }
        for k in 0..DIM_CHUNKS {
            let o = _mm512_mul_ps(_mm512_add_ps(even[k], odd[k]), scale);
            // SAFETY: row i < queries, this head's columns (the caller's contract).
            unsafe { _mm512_storeu_ps(out.add(i * d + head * head_dim + 16 * k), o) };
        }
    }
}

/// One image's one head: `rows` are its `tokens` rows of qkv; `out` its first output row.
///
/// # Safety
/// The CPU has AVX-512F; `out` is valid for `queries` rows of `heads · head_dim`.
#[cfg_attr(target_arch = "x86_64", target_feature(enable = "avx512f"))]
unsafe fn one_head(rows: &[f32], shape: Heads, head: usize, out: *mut f32) {
    let Heads { tokens, heads, head_dim, queries, .. } = shape;
    let d = heads * head_dim;
    let part = |row: usize, which: usize| &rows[row * 3 * d + which * d + head * head_dim..][..head_dim];
    // Keys transposed, (head_dim, tokens): each score row is then head_dim sweeps over tokens.
    let mut keys_t = vec![0f32; head_dim * tokens];
    for j in 0..tokens {
        for (c, k) in part(j, 1).iter().enumerate() {
            keys_t[c * tokens + j] = *k;
        }
    }
    let mut scores = vec![0f32; tokens];
    let mut sum = vec![0f32; head_dim];
    for i in 0..queries {
        scores.fill(0.0);
        for (q, keys) in part(i, 0).iter().zip(keys_t.chunks_exact(tokens)) {
            for (s, k) in scores.iter_mut().zip(keys) {
                *s += q * k;
            }
        }
        let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        for s in scores.iter_mut() {
            *s -= max;
        }
        super::bf16::exp_in_place(&mut scores);
        let total: f32 = scores.iter().sum();
        sum.fill(0.0);
        for (j, p) in scores.iter().enumerate() {
            for (o, v) in sum.iter_mut().zip(part(j, 2)) {
                *o += p * v;
            }
        }
        let scale = 1.0 / total;
        // SAFETY: row i < queries, columns of this head only (the caller's contract).
        let row = unsafe { std::slice::from_raw_parts_mut(out.add(i * d + head * head_dim), head_dim) };
        for (o, s) in row.iter_mut().zip(&sum) {
            *o = s * scale;
        }
    }
}
