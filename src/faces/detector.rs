//! The detector a run uses, behind one type: face-api's SSD (+ landmarks + descriptor) or Haar.

use std::sync::Arc;

use opencv::core::{Mat, Rect};
use opencv::prelude::*;

use super::{Detection, DetectorKind, FaceError, FaceSettings, HaarDetector};
use crate::faceapi::align::{Landmarks, aligned_chip};
use crate::faceapi::{FaceModels, Framing, nn, rgb_map};
use crate::human::{Antispoof, Liveness, LivenessModels, face_input};

/// Faces smaller than this (pixels) carry too little for landmarks or a descriptor.
const MIN_SSD_SIDE: f32 = 12.0;

pub struct FaceDetector {
    inner: Inner,
    looks: Looks,
    /// The last frame's second look found a face: the next frame gets one whatever its first
    /// look saw (a close-up usually lasts several sampled frames).
    second_look_found: bool,
}

/// How many frames the detector looked at, and at how many it looked twice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Looks {
    pub frames: u64,
    pub second_looks: u64,
}

enum Inner {
    Haar(Box<HaarDetector>),
    Ssd { models: Arc<FaceModels>, liveness: Option<Arc<LivenessModels>>, min_score: f32, second_look_min_score: f32 },
}

/// Human crops faces this much larger than the detector's box for its antispoof and liveness
/// nets.
const LIVENESS_CROP_SCALE: f32 = 1.4;

impl FaceDetector {
    /// `models` is needed for [`DetectorKind::Ssd`] (load them once and share them); with
    /// `liveness`, each SSD detection also gets Human's antispoof and liveness scores.
    pub fn new(
        settings: &FaceSettings,
        models: Option<Arc<FaceModels>>,
        liveness: Option<Arc<LivenessModels>>,
    ) -> Result<Self, FaceError> {
        // Each frame through the nets allocates and frees megabytes of feature maps.
        crate::allocator::keep_freed_memory_for_reuse();
        let inner = match settings.detector {
            DetectorKind::Haar => Inner::Haar(Box::new(HaarDetector::new(settings)?)),
            DetectorKind::Ssd => Inner::Ssd {
                models: models.ok_or_else(|| FaceError::Model("face-api models were not loaded".into()))?,
                liveness,
                min_score: settings.min_score,
                second_look_min_score: settings.second_look_min_score,
            },
        };
        Ok(Self { inner, looks: Looks::default(), second_look_found: false })
    }

    /// The frames that follow are another video's.
    pub fn new_video(&mut self) {
        self.second_look_found = false;
    }

    /// Frames looked at so far, and second looks taken.
    pub fn looks(&self) -> Looks {
        self.looks
    }

    /// Faces in a BGR frame, most confident first.
    pub fn detect(&mut self, frame: &Mat) -> Result<Vec<Detection>, FaceError> {
        self.looks.frames += 1;
        match &mut self.inner {
            Inner::Haar(haar) => haar.detect(frame),
            Inner::Ssd { models, liveness, min_score, second_look_min_score } => {
                let (mut found, best_candidate) = detect_ssd(models, *min_score, *second_look_min_score, frame)?;
                let look_again = best_candidate >= *second_look_min_score || self.second_look_found;
                self.second_look_found = false;
                if found.is_empty() && look_again {
                    self.looks.second_looks += 1;
                    found = detect_close_up(models, *min_score, frame)?;
                    self.second_look_found = !found.is_empty();
                }
                if let Some(nets) = liveness {
                    score_liveness(nets, frame, &mut found)?;
                }
                Ok(found)
            }
        }
    }
}

/// A face filling the whole frame (a selfie close-up, cut off at the sides) is too big for the
/// SSD's anchors: on a frame with no face, look again with the frame shrunk inside a black
/// border of half its width, and map what is found back. (On the corpus this second look finds
/// mostly medium faces the first missed, at 0.1–0.3 of the short side; README, Speed.)
fn detect_close_up(models: &FaceModels, min_score: f32, frame: &Mat) -> Result<Vec<Detection>, FaceError> {
    let pad = frame.cols() / 2;
    let mut padded = Mat::default();
    let black = opencv::core::Scalar::all(0.0);
    opencv::core::copy_make_border(frame, &mut padded, pad, pad, pad, pad, opencv::core::BORDER_CONSTANT, black)?;
    let (mut found, _) = detect_ssd(models, min_score, min_score, &padded)?;
    for d in &mut found {
        d.rect.x -= pad;
        d.rect.y -= pad;
        d.landmarks = d.landmarks.take().map(|l| l.shifted(-pad as f32, -pad as f32));
    }
    Ok(found)
}

