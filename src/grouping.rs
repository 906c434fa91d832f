//! Grouping: which ads show the same video, and which videos show the same creator.
//!
//! Files whose fingerprints say they are the same creative ([`crate::similarity`]) are one unique
//! video; unique videos sharing a body behind different hooks form a hook family. The on-camera
//! face tracks of all videos are clustered into creators ([`crate::creators`]); a video's ads
//! belong to its most present person, and anyone else on camera "appears in" it. Tracks without
//! descriptors (the Haar detector) cannot be compared: each such video is its own creator.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::corrections::{self, Edit, Lookup, Note};
use crate::creators::{self, Constraints, CreatorSettings, TrackPoint, TrackRef};
use crate::faces::FaceTrack;
use crate::fingerprint::FrameHash;
use crate::similarity::{self, SimilaritySettings};

/// What the grouping knows about one ad: its row and the video it resolved to (None: no video,
/// e.g. the download failed).
#[derive(Debug, Clone, PartialEq)]
pub struct AdVideo {
    pub row: u32,
    pub sha256: Option<String>,
}

pub type VideoId = u32;
pub type CreatorId = u32;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UniqueVideo {
    /// 1-based, in order of first appearance in the input.
    pub id: VideoId,
    /// Content hashes of the files that are this video (one, for now).
    pub sha256s: Vec<String>,
    pub creator: Option<CreatorId>,
    /// Unique videos with the same body behind different hooks share a family (1-based).
    pub hook_family: u32,
    /// The most alike other videos by CLIP (id, cosine similarity), best first; None when CLIP
    /// is off.
    #[serde(default)]
    pub similar: Option<Vec<(VideoId, f32)>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Creator {
    /// 1-based, in order of first appearance in the input.
    pub id: CreatorId,
    pub label: String,
    /// Unique videos whose ads are this creator's (the most present person in them).
    pub videos: Vec<VideoId>,
    /// The representative face (the best crop of its tracks): a file name in the face store.
    pub face_file: String,
    /// The face tracks this creator was clustered from.
    #[serde(default)]
    pub members: Vec<TrackRef>,
    /// Unique videos the creator is on camera in beside someone more present.
    #[serde(default)]
    pub appears_in: Vec<VideoId>,
    /// Hidden by the user: kept, but left out of the report by default.
    #[serde(default)]
    pub hidden: bool,
    /// Why, as the user said (empty when they said nothing).
    #[serde(default)]
    pub hidden_reason: Option<String>,
    /// The label is the user's, not the machine's "Creator N".
    #[serde(default)]
    pub named: bool,
    /// The track whose crop is `face_file`.
    #[serde(default)]
    pub face_track: Option<TrackRef>,
    /// The face never changed while filmed (see `CreatorSettings::still_max_spread`): a photo
    /// or print rather than a person on camera, most likely.
    #[serde(default)]
    pub still: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Grouping {
    pub videos: Vec<UniqueVideo>,
    pub creators: Vec<Creator>,
    /// Unique video of each row that has a video.
    pub video_of_row: HashMap<u32, VideoId>,
    /// What the user's corrections did in this grouping.
    pub corrections: CorrectionsApplied,
}

/// The user's corrections as this grouping applied them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CorrectionsApplied {
    /// Edits that do not fully hold here, and why.
    pub notes: Vec<Note>,
    /// Face tracks of this run the user left out, with their reason.
    pub ignored_faces: Vec<(TrackRef, String)>,
}

impl Grouping {
    pub fn creator_of_row(&self, row: u32) -> Option<CreatorId> {
        let video = self.video_of_row.get(&row)?;
        self.videos.get(*video as usize - 1)?.creator
    }
}

/// What the analysis found in one file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VideoFacts {
    /// The faces seen, most present first (incidental ones included).
    pub tracks: Vec<FaceTrack>,
    pub fingerprints: Vec<FrameHash>,
    /// CLIP embedding of the file, when CLIP is on.
    pub clip: Option<Vec<f32>>,
}

/// How to group: video similarity, creator clustering, and the user's corrections (active
/// edits in id order).
#[derive(Debug, Clone, Copy)]
pub struct GroupingRules<'a> {
    pub similarity: &'a SimilaritySettings,
    pub creators: &'a CreatorSettings,
    pub edits: &'a [Edit],
}

