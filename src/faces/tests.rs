use opencv::core::{CV_8UC3, Mat, Scalar, Size};
use opencv::prelude::*;
use opencv::{imgcodecs, imgproc};

use super::*;
use crate::frames::Frame;

/// A sample photo of the face-api package (fetched into models/ at set-up).
fn sample_photo(name: &str) -> Option<Mat> {
    let path = crate::testing::require_model_file(&format!("face-api/demo/{name}"))?;
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
    let settings = FaceSettings { detector: DetectorKind::Haar, ..FaceSettings::default() };
    let mut detector = HaarDetector::new(&settings).unwrap();
    let sharp_detections = detector.detect(&photo).unwrap();
    let mut blurred = Mat::default();
    imgproc::gaussian_blur_def(&photo, &mut blurred, Size::new(9, 9), 4.0).unwrap();

    let mut tracker = Tracker::new(&settings);
    tracker.push(&Frame { index: 7, time_s: 7.0, ..frame(blurred) }, &sharp_detections).unwrap();
    tracker.push(&Frame { index: 8, time_s: 8.0, ..frame(photo) }, &sharp_detections).unwrap();
    let (tracks, summary) = tracker.finish();
    assert_eq!(summary.frames_with_faces, 2);
    assert_eq!(tracks.len(), sharp_detections.len(), "same boxes in both frames: one track per face");
    let best = &tracks[0];
    assert_eq!(best.track.frames, 2);
    assert_eq!(best.track.best_time_s, 8.0, "the sharp frame's crop must win");
    assert!(best.image.cols() <= settings.crop_max_side && best.image.rows() <= settings.crop_max_side);
    let jpeg = encode_jpeg(&best.image).unwrap();
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "a JPEG");
}

fn ssd() -> FaceDetector {
    let models =
        crate::faceapi::FaceModels::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models")).unwrap();
    FaceDetector::new(&FaceSettings::default(), Some(std::sync::Arc::new(models)), None).unwrap()
}

/// A person stays one track across frames; a face seen once among many is incidental.
#[test]
fn tracks_follow_people_across_frames_and_mark_brief_faces() {
    let (Some(group), Some(other)) = (sample_photo("sample3.jpg"), sample_photo("sample1.jpg")) else {
        return;
    };
    let mut detector = ssd();
    let settings = FaceSettings::default();
    let mut tracker = Tracker::new(&settings);
    let people = detector.detect(&group).unwrap();
    assert_eq!(people.len(), 3);
    for step in 0..4 {
        // The same people, a little brighter each frame (a new frame, not a copy).
        let mut lit = Mat::default();
        group.convert_to(&mut lit, -1, 1.0, step as f64 * 6.0).unwrap();
        let found = detector.detect(&lit).unwrap();
        tracker.push(&Frame { index: step, time_s: step as f64, ..frame(lit) }, &found).unwrap();
    }
    // A cutaway to other people for one frame.
    let strangers = detector.detect(&other).unwrap();
    tracker.push(&Frame { index: 4, time_s: 4.0, ..frame(other) }, &strangers).unwrap();
    let (tracks, summary) = tracker.finish();
    assert_eq!(summary.frames_checked, 5);
    let steady: Vec<_> = tracks.iter().filter(|t| t.track.frames == 4).collect();
    assert_eq!(
        steady.len(),
        3,
        "{:?}",
        tracks.iter().map(|t| (t.track.frames, &t.track.incidental)).collect::<Vec<_>>()
    );
    assert!(steady.iter().all(|t| t.track.on_camera() && t.track.descriptor.len() == 128));
    let brief: Vec<_> = tracks.iter().filter(|t| t.track.frames == 1).collect();
    assert_eq!(brief.len(), strangers.len());
    assert!(brief.iter().all(|t| t.track.incidental.as_deref().is_some_and(|why| why.starts_with("brief"))));
}

fn descriptors_of(detector: &mut FaceDetector, image: &Mat) -> Vec<(opencv::core::Rect, Vec<f32>)> {
    detector.detect(image).unwrap().into_iter().map(|d| (d.rect, d.descriptor.unwrap())).collect()
}

/// The detection in `found` whose centre is nearest `(cx, cy)`.
fn nearest(found: &[(opencv::core::Rect, Vec<f32>)], cx: f64, cy: f64) -> &Vec<f32> {
    let d = |r: &opencv::core::Rect| {
        (r.x as f64 + r.width as f64 / 2.0 - cx).powi(2) + (r.y as f64 + r.height as f64 / 2.0 - cy).powi(2)
    };
    &found.iter().min_by(|a, b| d(&a.0).total_cmp(&d(&b.0))).unwrap().1
}

