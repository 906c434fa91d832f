//! The constraint logic through the real grouping: every edit is planned on the grouping the user
//! saw, then the grouping is made again from the same facts with all edits so far.

use std::collections::HashMap;

use super::*;
use crate::creators::CreatorSettings;
use crate::faces::FaceTrack;
use crate::fingerprint::FrameHash;
use crate::grouping::{self, AdVideo, Grouping, GroupingRules, VideoFacts};
use crate::similarity::SimilaritySettings;

/// Person `p`'s descriptor: people are ~0.7 apart; `wobble` moves one person's tracks apart.
fn face(p: usize, wobble: f32) -> Vec<f32> {
    let mut d = vec![0.0f32; 128];
    d[p] = 0.5;
    d[64 + p] = 0.5;
    d[127] = wobble;
    d
}

fn video(sha: &str, person: usize, wobble: f32, seed: u64) -> (String, VideoFacts) {
    let track = FaceTrack {
        index: 0,
        frames: 6,
        first_s: 0.0,
        last_s: 5.0,
        face_file: Some(format!("{sha}.jpg")),
        best_time_s: 1.0,
        quality: 0.5,
        face_fraction: 0.3,
        confidence: 0.9,
        frontalness: 0.9,
        descriptor: face(person, wobble),
        incidental: None,
        motion: Default::default(),
        boxes: Vec::new(),
        descriptor_spread: 0.25,
    };
    let prints = (0..6)
        .map(|k| FrameHash {
            time_ds: k * 10,
            phash: (seed * 31 + u64::from(k)).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            blocks: vec![],
            colour: [0; 3],
            phash_mirrored: 0,
        })
        .collect();
    (sha.to_string(), VideoFacts { tracks: vec![track], fingerprints: prints, ..Default::default() })
}

/// Five videos: Ana in a1, a2; Bo in b1, b2 (b2 a little off); Cy in c1.
struct World {
    ads: Vec<AdVideo>,
    facts: HashMap<String, VideoFacts>,
    edits: Vec<Edit>,
    settings: CreatorSettings,
}

impl World {
    fn new() -> Self {
        let files = [("a1", 0, 0.0), ("b1", 1, 0.0), ("a2", 0, 0.05), ("c1", 2, 0.0), ("b2", 1, 0.1)];
        let facts = files.iter().enumerate().map(|(k, (sha, p, w))| video(sha, *p, *w, k as u64)).collect();
        let ads = files
            .iter()
            .enumerate()
            .map(|(k, (sha, ..))| AdVideo { row: k as u32 + 2, sha256: Some(sha.to_string()) })
            .collect();
        Self { ads, facts, edits: Vec::new(), settings: CreatorSettings::default() }
    }

    fn group(&self) -> Grouping {
        let similarity = SimilaritySettings::default();
        let rules = GroupingRules { similarity: &similarity, creators: &self.settings, edits: &self.edits };
        grouping::group(&self.ads, &self.facts, rules)
    }

    /// Plans `request` on the current grouping and keeps it as the newest edit.
    fn edit(&mut self, request: EditRequest) -> Grouping {
        let planned = plan(&self.group(), &request).expect("a valid edit");
        let id = self.edits.iter().map(|e| e.id).max().unwrap_or(0) + 1;
        self.edits.push(Edit { id, summary: planned.summary, rules: planned.rules });
        self.group()
    }

    fn undo(&mut self) -> Grouping {
        self.edits.pop();
        self.group()
    }
}

/// The creator owning the video whose file is `sha`.
fn owner<'g>(g: &'g Grouping, sha: &str) -> &'g crate::grouping::Creator {
    let video = g.videos.iter().find(|v| v.sha256s.iter().any(|s| s == sha)).unwrap();
    g.creators.iter().find(|c| Some(c.id) == video.creator).unwrap()
}

fn id_of(g: &Grouping, sha: &str) -> u32 {
    owner(g, sha).id
}

fn video_id(g: &Grouping, sha: &str) -> u32 {
    g.videos.iter().find(|v| v.sha256s.iter().any(|s| s == sha)).unwrap().id
}

