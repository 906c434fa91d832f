use opencv::core::{CV_8UC3, Mat, Scalar};
use opencv::prelude::*;

use super::*;
use crate::video_writer::write_mp4;

/// A video of `seconds` at `fps` whose frame k is uniformly grey level 4k, so a sampled frame
/// tells which index it came from.
fn grey_ramp_video(dir: &std::path::Path, fps: f64, seconds: usize) -> std::path::PathBuf {
    let frames: Vec<Mat> = (0..(fps as usize * seconds))
        .map(|k| Mat::new_rows_cols_with_default(120, 160, CV_8UC3, Scalar::all((4 * k) as f64)).unwrap())
        .collect();
    let path = dir.join("ramp.mp4");
    write_mp4(&path, fps, &frames).unwrap();
    path
}

#[test]
fn samples_one_frame_per_second_plus_the_last() {
    let dir = tempfile::tempdir().unwrap();
    let path = grey_ramp_video(dir.path(), 10.0, 3);
    let mut seen = Vec::new();
    let info = sample(&path, &SampleSettings::default(), |f| {
        let level = opencv::core::mean(&f.image, &opencv::core::no_array()).unwrap()[0];
        seen.push((f.index, f.time_s, level));
        Ok(())
    })
    .unwrap();
    assert_eq!(info.frames_decoded, 30);
    assert_eq!((info.width, info.height), (160, 120));
    let indices: Vec<u64> = seen.iter().map(|s| s.0).collect();
    assert_eq!(indices, [0, 10, 20, 29]);
    assert!((seen[1].1 - 1.0).abs() < 1e-9);
    for (index, _, level) in &seen {
        assert!(
            (level - 4.0 * *index as f64).abs() < 6.0,
            "frame {index} has grey level {level}: wrong frame retrieved"
        );
    }
}

#[test]
fn large_frames_are_downscaled() {
    let big = Mat::new_rows_cols_with_default(1080, 1920, CV_8UC3, Scalar::all(9.0)).unwrap();
    let small = downscale(&big, 640).unwrap();
    assert_eq!((small.cols(), small.rows()), (640, 360));
}

#[test]
fn corrupt_and_empty_files_end_with_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.mp4");
    std::fs::write(&junk, b"\0\0\0\x18ftypisom this is not really a video at all").unwrap();
    assert!(sample(&junk, &SampleSettings::default(), |_| Ok(())).is_err());
    let empty = dir.path().join("empty.mp4");
    std::fs::write(&empty, b"").unwrap();
    assert!(sample(&empty, &SampleSettings::default(), |_| Ok(())).is_err());
}

#[test]
fn a_corpus_video_gives_one_still_per_second() {
    let Some(path) = crate::testing::require_corpus().map(|d| d.join("videos/c00.mp4")) else { return };
    let mut count = 0;
    let info = sample(&path, &SampleSettings::default(), |f| {
        assert_eq!((f.image.cols(), f.image.rows()), (360, 640));
        count += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(info.frames_decoded, 351);
    assert_eq!(count, 15, "0 s … 14 s, the last frame (index 350) being the 14 s sample");
}
