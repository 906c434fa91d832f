//! From 68 landmarks to the face chip the descriptor net takes.
//!
//! face-api's "dlib alignment" (`FaceLandmarks.alignDlib`) is a square box around the eye and
//! mouth centres, without rotation. We keep its box (centre at 50 % across and 43 % down, side =
//! mean eye-to-mouth distance / 0.45) but turn it with the eye line, so a tilted head gives the
//! same upright chip as a level one, which is what dlib's own chip extraction does.

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

/// The 150 × 150 chip of the face, turned so the eyes are level, cut from `image` (BGR); parts
/// outside the image are black, as face-api's zero padding is.
pub fn aligned_chip(image: &Mat, landmarks: &Landmarks) -> Result<Mat, ModelError> {
    let side = landmarks.chip_side().max(1.0);
    let [cx, cy] = landmarks.centre_of_references();
    let angle = landmarks.roll_degrees().to_radians();
    let (sin, cos) = angle.sin_cos();
    let k = side / INPUT as f32;
    // Chip pixel (u, v) samples image point centre + R(angle) · ((u / 150 − 0.5), (v / 150 − 0.43)) · side.
    let (ox, oy) = (-REL_X * side, -REL_Y * side);
    let m = Mat::from_slice_2d(&[
        [(cos * k) as f64, (-sin * k) as f64, (cx + cos * ox - sin * oy) as f64],
        [(sin * k) as f64, (cos * k) as f64, (cy + sin * ox + cos * oy) as f64],
    ])?;
    let mut chip = Mat::default();
    let size = Size::new(INPUT as i32, INPUT as i32);
    let flags = imgproc::INTER_LINEAR | imgproc::WARP_INVERSE_MAP;
    imgproc::warp_affine(image, &mut chip, &m, size, flags, opencv::core::BORDER_CONSTANT, Scalar::all(0.0))?;
    Ok(chip)
}
