//! From 68 landmarks to the face chip the descriptor net takes.
//!
//! face-api crops an axis-aligned box around the eye and mouth centres ("dlib alignment",
//! [`Landmarks::dlib_box`], kept to check parity with it). dlib itself, whose network this is,
//! cuts a rotated, scaled chip that best fits the 68 points to its mean face; [`aligned_chip`]
//! does that, so a tilted or mirrored head gives the chip the net was trained on.

use opencv::core::{Mat, Scalar, Size};
use opencv::imgproc;

use super::ModelError;
use super::recognition::INPUT;

const REL_X: f32 = 0.5;
const REL_Y: f32 = 0.43;
const REL_SCALE: f32 = 0.45;

/// 68 points in image pixels, in dlib's order (jaw 0–16, brows 17–26, nose 27–35, eyes 36–47,
/// mouth 48–67).
#[derive(Debug, Clone, PartialEq)]
pub struct Landmarks(pub Vec<[f32; 2]>);

impl Landmarks {
    fn centre(&self, range: std::ops::Range<usize>) -> [f32; 2] {
        let n = range.len() as f32;
        let (sx, sy) = self.0[range].iter().fold((0.0, 0.0), |(x, y), p| (x + p[0], y + p[1]));
        [sx / n, sy / n]
    }

    /// Centres of the left eye, right eye and mouth (face-api's reference points).
    pub fn reference_points(&self) -> [[f32; 2]; 3] {
        [self.centre(36..42), self.centre(42..48), self.centre(48..68)]
    }

    /// Side of the aligned square, in pixels (face-api: ⌊mean eye-to-mouth distance / 0.45⌋).
    pub fn chip_side(&self) -> f32 {
        let [left, right, mouth] = self.reference_points();
        let dist = |p: [f32; 2]| ((mouth[0] - p[0]).powi(2) + (mouth[1] - p[1]).powi(2)).sqrt();
        ((dist(left) + dist(right)) / 2.0 / REL_SCALE).floor()
    }

    /// face-api's aligned box `(x, y, side, side)` (no rotation), for comparison with it.
    pub fn dlib_box(&self) -> [f32; 4] {
        let side = self.chip_side();
        let [cx, cy] = self.centre_of_references();
        [(cx - REL_X * side).max(0.0).floor(), (cy - REL_Y * side).max(0.0).floor(), side, side]
    }

    fn centre_of_references(&self) -> [f32; 2] {
        let refs = self.reference_points();
        [refs.iter().map(|p| p[0]).sum::<f32>() / 3.0, refs.iter().map(|p| p[1]).sum::<f32>() / 3.0]
    }

    /// Head roll: the eye line's angle from horizontal, in degrees.
    pub fn roll_degrees(&self) -> f32 {
        let [left, right, _] = self.reference_points();
        (right[1] - left[1]).atan2(right[0] - left[0]).to_degrees()
    }

    /// How frontal the face is, 0..1: the shorter over the longer of the nose tip's distances to
    /// the two jaw ends (1 = looking at the camera, near 0 = profile).
    pub fn frontalness(&self) -> f32 {
        let nose = self.0[30];
        let dist = |p: [f32; 2]| ((p[0] - nose[0]).powi(2) + (p[1] - nose[1]).powi(2)).sqrt();
        let (l, r) = (dist(self.0[0]), dist(self.0[16]));
        if l.max(r) <= f32::EPSILON { 0.0 } else { l.min(r) / l.max(r) }
    }

    /// These points moved by `(dx, dy)` (crop → image coordinates).
    pub fn shifted(&self, dx: f32, dy: f32) -> Self {
        Self(self.0.iter().map(|p| [p[0] + dx, p[1] + dy]).collect())
    }
}

/// dlib's mean face (points 17–67 of the 68, in a unit square): what `get_face_chip_details`
/// aligns a face to before its recognition net, which was trained on chips cut this way.
const MEAN_FACE_X: [f32; 51] = [
    0.000213256,
    0.0752622,
    0.18113,
    0.29077,
    0.393397,
    0.586856,
    0.689483,
    0.799124,
    0.904991,
    0.98004,
    0.490127,
    0.490127,
    0.490127,
    0.490127,
    0.36688,
    0.426036,
    0.490127,
    0.554217,
    0.613373,
    0.121737,
    0.187122,
    0.265825,
    0.334606,
    0.260918,
    0.182743,
    0.645647,
    0.714428,
    0.793132,
    0.858516,
    0.79751,
    0.719335,
    0.254149,
    0.340985,
    0.428858,
    0.490127,
    0.551395,
    0.639268,
    0.726104,
    0.642159,
    0.556721,
    0.490127,
    0.423532,
    0.338094,
    0.290379,
    0.428096,
    0.490127,
    0.552157,
    0.689874,
    0.553364,
    0.490127,
    0.42689,
];
const MEAN_FACE_Y: [f32; 51] = [
    0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915, 0.106454, 0.203352,
    0.307009, 0.409805, 0.515625, 0.587326, 0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758, 0.179852,
    0.231733, 0.245099, 0.244077, 0.231733, 0.179852, 0.178758, 0.216423, 0.244077, 0.245099, 0.780233, 0.745405,
    0.727388, 0.742578, 0.727388, 0.745405, 0.780233, 0.864805, 0.902192, 0.909281, 0.902192, 0.864805, 0.784792,
    0.778746, 0.785343, 0.778746, 0.784792, 0.824182, 0.831803, 0.824182,
];
/// dlib's face recognition example cuts chips with 25 % padding around the mean face.
const CHIP_PADDING: f32 = 0.25;

