//! How a face moves while tracked, from its 68 landmarks: what tells a live person from a face
//! printed on a product.
//!
//! A print (a photo keychain, a lamp, a framed picture) is flat: however the product turns, its
//! landmarks in one frame are a *homography* (a plane seen from another angle) of its landmarks in
//! another, up to the landmark net's noise. A live face is not flat and not still: turning the
//! head moves the nose against the cheeks, talking opens the mouth, blinking closes the eyes. So
//! per detection we fit the homography that best maps its landmarks onto the track's reference
//! detection and keep what it cannot explain ([`nonrigid_residual`], in inter-ocular distances),
//! plus the openness of the eyes and the mouth; [`Motion`] sums a track up.

use opencv::core::{Mat, Point2f, Vector};
use opencv::prelude::*;
use serde::{Deserialize, Serialize};

use crate::faceapi::align::Landmarks;

/// A track's landmark motion, each a spread over its detections (0 for a single detection).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Motion {
    /// Median of the per-detection residuals after the best homography onto the reference
    /// detection, in inter-ocular distances: near 0 for a flat, unchanging face.
    pub nonrigid: f32,
    /// Range (90th − 10th percentile) of the eye openness (eye aspect ratio): blinks.
    pub eyes: f32,
    /// Range (90th − 10th percentile) of the inner-lip gap over the face height: talking.
    pub mouth: f32,
}

impl Motion {
    /// Sums up a track from its detections' landmarks; `reference` is the index of the
    /// detection the others are fitted to (the track's best).
    pub fn of(landmarks: &[&Landmarks], reference: usize) -> (Self, Vec<f32>) {
        let residuals: Vec<f32> = match landmarks.get(reference) {
            Some(r) => landmarks.iter().map(|l| nonrigid_residual(l, r)).collect(),
            None => Vec::new(),
        };
        let eyes: Vec<f32> = landmarks.iter().map(|l| eye_openness(l)).collect();
        let mouth: Vec<f32> = landmarks.iter().map(|l| mouth_opening(l)).collect();
        let others: Vec<f32> = residuals.iter().enumerate().filter(|(i, _)| *i != reference).map(|(_, r)| *r).collect();
        let motion = Self { nonrigid: percentile(&others, 0.5), eyes: spread(&eyes), mouth: spread(&mouth) };
        (motion, residuals)
    }
}

/// The inner-lip gap (points 62–66) over the face height (nose bridge 27 to chin 8).
pub fn mouth_opening(landmarks: &Landmarks) -> f32 {
    let p = &landmarks.0;
    dist(p[62], p[66]) / dist(p[27], p[8]).max(1.0)
}

/// The eye aspect ratio (Soukupová and Čech, 2016) averaged over both eyes: about 0.3 open, under
/// 0.15 closed.
pub fn eye_openness(landmarks: &Landmarks) -> f32 {
    let p = &landmarks.0;
    let ear = |e: usize| (dist(p[e + 1], p[e + 5]) + dist(p[e + 2], p[e + 4])) / (2.0 * dist(p[e], p[e + 3]).max(1e-3));
    (ear(36) + ear(42)) / 2.0
}

/// Root-mean-square distance, in inter-ocular distances of `reference`, between `reference`'s
/// landmarks and `landmarks` mapped onto them by the least-squares homography: what no change of
/// viewpoint on a flat face explains.
pub fn nonrigid_residual(landmarks: &Landmarks, reference: &Landmarks) -> f32 {
    fit_residual(landmarks, reference).unwrap_or(f32::NAN)
}

