//! Fingerprints of re-encoded, re-framed, captioned and trimmed variants of one video must
//! still match the original; another video must not. The videos are made here with OpenCV from
//! the face-api sample photos (fetched into models/ at set-up).

use opencv::core::{BORDER_CONSTANT, Mat, Point, Rect, Scalar, Size, Vector};
use opencv::prelude::*;
use opencv::{imgcodecs, imgproc};

use super::*;
use crate::similarity::{Relation, SimilaritySettings, relate};

const W: i32 = 360;
const H: i32 = 640;
const FPS: f64 = 10.0;

fn photos() -> Option<Vec<Mat>> {
    let dir = crate::testing::require_model_file("face-api/demo")?;
    Some(
        (1..=6)
            .map(|i| {
                imgcodecs::imread(dir.join(format!("sample{i}.jpg")).as_os_str(), imgcodecs::IMREAD_COLOR).unwrap()
            })
            .collect(),
    )
}

/// `seconds` of `photo` seen through a slowly drifting portrait window starting at `x0`.
fn shot(photo: &Mat, x0: f64, seconds: usize) -> Vec<Mat> {
    let window_h = photo.rows().min(photo.cols() * H / W);
    let window_w = window_h * W / H;
    (0..seconds * FPS as usize)
        .map(|k| {
            let span = (photo.cols() - window_w).max(1) as f64;
            let x = ((x0 * span) + k as f64 * 0.004 * span).min(span - 1.0) as i32;
            let roi = Mat::roi(photo, Rect::new(x.max(0), 0, window_w, window_h)).unwrap();
            let mut frame = Mat::default();
            imgproc::resize(&roi, &mut frame, Size::new(W, H), 0.0, 0.0, imgproc::INTER_AREA).unwrap();
            frame
        })
        .collect()
}

/// A 12-second "ad": two seconds on each of the photos, in `order`.
fn slideshow(photos: &[Mat], order: &[usize], x0: f64) -> Vec<Mat> {
    order.iter().flat_map(|&i| shot(&photos[i], x0, 2)).collect()
}

fn map(frames: &[Mat], f: impl Fn(usize, &Mat) -> Mat) -> Vec<Mat> {
    frames.iter().enumerate().map(|(k, m)| f(k, m)).collect()
}

fn fingerprints(dir: &std::path::Path, name: &str, frames: &[Mat]) -> Vec<FrameHash> {
    let path = dir.join(name);
    crate::video_writer::write_mp4(&path, FPS, frames).unwrap();
    let mut prints = Vec::new();
    crate::frames::sample(&path, &Default::default(), |f| {
        prints.push(fingerprint(&f.image, f.time_s)?);
        Ok(())
    })
    .unwrap();
    prints
}

fn resized(m: &Mat, w: i32, h: i32) -> Mat {
    let mut out = Mat::default();
    imgproc::resize(m, &mut out, Size::new(w, h), 0.0, 0.0, imgproc::INTER_AREA).unwrap();
    out
}

fn padded(m: &Mat, colour: f64) -> Mat {
    let inner = resized(m, W - 60, H - 106);
    let mut out = Mat::default();
    opencv::core::copy_make_border(&inner, &mut out, 53, 53, 30, 30, BORDER_CONSTANT, Scalar::all(colour)).unwrap();
    out
}

/// The video shrunk into a white frame under a line of header text, as re-posts look.
fn post_frame(m: &Mat) -> Mat {
    let framed = padded(m, 255.0);
    let mut out = framed.clone();
    imgproc::put_text(
        &mut out,
        "He got me the cutest gift",
        Point::new(34, 38),
        imgproc::FONT_HERSHEY_SIMPLEX,
        0.75,
        Scalar::all(10.0),
        2,
        imgproc::LINE_AA,
        false,
    )
    .unwrap();
    out
}

