//! Linking one video's detections into tracks, one per person on camera.
//!
//! A detection joins the track it resembles most among those seen in the last two detection
//! frames: by descriptor distance when there are descriptors (SSD), by box overlap otherwise
//! (Haar). Each track keeps its best crop (quality × frontalness) and its mean descriptor.

use opencv::core::{Mat, Rect};
use opencv::prelude::*;
use serde::{Deserialize, Serialize};

use super::motion::Motion;
use super::{Detection, FaceError, FaceSettings, appearance, quality};
use crate::faceapi::align::Landmarks;
use crate::faceapi::recognition::distance;
use crate::frames::Frame;

/// A track may skip this many detection frames (a turned head, a cutaway) and go on.
const MAX_GAP_STEPS: u32 = 2;
/// Without descriptors, boxes overlapping this much are the same face.
const MIN_TRACK_IOU: f64 = 0.3;
/// A face that moved away from the track's last box must resemble it this closely (dlib's
/// descriptors of two different people can come within the looser same-place distance).
const MAX_MOVED_DISTANCE: f32 = 0.4;

/// Counts over the whole video.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FaceSummary {
    pub detections: u64,
    pub frames_with_faces: u64,
    /// Frames the detector ran on.
    #[serde(default)]
    pub frames_checked: u64,
}

/// Where a track's face was in one detection frame, and how it looked there.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrackBox {
    pub time_s: f32,
    /// The face box as fractions of the frame's width (`x`, `w`) and height (`y`, `h`), so it
    /// means the same whatever size the frames were decoded at.
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
    /// The face's height over the frame's short side (what `min_face_fraction` measures).
    #[serde(default)]
    pub face_height: f32,
    /// The detector's confidence.
    pub score: f32,
    /// Variance of the Laplacian of the face resized to 128 px (see [`quality`]).
    pub sharpness: f32,
    /// 0..1 from the landmarks (1 when unknown).
    pub frontalness: f32,
    /// What the best homography onto the track's best detection leaves of the landmarks, in
    /// inter-ocular distances (see [`super::motion`]; 0 without landmarks).
    pub residual: f32,
    /// Human's antispoof and liveness scores (see [`super::LivenessScores`]; None when not run).
    #[serde(default)]
    pub antispoof: Option<f32>,
    #[serde(default)]
    pub liveness: Option<f32>,
    /// Eye aspect ratio and inner-lip gap of this detection (see [`super::motion`]).
    #[serde(default)]
    pub eyes: f32,
    #[serde(default)]
    pub mouth: f32,
    /// 1 − the correlation of this detection's aligned face with the track's previous one (see
    /// [`super::appearance`]): 0 when the face did not change at all. None for the first.
    #[serde(default)]
    pub change: Option<f32>,
    /// Mean colour saturation of the face, 0..1.
    #[serde(default)]
    pub saturation: f32,
    /// This detection's 128-d descriptor (stored as half floats; empty without descriptors).
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "half_floats")]
    pub descriptor: Vec<f32>,
}

/// A descriptor as base64 of little-endian half floats: a quarter of its size as JSON numbers,
/// and far more precise than descriptors are (dlib's distances are read to two decimals).
mod half_floats {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[f32], s: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = v.iter().flat_map(|x| half::f16::from_f32(*x).to_le_bytes()).collect();
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f32>, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = STANDARD.decode(text).map_err(serde::de::Error::custom)?;
        Ok(bytes.chunks_exact(2).map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32()).collect())
    }
}

