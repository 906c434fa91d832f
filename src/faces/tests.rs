use opencv::core::{CV_8UC3, Mat, Scalar, Size};
use opencv::prelude::*;
use opencv::{imgcodecs, imgproc};

use super::*;
use crate::frames::Frame;

/// A sample photo of the face-api package (fetched into models/ at set-up).
fn sample_photo(name: &str) -> Option<Mat> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/face-api/demo").join(name);
    if !path.is_file() {
        eprintln!("SKIPPED: {} is absent (run `make models`)", path.display());
        return None;
    }
    Some(imgcodecs::imread(path.to_str().unwrap(), imgcodecs::IMREAD_COLOR).unwrap())
}

fn frame(image: Mat) -> Frame {
    Frame { index: 0, time_s: 0.0, image }
}

#[test]
fn finds_faces_in_a_real_photo_and_none_in_a_blank_frame() {
    let Some(photo) = sample_photo("sample2.jpg") else {
        return;
    };
    let mut detector = HaarDetector::new(&FaceSettings::default()).unwrap();
    let faces = detector.detect(&photo).unwrap();
    assert!(!faces.is_empty(), "no face found in sample2.jpg");
    for face in &faces {
        assert!(face.rect.x >= 0 && face.rect.y >= 0, "{face:?}");
        assert!(face.rect.x + face.rect.width <= photo.cols() + 2, "box mapped back to the frame: {face:?}");
    }
    let blank = Mat::new_rows_cols_with_default(640, 360, CV_8UC3, Scalar::all(128.0)).unwrap();
    assert!(detector.detect(&blank).unwrap().is_empty());
}

#[test]
fn the_sharper_view_of_the_same_face_wins() {
    let Some(photo) = sample_photo("sample2.jpg") else {
        return;
    };
    let settings = FaceSettings::default();
    let mut detector = HaarDetector::new(&settings).unwrap();
    let sharp_detections = detector.detect(&photo).unwrap();
    let mut blurred = Mat::default();
    imgproc::gaussian_blur_def(&photo, &mut blurred, Size::new(9, 9), 4.0).unwrap();

    let mut best = BestFace::new();
    best.consider(&Frame { index: 7, ..frame(blurred) }, &sharp_detections, &settings).unwrap();
    best.consider(&Frame { index: 8, ..frame(photo) }, &sharp_detections, &settings).unwrap();
    let (crop, summary) = best.into_best();
    let crop = crop.expect("a best face");
    assert_eq!(crop.frame_index, 8, "the sharp frame's crop must win");
    assert_eq!(summary.frames_with_faces, 2);
    assert!(crop.image.cols() <= settings.crop_max_side && crop.image.rows() <= settings.crop_max_side);
    let jpeg = encode_jpeg(&crop.image).unwrap();
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "a JPEG");
}

#[test]
fn sharpness_separates_sharp_from_blurred() {
    let Some(photo) = sample_photo("sample2.jpg") else {
        return;
    };
    let mut detector = HaarDetector::new(&FaceSettings::default()).unwrap();
    let face = detector.detect(&photo).unwrap()[0].rect;
    let photo = Mat::roi(&photo, face).unwrap().try_clone().unwrap();
    let mut blurred = Mat::default();
    imgproc::gaussian_blur_def(&photo, &mut blurred, Size::new(0, 0), face.width as f64 / 40.0).unwrap();
    let sharp = quality::laplacian_variance(&photo).unwrap();
    let soft = quality::laplacian_variance(&blurred).unwrap();
    assert!(sharp > 3.0 * soft, "sharp {sharp} vs blurred {soft}");
}

#[test]
fn a_missing_cascade_is_a_clear_error() {
    let settings = FaceSettings { cascade_path: "/nonexistent/cascade.xml".into(), ..FaceSettings::default() };
    let err = HaarDetector::new(&settings).err().expect("an error");
    assert!(err.to_string().contains("/nonexistent/cascade.xml"), "{err}");
}
