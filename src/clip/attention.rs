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
    assert_eq!(qkv.len(), batch * tokens * 3 * d, "qkv of {batch}×{tokens}×3×{d}");
    assert!(queries <= tokens, "{queries} queries of {tokens} tokens");
    let mut out: Vec<f32> = Vec::with_capacity(batch * queries * d);
    let out_ptr = SharedOut(out.spare_capacity_mut().as_mut_ptr().cast());
    (0..batch * heads).into_par_iter().for_each(|task| {
        let (image, head) = (task / heads, task % heads);
        let rows = &qkv[image * tokens * 3 * d..][..tokens * 3 * d];
        let out = &out_ptr;
        // SAFETY: AVX-512F is there (asserted above); this task writes only its image's rows,
        // its head's columns, inside `out`; no other task writes them.
        unsafe { one_head(rows, shape, head, out.0.add(image * queries * d)) };
    });
    // SAFETY: the tasks cover every (image, head), and each wrote all its queries × head_dim.
    unsafe { out.set_len(batch * queries * d) };
    out
}

struct SharedOut(*mut f32);
// SAFETY: tasks write disjoint elements (see `attend`).
unsafe impl Sync for SharedOut {}

/// One image's one head: `rows` are its `tokens` rows of qkv; `out` its first output row.
///
/// # Safety
/// The CPU has AVX-512F; `out` is valid for `queries` rows of `heads · head_dim`.
#[target_feature(enable = "avx512f")]
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