/// One person's appearance in one video.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FaceTrack {
    /// 0-based within the video, most present first.
    pub index: u32,
    /// Detection frames the face was found in.
    pub frames: u32,
    pub first_s: f64,
    pub last_s: f64,
    /// The best crop: a file in the face store (set when saved), its time and quality.
    pub face_file: Option<String>,
    pub best_time_s: f64,
    pub quality: f64,
    /// Median face height over the frame's short side.
    pub face_fraction: f64,
    /// Highest detector confidence.
    pub confidence: f64,
    /// Of the best crop, 0..1 (1 when unknown: Haar).
    pub frontalness: f64,
    /// Mean 128-d descriptor (empty without descriptors).
    pub descriptor: Vec<f32>,
    /// Why this face is not a creator candidate (printed on a product, passer-by…); None: it is.
    pub incidental: Option<String>,
    /// How the landmarks moved over the track (all 0 without landmarks): a person turns, talks
    /// and blinks; a face printed on a product only moves as a whole.
    #[serde(default)]
    pub motion: Motion,
    /// Every detection of the track, in time order.
    #[serde(default)]
    pub boxes: Vec<TrackBox>,
    /// Mean distance of the per-frame descriptors to their mean: how much the face changed
    /// (pose, expression, light) while tracked.
    #[serde(default)]
    pub descriptor_spread: f32,
}

impl FaceTrack {
    pub fn on_camera(&self) -> bool {
        self.incidental.is_none()
    }

    /// How much of the video this face fills: frames seen × size.
    pub fn presence(&self) -> f64 {
        self.frames as f64 * self.face_fraction
    }
}

/// A finished track with its best crop (BGR, long side at most `crop_max_side`).
pub struct TrackCrop {
    pub track: FaceTrack,
    pub image: Mat,
}

struct Building {
    first_s: f64,
    last_s: f64,
    last_step: u32,
    last_rect: Rect,
    frames: u32,
    fractions: Vec<f64>,
    confidence: f64,
    best: Option<Best>,
    boxes: Vec<TrackBox>,
    landmarks: Vec<Option<Landmarks>>,
    descriptors: Vec<Vec<f32>>,
    /// The aligned face signature of the latest detection that had one.
    last_signature: Option<Vec<u8>>,
}

struct Best {
    score: f64,
    time_s: f64,
    frontalness: f64,
    image: Mat,
    /// Index into `boxes`.
    detection: usize,
}

impl Building {
    fn mean_descriptor(&self) -> Vec<f32> {
        let Some(first) = self.descriptors.first() else { return Vec::new() };
        let mut mean = vec![0f32; first.len()];
        for d in &self.descriptors {
            mean.iter_mut().zip(d).for_each(|(m, v)| *m += v);
        }
        mean.iter_mut().for_each(|m| *m /= self.descriptors.len() as f32);
        mean
    }

    /// The landmark motion, with each box's residual filled in.
    fn motion(&mut self) -> Motion {
        let with: Vec<(usize, &Landmarks)> =
            self.landmarks.iter().enumerate().filter_map(|(i, l)| Some((i, l.as_ref()?))).collect();
        if with.is_empty() {
            return Motion::default();
        }
        let best = self.best.as_ref().map_or(0, |b| b.detection);
        let reference = with.iter().position(|(i, _)| *i == best).unwrap_or(0);
        let points: Vec<&Landmarks> = with.iter().map(|(_, l)| *l).collect();
        let (motion, residuals) = Motion::of(&points, reference);
        for ((i, _), r) in with.iter().zip(residuals) {
            self.boxes[*i].residual = r;
        }
        motion
    }

    fn descriptor_spread(&self, mean: &[f32]) -> f32 {
        if self.descriptors.is_empty() {
            return 0.0;
        }
        self.descriptors.iter().map(|d| distance(d, mean)).sum::<f32>() / self.descriptors.len() as f32
    }
}

pub struct Tracker {
    settings: FaceSettings,
    steps: u32,
    /// The step of the latest shot change: a track that last saw its face before it continues
    /// only with a close descriptor, as if its face had moved.
    cut_at: u32,
    tracks: Vec<Building>,
    summary: FaceSummary,
}

impl Tracker {
    pub fn new(settings: &FaceSettings) -> Self {
        Self { settings: settings.clone(), steps: 0, cut_at: 0, tracks: Vec::new(), summary: FaceSummary::default() }
    }

