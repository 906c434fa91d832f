//! Two principal axes of a set of vectors, by power iteration on the covariance matrix with
//! deflation. 128-d face descriptors and a few thousand tracks: a 128 × 128 matrix, so this is
//! instant, and it needs no LAPACK (linfa-reduction's PCA would bring a BLAS backend along).

use ndarray::{Array1, Array2, Axis};

/// Projects each row onto the two directions of largest variance; rows of unequal length or an
/// empty input give an empty result. The sign of each axis is fixed (largest coordinate
/// positive) so the picture does not flip between runs.
pub fn pca_2d(rows: &[Vec<f32>]) -> Vec<(f64, f64)> {
    let Some(dim) = rows.first().map(Vec::len) else { return Vec::new() };
    if dim == 0 || rows.iter().any(|r| r.len() != dim) {
        return Vec::new();
    }
    let data = Array2::from_shape_fn((rows.len(), dim), |(i, j)| rows[i][j] as f64);
    let mean = data.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(dim));
    let centred = &data - &mean;
    let mut covariance = centred.t().dot(&centred) / (rows.len().max(2) - 1) as f64;
    let first = principal_axis(&covariance);
    let lambda = first.dot(&covariance.dot(&first));
    // Deflate: remove the first axis' variance, so the iteration finds the second.
    let outer = first.view().insert_axis(Axis(1)).dot(&first.view().insert_axis(Axis(0)));
    covariance = covariance - outer * lambda;
    let second = principal_axis(&covariance);
    centred.rows().into_iter().map(|r| (r.dot(&first), r.dot(&second))).collect()
}

fn principal_axis(matrix: &Array2<f64>) -> Array1<f64> {
    let n = matrix.nrows();
    // A start vector that is not orthogonal to the answer in practice, and deterministic.
    let mut v = Array1::from_shape_fn(n, |i| 1.0 + (i as f64 * 0.618).fract());
    for _ in 0..500 {
        let next = matrix.dot(&v);
        let norm = next.dot(&next).sqrt();
        if norm < 1e-300 {
            return Array1::zeros(n);
        }
        let next = next / norm;
        let change = (&next - &v).mapv(f64::abs).sum();
        v = next;
        if change < 1e-12 {
            break;
        }
    }
    let largest = v.iter().copied().fold(0.0, |a: f64, b| if b.abs() > a.abs() { b } else { a });
    if largest < 0.0 { -v } else { v }
}
