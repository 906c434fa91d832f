//! The demo dataset, made by IPS itself from the sample photos of the face-api package: short
//! portrait clips that zoom and pan over a face (two per person, as creators re-use themselves),
//! clips with nobody on camera, and a re-post that is byte-for-byte the same as another clip.
//! [`demo_csv`] lists them with made-up performance scores.
//!
//! The photos' faces are animated ([`animate`]): they talk, blink and raise their brows, warped
//! around their landmarks, because a face that never changes is a print to IPS.

pub mod animate;

use std::path::{Path, PathBuf};

use opencv::core::{BORDER_REPLICATE, CV_8UC3, Mat, Point, Rect, Scalar, Size};
use opencv::prelude::*;
use opencv::{imgcodecs, imgproc};

use crate::faceapi::FaceModels;
use crate::faceapi::align::Landmarks;
use crate::faces::{FaceDetector, FaceSettings};
use crate::video_writer::write_mp4;
use animate::{Expression, pose};

/// Clip geometry: portrait, as ads are.
const WIDTH: i32 = 360;
const HEIGHT: i32 = 640;
const FPS: f64 = 10.0;
const FRAMES: usize = 30;

#[derive(Debug, Clone, PartialEq)]
pub struct DemoClip {
    pub file: String,
    /// The sample photo the clip shows, when it shows a person.
    pub person: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("no sample photos in {0}")]
    NoPhotos(PathBuf),
    #[error(transparent)]
    Faces(#[from] crate::faces::FaceError),
    #[error(transparent)]
    Models(#[from] crate::faceapi::ModelError),
    #[error(transparent)]
    Write(#[from] crate::video_writer::WriteError),
    #[error(transparent)]
    OpenCv(#[from] opencv::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Writes the demo clips into `out` (skipping files already there) and lists them; the faces
/// are found (and animated) with the face-api models in `models_dir`.
pub fn make_clips(photos_dir: &Path, out: &Path, models_dir: &Path) -> Result<Vec<DemoClip>, DemoError> {
    std::fs::create_dir_all(out)?;
    let mut photos: Vec<PathBuf> = std::fs::read_dir(photos_dir)
        .map_err(|_| DemoError::NoPhotos(photos_dir.to_path_buf()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
        .collect();
    photos.sort();
    if photos.is_empty() {
        return Err(DemoError::NoPhotos(photos_dir.to_path_buf()));
    }
    let models = std::sync::Arc::new(FaceModels::load(models_dir)?);
    let mut detector = FaceDetector::new(&FaceSettings::default(), Some(models), None)?;
    let mut clips = Vec::new();
    for (i, photo_path) in photos.iter().enumerate() {
        let photo = imgcodecs::imread(photo_path.as_os_str(), imgcodecs::IMREAD_COLOR)?;
        if photo.empty() {
            continue;
        }
        let found = detector.detect(&photo)?;
        let Some(face) = found.iter().max_by_key(|d| d.rect.area()).map(|d| d.rect) else {
            continue;
        };
        let landmarks: Vec<Landmarks> = found.into_iter().filter_map(|d| d.landmarks).collect();
        let person = photo_path.file_stem().map(|s| s.to_string_lossy().to_string());
        let posed = |k: usize| pose(&photo, &landmarks, Expression::at(k));
        for (kind, frames) in [("zoom", zoom_frames(&posed, face)?), ("pan", pan_frames(&posed, face)?)] {
            let file = format!("p{}-{kind}.mp4", i + 1);
            write_once(&out.join(&file), &frames)?;
            clips.push(DemoClip { file, person: person.clone() });
        }
    }
    for (n, colour) in [(1, Scalar::new(40.0, 120.0, 220.0, 0.0)), (2, Scalar::new(60.0, 180.0, 90.0, 0.0))] {
        let file = format!("product-{n}.mp4");
        write_once(&out.join(&file), &product_frames(n, colour)?)?;
        clips.push(DemoClip { file, person: None });
    }
    // A re-post: the same bytes as the first clip, under another name.
    if let Some(first) = clips.first().cloned() {
        let file = "p1-zoom-repost.mp4".to_string();
        if !out.join(&file).exists() {
            std::fs::copy(out.join(&first.file), out.join(&file))?;
        }
        clips.push(DemoClip { file, person: first.person });
    }
    Ok(clips)
}

/// The demo spreadsheet: each clip run as 1–3 ads with made-up scores, URLs under `base_url`.
pub fn demo_csv(clips: &[DemoClip], base_url: &str) -> String {
    let mut csv = String::from("Performance,Video URL,Campaign\n");
    for (i, clip) in clips.iter().enumerate() {
        let ads = 1 + (crate::hash::sha256_hex(clip.file.as_bytes()).as_bytes()[0] as usize % 3);
        for ad in 0..ads {
            let seed = crate::hash::sha256_hex(format!("{}#{ad}", clip.file).as_bytes());
            let unit = u32::from_str_radix(&seed[..8], 16).unwrap_or(0) as f64 / u32::MAX as f64;
            let score = 0.4 + 2.0 * unit;
            let campaign = ["Spring launch", "Summer sale", "Evergreen"][(i + ad) % 3];
            csv.push_str(&format!("{score:.3},{}/videos/{},{campaign}\n", base_url.trim_end_matches('/'), clip.file));
        }
    }
    csv
}

fn write_once(path: &Path, frames: &[Mat]) -> Result<(), DemoError> {
    if !path.exists() {
        write_mp4(path, FPS, frames)?;
    }
    Ok(())
}

/// A portrait window of `photo` centred on `centre` whose height is `window_h`, scaled to the
/// clip size. The photo is padded (edge pixels repeated) so windows near its border still fit.
fn window(photo: &Mat, centre: Point, window_h: i32) -> Result<Mat, opencv::Error> {
    let window_w = window_h * WIDTH / HEIGHT;
    let pad = window_h;
    let mut padded = Mat::default();
    opencv::core::copy_make_border(photo, &mut padded, pad, pad, pad, pad, BORDER_REPLICATE, Scalar::default())?;
    let rect = Rect::new(centre.x + pad - window_w / 2, centre.y + pad - window_h / 2, window_w, window_h);
    let roi = Mat::roi(&padded, rect)?;
    let mut out = Mat::default();
    imgproc::resize(&roi, &mut out, Size::new(WIDTH, HEIGHT), 0.0, 0.0, imgproc::INTER_AREA)?;
    Ok(out)
}

fn face_centre(face: Rect) -> Point {
    Point::new(face.x + face.width / 2, face.y + face.height / 2)
}

/// A photo posed for frame `k`.
type Posed<'a> = dyn Fn(usize) -> Result<Mat, opencv::Error> + 'a;

/// From the face filling a quarter of the frame's height to more than half of it.
fn zoom_frames(posed: &Posed<'_>, face: Rect) -> Result<Vec<Mat>, opencv::Error> {
    (0..FRAMES)
        .map(|k| {
            let t = k as f64 / (FRAMES - 1) as f64;
            let window_h = (face.height as f64 * (4.0 - 2.2 * t)) as i32;
            window(&posed(k)?, face_centre(face), window_h.max(16))
        })
        .collect()
}

/// The face drifting from one side of the frame to the other.
fn pan_frames(posed: &Posed<'_>, face: Rect) -> Result<Vec<Mat>, opencv::Error> {
    let window_h = face.height * 3;
    (0..FRAMES)
        .map(|k| {
            let t = k as f64 / (FRAMES - 1) as f64 - 0.5;
            let centre = face_centre(face);
            window(&posed(k)?, Point::new(centre.x + (t * face.width as f64 * 0.8) as i32, centre.y), window_h)
        })
        .collect()
}

/// `n` frames of `photo` with its faces talking: for tests that need a person on camera.
pub fn talking_frames(photo: &Mat, models: std::sync::Arc<FaceModels>, n: usize) -> Result<Vec<Mat>, DemoError> {
    let mut detector = FaceDetector::new(&FaceSettings::default(), Some(models), None)?;
    let landmarks: Vec<Landmarks> = detector.detect(photo)?.into_iter().filter_map(|d| d.landmarks).collect();
    Ok((0..n).map(|k| pose(photo, &landmarks, Expression::at(k))).collect::<Result<_, _>>()?)
}

/// A "product shot" over a plain background, nobody on camera: a disc gliding across (`n` 1) or
/// a box rising on a dark stage (`n` 2), so the two are different creatives.
fn product_frames(n: usize, colour: Scalar) -> Result<Vec<Mat>, opencv::Error> {
    (0..FRAMES)
        .map(|k| {
            let background = if n == 1 { 235.0 } else { 40.0 };
            let mut frame = Mat::new_rows_cols_with_default(HEIGHT, WIDTH, CV_8UC3, Scalar::all(background))?;
            if n == 1 {
                let x = 60 + (k as i32 * 8);
                imgproc::circle(&mut frame, Point::new(x, HEIGHT / 2), 70, colour, -1, imgproc::LINE_AA, 0)?;
            } else {
                let y = HEIGHT - 220 - (k as i32 * 10);
                imgproc::rectangle(&mut frame, Rect::new(90, y, 180, 140), colour, -1, imgproc::LINE_8, 0)?;
            }
            imgproc::rectangle(
                &mut frame,
                Rect::new(40, HEIGHT - 140, WIDTH - 80, 60),
                Scalar::new(30.0, 30.0, 30.0, 0.0),
                -1,
                imgproc::LINE_8,
                0,
            )?;
            Ok(frame)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_have_faces_where_they_should_and_the_csv_lists_them() {
        let Some(photos) = crate::testing::require_model_file("face-api/demo") else { return };
        let out = tempfile::tempdir().unwrap();
        let clips = make_clips(&photos, out.path(), &crate::testing::models_dir()).unwrap();
        assert!(clips.iter().filter(|c| c.person.is_some()).count() >= 8, "{clips:?}");
        assert_eq!(clips.iter().filter(|c| c.person.is_none()).count(), 2);
        let bytes = |f: &str| std::fs::read(out.path().join(f)).unwrap();
        assert_eq!(bytes("p1-zoom.mp4"), bytes("p1-zoom-repost.mp4"), "the re-post is an exact duplicate");

        let mut detector = crate::faces::HaarDetector::new(&FaceSettings::default()).unwrap();
        let mut faces_in = |file: &str| {
            let mut found = 0;
            crate::frames::sample(&out.path().join(file), &Default::default(), |f| {
                found += usize::from(!detector.detect(&f.image).unwrap().is_empty());
                Ok(())
            })
            .unwrap();
            found
        };
        assert!(faces_in("p1-zoom.mp4") >= 2, "a person clip shows a face");
        assert_eq!(faces_in("product-1.mp4"), 0, "a product clip shows none");

        let prints = |file: &str| {
            let mut prints = Vec::new();
            crate::frames::sample(&out.path().join(file), &Default::default(), |f| {
                prints.push(crate::fingerprint::fingerprint(&f.image, f.time_s)?);
                Ok(())
            })
            .unwrap();
            prints
        };
        let settings = crate::similarity::SimilaritySettings::default();
        assert_eq!(
            crate::similarity::relate(&prints("product-1.mp4"), &prints("product-2.mp4"), &settings),
            crate::similarity::Relation::Different,
            "the two product clips are different creatives"
        );

        let csv = demo_csv(&clips, "http://127.0.0.1:3000/demo");
        let sheet = crate::ingest::parse_sheet(csv.as_bytes()).unwrap();
        assert!(sheet.rejected.is_empty());
        assert!(sheet.accepted.len() > clips.len(), "some clips run as several ads");
        assert!(sheet.accepted.iter().all(|r| { r.video_url.starts_with("http://127.0.0.1:3000/demo/videos/") }));
    }
}
