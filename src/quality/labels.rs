//! The answers made by eye, as committed test data (`tests/labels/`).
//!
//! **Faces** (`corpus_faces.toml`): every face track worth labelling, as the boxes it was seen
//! in (second, and x, y, w, h as fractions of the frame) and what it is: a person (an id shared
//! by every track of that person, in any video), `print` (a face on a product, a photo, a
//! screen, a poster) or `incidental` (a passer-by, too small or blurred to tell); plus each
//! file's creator (the person the ad is about, if any). Tracks are named by their boxes, not by
//! their index, so the labels stay valid when the detector or the tracker changes: a track of a
//! new analysis takes the label its boxes overlap most ([`FaceLabels::label_of_track`]).
//!
//! **Same ad** (`corpus_same_ad.toml`): which files are the same ad, and how they relate.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::faces::{FaceTrack, TrackBox};

#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    #[error("labels {0}: {1}")]
    Read(String, String),
    #[error("labels {0}: {1}")]
    Invalid(String, String),
}

/// What a labelled face is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FaceLabel {
    /// A live person filmed for (or in) the ad, by id.
    Person(String),
    /// A face on a product, a photo, a screen or a poster.
    Print,
    /// A real person too small, blurred or brief to tell who, or a passer-by.
    Incidental,
}

impl FaceLabel {
    fn parse(text: &str) -> Self {
        match text {
            "print" => FaceLabel::Print,
            "incidental" => FaceLabel::Incidental,
            id => FaceLabel::Person(id.to_string()),
        }
    }