fn fit_residual(landmarks: &Landmarks, reference: &Landmarks) -> Option<f32> {
    let points = |l: &Landmarks| -> Vector<Point2f> { l.0.iter().map(|p| Point2f::new(p[0], p[1])).collect() };
    let (from, to) = (points(landmarks), points(reference));
    let homography = opencv::calib3d::find_homography(&from, &to, &mut Mat::default(), 0, 3.0).ok()?;
    if homography.empty() {
        return None;
    }
    let mut mapped = Vector::<Point2f>::new();
    opencv::core::perspective_transform(&from, &mut mapped, &homography).ok()?;
    let sum: f32 = mapped.iter().zip(to.iter()).map(|(a, b)| (a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sum();
    let rms = (sum / to.len() as f32).sqrt();
    Some(rms / inter_ocular(reference).max(1.0))
}

/// Distance between the centres of the eyes (points 36–41 and 42–47).
pub fn inter_ocular(landmarks: &Landmarks) -> f32 {
    let centre = |r: std::ops::Range<usize>| {
        let n = r.len() as f32;
        let (x, y) = landmarks.0[r].iter().fold((0.0, 0.0), |(x, y), p| (x + p[0], y + p[1]));
        [x / n, y / n]
    };
    dist(centre(36..42), centre(42..48))
}

fn dist(a: [f32; 2], b: [f32; 2]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// The `q`-quantile of `values` (NaNs left out; 0 when none).
pub fn percentile(values: &[f32], q: f32) -> f32 {
    let mut v: Vec<f32> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f32::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f32;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f32)
}

/// 90th minus 10th percentile.
fn spread(values: &[f32]) -> f32 {
    if values.len() < 2 { 0.0 } else { percentile(values, 0.9) - percentile(values, 0.1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A made-up 68-point face: points on a rough oval with eyes, nose and mouth where dlib puts
    /// them, `mouth_open` pixels of inner-lip gap.
    fn face(mouth_open: f32) -> Landmarks {
        let mut p = vec![[0.0f32; 2]; 68];
        for (i, q) in p.iter_mut().enumerate().take(17) {
            let a = std::f32::consts::PI * (i as f32 / 16.0);
            *q = [50.0 - 40.0 * a.cos(), 40.0 + 50.0 * a.sin()];
        }
        for i in 17..27 {
            p[i] = [14.0 + (i - 17) as f32 * 8.0, 25.0];
        }
        for i in 27..36 {
            p[i] = [50.0 + ((i % 3) as f32 - 1.0) * 3.0, 35.0 + (i - 27) as f32 * 3.0];
        }
        let eye = |cx: f32| {
            [[cx - 8.0, 35.0], [cx - 4.0, 32.0], [cx + 4.0, 32.0], [cx + 8.0, 35.0], [cx + 4.0, 38.0], [cx - 4.0, 38.0]]
        };
        p[36..42].copy_from_slice(&eye(32.0));
        p[42..48].copy_from_slice(&eye(68.0));
        for i in 48..60 {
            let a = 2.0 * std::f32::consts::PI * ((i - 48) as f32 / 12.0);
            p[i] = [50.0 + 15.0 * a.cos(), 70.0 + 6.0 * a.sin()];
        }
        for i in 60..68 {
            let a = 2.0 * std::f32::consts::PI * ((i - 60) as f32 / 8.0);
            p[i] = [50.0 + 10.0 * a.cos(), 70.0 + (1.0 + mouth_open / 2.0) * a.sin()];
        }
        Landmarks(p)
    }

    fn warped(l: &Landmarks, h: [[f32; 3]; 3]) -> Landmarks {
        Landmarks(
            l.0.iter()
                .map(|p| {
                    let w = h[2][0] * p[0] + h[2][1] * p[1] + h[2][2];
                    [(h[0][0] * p[0] + h[0][1] * p[1] + h[0][2]) / w, (h[1][0] * p[0] + h[1][1] * p[1] + h[1][2]) / w]
                })
                .collect(),
        )
    }

    #[test]
    fn a_flat_face_seen_from_another_angle_has_no_residual() {
        let reference = face(0.0);
        let tilted = warped(&reference, [[0.9, 0.1, 20.0], [-0.05, 1.1, 5.0], [0.001, 0.0005, 1.0]]);
        assert!(nonrigid_residual(&tilted, &reference) < 1e-3);
    }

    #[test]
    fn a_talking_face_has_a_residual_and_mouth_motion() {
        let frames = [face(0.0), face(6.0), face(1.0), face(9.0)];
        let refs: Vec<&Landmarks> = frames.iter().collect();
        let (motion, residuals) = Motion::of(&refs, 0);
        assert_eq!(residuals.len(), 4);
        assert!(residuals[0] < 1e-3, "the reference fits itself");
        assert!(motion.nonrigid > 0.01, "{motion:?}");
        assert!(motion.mouth > 0.05, "{motion:?}");
        assert!(motion.eyes < 1e-3, "the eyes did not move: {motion:?}");
    }

    #[test]
    fn eye_openness_is_the_eye_aspect_ratio() {
        // Each eye is 16 wide and 6 tall: (6 + 6) / (2 × 16).
        assert!((eye_openness(&face(0.0)) - 0.375).abs() < 1e-5);
    }
}