/// The 150 × 150 chip dlib's recognition net expects: the similarity transform (rotation, scale,
/// shift; least squares) that best maps dlib's mean face onto these landmarks, as dlib's
/// `get_face_chip_details(shape, 150, 0.25)` does (brows and lower lip left out, being the least
/// stable points). Parts outside the image are black.
pub fn aligned_chip(image: &Mat, landmarks: &Landmarks) -> Result<Mat, ModelError> {
    let size = INPUT as f32;
    let pairs: Vec<([f32; 2], [f32; 2])> = (17..68)
        .filter(|i| !(17..=26).contains(i) && !(55..=59).contains(i) && !(65..=67).contains(i))
        .map(|i| {
            let chip = [
                (CHIP_PADDING + MEAN_FACE_X[i - 17]) / (2.0 * CHIP_PADDING + 1.0) * size,
                (CHIP_PADDING + MEAN_FACE_Y[i - 17]) / (2.0 * CHIP_PADDING + 1.0) * size,
            ];
            (chip, landmarks.0[i])
        })
        .collect();
    let [a, b, tx, ty] = similarity(&pairs);
    // Chip pixel (u, v) samples the image at (a·u − b·v + tx, b·u + a·v + ty).
    let m = Mat::from_slice_2d(&[[a as f64, -b as f64, tx as f64], [b as f64, a as f64, ty as f64]])?;
    let mut chip = Mat::default();
    let flags = imgproc::INTER_LINEAR | imgproc::WARP_INVERSE_MAP;
    let dims = Size::new(INPUT as i32, INPUT as i32);
    imgproc::warp_affine(image, &mut chip, &m, dims, flags, opencv::core::BORDER_CONSTANT, Scalar::all(0.0))?;
    Ok(chip)
}

/// Least-squares similarity `to ≈ [[a, −b], [b, a]] · from + t` (no reflection), as
/// `[a, b, tx, ty]`: in complex numbers, z = Σ conj(from′)·to′ / Σ |from′|² over centred points.
fn similarity(pairs: &[([f32; 2], [f32; 2])]) -> [f32; 4] {
    let n = pairs.len() as f64;
    let mean = |f: &dyn Fn(&([f32; 2], [f32; 2])) -> f32| pairs.iter().map(|p| f(p) as f64).sum::<f64>() / n;
    let (fx, fy, tx, ty) = (mean(&|p| p.0[0]), mean(&|p| p.0[1]), mean(&|p| p.1[0]), mean(&|p| p.1[1]));
    let (mut re, mut im, mut norm) = (0.0, 0.0, 0.0);
    for (from, to) in pairs {
        let (ax, ay) = (from[0] as f64 - fx, from[1] as f64 - fy);
        let (bx, by) = (to[0] as f64 - tx, to[1] as f64 - ty);
        re += ax * bx + ay * by;
        im += ax * by - ay * bx;
        norm += ax * ax + ay * ay;
    }
    let (a, b) = if norm > 0.0 { (re / norm, im / norm) } else { (1.0, 0.0) };
    [a as f32, b as f32, (tx - (a * fx - b * fy)) as f32, (ty - (b * fx + a * fy)) as f32]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_recovers_a_known_rotation_scale_and_shift() {
        let (a, b, tx, ty) = (0.8f32, 0.6f32, 12.0f32, -3.0f32);
        let pairs: Vec<([f32; 2], [f32; 2])> = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [7.0, 3.0]]
            .iter()
            .map(|p| (*p, [a * p[0] - b * p[1] + tx, b * p[0] + a * p[1] + ty]))
            .collect();
        let fit = similarity(&pairs);
        for (got, want) in fit.iter().zip([a, b, tx, ty]) {
            assert!((got - want).abs() < 1e-4, "{fit:?}");
        }
    }
}
