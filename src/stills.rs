//! Stills: a strip of small frames per video, so people recognise a video at a glance.

use std::path::Path;

use opencv::core::{Mat, Size, Vector};
use opencv::imgproc;
use opencv::prelude::*;

/// Height of one still in the strip, in pixels.
pub const STILL_HEIGHT: i32 = 128;
/// Stills per strip at most, evenly spaced over the video.
pub const MAX_STILLS: usize = 8;

/// A small copy of a frame, `STILL_HEIGHT` pixels high.
pub fn thumbnail(frame: &Mat) -> Result<Mat, opencv::Error> {
    let width = ((frame.cols() as f64 * STILL_HEIGHT as f64 / frame.rows().max(1) as f64).round() as i32).max(1);
    let mut out = Mat::default();
    imgproc::resize(frame, &mut out, Size::new(width, STILL_HEIGHT), 0.0, 0.0, imgproc::INTER_AREA)?;
    Ok(out)
}

/// Up to [`MAX_STILLS`] of `thumbnails`, evenly spaced, side by side.
pub fn strip(thumbnails: &[Mat]) -> Result<Option<Mat>, opencv::Error> {
    if thumbnails.is_empty() {
        return Ok(None);
    }
    let n = thumbnails.len().min(MAX_STILLS);
    let picked: Vector<Mat> = (0..n).map(|i| thumbnails[i * (thumbnails.len() - 1) / (n - 1).max(1)].clone()).collect();
    let mut out = Mat::default();
    opencv::core::hconcat(&picked, &mut out)?;
    Ok(Some(out))
}

/// Every one of `thumbnails` side by side (frame `i` is at `i × width`; all have the same size,
/// being one video's frames).
pub fn sheet(thumbnails: &[Mat]) -> Result<Option<Mat>, opencv::Error> {
    if thumbnails.is_empty() {
        return Ok(None);
    }
    let all: Vector<Mat> = thumbnails.iter().cloned().collect();
    let mut out = Mat::default();
    opencv::core::hconcat(&all, &mut out)?;
    Ok(Some(out))
}

/// Saves `image` as a JPEG named by its content's SHA-256 in `dir`; returns the file name.
pub fn save_content_addressed_jpeg(image: &Mat, dir: &Path) -> Result<String, String> {
    let jpeg = crate::faces::encode_jpeg(image).map_err(|e| e.to_string())?;
    let name = format!("{}.jpg", crate::hash::sha256_hex(&jpeg));
    std::fs::write(dir.join(&name), &jpeg).map_err(|e| format!("saving {}: {e}", dir.join(&name).display()))?;
    Ok(name)
}

#[cfg(test)]
mod tests {
    use opencv::core::{CV_8UC3, Scalar};

    use super::*;

    #[test]
    fn a_strip_holds_evenly_spaced_stills() {
        let frames: Vec<Mat> = (0..20)
            .map(|k| Mat::new_rows_cols_with_default(640, 360, CV_8UC3, Scalar::all(k as f64 * 10.0)).unwrap())
            .collect();
        let thumbs: Vec<Mat> = frames.iter().map(|f| thumbnail(f).unwrap()).collect();
        assert_eq!((thumbs[0].cols(), thumbs[0].rows()), (72, 128));
        let strip = strip(&thumbs).unwrap().unwrap();
        assert_eq!((strip.cols(), strip.rows()), (72 * 8, 128));
        let last = Mat::roi(&strip, opencv::core::Rect::new(72 * 7, 0, 72, 128)).unwrap();
        assert_eq!(
            opencv::core::mean(&last, &opencv::core::no_array()).unwrap()[0],
            190.0,
            "the last frame ends the strip"
        );
        assert!(super::strip(&[]).unwrap().is_none());
    }
}