/// Groups ads into unique videos (near-duplicate files together) and hook families, and face
/// tracks into creators. `facts` is keyed by content hash.
pub fn group(ads: &[AdVideo], facts: &HashMap<String, VideoFacts>, rules: GroupingRules<'_>) -> Grouping {
    let files = files_in_order(ads);
    let empty = VideoFacts::default();
    let fact = |sha: &str| facts.get(sha).unwrap_or(&empty);
    let signals: Vec<similarity::VideoSignals<'_>> = files
        .iter()
        .map(|sha| similarity::VideoSignals { frames: &fact(sha).fingerprints, clip: fact(sha).clip.as_deref() })
        .collect();
    let clusters = similarity::cluster(&signals, rules.similarity);
    for &(a, b) in &clusters.joined_by_clip {
        tracing::info!(a = files[a], b = files[b], "CLIP alone says these files are the same video");
    }

    let mut grouping = Grouping::default();
    let mut video_of_file: HashMap<&str, VideoId> = HashMap::new();
    for members in &clusters.same_video {
        let id = grouping.videos.len() as VideoId + 1;
        let family = clusters.same_body.iter().position(|f| f.contains(&members[0])).map_or(id, |i| i as u32 + 1);
        for &m in members {
            video_of_file.insert(files[m], id);
        }
        grouping.videos.push(UniqueVideo {
            id,
            sha256s: members.iter().map(|&m| files[m].to_string()).collect(),
            creator: None,
            hook_family: family,
            similar: None,
        });
    }
    similar_creatives(&mut grouping, &files, &video_of_file, &fact);
    assign_creators(&mut grouping, &files, &video_of_file, &fact, rules);
    for ad in ads {
        if let Some(sha) = ad.sha256.as_deref() {
            grouping.video_of_row.insert(ad.row, video_of_file[sha]);
        }
    }
    grouping
}

/// The creators of a grouping made again with `videos` (its unique videos) kept: an edit changes
/// who is who, never which files are one video, so it skips the pairwise video comparison.
pub fn regroup_creators(
    ads: &[AdVideo],
    facts: &HashMap<String, VideoFacts>,
    videos: Vec<UniqueVideo>,
    rules: GroupingRules<'_>,
) -> Grouping {
    let empty = VideoFacts::default();
    let fact = |sha: &str| facts.get(sha).unwrap_or(&empty);
    let id_of: HashMap<String, VideoId> =
        videos.iter().flat_map(|v| v.sha256s.iter().map(move |s| (s.clone(), v.id))).collect();
    // Files the saved videos lack (none, unless the store was edited by hand) are left out.
    let files: Vec<&str> = files_in_order(ads).into_iter().filter(|f| id_of.contains_key(*f)).collect();
    let video_of_file: HashMap<&str, VideoId> = files.iter().map(|f| (*f, id_of[*f])).collect();
    let mut grouping = Grouping { videos, ..Grouping::default() };
    for video in &mut grouping.videos {
        video.creator = None;
    }
    assign_creators(&mut grouping, &files, &video_of_file, &fact, rules);
    for ad in ads {
        if let Some(video) = ad.sha256.as_deref().and_then(|sha| video_of_file.get(sha)) {
            grouping.video_of_row.insert(ad.row, *video);
        }
    }
    grouping
}

/// The distinct files of the ads, in order of first appearance.
fn files_in_order(ads: &[AdVideo]) -> Vec<&str> {
    let mut files: Vec<&str> = Vec::new();
    for sha in ads.iter().filter_map(|a| a.sha256.as_deref()) {
        if !files.contains(&sha) {
            files.push(sha);
        }
    }
    files
}

/// How many alike videos the Videos page lists per video.
const SIMILAR_PER_VIDEO: usize = 3;

/// Each unique video's nearest others by CLIP: its embedding is the normalised mean of its
/// files'; videos without one (CLIP off) keep `similar: None`.
fn similar_creatives<'a>(
    grouping: &mut Grouping,
    files: &[&'a str],
    video_of_file: &HashMap<&'a str, VideoId>,
    fact: &dyn Fn(&str) -> &'a VideoFacts,
) {
    let embeddings: Vec<(VideoId, Vec<f32>)> = grouping
        .videos
        .iter()
        .filter_map(|v| {
            let members: Vec<Vec<f32>> =
                files.iter().filter(|f| video_of_file[*f] == v.id).filter_map(|f| fact(f).clip.clone()).collect();
            crate::clip::mean_embedding(&members).map(|e| (v.id, e))
        })
        .collect();
    let items: Vec<(VideoId, &[f32])> = embeddings.iter().map(|(id, e)| (*id, e.as_slice())).collect();
    for (id, near) in crate::clip::nearest(&items, SIMILAR_PER_VIDEO) {
        grouping.videos[id as usize - 1].similar = Some(near);
    }
}

