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
    let keypoints = VideoKeypoints { plain: frames.clone(), squeezed: frames[..1].to_vec() };
    assert_eq!(decode(&encode(&keypoints)).unwrap(), keypoints);
    assert!(decode(&encode(&keypoints)[..20]).is_err());
    // A version 1 blob (plain keypoints only, as analyses before squeezed ones were kept).
    let mut v1 = encode(&VideoKeypoints { plain: frames.clone(), squeezed: Vec::new() });
    v1.truncate(v1.len() - 4); // the empty squeezed list's count
    v1[..2].copy_from_slice(&1u16.to_le_bytes());
    assert_eq!(decode(&v1).unwrap(), VideoKeypoints { plain: frames, squeezed: Vec::new() });
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

#[test]
fn squeezed_keypoints_see_a_picture_stretched_along_one_axis() {
    let Some(original) = frame("sample2.jpg") else { return };
    // The frame's middle square stretched to the full height: 16:9 taller than it was.
    let stretched = resized(&Mat::roi(&original, Rect::new(0, 140, 360, 360)).unwrap(), 360, 640);
    let content = crate::fingerprint::crop_uniform_borders(&stretched).unwrap();
    let squeezed = extract_squeezed(&stretched, content).unwrap();
    assert_eq!((squeezed.width, squeezed.height), (360, 640));
    assert!(squeezed.points.iter().all(|p| (0.0..=640.0).contains(&p[1])), "positions in the stretched frame's pixels");
    let base = features(&original);
    let settings = VerifySettings { guided_radius: 0.0, ..VerifySettings::default() };
    let (t, agreeing) = verify_pooled(&[(&squeezed, &base)], &settings).expect("the stretch is undone");
    assert!((t.scale_x - 1.0).abs() < 0.03 && (t.scale_y - 360.0 / 640.0).abs() < 0.03, "{t:?}");
    assert!((t.shift_y - 140.0).abs() < 6.0, "{t:?}");
    let plain = verify_pooled(&[(&features(&stretched), &base)], &settings).map_or(0, |(_, a)| a[0]);
    eprintln!("agreeing matches: squeezed {}, plain {plain}", agreeing[0]);
    assert!(agreeing[0] >= 3 * plain.max(10), "squeezed {} against plain {plain}", agreeing[0]);
}

#[test]
fn a_copy_reframed_one_way_then_another_gets_a_map_for_each_part() {
    use crate::similarity::{KeypointSettings, VideoSignals, keypoint_matches};
    let (Some(first), Some(second)) = (frame("sample1.jpg"), frame("sample3.jpg")) else { return };
    // Four seconds of one shot, then four of another; the copy zooms the first part 1.3× and puts
    // the second on a card at 70 %.
    let original: Vec<FrameFeatures> =
        [&first, &first, &first, &first, &second, &second, &second, &second].map(features).to_vec();
    let copy: Vec<FrameFeatures> =
        (0..8).map(|k| if k < 4 { features(&zoomed(&first, 1.3)) } else { features(&on_card(&second, 0.7)) }).collect();
    let signals = [&original, &copy].map(|k| VideoSignals { keypoints: k, ..Default::default() });
    // Per second (frame f of each): the map's x scale in tenths and how many matches agree.
    let maps = |max_maps| -> Vec<(i32, u32)> {
        let settings = KeypointSettings { max_maps, squeezed: false, ..KeypointSettings::default() };
        let (verified, _) = keypoint_matches(&signals, &settings);
        let pairs = verified.get(&(0, 1)).cloned().unwrap_or_default();
        (0..8).map(|f| pairs.get(&(f, f)).map_or((0, 0), |t| ((t.scale_x * 10.0).round() as i32, t.inliers))).collect()
    };
    // One map fits one part; the other part's frames only touch it where the two maps meet.
    let one = maps(1);
    let fitted = one[0].0;
    assert!(one.iter().all(|(scale, _)| *scale == fitted || *scale == 0), "{one:?}");
    let weak = one.iter().filter(|(_, n)| *n < 50).count();
    assert_eq!(weak, 4, "one part agrees with the single map only by chance: {one:?}");
    // Up to three maps: each part has its own, with hundreds of matches agreeing.
    let three = maps(3);
    assert!(three[..4].iter().all(|&(scale, n)| scale == 13 && n >= 100), "zoomed part: {three:?}");
    assert!(three[4..].iter().all(|&(scale, n)| scale == 7 && n >= 100), "carded part: {three:?}");
}