    /// The next detection frame starts a new shot (the picture changed entirely): a face seen
    /// after it is the same track only when its descriptor says so, not because it sits where
    /// the last shot's face was.
    pub fn shot_changed(&mut self) {
        self.cut_at = self.steps + 1;
    }

    /// Adds one detection frame's faces.
    pub fn push(&mut self, frame: &Frame, detections: &[Detection]) -> Result<(), FaceError> {
        self.steps += 1;
        self.summary.frames_checked += 1;
        if detections.is_empty() {
            return Ok(());
        }
        self.summary.frames_with_faces += 1;
        self.summary.detections += detections.len() as u64;
        let (width, height) = (frame.image.cols(), frame.image.rows());
        let short_side = width.min(height).max(1);
        for detection in detections {
            let rect = clip(detection.rect, width, height);
            if rect.width < 8 || rect.height < 8 {
                continue;
            }
            let track = match self.matching_track(detection, rect) {
                Some(i) => i,
                None => {
                    self.tracks.push(Building {
                        first_s: frame.time_s,
                        last_s: frame.time_s,
                        last_step: 0,
                        last_rect: rect,
                        frames: 0,
                        fractions: Vec::new(),
                        confidence: 0.0,
                        best: None,
                        boxes: Vec::new(),
                        landmarks: Vec::new(),
                        descriptors: Vec::new(),
                        last_signature: None,
                    });
                    self.tracks.len() - 1
                }
            };
            let face = Mat::roi(&frame.image, rect)?.try_clone()?;
            let q = quality::assess(&face, rect.width.min(rect.height), short_side, detection.confidence)?;
            let saturation = appearance::saturation(&face)?;
            let signature = detection.chip.as_ref().map(appearance::signature).transpose()?;
            let frontalness = detection.landmarks.as_ref().map_or(1.0, |l| l.frontalness() as f64);
            let score = q.score() * frontalness;
            let t = &mut self.tracks[track];
            t.last_s = frame.time_s;
            t.last_step = self.steps;
            t.last_rect = rect;
            t.frames += 1;
            t.fractions.push(rect.height as f64 / short_side as f64);
            t.confidence = t.confidence.max(detection.confidence);
            if let Some(d) = &detection.descriptor {
                t.descriptors.push(d.clone());
            }
            t.landmarks.push(detection.landmarks.clone());
            let change = match (&signature, &t.last_signature) {
                (Some(now), Some(before)) => Some(appearance::change(now, before)),
                _ => None,
            };
            if signature.is_some() {
                t.last_signature = signature;
            }
            t.boxes.push(TrackBox {
                time_s: frame.time_s as f32,
                x: rect.x as f32 / width as f32,
                y: rect.y as f32 / height as f32,
                w: rect.width as f32 / width as f32,
                h: rect.height as f32 / height as f32,
                face_height: rect.height as f32 / short_side as f32,
                score: detection.confidence as f32,
                sharpness: q.laplacian_variance as f32,
                frontalness: frontalness as f32,
                residual: 0.0,
                antispoof: detection.liveness.map(|l| l.antispoof),
                liveness: detection.liveness.map(|l| l.liveness),
                change,
                saturation,
                eyes: detection.landmarks.as_ref().map_or(0.0, super::motion::eye_openness),
                mouth: detection.landmarks.as_ref().map_or(0.0, super::motion::mouth_opening),
                descriptor: detection.descriptor.clone().unwrap_or_default(),
            });
            if t.best.as_ref().is_none_or(|b| score > b.score) {
                let with_margin = expand(rect, self.settings.crop_margin, width, height);
                let crop = Mat::roi(&frame.image, with_margin)?.try_clone()?;
                let image = crate::frames::downscale(&crop, self.settings.crop_max_side)?;
                t.best = Some(Best { score, time_s: frame.time_s, frontalness, image, detection: t.boxes.len() - 1 });
            }
        }
        Ok(())
    }

