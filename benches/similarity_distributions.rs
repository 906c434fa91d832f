//! Measurement behind the near-duplicate thresholds (`[pipeline.similarity]`): fingerprints every
//! corpus video, then prints
//! 1. the distribution of frame distances: each frame to its nearest frame in *other* videos, and
//!    between consecutive frames of the same video (how far a "same frame" drifts);
//! 2. the distribution, over all video pairs, of the share of the shorter video covered by their
//!    best alignment at the default frame threshold;
//! 3. what it costs: seconds spent fingerprinting the sampled frames (decoding not counted) and
//!    aligning every pair of videos.
//!
//! Run with `cargo bench -p ips-core --features test-support --bench similarity_distributions`.

use ips_core::align::align;
use ips_core::fingerprint::{FrameHash, fingerprint};
use ips_core::similarity::SimilaritySettings;
use ips_core::testing::corpus_dir;

fn histogram(title: &str, values: &[f32], edges: &[f32]) {
    println!("{title} (n = {})", values.len());
    let mut lower = 0.0;
    for &upper in edges.iter().chain(std::iter::once(&f32::INFINITY)) {
        let count = values.iter().filter(|&&v| v >= lower && v < upper).count();
        let bar = "#".repeat((count * 60 / values.len().max(1)).max(usize::from(count > 0)));
        let label = if upper.is_finite() { format!("{lower:.2}–{upper:.2}") } else { format!("≥ {lower:.2}") };
        println!("  {label:>11} {count:>6} {bar}");
        lower = upper;
    }
}

fn main() {
    let Some(dir) = corpus_dir() else {
        eprintln!("SKIPPED: the replay corpus (../shared/corpus) is absent");
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(dir.join("videos"))
        .expect("corpus videos")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "mp4"))
        .collect();
    files.sort();
    let mut fingerprinting = std::time::Duration::ZERO;
    let videos: Vec<Vec<FrameHash>> = files
        .iter()
        .map(|path| {
            let mut prints = Vec::new();
            ips_core::frames::sample(path, &Default::default(), |f| {
                let started = std::time::Instant::now();
                prints.push(fingerprint(&f.image, f.time_s)?);
                fingerprinting += started.elapsed();
                Ok(())
            })
            .expect("corpus video decodes");
            prints
        })
        .collect();

    let mut nearest_other = Vec::new();
    let mut consecutive = Vec::new();
    for (i, video) in videos.iter().enumerate() {
        for pair in video.windows(2) {
            consecutive.push(pair[0].distance(&pair[1]));
        }
        for frame in video {
            let nearest = videos
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .flat_map(|(_, other)| other.iter().map(|g| frame.distance(g)))
                .fold(1.0f32, f32::min);
            nearest_other.push(nearest);
        }
    }
    let edges = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5];
    histogram("frame → nearest frame of another video", &nearest_other, &edges);
    histogram("frame → next frame of the same video", &consecutive, &edges);

    let settings = SimilaritySettings::default();
    let aligning = std::time::Instant::now();
    let mut shares = Vec::new();
    for i in 0..videos.len() {
        for j in i + 1..videos.len() {
            let (a, b) = (&videos[i], &videos[j]);
            let share = align(a, b, settings.frame_max_distance)
                .map_or(0.0, |s| s.matched as f32 / a.len().min(b.len()).max(1) as f32);
            shares.push(share);
        }
    }
    let aligning = aligning.elapsed();
    histogram(
        "video pairs: share of the shorter video in the best alignment",
        &shares,
        &[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
    );
    let frames: usize = videos.iter().map(Vec::len).sum();
    println!(
        "cost: fingerprinting {frames} frames of {} videos {:.2} s; aligning all {} pairs {:.2} s",
        videos.len(),
        fingerprinting.as_secs_f64(),
        shares.len(),
        aligning.as_secs_f64()
    );
}
