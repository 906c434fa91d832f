use opencv::core::{Mat, Rect, Scalar, Size};
use opencv::imgproc;
use opencv::prelude::*;

use super::*;

/// A 360 × 640 portrait frame cut from one of face-api's sample photos.
fn frame(photo: &str) -> Option<Mat> {
    let path = crate::testing::require_model_file(&format!("face-api/demo/{photo}"))?;
    let image = opencv::imgcodecs::imread(path.to_str().unwrap(), opencv::imgcodecs::IMREAD_COLOR).unwrap();
    let (w, h) = (image.cols(), image.rows());
    let crop_w = h * 9 / 16;
    let portrait = Mat::roi(&image, Rect::new((w - crop_w) / 2, 0, crop_w, h)).unwrap();
    Some(resized(&portrait, 360, 640))
}

fn resized(image: &impl opencv::core::ToInputArray, w: i32, h: i32) -> Mat {
    let mut out = Mat::default();
    imgproc::resize(image, &mut out, Size::new(w, h), 0.0, 0.0, imgproc::INTER_AREA).unwrap();
    out
}

fn features(image: &Mat) -> FrameFeatures {
    let content = crate::fingerprint::crop_uniform_borders(image).unwrap();
    extract(image, content).unwrap()
}

/// The middle `1 / zoom` of the frame blown up to the full size.
fn zoomed(f: &Mat, zoom: f64) -> Mat {
    let (w, h) = (f.cols(), f.rows());
    let (cw, ch) = ((w as f64 / zoom) as i32, (h as f64 / zoom) as i32);
    resized(&Mat::roi(f, Rect::new((w - cw) / 2, (h - ch) / 3, cw, ch)).unwrap(), w, h)
}

/// The frame shrunk onto a white card with a dark header band, as re-posts do.
fn on_card(f: &Mat, scale: f64) -> Mat {
    let (w, h) = (f.cols(), f.rows());
    let mut card = Mat::new_rows_cols_with_default(h, w, f.typ(), Scalar::all(255.0)).unwrap();
    let small = resized(f, (w as f64 * scale) as i32, (h as f64 * scale) as i32);
    let (x, y) = ((w - small.cols()) / 2, h - small.rows() - 20);
    small.copy_to(&mut Mat::roi_mut(&mut card, Rect::new(x, y, small.cols(), small.rows())).unwrap()).unwrap();
    imgproc::rectangle(&mut card, Rect::new(20, 20, w - 40, 40), Scalar::all(40.0), -1, imgproc::LINE_8, 0).unwrap();
    card
}

/// The frame squeezed to 60 % of its width between blurred copies of itself.
fn squeezed(f: &Mat) -> Mat {
    let (w, h) = (f.cols(), f.rows());
    let mut out = Mat::default();
    imgproc::gaussian_blur_def(f, &mut out, Size::new(51, 51), 20.0).unwrap();
    let band = resized(f, w * 6 / 10, h);
    band.copy_to(&mut Mat::roi_mut(&mut out, Rect::new(w * 2 / 10, 0, band.cols(), h)).unwrap()).unwrap();
    out
}

#[test]
fn the_same_picture_reframed_verifies_and_another_does_not() {
    let (Some(original), Some(other)) = (frame("sample1.jpg"), frame("sample4.jpg")) else { return };
    let settings = VerifySettings::default();
    let base = features(&original);
    assert!(base.descriptors.len() > 100, "{} keypoints", base.descriptors.len());
    for (name, copy, (sx, sy)) in [
        ("zoomed 1.4×", zoomed(&original, 1.4), (1.4, 1.4)),
        ("on a card at 70 %", on_card(&original, 0.7), (0.7, 0.7)),
        ("squeezed between blurred bars", squeezed(&original), (0.6, 1.0)),
    ] {
        let t = verify(&base, &features(&copy), &settings).unwrap_or_else(|| panic!("{name}: not verified"));
        assert!((t.scale_x - sx).abs() < 0.1 && (t.scale_y - sy).abs() < 0.1, "{name}: {t:?}");
    }
    assert_eq!(verify(&base, &features(&other), &settings), None, "another photo");
}

#[test]
fn blobs_round_trip_and_refuse_garbage() {
    let frames = vec![
        FrameFeatures {
            width: 360,
            height: 640,
            content: [0, 10, 360, 600],
            points: vec![[1.5, 2.5], [3.0, 4.0]],
            descriptors: vec![[7; 32], [9; 32]],
        },
        FrameFeatures { width: 360, height: 640, content: [0, 0, 360, 640], ..Default::default() },
    ];
    assert_eq!(decode(&encode(&frames)).unwrap(), frames);
    assert!(decode(&encode(&frames)[..20]).is_err());
    assert!(decode(b"xx").is_err());
}

/// The frame squeezed to `share` of its width between blurred copies of itself.
fn squeezed_to(f: &Mat, share: f64) -> Mat {
    let (w, h) = (f.cols(), f.rows());
    let mut out = Mat::default();
    imgproc::gaussian_blur_def(f, &mut out, Size::new(51, 51), 20.0).unwrap();
    let band = resized(f, (w as f64 * share) as i32, h);
    band.copy_to(&mut Mat::roi_mut(&mut out, Rect::new((w - band.cols()) / 2, 0, band.cols(), h)).unwrap()).unwrap();
    out
}

#[test]
fn guided_matching_finds_more_of_a_hard_squeeze_and_stays_off_near_the_identity() {
    let (Some(original), Some(other)) = (frame("sample1.jpg"), frame("sample4.jpg")) else { return };
    let base = features(&original);
    let copy = features(&squeezed_to(&original, 0.6));
    let plain = VerifySettings { guided_radius: 0.0, ..VerifySettings::default() };
    let guided = VerifySettings::default();
    let (t, without) = verify_pooled(&[(&base, &copy)], &plain).expect("the squeeze is found by the plain matching");
    let (_, with) = verify_pooled(&[(&base, &copy)], &guided).unwrap();
    assert!((t.scale_x - 0.6).abs() < 0.05 && (t.scale_y - 1.0).abs() < 0.05, "{t:?}");
    assert!(with[0] >= without[0] * 3 / 2, "guided {} against plain {}", with[0], without[0]);
    // The same picture unscaled: the plain matching already finds what there is.
    let same = features(&original);
    let (t, without) = verify_pooled(&[(&base, &same)], &plain).unwrap();
    let (_, with) = verify_pooled(&[(&base, &same)], &guided).unwrap();
    assert!(t.rescale() < guided.guided_min_rescale, "{t:?}");
    assert_eq!(with, without);
    // Another photo finds no map to guide anything by.
    assert_eq!(verify_pooled(&[(&base, &features(&other))], &guided), None);
}

#[test]
fn rescale_is_the_larger_factor_either_way() {
    let t = |scale_x, scale_y| Transform { scale_x, scale_y, shift_x: 0.0, shift_y: 0.0, inliers: 0 };
    assert_eq!(t(1.0, 1.0).rescale(), 1.0);
    assert_eq!(t(0.5, 1.0).rescale(), 2.0);
    assert_eq!(t(1.0, 1.6).rescale(), 1.6);
    assert_eq!(t(0.8, 1.5).rescale(), 1.5);
}
