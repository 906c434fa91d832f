use super::*;
use crate::corrections::Rule;

fn ad(row: u32, sha: Option<&str>) -> AdVideo {
    AdVideo { row, sha256: sha.map(str::to_string) }
}

/// Distinct, unrelated fingerprints: grouping falls back to identical content.
fn prints(seed: u64) -> Vec<FrameHash> {
    (0..6)
        .map(|k| FrameHash {
            time_ds: k * 10,
            phash: (seed * 7 + k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            blocks: vec![],
            colour: [0; 3],
            phash_mirrored: 0,
        })
        .collect()
}

/// A descriptor for person `p`: people are ~0.9 apart, one person's tracks ~0.1.
fn face(p: usize, wobble: f32) -> Vec<f32> {
    (0..128).map(|i| if i % 4 == p { 0.16 } else { 0.0 } + if i == 127 { wobble } else { 0.0 }).collect()
}

fn track(index: u32, descriptor: Vec<f32>, quality: f64, frames: u32) -> FaceTrack {
    FaceTrack {
        index,
        frames,
        first_s: 0.0,
        last_s: frames as f64,
        face_file: Some(format!("face-{index}-{quality}.jpg")),
        best_time_s: 0.0,
        quality,
        face_fraction: 0.3,
        confidence: 0.9,
        frontalness: 0.9,
        descriptor,
        incidental: None,
        motion: Default::default(),
        boxes: Vec::new(),
        descriptor_spread: 0.25,
    }
}

fn rules<'a>(edits: &'a [Edit]) -> GroupingRules<'a> {
    static SIMILARITY: std::sync::OnceLock<SimilaritySettings> = std::sync::OnceLock::new();
    static CREATORS: std::sync::OnceLock<CreatorSettings> = std::sync::OnceLock::new();
    GroupingRules {
        similarity: SIMILARITY.get_or_init(SimilaritySettings::default),
        creators: CREATORS.get_or_init(CreatorSettings::default),
        edits,
    }
}

#[test]
fn one_person_in_several_videos_is_one_creator_with_the_best_face() {
    let ads =
        [ad(2, Some("aa")), ad(3, Some("bb")), ad(4, Some("aa")), ad(5, None), ad(6, Some("cc")), ad(7, Some("dd"))];
    let facts = HashMap::from([
        (
            "aa".to_string(),
            VideoFacts {
                tracks: vec![track(0, face(0, 0.0), 0.5, 6)],
                clip: None,
                fingerprints: prints(1),
                ..Default::default()
            },
        ),
        ("bb".to_string(), VideoFacts { tracks: vec![], clip: None, fingerprints: prints(2), ..Default::default() }),
        (
            "cc".to_string(),
            VideoFacts {
                tracks: vec![track(0, face(1, 0.0), 0.4, 6)],
                clip: None,
                fingerprints: prints(3),
                ..Default::default()
            },
        ),
        (
            "dd".to_string(),
            VideoFacts {
                tracks: vec![track(0, face(0, 0.1), 0.8, 6)],
                clip: None,
                fingerprints: prints(4),
                ..Default::default()
            },
        ),
    ]);
    let g = group(&ads, &facts, rules(&[]));
    assert_eq!(g.videos.len(), 4);
    assert_eq!(g.video_of_row[&2], g.video_of_row[&4]);
    assert!(!g.video_of_row.contains_key(&5), "a row without video is in no group");
    assert_eq!(g.creators.len(), 2, "{:?}", g.creators);
    assert_eq!(g.creator_of_row(2), Some(1));
    assert_eq!(g.creator_of_row(7), Some(1), "the same face in another video: the same creator");
    assert_eq!(g.creators[0].videos, vec![1, 4]);
    assert_eq!(g.creators[0].face_file, "face-0-0.8.jpg", "the better crop represents the creator");
    assert_eq!(g.creator_of_row(3), None, "no face on camera: no creator");
    assert_eq!(g.creator_of_row(6), Some(2));
    assert_eq!(g.videos.iter().map(|v| v.hook_family).collect::<Vec<_>>(), [1, 2, 3, 4]);
}

