//! Face model throughput on this machine: SSD detections per frame (the 512 × 512 square, and
//! the picture's part of it as a run detects), landmark
//! crops and 150 × 150 descriptors per second, on the package's sample photos.
//! Run: `cargo bench --bench face_speed` (after `make models`).

use std::path::Path;
use std::time::Instant;

use ips_core::faceapi::{FaceModels, Framing, rgb_map};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let started = Instant::now();
    let models = FaceModels::load(&root.join("models"))?;
    println!("load: {:.2} s", started.elapsed().as_secs_f64());
    let rounds: usize = std::env::var("FACE_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(3);
    let mut frames = Vec::new();
    for n in 1..=6 {
        let path = root.join(format!("models/face-api/demo/sample{n}.jpg"));
        let bgr = opencv::imgcodecs::imread(path.to_str().ok_or("path")?, opencv::imgcodecs::IMREAD_COLOR)?;
        frames.push(rgb_map(&bgr)?);
    }
    // An ad's frame is 9 : 16: the sample photos squeezed to 360 × 640 time the run's framing
    // on the shape it meets.
    let portrait: Vec<_> = frames.iter().map(|f| ips_core::faceapi::nn::resize_bilinear(f, 640, 360)).collect();
    let mut boxes = Vec::new();
    for (label, images, framing) in [
        ("sample photos, whole square (face-api)", &frames, Framing::Square),
        ("sample photos, picture only (a run)", &frames, Framing::RUN),
        ("360 × 640 frames, whole square (face-api)", &portrait, Framing::Square),
        ("360 × 640 frames, picture only (a run)", &portrait, Framing::RUN),
    ] {
        let started = Instant::now();
        let mut found = Vec::new();
        for _ in 0..rounds {
            found.clear();
            for frame in images {
                found.push(models.detector.detect(frame, framing, 0.5, 100)?);
            }
        }
        let detect_s = started.elapsed().as_secs_f64() / (rounds * images.len()) as f64;
        let faces: usize = found.iter().map(Vec::len).sum();
        println!(
            "detector, {label}: {:.1} frames/s ({:.0} ms per frame, {faces} faces in 6 images)",
            1.0 / detect_s,
            detect_s * 1e3
        );
        if boxes.is_empty() {
            boxes = found;
        }
    }

    let mut crops = Vec::new();
    for (frame, found) in frames.iter().zip(&boxes) {
        for b in found {
            crops.push(ips_core::faceapi::nn::crop(
                frame,
                b.x as usize,
                b.y as usize,
                b.width as usize,
                b.height as usize,
            ));
        }
    }
    let started = Instant::now();
    for _ in 0..rounds {
        for crop in &crops {
            models.landmarks.landmarks(crop)?;
        }
    }
    let per = started.elapsed().as_secs_f64() / (rounds * crops.len()) as f64;
    println!("landmarks: {:.1} faces/s", 1.0 / per);
    let started = Instant::now();
    for _ in 0..rounds {
        for crop in &crops {
            models.recognition.descriptor(crop)?;
        }
    }
    let per = started.elapsed().as_secs_f64() / (rounds * crops.len()) as f64;
    println!("descriptors: {:.1} faces/s", 1.0 / per);
    Ok(())
}
