//! OpenCV's Haar cascade face detector.

use opencv::core::{Mat, Rect, Size, Vector};
use opencv::imgproc;
use opencv::objdetect::CascadeClassifier;
use opencv::prelude::*;

use super::{Detection, FaceError, FaceSettings};

/// Not `Sync` (OpenCV keeps scratch state in the classifier): one per worker thread.
pub struct HaarDetector {
    classifier: CascadeClassifier,
    settings: FaceSettings,
}

impl HaarDetector {
    pub fn new(settings: &FaceSettings) -> Result<Self, FaceError> {
        let path = settings.cascade_path.to_string_lossy().to_string();
        if !settings.cascade_path.is_file() {
            return Err(FaceError::Model(path));
        }
        let classifier = CascadeClassifier::new(&path).map_err(|e| FaceError::Model(format!("{path}: {e}")))?;
        if classifier.empty()? {
            return Err(FaceError::Model(path));
        }
        Ok(Self { classifier, settings: settings.clone() })
    }

    /// Faces in a BGR frame, in frame coordinates, most confident first.
    pub fn detect(&mut self, frame: &Mat) -> Result<Vec<Detection>, FaceError> {
        let mut grey = Mat::default();
        imgproc::cvt_color_def(frame, &mut grey, imgproc::COLOR_BGR2GRAY)?;
        let small = crate::frames::downscale(&grey, self.settings.detect_max_side)?;
        let mut equalised = Mat::default();
        imgproc::equalize_hist(&small, &mut equalised)?;
        let scale = frame.cols() as f64 / small.cols() as f64;
        let short_side = small.cols().min(small.rows()) as f64;
        let min_side = ((short_side * self.settings.min_face_fraction).round() as i32).max(20);

        let mut rects = Vector::<Rect>::new();
        let mut neighbours = Vector::<i32>::new();
        self.classifier.detect_multi_scale2(
            &equalised,
            &mut rects,
            &mut neighbours,
            self.settings.scale_factor,
            self.settings.min_neighbors,
            0,
            Size::new(min_side, min_side),
            Size::default(),
        )?;
        let mut detections: Vec<Detection> = rects
            .iter()
            .zip(neighbours.iter())
            .map(|(r, n)| Detection {
                rect: Rect::new(
                    (r.x as f64 * scale).round() as i32,
                    (r.y as f64 * scale).round() as i32,
                    (r.width as f64 * scale).round() as i32,
                    (r.height as f64 * scale).round() as i32,
                ),
                confidence: n.max(0) as f64 / (n.max(0) as f64 + 10.0),
                landmarks: None,
                descriptor: None,
                liveness: None,
                chip: None,
            })
            .collect();
        detections.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        Ok(detections)
    }
}
