//! Measures two gates in front of face-api's SSD's second, close-up pass on the replay corpus's
//! sampled frames (1 per second, as a run samples them), to decide which SSD passes they can
//! spare: BlazeFace's best score on the frame, and the main SSD pass's own best score below its
//! threshold (free: the same pass, read further down):
//!
//!     cargo run --release -p ips-core --features test-support --example blazeface_gate
//!
//! For every frame: SSD on the frame (the main pass), and, when that finds nothing, SSD on the
//! frame shrunk inside a black border (the close-up pass), as `faces::detector` runs them; and
//! BlazeFace's best score on the frame. Prints, for BlazeFace thresholds, how many passes a gate
//! would spare and how many SSD faces it would lose (by size), and the time of each net.

use std::time::Instant;

use ips_core::faceapi::{FaceModels, Framing, nn, rgb_map};
use ips_core::frames::{SampleSettings, sample};
use ips_core::human::BlazeFace;

/// SSD's faces on one frame (min score 0.5, as a run) as their heights over the frame's short
/// side, and the two gates' scores.
struct FrameSeen {
    main: Vec<f32>,
    close_up: Vec<f32>,
    blaze: f32,
    /// The main pass's best score, found or not.
    main_best: f32,
    /// From a tuning-half file (even number: c00, c02, …), where gates are chosen.
    tuning: bool,
    /// The file's number (frames of one file come in order).
    file: u32,
}

