//! Which face tracks are clustered into creators, and with what descriptor: quality before
//! identity, and faces on products kept out.
//!
//! dlib's descriptors of small, blurred, side-on or badly landmarked faces all look alike (on
//! the replay corpus such tracks sit within 0.3 of dozens of others), and those are what chain
//! different people together. So only *good* detections count — frontal enough, confidently
//! detected, large enough, with plausible landmarks ([`CreatorSettings`]) — a track needs
//! [`CreatorSettings::min_good_frames`] of them to be clustered, and its descriptor is their
//! mean. Other tracks stay visible as unclustered faces.
//!
//! A face printed on a product does not change while filmed: once aligned, its detections are
//! the same picture ([`crate::faces::appearance::change`] under
//! [`CreatorSettings::still_max_change`]). Such tracks are prints: not creators, listed as faces
//! on products. Measured and left out (README): the landmark residual after a homography fit
//! (landmarks on side-on printed faces are too noisy), colour saturation (graded photos of real
//! people are as grey as engravings), and Human's learned antispoof and liveness nets (they
//! do not separate the corpus's prints from its people); they are recorded per detection.

use serde::{Deserialize, Serialize};

use super::CreatorSettings;
use crate::faces::{FaceTrack, TrackBox};

/// What a face track is to the grouping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum TrackRole {
    /// Clustered into a creator.
    Person,
    /// A face on a product, a photo or a screen.
    Print { why: PrintEvidence },
    /// Not good enough to tell who it is (too few good detections).
    Unclustered { why: String },
    /// Marked at analysis: too small or too brief to be a creator (a passer-by).
    Incidental { why: String },
}

/// Why a track is taken for a print.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "sign", rename_all = "snake_case")]
pub enum PrintEvidence {
    /// Its aligned face did not change between detections (median 1 − correlation).
    Still { change: f32 },
    /// Its aligned face was pixel for pixel the same as the detection before, this many times.
    Identical { times: u32 },
}

/// 1 − correlation under which two detections of a face are the same picture: on the labelled
/// corpus no person's consecutive detections came closer than 0.04, while prints held still
/// give 0.00–0.01.
const IDENTICAL: f32 = 0.02;

impl std::fmt::Display for PrintEvidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PrintEvidence::Still { change } => write!(f, "never changes while filmed ({:.0} % change)", change * 100.0),
            PrintEvidence::Identical { times } => write!(f, "the very same picture {times} times, a second apart"),
        }
    }
}

impl TrackRole {
    pub fn is_person(&self) -> bool {
        matches!(self, TrackRole::Person)
    }

    /// One line for the pages.
    pub fn describe(&self) -> String {
        match self {
            TrackRole::Person => "person".into(),
            TrackRole::Print { why } => format!("face on a product: {why}"),
            TrackRole::Unclustered { why } | TrackRole::Incidental { why } => why.clone(),
        }
    }
}

/// A track's role and, for a person, the descriptor it is clustered by.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub role: TrackRole,
    pub descriptor: Option<Vec<f32>>,
}

/// Whether one detection is good enough to say who it is.
pub fn is_good(b: &TrackBox, settings: &CreatorSettings) -> bool {
    b.frontalness >= settings.min_frontalness
        && b.score >= settings.min_score
        && b.face_height >= settings.min_face
        && b.eyes <= settings.max_eye_openness
        && !b.descriptor.is_empty()
}

/// Decides what `track` is (see the module doc). `person` says the user counted it as a
/// person whatever the machine thinks.
pub fn assess(track: &FaceTrack, settings: &CreatorSettings, person: bool) -> Assessment {
    if track.descriptor.is_empty() {
        // The Haar detector gives no descriptors: each video's on-camera tracks are one person.
        return match &track.incidental {
            Some(why) if !person => Assessment { role: TrackRole::Incidental { why: why.clone() }, descriptor: None },
            _ => Assessment { role: TrackRole::Person, descriptor: None },
        };
    }
    if track.boxes.is_empty() {
        // An analysis from before per-detection boxes were kept: clustered as it was then.
        return match (&track.incidental, person) {
            (Some(why), false) => Assessment { role: TrackRole::Incidental { why: why.clone() }, descriptor: None },
            _ => Assessment { role: TrackRole::Person, descriptor: Some(track.descriptor.clone()) },
        };
    }
    let good: Vec<&TrackBox> = track.boxes.iter().filter(|b| is_good(b, settings)).collect();
    let descriptor = mean(&good).or_else(|| person.then(|| track.descriptor.clone()));
    if person {
        return Assessment { role: TrackRole::Person, descriptor };
    }
    if let Some(why) = &track.incidental {
        return Assessment { role: TrackRole::Incidental { why: why.clone() }, descriptor: None };
    }
    if let Some(why) = print_evidence(track, settings) {
        return Assessment { role: TrackRole::Print { why }, descriptor: None };
    }
    let jitter = track.motion.nonrigid.max(track.motion.eyes);
    if jitter > settings.max_landmark_jitter {
        let why = format!("unclear: its landmarks jump from one detection to the next ({jitter:.2})");
        return Assessment { role: TrackRole::Unclustered { why }, descriptor: None };
    }
    if good.len() < settings.min_good_frames as usize {
        let why = format!(
            "unclear: {} of {} detections frontal, sharp and large enough (needs {})",
            good.len(),
            track.boxes.len(),
            settings.min_good_frames
        );
        // The good detections' descriptor, if any, may still place it next to a creator.
        return Assessment { role: TrackRole::Unclustered { why }, descriptor };
    }
    Assessment { role: TrackRole::Person, descriptor }
}

/// The sign that `track` is a print, if any.
pub fn print_evidence(track: &FaceTrack, settings: &CreatorSettings) -> Option<PrintEvidence> {
    let mut changes: Vec<f32> = track.boxes.iter().filter_map(|b| b.change).collect();
    if changes.is_empty() {
        return None;
    }
    changes.sort_by(f32::total_cmp);
    let change = changes[changes.len() / 2];
    if change < settings.still_max_change {
        return Some(PrintEvidence::Still { change });
    }
    // The very same picture twice: a second apart a live face always changes a little, a
    // photo held still does not at all (while the camera moves on, so the median is high).
    let identical = changes.iter().filter(|&&c| c < IDENTICAL).count();
    (identical >= 2).then_some(PrintEvidence::Identical { times: identical as u32 })
}

/// The mean descriptor of good detections.
fn mean(good: &[&TrackBox]) -> Option<Vec<f32>> {
    let first = good.first()?;
    let mut sum = vec![0f32; first.descriptor.len()];
    for b in good {
        sum.iter_mut().zip(&b.descriptor).for_each(|(s, v)| *s += v);
    }
    sum.iter_mut().for_each(|s| *s /= good.len() as f32);
    Some(sum)
}