/// face-api's chain: detect → landmarks on the detection's crop → aligned chip → descriptor;
/// with the best score of any candidate down to `look_down_to` (kept or not: the same pass, read
/// further down, for deciding on a second look).
fn detect_ssd(
    models: &FaceModels,
    min_score: f32,
    look_down_to: f32,
    frame: &Mat,
) -> Result<(Vec<Detection>, f32), FaceError> {
    let rgb = rgb_map(frame)?;
    let mut found = Vec::new();
    // Candidates come best first and suppression only lets a better box remove a worse one, so
    // reading further down leaves the kept boxes as they were.
    let candidates = models.detector.detect(&rgb, Framing::RUN, min_score.min(look_down_to), 20)?;
    let best_candidate = candidates.iter().map(|b| b.score).fold(0.0, f32::max);
    for b in candidates.into_iter().filter(|b| b.score > min_score) {
        if b.width.min(b.height) < MIN_SSD_SIDE {
            continue;
        }
        // face-api's `extractFaceTensors`: the box clipped to the image, each value floored.
        let (x, y) = (b.x.max(0.0), b.y.max(0.0));
        let w = (b.x + b.width - x).min(rgb.w as f32 - x);
        let h = (b.y + b.height - y).min(rgb.h as f32 - y);
        let (x, y, w, h) = (x.floor() as usize, y.floor() as usize, w.floor() as usize, h.floor() as usize);
        if w == 0 || h == 0 {
            continue;
        }
        let crop = nn::crop(&rgb, x, y, w, h);
        let points = models.landmarks.landmarks(&crop)?;
        let landmarks = Landmarks(points).shifted(x as f32, y as f32);
        let chip = aligned_chip(frame, &landmarks)?;
        let descriptor = mirror_averaged_descriptor(models, &chip)?;
        found.push(Detection {
            rect: Rect::new(x as i32, y as i32, w as i32, h as i32),
            confidence: b.score as f64,
            landmarks: Some(landmarks),
            descriptor: Some(descriptor),
            liveness: None,
            chip: Some(chip),
        });
    }
    Ok((found, best_candidate))
}

/// Human's antispoof and liveness scores of each detection, on a square crop around its box.
fn score_liveness(nets: &LivenessModels, frame: &Mat, found: &mut [Detection]) -> Result<(), FaceError> {
    if found.is_empty() {
        return Ok(());
    }
    let rgb = rgb_map(frame)?;
    for d in found {
        let r = d.rect;
        let bx = (r.x as f32, r.y as f32, r.width as f32, r.height as f32);
        let real = nets.antispoof.real(&face_input(&rgb, bx, LIVENESS_CROP_SCALE, Antispoof::SIZE))?;
        let live = nets.liveness.scores(&face_input(&rgb, bx, LIVENESS_CROP_SCALE, Liveness::SIZE))?;
        d.liveness = Some(super::LivenessScores { antispoof: real, liveness: live[1] });
    }
    Ok(())
}

/// The mean of the chip's descriptor and its mirror image's: dlib's net is not mirror-symmetric
/// (a face filmed mirrored, as selfie cameras do, drifts by up to ~0.55 on a hard, half-hidden
/// face), while the mean is the same for both by construction.
fn mirror_averaged_descriptor(models: &FaceModels, chip: &Mat) -> Result<Vec<f32>, FaceError> {
    let mut mirrored = Mat::default();
    opencv::core::flip(chip, &mut mirrored, 1)?;
    let a = models.recognition.descriptor(&rgb_map(chip)?)?;
    let b = models.recognition.descriptor(&rgb_map(&mirrored)?)?;
    Ok(a.iter().zip(&b).map(|(x, y)| (x + y) / 2.0).collect())
}

impl DetectorKind {
    pub fn needs_face_models(self) -> bool {
        matches!(self, DetectorKind::Ssd)
    }
}
