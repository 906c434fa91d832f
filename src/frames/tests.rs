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

/// Sampling's info, and each sampled frame's index, time and mean grey level.
fn sampled_grey_levels(path: &std::path::Path) -> (VideoInfo, Vec<(u64, f64, f64)>) {
    let mut seen = Vec::new();
    let info = sample(path, &SampleSettings::default(), |f| {
        let level = opencv::core::mean(&f.image, &opencv::core::no_array()).unwrap()[0];
        seen.push((f.index, f.time_s, level));
        Ok(())
    })
    .unwrap();
    (info, seen)
}

#[test]
fn samples_one_frame_per_second_plus_the_last() {
    let dir = tempfile::tempdir().unwrap();
    let path = grey_ramp_video(dir.path(), 10.0, 3);
    let (info, seen) = sampled_grey_levels(&path);
    // OpenCV's H.264 writer makes B-frames: those nothing refers to and nothing samples are skipped.
    assert!((1..=30).contains(&info.frames_decoded), "{} pictures decoded", info.frames_decoded);
    assert!((info.duration_s - 3.0).abs() < 1e-9, "duration {}", info.duration_s);
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
    assert!((info.duration_s - 351.0 / 25.0).abs() < 1e-9, "351 pictures at 25 fps: {} s", info.duration_s);
    // c00 is H.264 with B-frames (261 of 351), most of which nothing refers to.
    assert!(info.frames_decoded < 250, "{} of 351 pictures decoded", info.frames_decoded);
    assert_eq!(count, 15, "0 s … 14 s, the last frame (index 350) being the 14 s sample");
}

/// Runs ffmpeg with `args`; the tests make their own H.264 files with it.
fn ffmpeg(args: &[&str]) {
    let status =
        std::process::Command::new("ffmpeg").args(["-v", "error", "-y"]).args(args).status().expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg {args:?} failed");
}

/// 4 s at 30 fps of H.264 with runs of three B-frames (as x264 encodes ads), nearly losslessly, whose
/// picture N is uniformly grey: luma 2N, so BGR (2N − 16) × 255 / 219 (video range).
fn b_frame_ramp(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("b-ramp.mp4");
    let source = "color=c=black:s=160x120:r=30:d=4,geq=lum='2*N':cb=128:cr=128";
    let path_str = path.to_str().unwrap();
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        source,
        "-c:v",
        "libx264",
        "-qp",
        "1",
        "-bf",
        "3",
        "-g",
        "250",
        "-x264-params",
        "b-adapt=0",
        "-pix_fmt",
        "yuv420p",
        path_str,
    ]);
    path
}

/// Sampling one picture a second leaves the unreferenced B-frames undecoded but for the ones it
/// wants: it hands out the very pictures 0, 30, 60, 90 and the last (their grey levels say so),
/// as decoding every picture would.
#[test]
fn unreferenced_pictures_are_not_decoded_but_the_sampled_ones_are_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = b_frame_ramp(dir.path());
    let (info, seen) = sampled_grey_levels(&path);
    assert!(
        info.frames_decoded < 90,
        "{} of 120 pictures decoded: the unreferenced ones were not skipped",
        info.frames_decoded
    );
    assert!((info.duration_s - 4.0).abs() < 1e-6, "duration {}", info.duration_s);
    let indices: Vec<u64> = seen.iter().map(|s| s.0).collect();
    assert_eq!(indices, [0, 30, 60, 90, 119]);
    for (index, time_s, level) in &seen {
        assert!((time_s * 30.0 - *index as f64).abs() < 1e-6, "index {index} at {time_s} s");
        let expected = ((2.0 * *index as f64 - 16.0) * 255.0 / 219.0).clamp(0.0, 255.0);
        assert!(
            (level - expected).abs() < 2.0,
            "frame {index} has grey level {level}, not {expected:.1}: not the picture it says"
        );
    }
    // Sampling every picture decodes every picture.
    let every = SampleSettings { per_second: 30.0, ..SampleSettings::default() };
    let all = sample(&path, &every, |_| Ok(())).unwrap();
    assert_eq!((all.frames_decoded, all.frames_sampled), (120, 120));
}

/// The frames sampling hands out are, pixel for pixel, the frames OpenCV's capture gives at the
/// same index — on a corpus ad and on a copy whose display matrix turns it a quarter.
#[test]
fn sampled_frames_are_opencvs_frames() {
    let Some(corpus) = crate::testing::require_corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let source = corpus.join("videos/c00.mp4");
    let turned = dir.path().join("turned.mp4");
    // The whole file: a cut copy can leave a gap in the timestamps at its end, where OpenCV's
    // count of pictures and the presentation time (which sampling reads) part ways.
    ffmpeg(&["-i", source.to_str().unwrap(), "-c", "copy", "-metadata:s:v:0", "rotate=90", turned.to_str().unwrap()]);
    for (path, size) in [(source, (360, 640)), (turned, (640, 360))] {
        let settings = SampleSettings { max_side: 4096, ..SampleSettings::default() };
        let mut sampled = Vec::new();
        let info = sample(&path, &settings, |f| {
            sampled.push((f.index, f.image));
            Ok(())
        })
        .unwrap();
        assert_eq!((info.width, info.height), size, "{}", path.display());
        let mut capture =
            opencv::videoio::VideoCapture::from_file(path.to_str().unwrap(), opencv::videoio::CAP_FFMPEG).unwrap();
        let (mut index, mut frame) = (0u64, Mat::default());
        for (wanted, image) in &sampled {
            while index <= *wanted {
                assert!(capture.read(&mut frame).unwrap(), "OpenCV ran out of frames before {wanted}");
                index += 1;
            }
            assert_eq!((frame.cols(), frame.rows()), size);
            let differ = opencv::core::norm2(image, &frame, opencv::core::NORM_INF, &opencv::core::no_array()).unwrap();
            assert_eq!(differ, 0.0, "{} frame {wanted} differs from OpenCV's by {differ}", path.display());
        }
    }
}