#[test]
fn merge_then_split_gives_back_two_creators() {
    let mut w = World::new();
    let g = w.group();
    assert_eq!(g.creators.len(), 3, "{:?}", g.creators);
    let (ana, bo) = (id_of(&g, "a1"), id_of(&g, "b1"));
    w.edit(EditRequest::Rename { creator: bo, name: "Bo".into() });
    let g = w.edit(EditRequest::Merge { creators: vec![ana, bo], keep: bo });
    assert_eq!(g.creators.len(), 2);
    let merged = owner(&g, "a1");
    assert_eq!(merged.id, owner(&g, "b2").id, "both people's videos are one creator");
    assert_eq!(merged.videos.len(), 4);
    assert_eq!((merged.label.as_str(), merged.named), ("Bo", true), "the kept name");
    assert!(g.corrections.notes.is_empty());

    let merged_id = merged.id;
    let g = w.edit(EditRequest::Split {
        creator: merged_id,
        videos: vec![video_id(&g, "b1"), video_id(&g, "b2")],
        tracks: vec![],
    });
    assert_eq!(g.creators.len(), 3);
    assert_ne!(id_of(&g, "a1"), id_of(&g, "b1"));
    assert_eq!(id_of(&g, "b1"), id_of(&g, "b2"), "the split-off videos stay together");
    assert_eq!(owner(&g, "a1").label, "Bo", "the rest keeps the name");
    assert!(!owner(&g, "b1").named, "the new creator gets a machine name: {:?}", owner(&g, "b1"));
    assert_eq!(g.corrections.notes.len(), 1, "the merge is partly overridden, and says so");
    assert_eq!(g.corrections.notes[0].edit, 2);
}

#[test]
fn a_moved_video_stays_moved_when_clustering_runs_with_other_thresholds() {
    let mut w = World::new();
    let g = w.group();
    let (ana, cy) = (id_of(&g, "a1"), id_of(&g, "c1"));
    let g = w.edit(EditRequest::Move { creator: ana, videos: vec![video_id(&g, "a2")], tracks: vec![], to: cy });
    assert_eq!(id_of(&g, "a2"), id_of(&g, "c1"));
    assert_ne!(id_of(&g, "a1"), id_of(&g, "a2"));
    for cut in [0.2, 0.45, 0.9] {
        w.settings.max_distance = cut;
        let g = w.group();
        assert_eq!(id_of(&g, "a2"), id_of(&g, "c1"), "cut {cut}: the move holds");
        assert_ne!(id_of(&g, "a1"), id_of(&g, "a2"), "cut {cut}: and a2 left Ana");
    }
    // A loose cut puts everyone together, except what the user kept apart.
    w.settings.max_distance = 5.0;
    let g = w.group();
    assert_ne!(id_of(&g, "a1"), id_of(&g, "a2"));
}

#[test]
fn a_split_holds_when_a_looser_cut_would_join_everything() {
    let mut w = World::new();
    let g = w.group();
    let bo = id_of(&g, "b1");
    w.edit(EditRequest::Split { creator: bo, videos: vec![video_id(&g, "b2")], tracks: vec![] });
    w.settings.max_distance = 5.0;
    let g = w.group();
    assert_ne!(id_of(&g, "b1"), id_of(&g, "b2"));
    w.settings.max_distance = 0.45;
    assert_eq!(w.group().creators.len(), 4);
}

#[test]
fn hide_then_regroup_keeps_it_hidden_and_show_restores() {
    let mut w = World::new();
    let g = w.group();
    let cy = id_of(&g, "c1");
    let g = w.edit(EditRequest::Hide { creators: vec![cy], reason: "stock footage".into() });
    let hidden = owner(&g, "c1");
    assert!(hidden.hidden);
    assert_eq!(hidden.hidden_reason.as_deref(), Some("stock footage"));
    w.settings.max_distance = 0.3;
    assert!(owner(&w.group(), "c1").hidden, "a re-run with another threshold keeps it hidden");
    let g = w.edit(EditRequest::Show { creators: vec![owner(&w.group(), "c1").id] });
    assert!(!owner(&g, "c1").hidden);
    assert!(g.creators.iter().all(|c| !c.hidden));
}

#[test]
fn an_ignored_face_leaves_its_video_without_a_creator_until_restored() {
    let mut w = World::new();
    let track = TrackRef { sha256: "c1".into(), track: 0 };
    let g = w.edit(EditRequest::IgnoreFace { track: track.clone(), reason: "printed on the box".into() });
    assert_eq!(g.creators.len(), 2);
    let c1 = g.videos.iter().find(|v| v.sha256s == ["c1"]).unwrap();
    assert_eq!(c1.creator, None);
    assert_eq!(g.corrections.ignored_faces, vec![(track.clone(), "printed on the box".to_string())]);
    let g = w.edit(EditRequest::RestoreFace { track });
    assert_eq!(g.creators.len(), 3);
    assert!(g.corrections.ignored_faces.is_empty());
}

