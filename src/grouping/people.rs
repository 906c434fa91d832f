//! The creators of a grouping: the on-camera face tracks of every file clustered as the user's
//! corrections say, each unique video given its most present person, the faces kept out, and
//! the "Same person?" questions.

use std::collections::HashMap;

use super::*;

/// One face track as the grouping saw it.
struct Seen<'a> {
    video: VideoId,
    key: TrackRef,
    track: &'a FaceTrack,
    /// What it is clustered by (None: no descriptor, the Haar detector).
    descriptor: Option<Vec<f32>>,
}

/// Clusters the on-camera tracks of all files into creators, as the user's corrections say, and
/// gives each unique video the creator of its most present track. Tracks the assessment keeps
/// out (prints, unclear faces) become [`FaceVerdict`]s; an unclear one is attached to the creator
/// it is unambiguously closest to.
pub(super) fn assign_creators<'a>(
    grouping: &mut Grouping,
    files: &[&'a str],
    video_of_file: &HashMap<&'a str, VideoId>,
    fact: &dyn Fn(&str) -> &'a VideoFacts,
    rules: GroupingRules<'_>,
) {
    let settings = rules.creators;
    let ignored = corrections::ignored_faces(rules.edits);
    let people = corrections::counted_as_people(rules.edits);
    let mut seen: Vec<Seen<'a>> = Vec::new();
    let mut left_out: Vec<(Seen<'a>, TrackRole)> = Vec::new();
    for sha in files {
        for t in fact(sha).tracks.iter().filter(|t| t.face_file.is_some()) {
            let key = TrackRef { sha256: sha.to_string(), track: t.index };
            if let Some((_, reason)) = ignored.get(&key) {
                grouping.corrections.ignored_faces.push((key, reason.clone()));
                continue;
            }
            let assessment = creators::assess(t, settings, people.contains(&key));
            let item = Seen { video: video_of_file[sha], key, track: t, descriptor: assessment.descriptor };
            match assessment.role {
                TrackRole::Person => seen.push(item),
                role => left_out.push((item, role)),
            }
        }
    }
    let index: HashMap<&TrackRef, usize> = seen.iter().enumerate().map(|(i, s)| (&s.key, i)).collect();
    let machine_left_out: std::collections::HashSet<&TrackRef> = left_out.iter().map(|(s, _)| &s.key).collect();
    let lookup = |t: &TrackRef| match index.get(t) {
        Some(&i) => Lookup::Found(i),
        None if ignored.contains_key(t) || machine_left_out.contains(t) => Lookup::LeftOut,
        None if video_of_file.contains_key(t.sha256.as_str()) => Lookup::Gone,
        None => Lookup::NotInRun,
    };
    let resolved = corrections::resolve(rules.edits, seen.len(), &lookup);
    grouping.corrections.notes = resolved.notes.clone();

    // The same face in the same footage (files of one unique video) is one person, unless the
    // user split them.
    let placed: Vec<footage::Placed<'_>> = seen
        .iter()
        .enumerate()
        .map(|(item, s)| footage::Placed { item, sha256: s.key.sha256.as_str(), track: s.track })
        .collect();
    let mut must = resolved.must.clone();
    must.extend(
        footage::same_face_pairs(&grouping.videos, &placed, fact).into_iter().filter(|p| !resolved.cannot.contains(p)),
    );
    // Two faces in one frame are two people, unless the user says otherwise.
    let mut cannot = resolved.cannot.clone();
    for (i, j) in co_occurring(&seen) {
        if !must.contains(&(i, j)) {
            cannot.insert((i, j));
        }
    }
    // Tracks with descriptors are clustered; without (Haar), each video's tracks are one person.
    let (described, blind): (Vec<usize>, Vec<usize>) = (0..seen.len()).partition(|&i| seen[i].descriptor.is_some());
    let points: Vec<TrackPoint> = described
        .iter()
        .map(|&i| TrackPoint { key: seen[i].key.clone(), descriptor: seen[i].descriptor.clone().unwrap_or_default() })
        .collect();
    let pairs = |set: &std::collections::HashSet<(usize, usize)>| -> Vec<(TrackRef, TrackRef)> {
        set.iter().map(|&(a, b)| (seen[a].key.clone(), seen[b].key.clone())).collect()
    };
    let constraints = Constraints { must_link: pairs(&must), cannot_link: pairs(&cannot) };
    let mut clusters: Vec<Vec<usize>> = creators::cluster(&points, &constraints, settings)
        .into_iter()
        .map(|c| c.into_iter().map(|p| described[p]).collect())
        .collect();
    let mut blind_by_video: Vec<(VideoId, Vec<usize>)> = Vec::new();
    for i in blind {
        match blind_by_video.iter_mut().find(|(v, _)| *v == seen[i].video) {
            Some((_, members)) => members.push(i),
            None => blind_by_video.push((seen[i].video, vec![i])),
        }
    }
    clusters.extend(blind_by_video.into_iter().map(|(_, members)| members));
    // The user's links hold for tracks without descriptors too.
    let descriptor_distance = |a: usize, b: usize| match (&seen[a].descriptor, &seen[b].descriptor) {
        (Some(x), Some(y)) => f64::from(distance(x, y)),
        _ => f64::INFINITY,
    };
    let mut clusters = creators::enforce(seen.len(), clusters, &must, &cannot, &descriptor_distance);

    // An unclear track with one good detection joins the creator that detection is
    // unambiguously closest to (a track with none is too generic a face to place: such faces sit
    // near everybody).
    let mut attached: HashMap<usize, usize> = HashMap::new();
    for (k, (item, role)) in left_out.iter().enumerate() {
        let (TrackRole::Unclustered { .. }, Some(descriptor)) = (role, &item.descriptor) else { continue };
        if let Some(c) = unambiguous_cluster(descriptor, &clusters, &seen, settings) {
            attached.insert(k, c);
        }
    }

    // Creators are numbered by their first video, then by presence.
    let first_video = |c: &Vec<usize>| c.iter().map(|&i| seen[i].video).min().unwrap_or(VideoId::MAX);
    let mut order: Vec<usize> = (0..clusters.len()).collect();
    order.sort_by_key(|&k| (first_video(&clusters[k]), clusters[k].iter().copied().min()));
    let creator_of_cluster: HashMap<usize, CreatorId> =
        order.iter().enumerate().map(|(n, &k)| (k, n as CreatorId + 1)).collect();
    let mut creator_of_track: HashMap<usize, CreatorId> = HashMap::new();
    for (k, members) in clusters.iter().enumerate() {
        for &m in members {
            creator_of_track.insert(m, creator_of_cluster[&k]);
        }
    }
    clusters = order.iter().map(|&k| std::mem::take(&mut clusters[k])).collect();
    for (k, members) in clusters.iter().enumerate() {
        let id = k as CreatorId + 1;
        let mut creator = new_creator(id, members, &seen, &resolved, settings);
        let extra: Vec<&Seen<'_>> =
            attached.iter().filter(|(_, c)| creator_of_cluster[*c] == id).map(|(&a, _)| &left_out[a].0).collect();
        creator.members.extend(extra.iter().map(|s| s.key.clone()));
        let descriptors: Vec<&[f32]> = members
            .iter()
            .filter_map(|&m| seen[m].descriptor.as_deref())
            .chain(extra.iter().filter_map(|s| s.descriptor.as_deref()))
            .collect();
        (creator.cohesion, creator.member_distances) = cohesion(&descriptors, members.len() + extra.len());
        grouping.creators.push(creator);
    }
    let first_videos: Vec<VideoId> = clusters.iter().map(first_video).collect();
    default_labels(&mut grouping.creators, &first_videos);

    // A video's ads go to its most present person, clustered or attached.
    let mut on_camera: Vec<(VideoId, &FaceTrack, CreatorId)> =
        seen.iter().enumerate().map(|(i, s)| (s.video, s.track, creator_of_track[&i])).collect();
    for (&k, &c) in &attached {
        on_camera.push((left_out[k].0.video, left_out[k].0.track, creator_of_cluster[&c]));
    }
    for video in &mut grouping.videos {
        let in_video: Vec<&(VideoId, &FaceTrack, CreatorId)> = on_camera.iter().filter(|o| o.0 == video.id).collect();
        let main = in_video.iter().max_by(|a, b| a.1.presence().total_cmp(&b.1.presence()));
        video.creator = main.map(|m| m.2);
        if let Some(main) = video.creator {
            grouping.creators[main as usize - 1].videos.push(video.id);
        }
        for &&(_, _, c) in &in_video {
            let creator = &mut grouping.creators[c as usize - 1];
            if Some(c) != video.creator && !creator.appears_in.contains(&video.id) {
                creator.appears_in.push(video.id);
            }
        }
    }

    // Everything the machine left out, with why; how many such faces each creator's videos hold.
    for (k, (item, role)) in left_out.iter().enumerate() {
        let attached_to = attached.get(&k).map(|c| creator_of_cluster[c]);
        grouping.faces.push(FaceVerdict {
            track: item.key.clone(),
            video: item.video,
            role: role.clone(),
            attached_to,
            face_file: item.track.face_file.clone(),
            time_s: item.track.best_time_s,
        });
        if attached_to.is_none() && !matches!(role, TrackRole::Incidental { .. }) {
            let owner = grouping.videos.get(item.video as usize - 1).and_then(|v| v.creator);
            if let Some(c) = owner {
                grouping.creators[c as usize - 1].left_out += 1;
            }
        }
    }
    grouping.questions = questions(&grouping.creators, &clusters, &seen, &resolved, rules.edits, settings);
}

/// Pairs of tracks of one file seen in the same frame (low index first).
fn co_occurring(seen: &[Seen<'_>]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for i in 0..seen.len() {
        for j in i + 1..seen.len() {
            if seen[i].key.sha256 != seen[j].key.sha256 {
                continue;
            }
            let together = seen[i]
                .track
                .boxes
                .iter()
                .any(|a| seen[j].track.boxes.iter().any(|b| (a.time_s - b.time_s).abs() < 0.05));
            if together {
                out.push((i, j));
            }
        }
    }
    out
}

/// Mean distance of each cluster to `descriptor` (over its described members).
fn cluster_distances(descriptor: &[f32], clusters: &[Vec<usize>], seen: &[Seen<'_>]) -> Vec<(usize, f32)> {
    clusters
        .iter()
        .enumerate()
        .filter_map(|(k, members)| {
            let d: Vec<f32> = members
                .iter()
                .filter_map(|&m| seen[m].descriptor.as_deref())
                .map(|x| distance(descriptor, x))
                .collect();
            (!d.is_empty()).then(|| (k, d.iter().sum::<f32>() / d.len() as f32))
        })
        .collect()
}

/// The cluster `descriptor` belongs to when it is within `max_distance` of it and every other
/// cluster is `attach_margin` further.
fn unambiguous_cluster(
    descriptor: &[f32],
    clusters: &[Vec<usize>],
    seen: &[Seen<'_>],
    settings: &CreatorSettings,
) -> Option<usize> {
    let mut near = cluster_distances(descriptor, clusters, seen);
    near.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (best, d) = *near.first()?;
    let clear = near.get(1).is_none_or(|second| second.1 - d >= settings.attach_margin);
    (d <= settings.max_distance && clear).then_some(best)
}

/// How alike a creator's faces are: the mean distance of the descriptors to their centre, and
/// each one's (in order; 0 for members without a descriptor, counted in `members`).
fn cohesion(descriptors: &[&[f32]], members: usize) -> (f32, Vec<f32>) {
    let Some(first) = descriptors.first() else { return (0.0, vec![0.0; members]) };
    let mut centre = vec![0f32; first.len()];
    for d in descriptors {
        centre.iter_mut().zip(d.iter()).for_each(|(c, v)| *c += v / descriptors.len() as f32);
    }
    let mut each: Vec<f32> = descriptors.iter().map(|d| distance(d, &centre)).collect();
    let mean = each.iter().sum::<f32>() / each.len() as f32;
    each.resize(members, 0.0);
    (mean, each)
}

/// Creator pairs in the ambiguous band (their faces on average further apart than
/// `max_distance`, closer than `ask_max_distance`), nearest first, but those the user already
/// answered.
fn questions(
    creators: &[Creator],
    clusters: &[Vec<usize>],
    seen: &[Seen<'_>],
    resolved: &corrections::Resolved,
    edits: &[Edit],
    settings: &CreatorSettings,
) -> Vec<SamePersonQuestion> {
    let unsure = corrections::unsure_pairs(edits);
    let mut out = Vec::new();
    for a in 0..clusters.len() {
        for b in a + 1..clusters.len() {
            let mut ds = Vec::new();
            let mut apart = false;
            for &x in &clusters[a] {
                for &y in &clusters[b] {
                    apart |= resolved.cannot.contains(&(x.min(y), x.max(y)));
                    if let (Some(p), Some(q)) = (&seen[x].descriptor, &seen[y].descriptor) {
                        ds.push(distance(p, q));
                    }
                }
            }
            if apart || ds.is_empty() {
                continue;
            }
            let d = ds.iter().sum::<f32>() / ds.len() as f32;
            let (ca, cb) = (&creators[a], &creators[b]);
            let answered = unsure.iter().any(|(x, y)| {
                (ca.members.contains(x) && cb.members.contains(y)) || (ca.members.contains(y) && cb.members.contains(x))
            });
            if d > settings.max_distance && d <= settings.ask_max_distance && !answered {
                out.push(SamePersonQuestion { a: ca.id, b: cb.id, distance: d });
            }
        }
    }
    out.sort_by(|x, y| x.distance.total_cmp(&y.distance));
    out
}

/// Names the creators the user did not name after the first video they are seen in, "Creator 5"
/// ("Creator 5b" for a second person first seen there, or when the user took the name), so a
/// creator's name does not change when the user edits other creators.
fn default_labels(creators: &mut [Creator], first_videos: &[VideoId]) {
    let mut taken: std::collections::HashSet<String> =
        creators.iter().filter(|c| c.named).map(|c| c.label.clone()).collect();
    for (creator, first) in creators.iter_mut().zip(first_videos) {
        if creator.named {
            continue;
        }
        let label = (0..)
            .map(|k: u32| match k {
                0 => format!("Creator {first}"),
                1..=25 => format!("Creator {first}{}", char::from(b'a' + k as u8)),
                _ => format!("Creator {first}-{k}"),
            })
            .find(|l| !taken.contains(l))
            .unwrap_or_default();
        taken.insert(label.clone());
        creator.label = label;
    }
}

/// Creator `id` made of `members` (indices into `seen`): its face, name and hidden state as the
/// user's newest rules about its tracks say, else the machine's.
fn new_creator(
    id: CreatorId,
    members: &[usize],
    seen: &[Seen<'_>],
    resolved: &corrections::Resolved,
    settings: &CreatorSettings,
) -> Creator {
    let chosen_face =
        members.iter().copied().filter(|m| resolved.faces.contains_key(m)).max_by_key(|m| resolved.faces[m]);
    let best = chosen_face
        .or_else(|| members.iter().copied().max_by(|&a, &b| seen[a].track.quality.total_cmp(&seen[b].track.quality)));
    // The newest hide-or-show rule among the tracks decides.
    let hidden_reason = members
        .iter()
        .filter_map(|m| resolved.hidden.get(m))
        .max_by_key(|(edit, _)| *edit)
        .and_then(|(_, r)| r.clone());
    let name = members.iter().filter_map(|m| resolved.names.get(m)).max_by_key(|(edit, _)| *edit);
    let label = name.and_then(|(_, n)| n.clone());
    // Haar tracks have no descriptors, hence no spread: never judged still.
    let still = members.iter().all(|&m| {
        let t = seen[m].track;
        t.boxes.is_empty() && !t.descriptor.is_empty() && t.descriptor_spread < settings.still_max_spread
    });
    Creator {
        id,
        named: label.is_some(),
        // Unnamed creators get theirs from `default_labels`, once every creator is known.
        label: label.unwrap_or_default(),
        videos: Vec::new(),
        face_file: best.and_then(|b| seen[b].track.face_file.clone()).unwrap_or_default(),
        face_track: best.map(|b| seen[b].key.clone()),
        members: members.iter().map(|&m| seen[m].key.clone()).collect(),
        appears_in: Vec::new(),
        hidden: hidden_reason.is_some(),
        hidden_reason,
        still,
        cohesion: 0.0,
        member_distances: Vec::new(),
        left_out: 0,
    }
}