#[test]
fn the_most_present_person_owns_the_video_and_others_appear_in_it() {
    let ads = [ad(2, Some("duo")), ad(3, Some("solo"))];
    let mut guest = track(1, face(1, 0.0), 0.9, 2);
    guest.face_fraction = 0.15;
    let mut printed = track(2, face(2, 0.0), 0.9, 1);
    printed.incidental = Some("small".into());
    let facts = HashMap::from([
        (
            "duo".to_string(),
            VideoFacts {
                tracks: vec![track(0, face(0, 0.0), 0.5, 8), guest, printed],
                clip: None,
                fingerprints: prints(1),
                ..Default::default()
            },
        ),
        (
            "solo".to_string(),
            VideoFacts {
                tracks: vec![track(0, face(1, 0.05), 0.5, 8)],
                clip: None,
                fingerprints: prints(2),
                ..Default::default()
            },
        ),
    ]);
    let g = group(&ads, &facts, rules(&[]));
    assert_eq!(g.creators.len(), 2, "the incidental face is no creator: {:?}", g.creators);
    assert_eq!(g.creator_of_row(2), Some(1));
    assert_eq!(g.creator_of_row(3), Some(2));
    assert_eq!(g.creators[1].appears_in, vec![1], "the guest of video 1 owns video 2");
}

#[test]
fn a_face_that_never_changes_is_a_still_creator() {
    let ads = [ad(2, Some("print")), ad(3, Some("person"))];
    let mut print = track(0, face(0, 0.0), 0.5, 6);
    print.descriptor_spread = 0.01;
    let facts = HashMap::from([
        (
            "print".to_string(),
            VideoFacts { tracks: vec![print], clip: None, fingerprints: prints(1), ..Default::default() },
        ),
        (
            "person".to_string(),
            VideoFacts {
                tracks: vec![track(0, face(1, 0.0), 0.5, 6)],
                clip: None,
                fingerprints: prints(2),
                ..Default::default()
            },
        ),
    ]);
    let g = group(&ads, &facts, rules(&[]));
    assert_eq!(g.creators.len(), 2);
    assert!(g.creators[0].still, "spread 0.01 < 0.15");
    assert!(!g.creators[1].still, "a face that changes (spread 0.25) is a person: {:?}", g.creators[1]);
}

#[test]
fn regrouping_creators_alone_gives_what_a_full_grouping_gives() {
    let ads = [ad(2, Some("aa")), ad(3, Some("bb")), ad(4, Some("aa")), ad(5, Some("cc"))];
    let facts = HashMap::from([
        (
            "aa".to_string(),
            VideoFacts {
                tracks: vec![track(0, face(0, 0.0), 0.5, 6)],
                clip: None,
                fingerprints: prints(1),
                ..Default::default()
            },
        ),
        (
            "bb".to_string(),
            VideoFacts {
                tracks: vec![track(0, face(1, 0.0), 0.5, 6)],
                clip: None,
                fingerprints: prints(2),
                ..Default::default()
            },
        ),
        (
            "cc".to_string(),
            VideoFacts {
                tracks: vec![track(0, face(0, 0.1), 0.5, 6)],
                clip: None,
                fingerprints: prints(3),
                ..Default::default()
            },
        ),
    ]);
    let full = group(&ads, &facts, rules(&[]));
    assert_eq!(regroup_creators(&ads, &facts, full.videos.clone(), rules(&[])), full);
    let split = [Edit {
        id: 1,
        summary: "split".into(),
        rules: vec![corrections::Rule::Different {
            a: TrackRef { sha256: "aa".into(), track: 0 },
            b: TrackRef { sha256: "cc".into(), track: 0 },
        }],
    }];
    assert_eq!(regroup_creators(&ads, &facts, full.videos.clone(), rules(&split)), group(&ads, &facts, rules(&split)));
}