/// The frame slanted: x moves by `shear` · (y − the middle), as an editing app's skew does.
fn skewed(f: &Mat, shear: f64) -> Mat {
    let middle = f64::from(f.rows()) / 2.0;
    let m = Mat::from_slice_2d(&[[1.0, shear, -shear * middle], [0.0, 1.0, 0.0]]).unwrap();
    let mut out = Mat::default();
    let size = Size::new(f.cols(), f.rows());
    imgproc::warp_affine(
        f,
        &mut out,
        &m,
        size,
        imgproc::INTER_LINEAR,
        opencv::core::BORDER_REPLICATE,
        Scalar::all(0.0),
    )
    .unwrap();
    out
}

#[test]
fn a_skewed_copy_matches_as_its_pairs_only_map_and_never_beside_another() {
    let (Some(first), Some(second)) = (frame("sample1.jpg"), frame("sample3.jpg")) else { return };
    let settings = VerifySettings::default();
    let base = features(&first);
    let slanted = features(&skewed(&first, 0.12));
    // Alone, the skewed copy is one map (scale ≈ 1 both ways) …
    let maps = verify_pooled_maps(&[(&base, &slanted)], &settings, 3);
    assert_eq!(maps.len(), 1, "{maps:?}");
    let (t, agreeing) = &maps[0];
    assert!((t.scale_x - 1.0).abs() < 0.05 && (t.scale_y - 1.0).abs() < 0.05, "{t:?}");
    assert!(agreeing[0] >= 50, "{agreeing:?}");
    // … that the unskewed limit alone refuses.
    let strict = VerifySettings { max_skew: settings.max_shear, ..settings };
    assert!(verify_pooled_maps(&[(&base, &slanted)], &strict, 3).iter().all(|(_, a)| a[0] < 50));
    // Beside a second map (another part of the copy, zoomed), skew is not accepted: two shots
    // of one flat scene look like that. The zoomed part still matches.
    let (other, zoomed_copy) = (features(&second), features(&zoomed(&second, 1.3)));
    let pairs = [(&base, &slanted), (&base, &slanted), (&other, &zoomed_copy), (&other, &zoomed_copy)];
    let maps = verify_pooled_maps(&pairs, &settings, 3);
    let best = |k: usize| maps.iter().map(|(_, a)| a[k]).max().unwrap_or(0);
    assert!(best(2) >= 100 && best(3) >= 100, "the zoomed part: {maps:?}");
    assert!(best(0) < 50 && best(1) < 50, "the skewed part: {maps:?}");
}

#[test]
fn spread_takes_turns_over_the_picture_keeping_the_strongest_of_each_part() {
    // 60 strong points crowded in the top-left corner, then 20 weaker ones elsewhere.
    let crowded = (0..60).map(|k| [5.0 + (k % 8) as f32, 5.0 + (k / 8) as f32]);
    let elsewhere = (0..20).map(|k| [100.0 + 12.0 * k as f32, 300.0 + 10.0 * k as f32]);
    let points: Vec<[f32; 2]> = crowded.chain(elsewhere).collect();
    let frame = FrameFeatures {
        width: 360,
        height: 640,
        content: [0, 0, 360, 640],
        descriptors: (0..points.len()).map(|k| [k as u8; 32]).collect(),
        points,
    };
    let chosen = spread(&frame, 30);
    assert_eq!(chosen.points.len(), 30);
    let outside = chosen.points.iter().filter(|p| p[0] > 50.0).count();
    assert_eq!(outside, 20, "every point outside the crowded cell: {:?}", chosen.points);
    // The crowded cell gives its strongest (first) points, and the order stays strongest first.
    let kept: Vec<u8> = chosen.descriptors.iter().map(|d| d[0]).collect();
    assert_eq!(&kept[..10], &(0..10).collect::<Vec<u8>>()[..]);
    assert!(kept.windows(2).all(|w| w[0] < w[1]), "{kept:?}");
    assert_eq!(spread(&frame, 500), frame, "fewer points than asked: all of them");
}
