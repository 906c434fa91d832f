//! The creator scorer: a grouping's creators against the face labels.
//!
//! - **tracks**: over pairs of labelled face tracks, "in the same creator" against "the same
//!   person" (prints and incidental faces are nobody: never truly together);
//! - **videos**: over pairs of labelled files, "their unique videos have the same creator"
//!   against "the same person is their creator by eye" — what the influencer table ranks;
//! - **rows**: creators (table rows) whose labelled tracks are not all one person: mixing
//!   people, or holding faces on products.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::PairScore;
use super::labels::{FaceLabel, FaceLabels};
use crate::faces::FaceTrack;
use crate::grouping::Grouping;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CreatorScore {
    pub tracks: PairScore,
    pub videos: PairScore,
    /// Creators in the grouping (hidden ones included).
    pub rows: usize,
    /// Rows whose labelled tracks name two people or more.
    pub rows_mixing_people: usize,
    /// Rows holding a track labelled print or incidental.
    pub rows_with_non_people: usize,
    /// Rows that are not one real person: either of the above, or no labelled person at all.
    pub rows_not_one_person: usize,
    /// Labelled print tracks kept out of every creator, of all labelled print tracks.
    pub prints_kept_out: (usize, usize),
    /// Labelled person tracks in a creator, of all labelled person tracks.
    pub people_clustered: (usize, usize),
    /// Tracks no label falls on (new detections since the labels were made).
    pub unlabelled_tracks: usize,
}

impl std::fmt::Display for CreatorScore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "video pairs sharing a creator: {}", self.videos)?;
        writeln!(f, "track pairs of one person:     {}", self.tracks)?;
        writeln!(
            f,
            "rows {}: not one real person {} (mixing people {}, holding prints or passers-by {})",
            self.rows, self.rows_not_one_person, self.rows_mixing_people, self.rows_with_non_people
        )?;
        write!(
            f,
            "print tracks kept out {}/{}, person tracks clustered {}/{}, unlabelled tracks {}",
            self.prints_kept_out.0,
            self.prints_kept_out.1,
            self.people_clustered.0,
            self.people_clustered.1,
            self.unlabelled_tracks
        )
    }
}

/// Scores `grouping`. `tracks` holds each file's face tracks by content hash (as analysed),
/// `names` each content hash's file name as the labels know it (`c07`).
pub fn score(
    grouping: &Grouping,
    tracks: &HashMap<String, Vec<FaceTrack>>,
    names: &HashMap<String, String>,
    labels: &FaceLabels,
) -> CreatorScore {
    let mut creator_of_track: HashMap<(&str, u32), u32> = HashMap::new();
    for c in &grouping.creators {
        for m in &c.members {
            creator_of_track.insert((m.sha256.as_str(), m.track), c.id);
        }
    }
    let mut score = CreatorScore { rows: grouping.creators.len(), ..CreatorScore::default() };
    // (predicted creator, label) of every labelled track of a labelled file.
    let mut labelled: Vec<(Option<u32>, FaceLabel)> = Vec::new();
    let mut labels_of_creator: HashMap<u32, Vec<FaceLabel>> = HashMap::new();
    for video in &grouping.videos {
        for sha in &video.sha256s {
            let Some(name) = names.get(sha).filter(|n| labels.has_file(n)) else { continue };
            for t in tracks.get(sha).into_iter().flatten() {
                let creator = creator_of_track.get(&(sha.as_str(), t.index)).copied();
                match labels.label_of_track(name, t) {
                    Some(label) => {
                        if let Some(c) = creator {
                            labels_of_creator.entry(c).or_default().push(label.clone());
                        }
                        labelled.push((creator, label));
                    }
                    None => score.unlabelled_tracks += 1,
                }
            }
        }
    }
    let pairs: Vec<(Option<u32>, Option<&str>)> = labelled.iter().map(|(c, l)| (*c, l.person())).collect();
    score.tracks = PairScore::of(&pairs);
    for (creator, label) in &labelled {
        match label {
            FaceLabel::Person(_) => {
                score.people_clustered.1 += 1;
                score.people_clustered.0 += usize::from(creator.is_some());
            }
            FaceLabel::Print => {
                score.prints_kept_out.1 += 1;
                score.prints_kept_out.0 += usize::from(creator.is_none());
            }
            FaceLabel::Incidental => {}
        }
    }
    for c in &grouping.creators {
        let found = labels_of_creator.get(&c.id).map(Vec::as_slice).unwrap_or_default();
        let people: HashSet<&str> = found.iter().filter_map(FaceLabel::person).collect();
        let non_people = found.iter().any(|l| l.person().is_none());
        score.rows_mixing_people += usize::from(people.len() > 1);
        score.rows_with_non_people += usize::from(non_people);
        score.rows_not_one_person += usize::from(people.len() != 1 || non_people);
    }
    let files: Vec<(Option<u32>, Option<&str>)> = grouping
        .videos
        .iter()
        .flat_map(|v| v.sha256s.iter().map(move |sha| (v.creator, sha)))
        .filter_map(|(creator, sha)| {
            let name = names.get(sha).filter(|n| labels.has_file(n))?;
            Some((creator, labels.creator_of_file(name)))
        })
        .collect();
    score.videos = PairScore::of(&files);
    score
}
