//! Measures the SSD run on the picture's part of its square against face-api's whole square, on
//! the replay corpus's sampled frames (1 per second, as a run samples them), for the main pass
//! and the close-up pass (the frame shrunk inside a black border of half its width):
//!
//!     cargo run --release -p ips-core --features test-support --example ssd_framing
//!
//! For each way of looking: the time per pass, and against the square: faces kept (score ≥ 0.5)
//! matched (IoU ≥ 0.5) or not, the worst IoU and score change of a matched face, and frames on
//! the other side of the second-look gate (best candidate ≥ 0.05). `IPS_FRAMING_FILES=N` takes
//! the first N files only. (The first measurement also ran the picture with no black past it,
//! `Framing::Picture { margin: 0 }`: README "Speed".)

use std::time::Instant;

use ips_core::faceapi::{FaceBox, FaceModels, Framing, nn, rgb_map};
use ips_core::frames::{SampleSettings, sample};

/// The score a run keeps (`FaceSettings::min_score`) and its second-look gate.
const MIN_SCORE: f32 = 0.5;
const GATE: f32 = 0.05;

#[derive(Default)]
struct Tally {
    seconds: f64,
    passes: usize,
    faces: usize,
    matched: usize,
    lost: Vec<(String, f32, f32)>,
    new: Vec<(String, f32, f32)>,
    worst_iou: f32,
    worst_score: f32,
    gate_flips: usize,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let corpus = ips_core::testing::corpus_dir().ok_or("the replay corpus is missing")?;
    let ssd = FaceModels::load(&ips_core::testing::models_dir())?;
    let limit: usize = std::env::var("IPS_FRAMING_FILES").ok().and_then(|v| v.parse().ok()).unwrap_or(usize::MAX);
    let mut files: Vec<_> =
        std::fs::read_dir(corpus.join("videos"))?.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    files.sort();
    // Each pass's framings, the first (face-api's whole square) the reference.
    let main_looks = [("main pass, whole square", Framing::Square), ("main pass, picture + 32 px", Framing::RUN)];
    let close_looks =
        [("close-up pass, whole square", Framing::Square), ("close-up pass, picture + 32 px", Framing::RUN)];
    let mut tallies: Vec<Tally> =
        (0..main_looks.len() + close_looks.len()).map(|_| Tally { worst_iou: 1.0, ..Default::default() }).collect();
    for path in files.iter().take(limit) {
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("?").to_string();
        sample(path, &SampleSettings::default(), |frame| {
            let rgb = rgb_map(&frame.image).map_err(|e| ips_core::frames::FramesError::Stopped(e.to_string()))?;
            let pad = rgb.w / 2;
            let padded = nn::pad_border(&rgb, pad);
            let at = format!("{name} {:.0} s", frame.time_s);
            let mut square_found = false;
            for (pass, looks) in [&main_looks[..], &close_looks[..]].into_iter().enumerate() {
                if pass == 1 && square_found {
                    continue;
                }
                let image = if pass == 0 { &rgb } else { &padded };
                let mut reference = (Vec::new(), 0.0);
                for (l, (_, framing)) in looks.iter().enumerate() {
                    let t = Instant::now();
                    let all = ssd.detector.detect(image, *framing, GATE.min(MIN_SCORE) * 0.5, 20).unwrap();
                    let tally = &mut tallies[pass * main_looks.len() + l];
                    tally.seconds += t.elapsed().as_secs_f64();
                    tally.passes += 1;
                    let kept: Vec<FaceBox> = all.iter().copied().filter(|b| b.score > MIN_SCORE).collect();
                    let best = all.iter().map(|b| b.score).fold(0.0, f32::max);
                    tally.faces += kept.len();
                    if l == 0 {
                        square_found = pass == 0 && !kept.is_empty();
                        reference = (kept, best);
                        continue;
                    }
                    tally.gate_flips += usize::from((best >= GATE) != (reference.1 >= GATE));
                    compare(tally, &reference.0, &kept, &at, rgb.h.min(rgb.w) as f32);
                }
            }
            Ok(())
        })?;
        eprint!(".");
    }
    eprintln!();
    for ((label, _), t) in main_looks.iter().chain(&close_looks).zip(&tallies) {
        println!(
            "{label}: {} passes, {:.1} ms each; {} faces; against the whole square: matched {}, lost {}, new {}, \
             worst IoU {:.3}, worst score change {:.3}, best candidate across the 0.05 gate {}",
            t.passes,
            t.seconds / t.passes.max(1) as f64 * 1e3,
            t.faces,
            t.matched,
            t.lost.len(),
            t.new.len(),
            t.worst_iou,
            t.worst_score,
            t.gate_flips
        );
        for (at, score, size) in &t.lost {
            println!("    lost {at}: score {score:.3}, height {size:.2} of the short side");
        }
        for (at, score, size) in &t.new {
            println!("    new  {at}: score {score:.3}, height {size:.2} of the short side");
        }
    }
    Ok(())
}

/// Matches `ours` to the square's `theirs` by overlap, best score first.
fn compare(tally: &mut Tally, theirs: &[FaceBox], ours: &[FaceBox], at: &str, short: f32) {
    let mut used = vec![false; ours.len()];
    for t in theirs {
        let best = (0..ours.len()).filter(|&i| !used[i]).max_by(|&a, &b| iou(t, &ours[a]).total_cmp(&iou(t, &ours[b])));
        match best.filter(|&i| iou(t, &ours[i]) >= 0.5) {
            Some(i) => {
                used[i] = true;
                tally.matched += 1;
                tally.worst_iou = tally.worst_iou.min(iou(t, &ours[i]));
                tally.worst_score = tally.worst_score.max((t.score - ours[i].score).abs());
            }
            None => tally.lost.push((at.to_string(), t.score, t.height / short)),
        }
    }
    for (o, used) in ours.iter().zip(used) {
        if !used {
            tally.new.push((at.to_string(), o.score, o.height / short));
        }
    }
}

fn iou(a: &FaceBox, b: &FaceBox) -> f32 {
    let ix = ((a.x + a.width).min(b.x + b.width) - a.x.max(b.x)).max(0.0);
    let iy = ((a.y + a.height).min(b.y + b.height) - a.y.max(b.y)).max(0.0);
    let inter = ix * iy;
    inter / (a.width * a.height + b.width * b.height - inter)
}