#[test]
fn user_constraints_reach_the_clustering() {
    let ads = [ad(2, Some("aa")), ad(3, Some("bb"))];
    let facts = HashMap::from([
        (
            "aa".to_string(),
            VideoFacts {
                tracks: vec![track(0, face(0, 0.0), 0.5, 6)],
                clip: None,
                fingerprints: prints(1),
                ..Default::default()
            },
        ),
        (
            "bb".to_string(),
            VideoFacts {
                tracks: vec![track(0, face(0, 0.05), 0.5, 6)],
                clip: None,
                fingerprints: prints(2),
                ..Default::default()
            },
        ),
    ]);
    let key = |sha: &str| TrackRef { sha256: sha.into(), track: 0 };
    assert_eq!(group(&ads, &facts, rules(&[])).creators.len(), 1);
    let apart = [Edit {
        id: 1,
        summary: "split".into(),
        rules: vec![
            corrections::Rule::Different { a: key("aa"), b: key("bb") },
            corrections::Rule::Hide { track: key("bb"), reason: "stock".into() },
            corrections::Rule::Name { track: key("aa"), name: Some("Ana".into()) },
        ],
    }];
    let g = group(&ads, &facts, rules(&apart));
    assert_eq!(g.creators.len(), 2);
    assert!(!g.creators[0].hidden && g.creators[1].hidden);
    assert_eq!(g.creators[1].hidden_reason.as_deref(), Some("stock"));
    assert_eq!((g.creators[0].label.as_str(), g.creators[0].named), ("Ana", true));
    assert_eq!((g.creators[1].label.as_str(), g.creators[1].named), ("Creator 2", false));
}

