//! Frames: a video file becomes a sequence of still frames, sampled N per second, plus the first
//! and the last frame.
//!
//! Every frame is `grab()`bed (demuxed and decoded) but only sampled ones are `retrieve()`d
//! (converted to BGR): seeking per sample is 5–6× slower on real GOPs, because each seek
//! decodes from the previous keyframe again. Frames are handed to a visitor one at a time, so
//! memory stays flat whatever the video's length, and downscaled so the long side is at most
//! [`SampleSettings::max_side`].

use opencv::core::{Mat, Size};
use opencv::prelude::*;
use opencv::{imgproc, videoio};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SampleSettings {
    /// Frames sampled per second of video.
    pub per_second: f64,
    /// Long side of the frames handed out, in pixels (larger frames are downscaled).
    pub max_side: i32,
}

impl Default for SampleSettings {
    fn default() -> Self {
        Self { per_second: 1.0, max_side: 640 }
    }
}

/// One sampled frame.
pub struct Frame {
    /// 0-based index of the frame in the video.
    pub index: u64,
    /// Presentation time in seconds (index / fps).
    pub time_s: f64,
    /// BGR image, long side at most `max_side`.
    pub image: Mat,
}

/// What sampling learned about the video.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VideoInfo {
    pub width: i32,
    pub height: i32,
    pub fps: f64,
    /// Frames actually decoded.
    pub frames_decoded: u64,
    pub duration_s: f64,
    /// Frames handed to the visitor.
    pub frames_sampled: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum FramesError {
    #[error("the video could not be opened (corrupt or unsupported format)")]
    Open,
    #[error("the video has no decodable frames")]
    NoFrames,
    #[error("decoding failed: {0}")]
    OpenCv(#[from] opencv::Error),
    /// The visitor stopped the sampling (cancelled, or its own work failed).
    #[error("{0}")]
    Stopped(String),
}

/// Samples `path` and calls `visit` for each sampled frame, in order. The last frame is sampled
/// too when the container reports its frame count.
pub fn sample(
    path: &std::path::Path,
    settings: &SampleSettings,
    mut visit: impl FnMut(Frame) -> Result<(), FramesError>,
) -> Result<VideoInfo, FramesError> {
    let path_str = path.to_str().ok_or(FramesError::Open)?;
    let mut capture = videoio::VideoCapture::from_file(path_str, videoio::CAP_FFMPEG)?;
    if !capture.is_opened()? {
        return Err(FramesError::Open);
    }
    let fps = capture.get(videoio::CAP_PROP_FPS)?;
    let fps = if fps.is_finite() && fps > 0.0 { fps } else { 25.0 };
    let reported_frames = capture.get(videoio::CAP_PROP_FRAME_COUNT)?;
    let last_index = (reported_frames.is_finite() && reported_frames >= 1.0).then(|| reported_frames as u64 - 1);
    let step = fps / settings.per_second.max(1e-3);

    let mut info = VideoInfo {
        width: capture.get(videoio::CAP_PROP_FRAME_WIDTH)? as i32,
        height: capture.get(videoio::CAP_PROP_FRAME_HEIGHT)? as i32,
        fps,
        frames_decoded: 0,
        duration_s: 0.0,
        frames_sampled: 0,
    };
    let mut next_sample = 0.0f64;
    let mut raw = Mat::default();
    let mut index = 0u64;
    while capture.grab()? {
        let is_sample = index as f64 >= next_sample || Some(index) == last_index;
        if is_sample {
            if index as f64 >= next_sample {
                next_sample += step;
            }
            if capture.retrieve(&mut raw, 0)? && !raw.empty() {
                let image = downscale(&raw, settings.max_side)?;
                visit(Frame { index, time_s: index as f64 / fps, image })?;
                info.frames_sampled += 1;
            }
        }
        index += 1;
    }
    info.frames_decoded = index;
    info.duration_s = index as f64 / fps;
    if info.frames_sampled == 0 {
        return Err(FramesError::NoFrames);
    }
    Ok(info)
}

/// A copy of `image` whose long side is at most `max_side` (area interpolation: no aliasing).
pub fn downscale(image: &Mat, max_side: i32) -> Result<Mat, opencv::Error> {
    let (w, h) = (image.cols(), image.rows());
    let long = w.max(h);
    if long <= max_side || max_side <= 0 {
        return image.try_clone();
    }
    let scale = max_side as f64 / long as f64;
    let size = Size::new(((w as f64 * scale).round() as i32).max(1), ((h as f64 * scale).round() as i32).max(1));
    let mut out = Mat::default();
    imgproc::resize(image, &mut out, size, 0.0, 0.0, imgproc::INTER_AREA)?;
    Ok(out)
}

#[cfg(test)]
mod tests;
