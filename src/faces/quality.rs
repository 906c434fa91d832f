//! How good a face crop is, as one number in 0..1 made of three factors, each in 0..1:
//!
//! - **size**: the face's side over 30 % of the frame's short side, capped at 1 (a creator
//!   talking to camera fills about that);
//! - **sharpness**: variance of the Laplacian of the face (grey, resized to 128 × 128 so faces of
//!   any size compare), `v / (v + 200)`: blurred or motion-smeared faces score low;
//! - **confidence**: the detector's own, 0..1 (SSD's score; for Haar, its neighbour count `n`
//!   as `n / (n + 10)`).
//!
//! The score is their product, so a crop must be decent on all three to win.

use opencv::core::{Mat, Scalar, Size};
use opencv::imgproc;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quality {
    pub size: f64,
    pub sharpness: f64,
    pub confidence: f64,
    /// Raw variance of the Laplacian (for display and tuning).
    pub laplacian_variance: f64,
}

impl Quality {
    pub fn score(&self) -> f64 {
        self.size * self.sharpness * self.confidence
    }
}

/// Side of the normalised face used for sharpness.
const SHARPNESS_SIDE: i32 = 128;

pub fn assess(
    face_bgr: &Mat,
    face_side: i32,
    frame_short_side: i32,
    confidence: f64,
) -> Result<Quality, opencv::Error> {
    let laplacian_variance = laplacian_variance(face_bgr)?;
    Ok(Quality {
        size: (face_side as f64 / (0.3 * frame_short_side.max(1) as f64)).min(1.0),
        sharpness: laplacian_variance / (laplacian_variance + 200.0),
        confidence: confidence.clamp(0.0, 1.0),
        laplacian_variance,
    })
}

pub fn laplacian_variance(image_bgr: &Mat) -> Result<f64, opencv::Error> {
    let mut grey = Mat::default();
    imgproc::cvt_color_def(image_bgr, &mut grey, imgproc::COLOR_BGR2GRAY)?;
    let mut normalised = Mat::default();
    imgproc::resize(&grey, &mut normalised, Size::new(SHARPNESS_SIDE, SHARPNESS_SIDE), 0.0, 0.0, imgproc::INTER_AREA)?;
    let mut laplacian = Mat::default();
    imgproc::laplacian(&normalised, &mut laplacian, opencv::core::CV_64F, 1, 1.0, 0.0, opencv::core::BORDER_DEFAULT)?;
    let mut mean = Scalar::default();
    let mut stddev = Scalar::default();
    opencv::core::mean_std_dev(&laplacian, &mut mean, &mut stddev, &opencv::core::no_array())?;
    Ok(stddev[0] * stddev[0])
}