#[test]
fn near_duplicate_files_are_one_video_and_haar_faces_stay_per_video() {
    let body: Vec<FrameHash> = (0..8)
        .map(|k| FrameHash {
            time_ds: k * 10,
            phash: (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            blocks: vec![],
            colour: [50; 3],
            phash_mirrored: 0,
        })
        .collect();
    let ads = [ad(2, Some("original")), ad(3, Some("reencoded"))];
    // Haar tracks: no descriptors.
    let facts = HashMap::from([
        (
            "original".to_string(),
            VideoFacts {
                tracks: vec![track(0, vec![], 0.2, 5)],
                clip: None,
                fingerprints: body.clone(),
                ..Default::default()
            },
        ),
        (
            "reencoded".to_string(),
            VideoFacts { tracks: vec![track(0, vec![], 0.7, 5)], clip: None, fingerprints: body, ..Default::default() },
        ),
    ]);
    let g = group(&ads, &facts, rules(&[]));
    assert_eq!(g.videos.len(), 1);
    assert_eq!(g.videos[0].sha256s, ["original", "reencoded"]);
    assert_eq!(g.creators.len(), 1);
    assert_eq!(g.creators[0].face_file, "face-0-0.7.jpg");
}

#[test]
fn with_the_clip_threshold_set_alike_embeddings_make_one_video() {
    let ads = [ad(2, Some("original")), ad(3, Some("zoomed-in")), ad(4, Some("other"))];
    let unit = |x: f32, y: f32| -> Vec<f32> {
        let n = (x * x + y * y).sqrt();
        vec![x / n, y / n, 0.0]
    };
    let facts = HashMap::from([
        (
            "original".to_string(),
            VideoFacts { tracks: vec![], clip: Some(unit(1.0, 0.0)), fingerprints: prints(1), ..Default::default() },
        ),
        (
            "zoomed-in".to_string(),
            VideoFacts { tracks: vec![], clip: Some(unit(1.0, 0.1)), fingerprints: prints(2), ..Default::default() },
        ),
        (
            "other".to_string(),
            VideoFacts { tracks: vec![], clip: Some(unit(0.0, 1.0)), fingerprints: prints(3), ..Default::default() },
        ),
    ]);
    assert_eq!(group(&ads, &facts, rules(&[])).videos.len(), 3, "CLIP does not group by default");
    let similarity = SimilaritySettings { clip_same_video_min_similarity: Some(0.99), ..SimilaritySettings::default() };
    let g = group(&ads, &facts, GroupingRules { similarity: &similarity, ..rules(&[]) });
    assert_eq!(g.videos.len(), 2);
    assert_eq!(g.videos[0].sha256s, ["original", "zoomed-in"], "cos 0.995 ≥ 0.99");
    assert_eq!(g.video_of_row[&2], g.video_of_row[&3]);
}

#[test]
fn the_users_word_on_which_files_are_one_ad_holds() {
    // "copy" has the fingerprints of "original": one video; "other" is another ad.
    let ads = [ad(2, Some("original")), ad(3, Some("copy")), ad(4, Some("other"))];
    let facts = HashMap::from([
        ("original".to_string(), VideoFacts { fingerprints: prints(1), ..Default::default() }),
        ("copy".to_string(), VideoFacts { fingerprints: prints(1), ..Default::default() }),
        ("other".to_string(), VideoFacts { fingerprints: prints(2), ..Default::default() }),
    ]);
    assert_eq!(group(&ads, &facts, rules(&[])).videos.len(), 2);

    let split = [Edit {
        id: 1,
        summary: "not the same ad".into(),
        rules: vec![Rule::DifferentAd { a: "copy".into(), b: "original".into() }],
    }];
    let g = group(&ads, &facts, rules(&split));
    assert_eq!(g.videos.len(), 3, "the files the user separated are two videos");
    assert_ne!(g.video_of_row[&2], g.video_of_row[&3]);

    let joined = [Edit {
        id: 2,
        summary: "same ad".into(),
        rules: vec![Rule::SameAd { a: "other".into(), b: "original".into() }],
    }];
    let g = group(&ads, &facts, rules(&joined));
    assert_eq!(g.videos.len(), 1, "joined by the user, and the copy with them");
    let link = g.videos[0].links.iter().find(|l| l.kind == LinkKind::User).expect("the user's join is listed");
    assert_eq!((link.a.as_str(), link.b.as_str()), ("original", "other"));

    // The newer edit wins: joined, then separated again.
    let both = [
        joined[0].clone(),
        Edit {
            id: 3,
            summary: "no".into(),
            rules: vec![Rule::DifferentAd { a: "original".into(), b: "other".into() }],
        },
    ];
    assert_eq!(group(&ads, &facts, rules(&both)).videos.len(), 2);
}

#[test]
fn the_same_face_in_the_same_footage_is_one_creator_unless_the_user_splits_it() {
    let body: Vec<FrameHash> = (0..6)
        .map(|k| FrameHash {
            time_ds: k * 10,
            phash: (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            blocks: vec![],
            colour: [50; 3],
            phash_mirrored: 0,
        })
        .collect();
    // The copy's descriptor drifted as far as another person's (a zoom or squeeze does that).
    let placed = |index: u32, p: usize, x: f32| {
        let mut t = track(index, face(p, 0.0), 0.5, 6);
        t.boxes = (0..6)
            .map(|k| crate::faces::TrackBox {
                time_s: k as f32,
                x,
                y: 0.3,
                w: 0.2,
                h: 0.1,
                face_height: 0.3,
                score: 0.9,
                frontalness: 0.9,
                descriptor: face(p, 0.0),
                ..Default::default()
            })
            .collect();
        t
    };
    let ads = [ad(2, Some("original")), ad(3, Some("copy"))];
    // The original holds a second person (2) on the right; the copy's face is at `x_in_copy`.
    let facts = |x_in_copy: f32| {
        HashMap::from([
            (
                "original".to_string(),
                VideoFacts {
                    tracks: vec![placed(0, 0, 0.4), placed(1, 2, 0.75)],
                    fingerprints: body.clone(),
                    ..Default::default()
                },
            ),
            (
                "copy".to_string(),
                VideoFacts { tracks: vec![placed(0, 1, x_in_copy)], fingerprints: body.clone(), ..Default::default() },
            ),
        ])
    };
    let g = group(&ads, &facts(0.4), rules(&[]));
    assert_eq!(g.videos.len(), 1);
    assert_eq!(g.creators.len(), 2, "one face at the same moment and place, and the other: {:?}", g.creators);
    let original_face = TrackRef { sha256: "original".into(), track: 0 };
    let copy_face = TrackRef { sha256: "copy".into(), track: 0 };
    assert!(g.creators.iter().any(|c| c.members.contains(&original_face) && c.members.contains(&copy_face)));
    // Elsewhere in the frame, with two faces in the original, the descriptors decide: three people.
    assert_eq!(group(&ads, &facts(0.05), rules(&[])).creators.len(), 3);
    // The user's split wins over the footage.
    let key = |sha: &str| TrackRef { sha256: sha.into(), track: 0 };
    let apart = [Edit {
        id: 1,
        summary: "split".into(),
        rules: vec![corrections::Rule::Different { a: key("original"), b: key("copy") }],
    }];
    assert_eq!(group(&ads, &facts(0.4), rules(&apart)).creators.len(), 3);
}