    /// The open track this detection continues, if any.
    fn matching_track(&self, detection: &Detection, rect: Rect) -> Option<usize> {
        let open = |t: &&Building| t.last_step != self.steps && self.steps - t.last_step <= MAX_GAP_STEPS + 1;
        match &detection.descriptor {
            Some(d) => self
                .tracks
                .iter()
                .enumerate()
                .filter(|(_, t)| open(t) && !t.descriptors.is_empty())
                .map(|(i, t)| (i, distance(d, &t.mean_descriptor()), iou(rect, t.last_rect), t.last_step < self.cut_at))
                .filter(|(_, dist, overlap, across_cut)| {
                    let in_place = *overlap > 0.0 && !across_cut;
                    *dist < if in_place { self.settings.track_max_distance } else { MAX_MOVED_DISTANCE }
                })
                .map(|(i, dist, overlap, _)| (i, dist, overlap))
                .map(|(i, dist, _)| (i, dist))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(i, _)| i),
            None => self
                .tracks
                .iter()
                .enumerate()
                .filter(|(_, t)| open(t))
                .map(|(i, t)| (i, iou(rect, t.last_rect)))
                .filter(|(_, overlap)| *overlap >= MIN_TRACK_IOU)
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(i, _)| i),
        }
    }

    /// The tracks, most present first, with their best crops and incidental marks.
    pub fn finish(self) -> (Vec<TrackCrop>, FaceSummary) {
        let settings = &self.settings;
        let steps = self.steps;
        let mut out: Vec<TrackCrop> = self
            .tracks
            .into_iter()
            .filter_map(|mut t| {
                let descriptor = t.mean_descriptor();
                let descriptor_spread = t.descriptor_spread(&descriptor);
                let motion = t.motion();
                let face_fraction = median(t.fractions);
                let best = t.best?;
                let incidental = if face_fraction < settings.min_face_fraction {
                    Some(format!("small: {:.0} % of the frame's height", face_fraction * 100.0))
                } else if t.frames < settings.min_track_frames && steps >= settings.min_track_frames {
                    Some(format!("brief: in {} of {steps} frames checked", t.frames))
                } else {
                    None
                };
                Some(TrackCrop {
                    track: FaceTrack {
                        index: 0,
                        frames: t.frames,
                        first_s: t.first_s,
                        last_s: t.last_s,
                        face_file: None,
                        best_time_s: best.time_s,
                        quality: best.score,
                        face_fraction,
                        confidence: t.confidence,
                        frontalness: best.frontalness,
                        descriptor,
                        incidental,
                        motion,
                        boxes: t.boxes,
                        descriptor_spread,
                    },
                    image: best.image,
                })
            })
            .collect();
        out.sort_by(|a, b| b.track.presence().total_cmp(&a.track.presence()));
        for (i, t) in out.iter_mut().enumerate() {
            t.track.index = i as u32;
        }
        (out, self.summary)
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 { values[mid] } else { (values[mid - 1] + values[mid]) / 2.0 }
}

fn iou(a: Rect, b: Rect) -> f64 {
    let ix = ((a.x + a.width).min(b.x + b.width) - a.x.max(b.x)).max(0) as f64;
    let iy = ((a.y + a.height).min(b.y + b.height) - a.y.max(b.y)).max(0) as f64;
    let inter = ix * iy;
    inter / ((a.width * a.height + b.width * b.height) as f64 - inter).max(1.0)
}

fn clip(r: Rect, width: i32, height: i32) -> Rect {
    let x0 = r.x.clamp(0, width);
    let y0 = r.y.clamp(0, height);
    let x1 = (r.x + r.width).clamp(0, width);
    let y1 = (r.y + r.height).clamp(0, height);
    Rect::new(x0, y0, x1 - x0, y1 - y0)
}

/// `r` grown by `margin` × its size on every side, clipped to the frame.
fn expand(r: Rect, margin: f64, width: i32, height: i32) -> Rect {
    let dx = (r.width as f64 * margin).round() as i32;
    let dy = (r.height as f64 * margin).round() as i32;
    clip(Rect::new(r.x - dx, r.y - dy, r.width + 2 * dx, r.height + 2 * dy), width, height)
}
