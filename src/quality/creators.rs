//! The creator scorer: a grouping's creators against the face labels.
//!
//! - **tracks**: over pairs of labelled face tracks, "in the same creator" against "the same
//!   person" (prints and incidental faces are nobody: never truly together);
//! - **videos**: over pairs of labelled files, "their unique videos have the same creator"
//!   against "the same person is their creator by eye" — what the influencer table ranks;
//! - **rows**: creators (table rows) whose labelled tracks are not all one person: mixing
//!   people, or holding faces on products;
//! - **questions**: the "Same person?" questions the grouping asks, how many are about one
//!   person, and the video pairs once the analyst has answered them all truthfully (Yes merges
//!   the two creators, No keeps them apart) — what the table shows after the queue is done.

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
    /// "Same person?" questions asked.
    pub questions: usize,
    /// Questions whose two creators are, by the labels, one and the same person.
    pub questions_one_person: usize,
    /// [`Self::videos`] once every question is answered as the labels say.
    pub videos_after_answers: PairScore,
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
        )?;
        write!(
            f,
            "\n\"Same person?\" questions {}, {} of them one person; video pairs once answered: {}",
            self.questions, self.questions_one_person, self.videos_after_answers
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
    // The one labelled person each creator shows, if it shows exactly one.
    let mut person_of_creator: HashMap<u32, &str> = HashMap::new();
    for c in &grouping.creators {
        let found = labels_of_creator.get(&c.id).map(Vec::as_slice).unwrap_or_default();
        let people: HashSet<&str> = found.iter().filter_map(FaceLabel::person).collect();
        let non_people = found.iter().any(|l| l.person().is_none());
        score.rows_mixing_people += usize::from(people.len() > 1);
        score.rows_with_non_people += usize::from(non_people);
        score.rows_not_one_person += usize::from(people.len() != 1 || non_people);
        if let [one] = people.into_iter().collect::<Vec<_>>()[..] {
            person_of_creator.insert(c.id, one);
        }
    }
    // The analyst answers Yes exactly when both creators are the same labelled person.
    let ids: Vec<u32> = grouping.creators.iter().map(|c| c.id).collect();
    let index_of = |id: u32| ids.iter().position(|&c| c == id);
    let mut answered = crate::union_find::UnionFind::new(ids.len());
    score.questions = grouping.questions.len();
    for q in &grouping.questions {
        let same = matches!((person_of_creator.get(&q.a), person_of_creator.get(&q.b)), (Some(a), Some(b)) if a == b);
        if let (true, Some(a), Some(b)) = (same, index_of(q.a), index_of(q.b)) {
            score.questions_one_person += 1;
            answered.join(a, b);
        }
    }
    let mut merged = |creator: Option<u32>| creator.and_then(index_of).map(|i| answered.root(i));
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
    let after: Vec<(Option<usize>, Option<&str>)> = files.iter().map(|(c, person)| (merged(*c), *person)).collect();
    score.videos_after_answers = PairScore::of(&after);
    score
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::creators::TrackRef;
    use crate::faces::TrackBox;
    use crate::grouping::{Creator, SamePersonQuestion, UniqueVideo};

    const LABELS: &str = r#"
[[person]]
id = "ann"
description = "a"
[[person]]
id = "bob"
description = "b"
[[file]]
name = "f1"
creator = "ann"
[[file]]
name = "f2"
creator = "ann"
[[file]]
name = "f3"
creator = "bob"
[[track]]
file = "f1"
label = "ann"
boxes = [[1.0, 0.2, 0.2, 0.3, 0.3]]
[[track]]
file = "f2"
label = "ann"
boxes = [[1.0, 0.2, 0.2, 0.3, 0.3]]
[[track]]
file = "f3"
label = "bob"
boxes = [[1.0, 0.2, 0.2, 0.3, 0.3]]
"#;

    fn creator(id: u32, sha: &str) -> Creator {
        Creator {
            id,
            label: format!("Creator {id}"),
            videos: vec![id],
            face_file: String::new(),
            members: vec![TrackRef { sha256: sha.into(), track: 0 }],
            appears_in: Vec::new(),
            hidden: false,
            hidden_reason: None,
            named: false,
            face_track: None,
            still: false,
            cohesion: 0.0,
            member_distances: Vec::new(),
            left_out: 0,
        }
    }

    #[test]
    fn questions_are_scored_as_a_truthful_analyst_would_answer_them() {
        let labels = FaceLabels::parse(LABELS).expect("labels");
        let shas = ["s1", "s2", "s3"];
        let names: HashMap<String, String> =
            shas.iter().zip(["f1", "f2", "f3"]).map(|(s, n)| (s.to_string(), n.into())).collect();
        let track = FaceTrack {
            boxes: vec![TrackBox { time_s: 1.0, x: 0.2, y: 0.2, w: 0.3, h: 0.3, ..TrackBox::default() }],
            ..FaceTrack::default()
        };
        let tracks: HashMap<String, Vec<FaceTrack>> =
            shas.iter().map(|s| (s.to_string(), vec![track.clone()])).collect();
        // Three creators, one per file; asked: f1 + f2 (one person, ann) and f2 + f3 (two).
        let grouping = Grouping {
            videos: (1..=3)
                .map(|id| UniqueVideo {
                    id,
                    sha256s: vec![shas[id as usize - 1].into()],
                    creator: Some(id),
                    hook_family: id,
                    similar: None,
                    links: Vec::new(),
                })
                .collect(),
            creators: (1..=3).map(|id| creator(id, shas[id as usize - 1])).collect(),
            questions: vec![
                SamePersonQuestion { a: 1, b: 2, distance: 0.45 },
                SamePersonQuestion { a: 2, b: 3, distance: 0.48 },
            ],
            ..Grouping::default()
        };
        let s = score(&grouping, &tracks, &names, &labels);
        assert_eq!((s.questions, s.questions_one_person), (2, 1));
        // Before the answers the ann pair is missed; after them it is found, and bob stays apart.
        assert_eq!((s.videos.true_positives, s.videos.predicted, s.videos.actual), (0, 0, 1));
        let after = &s.videos_after_answers;
        assert_eq!((after.true_positives, after.predicted, after.actual), (1, 1, 1));
    }
}