/// The sanity check on real crops: the same face rescaled, mirrored or re-encoded stays
/// within 0.4 of itself; different people in one photo are more than 0.6 apart for most pairs.
#[test]
fn descriptors_are_stable_for_one_face_and_apart_for_different_people() {
    use crate::faceapi::recognition::distance;
    let mut detector = ssd();
    let (mut same, mut different) = (Vec::new(), Vec::new());
    for name in ["sample1.jpg", "sample2.jpg", "sample3.jpg", "sample4.jpg", "sample5.jpg", "sample6.jpg"] {
        let Some(photo) = sample_photo(name) else {
            return;
        };
        let base = descriptors_of(&mut detector, &photo);
        for (i, a) in base.iter().enumerate() {
            for b in &base[i + 1..] {
                different.push(distance(&a.1, &b.1));
            }
        }
        let w = photo.cols() as f64;
        let mut half = Mat::default();
        imgproc::resize(&photo, &mut half, Size::new(0, 0), 0.5, 0.5, imgproc::INTER_AREA).unwrap();
        let mut mirrored = Mat::default();
        opencv::core::flip(&photo, &mut mirrored, 1).unwrap();
        let mut buf = opencv::core::Vector::<u8>::new();
        let params = opencv::core::Vector::from_slice(&[imgcodecs::IMWRITE_JPEG_QUALITY, 25]);
        imgcodecs::imencode(".jpg", &photo, &mut buf, &params).unwrap();
        let reencoded = imgcodecs::imdecode(&buf, imgcodecs::IMREAD_COLOR).unwrap();
        let variants: [(&Mat, Box<dyn Fn(f64, f64) -> (f64, f64)>); 3] = [
            (&half, Box::new(|x, y| (x / 2.0, y / 2.0))),
            (&mirrored, Box::new(move |x, y| (w - x, y))),
            (&reencoded, Box::new(|x, y| (x, y))),
        ];
        for (image, map) in variants {
            let found = descriptors_of(&mut detector, image);
            for (rect, descriptor) in &base {
                let (cx, cy) = map(rect.x as f64 + rect.width as f64 / 2.0, rect.y as f64 + rect.height as f64 / 2.0);
                let d = distance(descriptor, nearest(&found, cx, cy));

                same.push(d);
            }
        }
    }
    let worst_same = same.iter().copied().fold(0.0, f32::max);
    let apart = different.iter().filter(|&&d| d > 0.6).count();
    different.sort_by(f32::total_cmp);
    eprintln!("different people, closest pairs: {:?}", &different[..6]);
    eprintln!(
        "same face: {} variants, max distance {worst_same:.3}; different people: {apart} of {} pairs > 0.6",
        same.len(),
        different.len()
    );
    assert_eq!(same.len(), 22 * 3, "every labelled face in every variant");
    assert!(worst_same < 0.4, "same face drifted to {worst_same}");
    assert!(apart * 4 >= different.len() * 3, "only {apart} of {} pairs are > 0.6 apart", different.len());
    assert!(different[0] > 0.45, "two different people at {}", different[0]);
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

fn ssd_with(settings: &FaceSettings) -> FaceDetector {
    let models = crate::faceapi::FaceModels::load(&crate::testing::models_dir()).unwrap();
    FaceDetector::new(settings, Some(std::sync::Arc::new(models)), None).unwrap()
}

/// sample1's right-hand face (sample_faces.toml: x 1470, y 210, w 235, h 255) 1.2 times a portrait
/// frame's width, cut off at the sides (as c69 of the corpus): the part of the photo around it
/// that a 360 × 640 frame shows at that zoom.
fn close_up_frame() -> Option<Mat> {
    let photo = sample_photo("sample1.jpg")?;
    let scale = 1.2 * 360.0 / 235.0;
    let (w, h) = ((360.0 / scale) as i32, (640.0 / scale) as i32);
    let (cx, cy) = (1470 + 235 / 2, 210 + 255 / 2);
    let window = Mat::roi(&photo, opencv::core::Rect::new(cx - w / 2, cy - h / 2, w, h)).unwrap();
    let mut frame = Mat::default();
    imgproc::resize(&window, &mut frame, Size::new(360, 640), 0.0, 0.0, imgproc::INTER_LINEAR).unwrap();
    Some(frame)
}

/// The second, close-up look is taken only where the first saw something face-like or the frame
/// before was a close-up: never on a plain frame of its own once gated, always without the gate,
/// and a close-up face is found either way.
#[test]
fn the_second_look_is_gated_by_the_first_looks_best_candidate() {
    let Some(close_up) = close_up_frame() else {
        return;
    };
    let blank = Mat::new_rows_cols_with_default(640, 360, CV_8UC3, Scalar::all(128.0)).unwrap();
    let always = FaceSettings { second_look_min_score: 0.0, ..FaceSettings::default() };
    let gated = FaceSettings::default();
    assert!(gated.second_look_min_score > 0.0, "the default gates the second look");
    for (settings, blank_second_looks) in [(&always, 1), (&gated, 0)] {
        let mut detector = ssd_with(settings);
        assert!(detector.detect(&blank).unwrap().is_empty());
        assert_eq!(detector.looks(), Looks { frames: 1, second_looks: blank_second_looks }, "{settings:?}");
        let found = detector.detect(&close_up).unwrap();
        assert_eq!(found.len(), 1, "the close-up face, gate {}", settings.second_look_min_score);
        let r = found[0].rect;
        assert!(r.width >= 200, "a face filling the frame's width: {r:?}");
        assert_eq!(detector.looks().second_looks, blank_second_looks + 1, "the SSD misses it at first");
        // The frame after a close-up gets its second look too, whatever its first saw …
        detector.detect(&blank).unwrap();
        assert_eq!(detector.looks().second_looks, blank_second_looks + 2, "{settings:?}");
        // … unless it is another video's.
        detector.detect(&close_up).unwrap();
        detector.new_video();
        let before = detector.looks().second_looks;
        detector.detect(&blank).unwrap();
        assert_eq!(detector.looks().second_looks, before + blank_second_looks, "{settings:?}");
    }
}
