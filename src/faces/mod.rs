//! Faces: find faces in sampled frames, score each crop, keep the best one per video.
//!
//! The detector is OpenCV's Haar cascade (the prototype's), run on a downscaled grey frame for
//! speed; boxes are mapped back to the frame. Each detection becomes a [`FaceCrop`] with a margin
//! around the face and a quality score ([`quality`]); [`BestFace`] keeps the best crop of a video.

mod best;
mod haar;
pub mod quality;

pub use best::{BestFace, FaceSummary};
pub use haar::HaarDetector;

use std::path::PathBuf;

use opencv::core::{Mat, Rect, Vector};
use opencv::prelude::*;
use serde::{Deserialize, Serialize};

/// Where Debian's `opencv-data` puts the cascade.
pub const DEFAULT_CASCADE: &str = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaceSettings {
    pub cascade_path: PathBuf,
    /// Frames are downscaled to this long side before detection (Haar's cost grows with area).
    pub detect_max_side: i32,
    /// Smallest face, as a fraction of the frame's short side: smaller ones are background.
    pub min_face_fraction: f64,
    /// Haar's `minNeighbors`: higher means fewer, surer detections.
    pub min_neighbors: i32,
    /// Haar's `scaleFactor`.
    pub scale_factor: f64,
    /// Margin added around the face box on each side, as a fraction of its side.
    pub crop_margin: f64,
    /// Long side of the saved crop, in pixels.
    pub crop_max_side: i32,
}

impl Default for FaceSettings {
    fn default() -> Self {
        Self {
            cascade_path: PathBuf::from(DEFAULT_CASCADE),
            detect_max_side: 480,
            min_face_fraction: 0.1,
            min_neighbors: 5,
            scale_factor: 1.1,
            crop_margin: 0.3,
            crop_max_side: 256,
        }
    }
}

/// One face box in frame coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    pub rect: Rect,
    /// How many neighbouring candidate boxes merged into this one: Haar's confidence.
    pub neighbours: i32,
}

/// A face cut out of a frame, with what its quality was judged on.
#[derive(Debug, Clone)]
pub struct FaceCrop {
    pub frame_index: u64,
    pub time_s: f64,
    pub detection: Detection,
    pub quality: quality::Quality,
    /// The face with its margin, BGR, long side at most `crop_max_side`.
    pub image: Mat,
}

#[derive(Debug, thiserror::Error)]
pub enum FaceError {
    #[error("face detector model missing or unreadable: {0} (install opencv-data)")]
    Model(String),
    #[error("face detection failed: {0}")]
    OpenCv(#[from] opencv::Error),
}

/// JPEG bytes of an image (quality 90).
pub fn encode_jpeg(image: &Mat) -> Result<Vec<u8>, FaceError> {
    let mut buf = Vector::<u8>::new();
    let params = Vector::<i32>::from_slice(&[opencv::imgcodecs::IMWRITE_JPEG_QUALITY, 90]);
    opencv::imgcodecs::imencode(".jpg", image, &mut buf, &params)?;
    Ok(buf.to_vec())
}

#[cfg(test)]
mod tests;
