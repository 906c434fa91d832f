//! Faces: find the people on camera in a video's sampled frames.
//!
//! A [`FaceDetector`] finds faces in a frame: face-api's SSD-MobileNetV1 with 68 landmarks and a
//! 128-d descriptor per face ([`crate::faceapi`], the default), or OpenCV's Haar cascade (the
//! prototype's detector, kept for comparison; no descriptors). A [`Tracker`] links one video's
//! detections across frames into [`FaceTrack`]s, keeps each track's best crop (scored by
//! [`quality`]), and marks tracks too small or too brief to be a creator as incidental (a face
//! printed on a product, a passer-by): kept and shown, but not clustered into creators.

pub mod appearance;
mod detector;
mod haar;
pub mod motion;
pub mod quality;
mod tracks;

pub use detector::{FaceDetector, Looks};
pub use haar::HaarDetector;
pub use tracks::{FaceSummary, FaceTrack, TrackBox, TrackCrop, Tracker};

use std::path::PathBuf;

use opencv::core::{Mat, Rect, Vector};
use opencv::prelude::*;
use serde::{Deserialize, Serialize};

use crate::faceapi::align::Landmarks;

/// Where Debian's `opencv-data` puts the cascade.
pub const DEFAULT_CASCADE: &str = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DetectorKind {
    /// face-api's SSD-MobileNetV1, landmarks and descriptors (needs `models/face-api`).
    #[default]
    Ssd,
    /// OpenCV's Haar cascade: the prototype's detector, no descriptors (each video its own creator).
    Haar,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaceSettings {
    pub detector: DetectorKind,
    /// SSD: the lowest detection score kept (face-api's `minConfidence`).
    pub min_score: f32,
    /// SSD: a frame where the first look found no face is looked at again, shrunk inside a
    /// border, only when the first look's best candidate scored at least this (below
    /// `min_score`; 0: always), or the previous frame's second look found a face. Chosen on the
    /// tuning half of the corpus (README, Speed).
    pub second_look_min_score: f32,
    /// Run the detector on every n-th sampled frame (SSD costs ~0.15 s a frame on two cores;
    /// every frame by default, since a creator on screen for two seconds is two frames at 1 fps).
    pub detect_every: u32,
    /// Haar: the cascade file.
    pub cascade_path: PathBuf,
    /// Haar: frames are downscaled to this long side before detection (its cost grows with area).
    pub detect_max_side: i32,
    /// A face smaller than this fraction of the frame's short side is background: Haar does not
    /// look for it, and a track whose median face is smaller is incidental.
    pub min_face_fraction: f64,
    /// A track seen in fewer detection frames than this is incidental (when the video had at
    /// least this many).
    pub min_track_frames: u32,
    /// Two detections in nearby frames are one track when their descriptors are this close.
    pub track_max_distance: f32,
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
            detector: DetectorKind::Ssd,
            min_score: 0.5,
            second_look_min_score: 0.05,
            detect_every: 1,
            cascade_path: PathBuf::from(DEFAULT_CASCADE),
            detect_max_side: 480,
            min_face_fraction: 0.1,
            min_track_frames: 2,
            track_max_distance: 0.55,
            min_neighbors: 5,
            scale_factor: 1.1,
            crop_margin: 0.3,
            crop_max_side: 256,
        }
    }
}

/// One face in one frame, in frame coordinates.
#[derive(Debug, Clone)]
pub struct Detection {
    pub rect: Rect,
    /// The detector's confidence, 0..1.
    pub confidence: f64,
    /// SSD only: the 68 landmarks in frame pixels.
    pub landmarks: Option<Landmarks>,
    /// SSD only: the 128-d face descriptor.
    pub descriptor: Option<Vec<f32>>,
    /// SSD with Human's nets loaded: how real the face looks to them.
    pub liveness: Option<LivenessScores>,
    /// SSD only: the face aligned as dlib cuts it (150 × 150 BGR, eyes and mouth in fixed
    /// places), so two detections can be compared pixel by pixel.
    pub chip: Option<Mat>,
}

/// What Human's two small nets make of one face crop ([`crate::human`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LivenessScores {
    /// `antispoof`: 0..1, 1 = a real face.
    pub antispoof: f32,
    /// `liveness`: the second of its two softmax outputs.
    pub liveness: f32,
}

#[derive(Debug, thiserror::Error)]
pub enum FaceError {
    #[error("face detector model missing or unreadable: {0} (install opencv-data)")]
    Model(String),
    #[error(transparent)]
    FaceModels(#[from] crate::faceapi::ModelError),
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
