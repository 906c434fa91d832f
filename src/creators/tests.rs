use super::*;

/// A deterministic pseudo-random descriptor around `centre`, `spread` away from it.
fn near(centre: &[f32], spread: f32, seed: u64) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut noise: Vec<f32> = (0..centre.len())
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 2001) as f32 / 1000.0 - 1.0
        })
        .collect();
    let norm = noise.iter().map(|v| v * v).sum::<f32>().sqrt();
    noise.iter_mut().for_each(|v| *v *= spread / norm);
    centre.iter().zip(noise).map(|(c, n)| c + n).collect()
}

/// Three people whose descriptors are ~1.0 apart (different people in dlib's space).
fn person(k: usize) -> Vec<f32> {
    (0..128).map(|i| if i % 3 == k { 0.15 } else { 0.0 }).collect()
}

fn track(sha: &str, descriptor: Vec<f32>) -> TrackPoint {
    TrackPoint { key: TrackRef { sha256: sha.into(), track: 0 }, descriptor }
}

fn key(sha: &str) -> TrackRef {
    TrackRef { sha256: sha.into(), track: 0 }
}

#[test]
fn same_people_cluster_together_and_strangers_stay_apart() {
    let points = vec![
        track("a1", near(&person(0), 0.2, 1)),
        track("b1", near(&person(1), 0.2, 2)),
        track("a2", near(&person(0), 0.2, 3)),
        track("c1", near(&person(2), 0.2, 4)),
        track("b2", near(&person(1), 0.2, 5)),
    ];
    assert!(distance(&points[0].descriptor, &points[1].descriptor) > 0.6);
    let clusters = cluster(&points, &Constraints::default(), &CreatorSettings::default());
    assert_eq!(clusters, vec![vec![0, 2], vec![1, 4], vec![3]]);
}

#[test]
fn must_link_merges_and_cannot_link_separates() {
    let points = vec![
        track("a", near(&person(0), 0.2, 1)),
        track("b", near(&person(1), 0.2, 2)),
        track("a'", near(&person(0), 0.2, 3)),
    ];
    let constraints = Constraints { must_link: vec![(key("a"), key("b"))], cannot_link: vec![(key("a"), key("a'"))] };
    let clusters = cluster(&points, &constraints, &CreatorSettings::default());
    assert_eq!(clusters, vec![vec![0, 1], vec![2]]);
}

#[test]
fn a_chain_of_near_neighbours_is_not_one_person() {
    // Six tracks 0.3 apart in a line: neighbours link, but the ends are 1.5 apart. Single
    // linkage would make one creator of them; average linkage keeps tight groups only.
    let points: Vec<TrackPoint> = (0..6)
        .map(|k| {
            let mut v = vec![0.0f32; 128];
            v[0] = 0.3 * k as f32;
            track(&format!("t{k}"), v)
        })
        .collect();
    let clusters = cluster(&points, &Constraints::default(), &CreatorSettings::default());
    assert!(clusters.len() >= 3, "{clusters:?}");
    assert!(clusters.iter().all(|c| c.len() <= 3), "{clusters:?}");
}

#[test]
fn cannot_link_keeps_apart_two_tracks_that_look_alike() {
    // x, y, z within 0.35 of each other: one person, unless the user says x and z differ.
    let at = |d: f32| {
        let mut v = vec![0.0f32; 128];
        v[0] = d;
        v
    };
    let points = vec![track("x", at(0.0)), track("y", at(0.1)), track("z", at(0.35))];
    let open = cluster(&points, &Constraints::default(), &CreatorSettings::default());
    assert_eq!(open, vec![vec![0, 1, 2]]);
    let constraints = Constraints { cannot_link: vec![(key("x"), key("z"))], ..Constraints::default() };
    let split = cluster(&points, &constraints, &CreatorSettings::default());
    assert_eq!(split, vec![vec![0, 1], vec![2]], "y stays with the nearer x");
}

#[test]
fn constraints_on_unknown_tracks_are_ignored_and_empty_input_is_empty() {
    let constraints = Constraints { must_link: vec![(key("gone"), key("also gone"))], ..Constraints::default() };
    assert!(cluster(&[], &constraints, &CreatorSettings::default()).is_empty());
    let one = cluster(&[track("a", person(0))], &constraints, &CreatorSettings::default());
    assert_eq!(one, vec![vec![0]]);
}

#[test]
fn must_links_hold_between_groups_average_linkage_would_keep_apart() {
    // Two tight groups ~1.0 apart, merged by the user as a merge does it: the first track linked
    // to every other. Average linkage alone would keep b2 and b3 apart (far from the a's); the
    // links join them all.
    let points = vec![
        track("a1", near(&person(0), 0.1, 1)),
        track("a2", near(&person(0), 0.1, 2)),
        track("a3", near(&person(0), 0.1, 3)),
        track("b1", near(&person(1), 0.1, 4)),
        track("b2", near(&person(1), 0.1, 5)),
        track("b3", near(&person(1), 0.1, 6)),
    ];
    let star = ["a2", "a3", "b1", "b2", "b3"].iter().map(|k| (key("a1"), key(k))).collect();
    let constraints = Constraints { must_link: star, ..Constraints::default() };
    assert_eq!(cluster(&points, &constraints, &CreatorSettings::default()), vec![vec![0, 1, 2, 3, 4, 5]]);
}

#[test]
fn a_split_moves_must_linked_tracks_as_one_piece() {
    // One tight group; x and z must differ; y is must-linked to z although nearer to x.
    let at = |d: f32| {
        let mut v = vec![0.0f32; 128];
        v[0] = d;
        v
    };
    let points = vec![track("x", at(0.0)), track("y", at(0.05)), track("z", at(0.3))];
    let constraints = Constraints { must_link: vec![(key("y"), key("z"))], cannot_link: vec![(key("x"), key("z"))] };
    assert_eq!(cluster(&points, &constraints, &CreatorSettings::default()), vec![vec![0], vec![1, 2]]);
}