#[test]
fn rename_and_face_survive_a_regroup_and_undo_returns_the_machine_result() {
    let mut w = World::new();
    let before = w.group();
    let bo = id_of(&before, "b1");
    w.edit(EditRequest::Rename { creator: bo, name: "  Bo <b>  ".into() });
    let b2 = TrackRef { sha256: "b2".into(), track: 0 };
    let g = w.edit(EditRequest::SetFace { creator: bo, track: b2.clone() });
    assert_eq!(owner(&g, "b1").label, "Bo <b>", "trimmed, kept as text");
    assert_eq!(owner(&g, "b1").face_file, "b2.jpg");
    assert_eq!(owner(&g, "b1").face_track, Some(b2));
    w.undo();
    let g = w.undo();
    assert_eq!(g, before, "undoing every edit gives the machine's grouping back");
}

#[test]
fn the_newest_edit_wins_a_conflict_and_the_older_one_is_reported() {
    let mut w = World::new();
    let g = w.group();
    let ana = id_of(&g, "a1");
    // Split a2 off Ana (edit 1: a2 differs from a1), then merge the two again (edit 2: same).
    let g = w.edit(EditRequest::Split { creator: ana, videos: vec![video_id(&g, "a2")], tracks: vec![] });
    let g = w.edit(EditRequest::Merge { creators: vec![id_of(&g, "a1"), id_of(&g, "a2")], keep: id_of(&g, "a1") });
    assert_eq!(id_of(&g, "a1"), id_of(&g, "a2"), "the newer merge wins over the older split");
    assert_eq!(g.corrections.notes.iter().map(|n| n.edit).collect::<Vec<_>>(), vec![1]);
    assert!(g.corrections.notes[0].message.contains("Split"), "{:?}", g.corrections.notes);
    assert_ne!(id_of(&g, "a1"), id_of(&g, "b1"));
}

#[test]
fn edits_that_make_no_sense_are_refused_with_a_reason() {
    let w = World::new();
    let g = w.group();
    let (ana, bo) = (id_of(&g, "a1"), id_of(&g, "b1"));
    let refused = |r: EditRequest| plan(&g, &r).unwrap_err().to_string();
    assert!(refused(EditRequest::Merge { creators: vec![ana], keep: ana }).contains("two or more"));
    assert!(refused(EditRequest::Merge { creators: vec![ana, bo], keep: 99 }).contains("must be one of"));
    assert!(refused(EditRequest::Merge { creators: vec![ana, 42], keep: ana }).contains("no creator 42"));
    let all_of_ana: Vec<u32> = owner(&g, "a1").videos.clone();
    assert!(refused(EditRequest::Split { creator: ana, videos: all_of_ana, tracks: vec![] }).contains("every face"));
    assert!(refused(EditRequest::Split { creator: ana, videos: vec![], tracks: vec![] }).contains("Select"));
    assert!(
        refused(EditRequest::Split { creator: ana, videos: vec![video_id(&g, "b1")], tracks: vec![] }).contains("not")
    );
    assert!(refused(EditRequest::Rename { creator: ana, name: "x".repeat(200) }).contains("too long"));
    assert!(refused(EditRequest::Rename { creator: ana, name: "a\u{7}b".into() }).contains("control"));
    assert!(
        refused(EditRequest::Move { creator: ana, videos: vec![video_id(&g, "a2")], tracks: vec![], to: ana })
            .contains("another")
    );
    let foreign = TrackRef { sha256: "b1".into(), track: 0 };
    assert!(refused(EditRequest::SetFace { creator: ana, track: foreign }).contains("not one of"));
}

#[test]
fn rules_about_other_videos_do_nothing_and_missing_tracks_are_reported() {
    let mut w = World::new();
    let before = w.group();
    let elsewhere = |sha: &str| TrackRef { sha256: sha.into(), track: 0 };
    w.edits.push(Edit {
        id: 1,
        summary: "Merged X into Y".into(),
        rules: vec![Rule::Same { a: elsewhere("zz"), b: elsewhere("yy") }],
    });
    assert_eq!(w.group(), before, "an edit about files this run lacks changes nothing");
    w.edits.push(Edit {
        id: 2,
        summary: "Merged A into B".into(),
        rules: vec![Rule::Same { a: elsewhere("a1"), b: TrackRef { sha256: "b1".into(), track: 7 } }],
    });
    let g = w.group();
    assert_eq!(g.creators.len(), 3);
    assert_eq!(g.corrections.notes.len(), 1);
    assert!(g.corrections.notes[0].message.contains("does not have"), "{:?}", g.corrections.notes);
}