    pub fn person(&self) -> Option<&str> {
        match self {
            FaceLabel::Person(id) => Some(id),
            _ => None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FacesFile {
    #[serde(default)]
    person: Vec<Person>,
    #[serde(default)]
    file: Vec<FileEntry>,
    #[serde(default)]
    track: Vec<TrackEntry>,
}

/// One person of the labels.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub id: String,
    pub description: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntry {
    name: String,
    /// The person the ad is about; absent when nobody is on camera for it.
    creator: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrackEntry {
    file: String,
    label: String,
    /// `[second, x, y, w, h]` per detection.
    boxes: Vec<[f32; 5]>,
    #[serde(default)]
    #[allow(dead_code)]
    note: String,
}

/// A labelled box.
#[derive(Debug, Clone, PartialEq)]
struct LabelledBox {
    second: f32,
    rect: [f32; 4],
    label: FaceLabel,
}

/// The face labels of a corpus.
#[derive(Debug, Clone, Default)]
pub struct FaceLabels {
    pub persons: Vec<Person>,
    /// File name (without extension) → its creator's id (None: no creator).
    creators: HashMap<String, Option<String>>,
    boxes: HashMap<String, Vec<LabelledBox>>,
}

/// A detection belongs to a labelled box at the same time (within half a second: the corpus
/// holds each still one second) that it overlaps at least this much.
const MIN_IOU: f32 = 0.3;
const MAX_TIME_APART: f32 = 0.5;

impl FaceLabels {
    pub fn load(path: &Path) -> Result<Self, LabelError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| LabelError::Read(name.clone(), e.to_string()))?;
        Self::parse(&text).map_err(|e| LabelError::Invalid(name, e))
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let file: FacesFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let known: std::collections::HashSet<&str> = file.person.iter().map(|p| p.id.as_str()).collect();
        let check = |id: &str, what: &str| {
            if known.contains(id) { Ok(()) } else { Err(format!("{what} names person {id}, who is not listed")) }
        };
        let mut labels = FaceLabels::default();
        for f in &file.file {
            if let Some(c) = &f.creator {
                check(c, &format!("file {}", f.name))?;
            }
            labels.creators.insert(f.name.clone(), f.creator.clone());
        }
        for t in &file.track {
            let label = FaceLabel::parse(&t.label);
            if let Some(id) = label.person() {
                check(id, &format!("a track of {}", t.file))?;
            }
            if !labels.creators.contains_key(&t.file) {
                return Err(format!("a track names file {}, which has no [[file]] entry", t.file));
            }
            let boxes = labels.boxes.entry(t.file.clone()).or_default();
            for b in &t.boxes {
                boxes.push(LabelledBox { second: b[0], rect: [b[1], b[2], b[3], b[4]], label: label.clone() });
            }
        }
        labels.persons = file.person;
        Ok(labels)
    }

    /// The labelled files (names without extension).
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.creators.keys().map(String::as_str)
    }

    /// The creator of file `name` (without extension) by eye; `None` also for an unlabelled file.
    pub fn creator_of_file(&self, name: &str) -> Option<&str> {
        self.creators.get(name)?.as_deref()
    }

    pub fn has_file(&self, name: &str) -> bool {
        self.creators.contains_key(name)
    }

    /// The label most of the track's boxes fall on, or None when none falls on a labelled box.
    pub fn label_of_track(&self, file: &str, track: &FaceTrack) -> Option<FaceLabel> {
        let labelled = self.boxes.get(file)?;
        let mut votes: Vec<(FaceLabel, usize)> = Vec::new();
        for b in &track.boxes {
            let Some(hit) = labelled
                .iter()
                .filter(|l| (l.second - b.time_s).abs() <= MAX_TIME_APART)
                .map(|l| (l, iou(l.rect, b)))
                .filter(|(_, overlap)| *overlap >= MIN_IOU)
                .max_by(|a, b| a.1.total_cmp(&b.1))
            else {
                continue;
            };
            match votes.iter_mut().find(|(label, _)| *label == hit.0.label) {
                Some((_, n)) => *n += 1,
                None => votes.push((hit.0.label.clone(), 1)),
            }
        }
        // Most votes; ties go to the label seen first.
        let best = votes.iter().map(|(_, n)| *n).max()?;
        votes.into_iter().find(|(_, n)| *n == best).map(|(label, _)| label)
    }
}

fn iou(a: [f32; 4], b: &TrackBox) -> f32 {
    let ix = ((a[0] + a[2]).min(b.x + b.w) - a[0].max(b.x)).max(0.0);
    let iy = ((a[1] + a[3]).min(b.y + b.h) - a[1].max(b.y)).max(0.0);
    let inter = ix * iy;
    let union = a[2] * a[3] + b.w * b.h - inter;
    if union <= 0.0 { 0.0 } else { inter / union }
}

/// The file name without directory and extension: how labels name corpus files.
pub fn file_stem(name: &str) -> &str {
    let base = name.rsplit('/').next().unwrap_or(name);
    base.split('.').next().unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LABELS: &str = r#"
[[person]]
id = "ana"
description = "woman in a red coat"

[[file]]
name = "c01"
creator = "ana"

[[track]]
file = "c01"
label = "ana"
boxes = [[1.0, 0.1, 0.1, 0.2, 0.2], [2.0, 0.1, 0.1, 0.2, 0.2]]

[[track]]
file = "c01"
label = "print"
boxes = [[1.0, 0.6, 0.6, 0.1, 0.1]]
"#;

    /// A track of square boxes `(second, x, y, side)`.
    fn track(boxes: &[(f32, f32, f32, f32)]) -> FaceTrack {
        FaceTrack {
            boxes: boxes
                .iter()
                .map(|&(t, x, y, w)| TrackBox { time_s: t, x, y, w, h: w, ..Default::default() })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn a_track_takes_the_label_its_boxes_overlap() {
        let labels = FaceLabels::parse(LABELS).unwrap();
        assert_eq!(labels.creator_of_file("c01"), Some("ana"));
        // Sampled at other instants of the same stills, slightly shifted: still ana.
        let ana = track(&[(1.2, 0.12, 0.1, 0.2), (2.4, 0.1, 0.12, 0.2)]);
        assert_eq!(labels.label_of_track("c01", &ana), Some(FaceLabel::Person("ana".into())));
        let print = track(&[(1.0, 0.59, 0.59, 0.1)]);
        assert_eq!(labels.label_of_track("c01", &print), Some(FaceLabel::Print));
        // Elsewhere, or at a time nothing was labelled: unlabelled.
        assert_eq!(labels.label_of_track("c01", &track(&[(1.0, 0.8, 0.1, 0.2)])), None);
        assert_eq!(labels.label_of_track("c01", &track(&[(5.0, 0.1, 0.1, 0.2)])), None);
        assert_eq!(labels.label_of_track("c02", &ana), None);
    }

    #[test]
    fn unknown_people_and_files_are_refused() {
        let bad = LABELS.replace("creator = \"ana\"", "creator = \"bob\"");
        assert!(FaceLabels::parse(&bad).unwrap_err().contains("bob"));
        let bad = LABELS.replace("file = \"c01\"\nlabel = \"print\"", "file = \"c09\"\nlabel = \"print\"");
        assert!(FaceLabels::parse(&bad).unwrap_err().contains("c09"));
    }

    #[test]
    fn file_stems() {
        assert_eq!(file_stem("videos/c07.mp4"), "c07");
        assert_eq!(file_stem("c07"), "c07");
    }
}
