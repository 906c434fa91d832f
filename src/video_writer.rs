//! Writing MP4 files with OpenCV: the demo dataset and tests make their videos with this.

use std::path::Path;

use opencv::core::{Mat, Size};
use opencv::prelude::*;
use opencv::videoio::VideoWriter;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("no MP4 encoder available (tried H.264 and MPEG-4)")]
    NoEncoder,
    #[error("frame {index} is {got:?}, the video is {want:?}")]
    FrameSize { index: usize, got: (i32, i32), want: (i32, i32) },
    #[error("video writing failed: {0}")]
    OpenCv(#[from] opencv::Error),
}

/// Writes BGR `frames` (all the same size) to `path` as an MP4 at `fps`. H.264 when FFmpeg has
/// an encoder for it, else MPEG-4 part 2; both decode everywhere.
pub fn write_mp4(path: &Path, fps: f64, frames: &[Mat]) -> Result<(), WriteError> {
    let Some(first) = frames.first() else {
        return Ok(());
    };
    let size = Size::new(first.cols(), first.rows());
    let path_str = path.to_str().ok_or(WriteError::NoEncoder)?;
    let mut writer = None;
    for code in [['a', 'v', 'c', '1'], ['m', 'p', '4', 'v']] {
        let fourcc = VideoWriter::fourcc(code[0], code[1], code[2], code[3])?;
        let candidate = VideoWriter::new(path_str, fourcc, fps, size, true)?;
        if candidate.is_opened()? {
            writer = Some(candidate);
            break;
        }
    }
    let mut writer = writer.ok_or(WriteError::NoEncoder)?;
    for (index, frame) in frames.iter().enumerate() {
        if (frame.cols(), frame.rows()) != (size.width, size.height) {
            return Err(WriteError::FrameSize {
                index,
                got: (frame.cols(), frame.rows()),
                want: (size.width, size.height),
            });
        }
        writer.write(frame)?;
    }
    writer.release()?;
    Ok(())
}
