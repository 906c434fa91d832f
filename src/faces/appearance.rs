//! How a face looks, pixel by pixel: whether it changed between two detections, and how much
//! colour it has — two signs of a face printed on a product.
//!
//! A live face changes from one second to the next (expression, gaze, light on a turning
//! head); a photo on a keychain or a lamp does not, however the product moves, once the face is
//! aligned: [`change`] compares two detections' aligned chips (dlib's, eyes and mouth in fixed
//! places) by normalised cross-correlation. Line-art engravings and black-and-white prints have
//! no colour: [`saturation`].

use opencv::core::{Mat, Rect, Size};
use opencv::imgproc;
use opencv::prelude::*;

/// Side of the grey signature compared between detections.
const SIDE: i32 = 32;

/// The centre of an aligned chip (the face itself, without dlib's 25 % padding), grey, shrunk
/// to 32 × 32.
pub fn signature(chip: &Mat) -> Result<Vec<u8>, opencv::Error> {
    let (w, h) = (chip.cols(), chip.rows());
    let inner = Rect::new(w / 5, h / 5, w * 3 / 5, h * 3 / 5);
    let mut grey = Mat::default();
    imgproc::cvt_color_def(&Mat::roi(chip, inner)?, &mut grey, imgproc::COLOR_BGR2GRAY)?;
    let mut small = Mat::default();
    imgproc::resize(&grey, &mut small, Size::new(SIDE, SIDE), 0.0, 0.0, imgproc::INTER_AREA)?;
    Ok(small.data_bytes()?.to_vec())
}

/// 1 − the normalised cross-correlation of two signatures: 0 for the same picture (whatever
/// its brightness and contrast), about 1 for unrelated ones.
pub fn change(a: &[u8], b: &[u8]) -> f32 {
    if a.len() != b.len() || a.is_empty() {
        return 1.0;
    }
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().map(|&v| v as f64).sum::<f64>() / n, b.iter().map(|&v| v as f64).sum::<f64>() / n);
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (x as f64 - ma, y as f64 - mb);
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa <= f64::EPSILON || bb <= f64::EPSILON {
        return if aa == bb { 0.0 } else { 1.0 };
    }
    (1.0 - ab / (aa * bb).sqrt()) as f32
}

/// Mean HSV saturation (0..1) of the middle of a face crop (BGR).
pub fn saturation(face: &Mat) -> Result<f32, opencv::Error> {
    let (w, h) = (face.cols(), face.rows());
    if w < 5 || h < 5 {
        return Ok(0.0);
    }
    let inner = Rect::new(w / 5, h / 5, (w * 3 / 5).max(1), (h * 3 / 5).max(1));
    let mut hsv = Mat::default();
    imgproc::cvt_color_def(&Mat::roi(face, inner)?, &mut hsv, imgproc::COLOR_BGR2HSV)?;
    let mean = opencv::core::mean(&hsv, &opencv::core::no_array())?;
    Ok((mean[1] / 255.0) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(seed: u64) -> Vec<u8> {
        (0..(SIDE * SIDE) as u64).map(|i| ((i * 2654435761 + seed * 97) % 251) as u8).collect()
    }

    #[test]
    fn the_same_picture_brighter_has_no_change_and_another_picture_has() {
        let a = noise(1);
        let brighter: Vec<u8> = a.iter().map(|&v| v / 2 + 60).collect();
        assert!(change(&a, &brighter) < 0.01, "{}", change(&a, &brighter));
        assert!(change(&a, &noise(2)) > 0.5, "{}", change(&a, &noise(2)));
    }

    #[test]
    fn grey_has_no_saturation_and_skin_has_some() {
        let grey =
            Mat::new_rows_cols_with_default(20, 20, opencv::core::CV_8UC3, opencv::core::Scalar::all(128.0)).unwrap();
        assert_eq!(saturation(&grey).unwrap(), 0.0);
        let skin = Mat::new_rows_cols_with_default(
            20,
            20,
            opencv::core::CV_8UC3,
            opencv::core::Scalar::new(140.0, 170.0, 220.0, 0.0),
        )
        .unwrap();
        assert!(saturation(&skin).unwrap() > 0.3);
    }
}
