//! Frames: a video file becomes a sequence of still frames, sampled N per second, plus the last
//! frame.
//!
//! The file is read once, front to back ([`pictures`]): seeking per sample is 5–6× slower on
//! real GOPs, because each seek decodes from the previous keyframe again. When at most every
//! other picture is sampled, the H.264 pictures no other picture refers to are not decoded at
//! all, but for the ones sampling wants; a sample is the first decoded picture at or after its
//! time (on a constant frame rate, the very picture every picture's decoding would give). Only
//! sampled pictures are converted to BGR. Frames are handed to a visitor one at a time, so
//! memory stays flat whatever the video's length, and downscaled so the long side is at most
//! [`SampleSettings::max_side`].

mod pictures;

use opencv::core::{Mat, Size};
use opencv::imgproc;
use opencv::prelude::*;
use pictures::Skipping;
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
    /// 0-based index of the frame in the video (its presentation time × fps, rounded).
    pub index: u64,
    /// Presentation time in seconds from the stream's start.
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
    /// Pictures actually decoded (fewer than the video holds when unreferenced ones were
    /// skipped).
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
    #[error("decoding failed: {0}")]
    Decode(String),
    /// The visitor stopped the sampling (cancelled, or its own work failed).
    #[error("{0}")]
    Stopped(String),
}

/// Samples `path` and calls `visit` for each sampled frame, in order; the video's last
/// decoded picture is sampled too.
pub fn sample(
    path: &std::path::Path,
    settings: &SampleSettings,
    mut visit: impl FnMut(Frame) -> Result<(), FramesError>,
) -> Result<VideoInfo, FramesError> {
    let per_second = settings.per_second.max(1e-3);
    // At most every other picture wanted: the unreferenced ones need not be decoded.
    let skipping = |fps: f64| {
        let every = fps / per_second;
        if every >= 2.0 { Skipping::UnreferencedExceptEvery(every) } else { Skipping::None }
    };
    let mut pictures = pictures::Pictures::open(path, skipping)?;
    let fps = pictures.fps;
    let step = fps / per_second;
    let (width, height) = pictures.size();
    let mut info = VideoInfo { width, height, fps, frames_decoded: 0, duration_s: 0.0, frames_sampled: 0 };
    let mut hand_out = |pictures: &mut pictures::Pictures, picture: &pictures::Picture, index: u64| {
        let image = downscale(&pictures.bgr(picture)?, settings.max_side)?;
        info.frames_sampled += 1;
        visit(Frame { index, time_s: picture.time_s, image })
    };
    let mut next_sample = 0.0f64;
    // The latest picture not sampled: handed out at the end as the video's last frame.
    let mut unsampled: Option<(pictures::Picture, u64)> = None;
    let mut last_index = 0u64;
    while let Some(picture) = pictures.next()? {
        let index = (picture.time_s * fps).round().max(0.0) as u64;
        last_index = last_index.max(index);
        if index as f64 >= next_sample {
            next_sample += step;
            hand_out(&mut pictures, &picture, index)?;
            unsampled = None;
        } else {
            unsampled = Some((picture, index));
        }
    }
    if let Some((picture, index)) = unsampled {
        hand_out(&mut pictures, &picture, index)?;
    }
    info.frames_decoded = pictures.decoded;
    info.duration_s = (last_index + 1) as f64 / fps;
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