/// Clusters the on-camera tracks of all files into creators, as the user's corrections say, and
/// gives each unique video the creator of its most present track.
fn assign_creators<'a>(
    grouping: &mut Grouping,
    files: &[&'a str],
    video_of_file: &HashMap<&'a str, VideoId>,
    fact: &dyn Fn(&str) -> &'a VideoFacts,
    rules: GroupingRules<'_>,
) {
    // Every on-camera track, in input order, but those the user left out: (video, ref, track).
    let ignored = corrections::ignored_faces(rules.edits);
    let mut seen: Vec<(VideoId, TrackRef, &FaceTrack)> = Vec::new();
    for sha in files {
        for t in fact(sha).tracks.iter().filter(|t| t.on_camera() && t.face_file.is_some()) {
            let key = TrackRef { sha256: sha.to_string(), track: t.index };
            match ignored.get(&key) {
                Some((_, reason)) => grouping.corrections.ignored_faces.push((key, reason.clone())),
                None => seen.push((video_of_file[sha], key, t)),
            }
        }
    }
    let index: HashMap<&TrackRef, usize> = seen.iter().enumerate().map(|(i, s)| (&s.1, i)).collect();
    let lookup = |t: &TrackRef| match index.get(t) {
        Some(&i) => Lookup::Found(i),
        None if ignored.contains_key(t) => Lookup::LeftOut,
        None if video_of_file.contains_key(t.sha256.as_str()) => Lookup::Gone,
        None => Lookup::NotInRun,
    };
    let resolved = corrections::resolve(rules.edits, seen.len(), &lookup);
    grouping.corrections.notes = resolved.notes.clone();

    // Tracks with descriptors are clustered; without (Haar), each video's tracks are one person.
    let (described, blind): (Vec<usize>, Vec<usize>) = (0..seen.len()).partition(|&i| !seen[i].2.descriptor.is_empty());
    let points: Vec<TrackPoint> = described
        .iter()
        .map(|&i| TrackPoint { key: seen[i].1.clone(), descriptor: seen[i].2.descriptor.clone() })
        .collect();
    let pairs = |set: &std::collections::HashSet<(usize, usize)>| -> Vec<(TrackRef, TrackRef)> {
        set.iter().map(|&(a, b)| (seen[a].1.clone(), seen[b].1.clone())).collect()
    };
    let constraints = Constraints { must_link: pairs(&resolved.must), cannot_link: pairs(&resolved.cannot) };
    let mut clusters: Vec<Vec<usize>> = creators::cluster(&points, &constraints, rules.creators)
        .into_iter()
        .map(|c| c.into_iter().map(|p| described[p]).collect())
        .collect();
    let mut blind_by_video: Vec<(VideoId, Vec<usize>)> = Vec::new();
    for i in blind {
        match blind_by_video.iter_mut().find(|(v, _)| *v == seen[i].0) {
            Some((_, members)) => members.push(i),
            None => blind_by_video.push((seen[i].0, vec![i])),
        }
    }
    clusters.extend(blind_by_video.into_iter().map(|(_, members)| members));
    // The user's links hold for tracks without descriptors too.
    let descriptor_distance = |a: usize, b: usize| {
        let (x, y) = (&seen[a].2.descriptor, &seen[b].2.descriptor);
        if x.is_empty() || y.is_empty() {
            f64::INFINITY
        } else {
            f64::from(crate::faceapi::recognition::distance(x, y))
        }
    };
    let mut clusters = creators::enforce(seen.len(), clusters, &resolved.must, &resolved.cannot, &descriptor_distance);
    // Creators are numbered by their first video, then by presence.
    let first_video = |c: &Vec<usize>| c.iter().map(|&i| seen[i].0).min().unwrap_or(VideoId::MAX);
    clusters.sort_by_key(|c| (first_video(c), c.iter().copied().min()));
    let mut creator_of_track: HashMap<usize, CreatorId> = HashMap::new();
    for (k, members) in clusters.iter().enumerate() {
        let id = k as CreatorId + 1;
        for &m in members {
            creator_of_track.insert(m, id);
        }
        grouping.creators.push(new_creator(id, members, &seen, &resolved, rules.creators));
    }
    let first_videos: Vec<VideoId> = clusters.iter().map(first_video).collect();
    default_labels(&mut grouping.creators, &first_videos);
    for video in &mut grouping.videos {
        let in_video: Vec<usize> = (0..seen.len()).filter(|&i| seen[i].0 == video.id).collect();
        let main = in_video.iter().copied().max_by(|&a, &b| seen[a].2.presence().total_cmp(&seen[b].2.presence()));
        video.creator = main.map(|m| creator_of_track[&m]);
        if let Some(main) = video.creator {
            grouping.creators[main as usize - 1].videos.push(video.id);
        }
        for &i in &in_video {
            let c = creator_of_track[&i];
            let creator = &mut grouping.creators[c as usize - 1];
            if Some(c) != video.creator && !creator.appears_in.contains(&video.id) {
                creator.appears_in.push(video.id);
            }
        }
    }
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
    seen: &[(VideoId, TrackRef, &FaceTrack)],
    resolved: &corrections::Resolved,
    settings: &CreatorSettings,
) -> Creator {
    let chosen_face =
        members.iter().copied().filter(|m| resolved.faces.contains_key(m)).max_by_key(|m| resolved.faces[m]);
    let best = chosen_face
        .or_else(|| members.iter().copied().max_by(|&a, &b| seen[a].2.quality.total_cmp(&seen[b].2.quality)));
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
        let t = seen[m].2;
        !t.descriptor.is_empty() && t.descriptor_spread < settings.still_max_spread
    });
    Creator {
        id,
        named: label.is_some(),
        // Unnamed creators get theirs from `default_labels`, once every creator is known.
        label: label.unwrap_or_default(),
        videos: Vec::new(),
        face_file: best.and_then(|b| seen[b].2.face_file.clone()).unwrap_or_default(),
        face_track: best.map(|b| seen[b].1.clone()),
        members: members.iter().map(|&m| seen[m].1.clone()).collect(),
        appears_in: Vec::new(),
        hidden: hidden_reason.is_some(),
        hidden_reason,
        still,
    }
}

#[cfg(test)]
mod tests;