fn low_quality(m: &Mat) -> Mat {
    let mut buf = Vector::<u8>::new();
    imgcodecs::imencode(
        ".jpg",
        &resized(m, W / 2, H / 2),
        &mut buf,
        &Vector::from_slice(&[imgcodecs::IMWRITE_JPEG_QUALITY, 12]),
    )
    .unwrap();
    resized(&imgcodecs::imdecode(&buf, imgcodecs::IMREAD_COLOR).unwrap(), W, H)
}

fn captioned(m: &Mat) -> Mat {
    let mut out = m.clone();
    imgproc::rectangle(&mut out, Rect::new(30, 90, W - 60, 110), Scalar::all(250.0), -1, imgproc::LINE_8, 0).unwrap();
    imgproc::put_text(
        &mut out,
        "Only today: -40%",
        Point::new(45, 160),
        imgproc::FONT_HERSHEY_SIMPLEX,
        1.0,
        Scalar::all(20.0),
        2,
        imgproc::LINE_AA,
        false,
    )
    .unwrap();
    out
}

#[test]
fn variants_land_where_they_belong() {
    let Some(photos) = photos() else { return };
    let dir = tempfile::tempdir().unwrap();
    let settings = SimilaritySettings::default();
    let original = slideshow(&photos, &[0, 1, 2, 3, 4, 5], 0.2);
    let base = fingerprints(dir.path(), "original.mp4", &original);
    assert_eq!(base.len(), 13, "12 s at 1 frame per second, plus the last frame");

    let same_video: Vec<(&str, Vec<Mat>)> = vec![
        ("rescaled", map(&original, |_, m| resized(m, 270, 480))),
        ("low quality", map(&original, |_, m| low_quality(m))),
        ("black borders", map(&original, |_, m| padded(m, 0.0))),
        ("white borders", map(&original, |_, m| padded(m, 255.0))),
        ("a post frame with a header", map(&original, |_, m| post_frame(m))),
        ("caption over the first 3 s", map(&original, |k, m| if k < 30 { captioned(m) } else { m.clone() })),
        ("trimmed start", original[30..].to_vec()),
        ("trimmed end", original[..90].to_vec()),
    ];
    for (name, frames) in same_video {
        let prints = fingerprints(dir.path(), &format!("{name}.mp4"), &frames);
        let relation = relate(&base, &prints, &settings);
        assert!(matches!(relation, Relation::SameVideo(_)), "{name}: {relation:?}");
    }

    let different = slideshow(&photos, &[5, 3, 1, 4, 2, 0], 0.75);
    let other = fingerprints(dir.path(), "different.mp4", &different);
    assert_eq!(relate(&base, &other, &settings), Relation::Different, "another video");

    // Two hooks in front of one body: the same body, not the same video.
    let body = slideshow(&photos, &[2, 3, 4, 5], 0.2);
    let hook_a: Vec<Mat> = shot(&photos[0], 0.9, 3).into_iter().chain(body.iter().cloned()).collect();
    let hook_b: Vec<Mat> = shot(&photos[1], 0.9, 3).into_iter().chain(body.iter().cloned()).collect();
    let a = fingerprints(dir.path(), "hook-a.mp4", &hook_a);
    let b = fingerprints(dir.path(), "hook-b.mp4", &hook_b);
    assert!(matches!(relate(&a, &b, &settings), Relation::SameBody { .. }), "{:?}", relate(&a, &b, &settings));
}

#[test]
fn borders_are_cropped_to_the_content() {
    let content = Mat::new_rows_cols_with_default(100, 60, opencv::core::CV_8UC3, Scalar::all(0.0)).unwrap();
    let mut noisy = content.clone();
    opencv::core::randu(&mut noisy, &Scalar::all(0.0), &Scalar::all(255.0)).unwrap();
    let mut framed = Mat::default();
    opencv::core::copy_make_border(&noisy, &mut framed, 20, 30, 10, 5, BORDER_CONSTANT, Scalar::all(255.0)).unwrap();
    assert_eq!(crop_uniform_borders(&framed).unwrap(), Rect::new(10, 20, 60, 100));
}