/// The score a run keeps (`FaceSettings::min_score`).
const MIN_SCORE: f32 = 0.5;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let corpus = ips_core::testing::corpus_dir().ok_or("the replay corpus is missing")?;
    let models_dir = ips_core::testing::models_dir();
    let ssd = FaceModels::load(&models_dir)?;
    let blaze = BlazeFace::load(&models_dir)?;
    let limit: usize = std::env::var("IPS_GATE_FILES").ok().and_then(|v| v.parse().ok()).unwrap_or(usize::MAX);
    let mut files: Vec<_> =
        std::fs::read_dir(corpus.join("videos"))?.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    files.sort();
    let (mut ssd_time, mut blaze_time, mut ssd_calls, mut blaze_calls) = (0.0, 0.0, 0usize, 0usize);
    let mut seen: Vec<FrameSeen> = Vec::new();
    for path in files.iter().take(limit) {
        let number: u32 =
            path.file_stem().and_then(|s| s.to_str()).and_then(|s| s.trim_start_matches('c').parse().ok()).unwrap_or(0);
        let tuning = number % 2 == 0;
        sample(path, &SampleSettings::default(), |frame| {
            let rgb = rgb_map(&frame.image).map_err(|e| ips_core::frames::FramesError::Stopped(e.to_string()))?;
            let short = rgb.h.min(rgb.w) as f32;
            let t = Instant::now();
            let all = ssd.detector.detect(&rgb, Framing::RUN, 0.01, 20).unwrap();
            let main_best = all.iter().map(|b| b.score).fold(0.0, f32::max);
            let main: Vec<f32> = all.iter().filter(|b| b.score >= MIN_SCORE).map(|b| b.height / short).collect();
            ssd_time += t.elapsed().as_secs_f64();
            ssd_calls += 1;
            let mut close_up = Vec::new();
            if main.is_empty() {
                let pad = rgb.w / 2;
                let padded = nn::pad_border(&rgb, pad);
                let t = Instant::now();
                close_up = ssd
                    .detector
                    .detect(&padded, Framing::RUN, MIN_SCORE, 20)
                    .unwrap()
                    .iter()
                    .map(|b| b.height / short)
                    .collect();
                ssd_time += t.elapsed().as_secs_f64();
                ssd_calls += 1;
            }
            let t = Instant::now();
            let best = blaze.detect(&rgb, 0.0).unwrap().first().map_or(0.0, |b| b.score);
            blaze_time += t.elapsed().as_secs_f64();
            blaze_calls += 1;
            seen.push(FrameSeen { main, close_up, blaze: best, main_best, tuning, file: number });
            Ok(())
        })?;
        eprint!(".");
    }
    eprintln!();
    println!(
        "{} frames; SSD {:.1} ms per pass ({ssd_calls} passes), BlazeFace {:.1} ms per frame",
        seen.len(),
        1e3 * ssd_time / ssd_calls as f64,
        1e3 * blaze_time / blaze_calls as f64
    );
    let with_main = seen.iter().filter(|f| !f.main.is_empty()).count();
    let close_ups = seen.iter().filter(|f| f.main.is_empty()).count();
    let close_up_found = seen.iter().filter(|f| !f.close_up.is_empty()).count();
    println!("main pass found faces on {with_main}; close-up pass ran on {close_ups}, found faces on {close_up_found}");
    println!(
        "gate  close-up passes spared  close-up frames lost (faces)  main passes spared  main frames lost: any face / a face >= 0.15"
    );
    for gate in [0.05f32, 0.1, 0.2, 0.3, 0.4, 0.5] {
        let closed = |f: &&FrameSeen| f.blaze < gate;
        let spared_close = seen.iter().filter(|f| f.main.is_empty()).filter(closed).count();
        let lost_close: Vec<&FrameSeen> = seen.iter().filter(|f| !f.close_up.is_empty()).filter(closed).collect();
        let spared_main = seen.iter().filter(closed).count();
        let lost_any = seen.iter().filter(|f| !f.main.is_empty()).filter(closed).count();
        let lost_big = seen.iter().filter(|f| f.main.iter().any(|&h| h >= 0.15)).filter(closed).count();
        println!(
            "{gate:4}  {spared_close:22}  {:12} ({:?})  {spared_main:17}  {lost_any:5} / {lost_big}",
            lost_close.len(),
            lost_close.iter().map(|f| f.close_up.clone()).collect::<Vec<_>>()
        );
    }
    for (half, in_half) in [("tuning half", true), ("held-out half", false)] {
        let frames: Vec<&FrameSeen> = seen.iter().filter(|f| f.tuning == in_half).collect();
        let second_looks = frames.iter().filter(|f| f.main.is_empty()).count();
        let found = frames.iter().filter(|f| !f.close_up.is_empty()).count();
        println!("{half}: {} frames, {second_looks} close-up passes, {found} finding faces", frames.len());
        println!("gate on the main pass's best score: close-up passes spared  close-up frames lost (faces)");
        for gate in [0.05f32, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4] {
            let closed = |f: &&&FrameSeen| f.main.is_empty() && f.main_best < gate;
            let spared = frames.iter().filter(closed).count();
            let lost: Vec<Vec<f32>> =
                frames.iter().filter(|f| !f.close_up.is_empty()).filter(closed).map(|f| f.close_up.clone()).collect();
            println!("{gate:4}  {spared:22}  {:12} ({lost:?})", lost.len());
        }
        // The detector's rule: the gate, or the previous frame's second look found a face.
        println!("with the frame after a found close-up looked at again:");
        for gate in [0.05f32, 0.1, 0.15, 0.2] {
            let (mut taken, mut lost, mut previous_found, mut file) = (0, Vec::new(), false, u32::MAX);
            for f in &frames {
                if f.file != file {
                    (previous_found, file) = (false, f.file);
                }
                let look = f.main.is_empty() && (f.main_best >= gate || previous_found);
                previous_found = look && !f.close_up.is_empty();
                taken += usize::from(look);
                if !look && !f.close_up.is_empty() {
                    lost.push(f.close_up.clone());
                }
            }
            println!(
                "{gate:4}  second looks {taken:4} (spared {:4})  frames lost {} ({lost:?})",
                second_looks - taken,
                lost.len()
            );
        }
    }
    let mut found_best: Vec<(f32, Vec<f32>)> =
        seen.iter().filter(|f| !f.close_up.is_empty()).map(|f| (f.main_best, f.close_up.clone())).collect();
    found_best.sort_by(|a, b| a.0.total_cmp(&b.0));
    println!("main pass's best score on the frames where the close-up pass found faces: {found_best:?}");
    Ok(())
}
