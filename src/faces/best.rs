//! The best face of a video: every detection is cropped and scored; the best crop is kept.

use opencv::core::{Mat, Rect};
use opencv::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Detection, FaceCrop, FaceError, FaceSettings, quality};
use crate::frames::Frame;

/// Counts over the whole video, kept whatever the best crop is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FaceSummary {
    pub detections: u64,
    pub frames_with_faces: u64,
}

#[derive(Default)]
pub struct BestFace {
    best: Option<FaceCrop>,
    summary: FaceSummary,
}

impl BestFace {
    pub fn new() -> Self {
        Self::default()
    }

    /// Scores each detection of `frame` and keeps the crop if it beats the best so far.
    pub fn consider(
        &mut self,
        frame: &Frame,
        detections: &[Detection],
        settings: &FaceSettings,
    ) -> Result<(), FaceError> {
        if detections.is_empty() {
            return Ok(());
        }
        self.summary.frames_with_faces += 1;
        self.summary.detections += detections.len() as u64;
        let short_side = frame.image.cols().min(frame.image.rows());
        for detection in detections {
            let rect = clip(detection.rect, frame.image.cols(), frame.image.rows());
            if rect.width < 8 || rect.height < 8 {
                continue;
            }
            let face = Mat::roi(&frame.image, rect)?.try_clone()?;
            let quality = quality::assess(&face, rect.width.min(rect.height), short_side, detection.neighbours)?;
            if self.best.as_ref().is_some_and(|b| b.quality.score() >= quality.score()) {
                continue;
            }
            let with_margin = expand(rect, settings.crop_margin, frame.image.cols(), frame.image.rows());
            let crop = Mat::roi(&frame.image, with_margin)?.try_clone()?;
            let image = crate::frames::downscale(&crop, settings.crop_max_side)?;
            self.best = Some(FaceCrop {
                frame_index: frame.index,
                time_s: frame.time_s,
                detection: *detection,
                quality,
                image,
            });
        }
        Ok(())
    }

    pub fn summary(&self) -> &FaceSummary {
        &self.summary
    }

    pub fn into_best(self) -> (Option<FaceCrop>, FaceSummary) {
        (self.best, self.summary)
    }
}

fn clip(r: Rect, width: i32, height: i32) -> Rect {
    let x0 = r.x.clamp(0, width);
    let y0 = r.y.clamp(0, height);
    let x1 = (r.x + r.width).clamp(0, width);
    let y1 = (r.y + r.height).clamp(0, height);
    Rect::new(x0, y0, x1 - x0, y1 - y0)
}

/// `r` grown by `margin` × its size on every side, clipped to the frame.
fn expand(r: Rect, margin: f64, width: i32, height: i32) -> Rect {
    let dx = (r.width as f64 * margin).round() as i32;
    let dy = (r.height as f64 * margin).round() as i32;
    clip(Rect::new(r.x - dx, r.y - dy, r.width + 2 * dx, r.height + 2 * dy), width, height)
}