#[test]
fn machine_names_follow_first_videos_and_do_not_move_when_others_are_edited() {
    let mut w = World::new();
    let g = w.group();
    let names = |g: &Grouping| ["a1", "b1", "c1"].map(|sha| owner(g, sha).label.clone());
    assert_eq!(names(&g), ["Creator 1", "Creator 2", "Creator 4"], "named after the first video seen in");
    let g = w.edit(EditRequest::Merge { creators: vec![id_of(&g, "a1"), id_of(&g, "b1")], keep: id_of(&g, "b1") });
    assert_eq!(owner(&g, "a1").label, "Creator 2", "the merge keeps the name the user chose");
    assert_eq!(owner(&g, "c1").label, "Creator 4", "others keep theirs");
    // Splitting the first video off: the rest keeps the name, the new creator gets one no one has.
    let merged = id_of(&g, "a1");
    let g = w.edit(EditRequest::Split { creator: merged, videos: vec![video_id(&g, "a1")], tracks: vec![] });
    assert_eq!(owner(&g, "b1").label, "Creator 2");
    assert_eq!(owner(&g, "a1").label, "Creator 1");
    let labels: std::collections::HashSet<&str> = g.creators.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels.len(), g.creators.len(), "names stay unique: {labels:?}");
    // Moving b1 (Creator 2's first video) to Cy: Creator 2 keeps its name.
    let g = w.edit(EditRequest::Move {
        creator: id_of(&g, "b1"),
        videos: vec![video_id(&g, "b1")],
        tracks: vec![],
        to: id_of(&g, "c1"),
    });
    assert_eq!(owner(&g, "b2").label, "Creator 2");
    assert_eq!(owner(&g, "b1").label, "Creator 4", "the moved video takes its new creator's name");
}

#[test]
fn leaving_out_the_face_a_merge_hangs_on_keeps_the_merge() {
    let mut w = World::new();
    let g = w.group();
    let (ana, cy) = (id_of(&g, "a1"), id_of(&g, "c1"));
    // The merge links every face to Ana's first one (a1's track).
    let g = w.edit(EditRequest::Merge { creators: vec![ana, cy], keep: ana });
    assert_eq!(id_of(&g, "a2"), id_of(&g, "c1"));
    let g =
        w.edit(EditRequest::IgnoreFace { track: TrackRef { sha256: "a1".into(), track: 0 }, reason: String::new() });
    assert_eq!(id_of(&g, "a2"), id_of(&g, "c1"), "the links still pass through the left-out face");
    assert!(g.corrections.notes.is_empty(), "nothing to report: {:?}", g.corrections.notes);
}

#[test]
fn leaving_out_the_face_a_move_was_linked_to_keeps_the_moved_video_with_the_rest() {
    let mut w = World::new();
    let g = w.group();
    let (ana, bo) = (owner(&g, "a1"), owner(&g, "b1"));
    assert_eq!(bo.members.len(), 2, "Bo has b1's and b2's faces: {bo:?}");
    let first = bo.members[0].clone();
    let g = w.edit(EditRequest::Move { creator: ana.id, videos: vec![video_id(&g, "a2")], tracks: vec![], to: bo.id });
    assert_eq!(id_of(&g, "a2"), id_of(&g, "b1"));
    // Leave out the target's first face, the one a move links the moved faces to.
    let g = w.edit(EditRequest::IgnoreFace { track: first.clone(), reason: String::new() });
    let rest = if first.sha256 == "b1" { "b2" } else { "b1" };
    assert_eq!(id_of(&g, "a2"), id_of(&g, rest), "the moved video stays with Bo's other face");
    assert_eq!(owner(&g, rest).members.len(), 2, "Bo is a2's and {rest}'s faces: {:?}", owner(&g, rest));
}

#[test]
fn a_face_moved_out_of_a_hidden_creator_does_not_hide_its_new_one() {
    let mut w = World::new();
    let g = w.group();
    let bo = id_of(&g, "b1");
    let g = w.edit(EditRequest::Hide { creators: vec![bo], reason: "print".into() });
    let g = w.edit(EditRequest::Move {
        creator: id_of(&g, "b1"),
        videos: vec![video_id(&g, "b2")],
        tracks: vec![],
        to: id_of(&g, "c1"),
    });
    assert!(!owner(&g, "c1").hidden, "Cy stays visible");
    assert!(owner(&g, "b1").hidden, "Bo stays hidden");
    // And a face moved into a hidden creator is hidden with it.
    let g = w.edit(EditRequest::Move {
        creator: id_of(&g, "a1"),
        videos: vec![video_id(&g, "a2")],
        tracks: vec![],
        to: id_of(&g, "b1"),
    });
    assert!(owner(&g, "a2").hidden);
    assert_eq!(owner(&g, "a2").hidden_reason.as_deref(), Some("print"));
    assert!(!owner(&g, "a1").hidden);
}

#[test]
fn counting_again_a_face_that_is_not_left_out_is_refused() {
    let w = World::new();
    let refused = plan(&w.group(), &EditRequest::RestoreFace { track: TrackRef { sha256: "a1".into(), track: 0 } });
    assert!(refused.unwrap_err().to_string().contains("not left out"));
}
