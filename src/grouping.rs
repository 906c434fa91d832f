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
use crate::creators::{self, Constraints, CreatorSettings, TrackPoint, TrackRef, TrackRole};
use crate::faceapi::recognition::distance;
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
    /// Why its files are one video, and why it shares a body with others: the evidence.
    #[serde(default)]
    pub links: Vec<FileLink>,
}

/// How two files were found to be one video, or to share a body, with the frames that matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileLink {
    pub a: String,
    pub b: String,
    pub kind: LinkKind,
    /// Matched frames (indices into each file's sampled frames), a few spread over the shared
    /// stretch.
    pub frames: Vec<similarity::FramePair>,
}

/// What a [`FileLink`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// The same video: re-encoded, re-framed, mirrored or trimmed.
    Copy,
    /// The same footage with another caption, price card, end card or last shot.
    OtherOverlay,
    /// The same body behind different hooks.
    SameBody,
    /// Joined by CLIP alone.
    Clip,
    /// Joined by the user ("same ad").
    User,
}

/// Evidence frames kept per link.
const EVIDENCE_FRAMES: usize = 6;

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
    /// How alike its faces are: the mean distance of their descriptors to their centre (0 for
    /// a single face; small is sure, near `max_distance` is worth a look).
    #[serde(default)]
    pub cohesion: f32,
    /// Each member's distance to that centre, in `members` order: the least typical face is the
    /// first one to check.
    #[serde(default)]
    pub member_distances: Vec<f32>,
    /// Faces in its videos the machine left out (prints, unclear faces), not counted here.
    #[serde(default)]
    pub left_out: u32,
}

/// A face track the machine did not cluster as a person: what it took it for, and the creator it
/// was attached to when it is unambiguously closest to one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceVerdict {
    pub track: TrackRef,
    pub video: VideoId,
    pub role: TrackRole,
    #[serde(default)]
    pub attached_to: Option<CreatorId>,
    pub face_file: Option<String>,
    pub time_s: f64,
}

/// Two creators whose faces may be one person's: the run page asks the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SamePersonQuestion {
    pub a: CreatorId,
    pub b: CreatorId,
    /// Their faces' mean descriptor distance.
    pub distance: f32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Grouping {
    pub videos: Vec<UniqueVideo>,
    pub creators: Vec<Creator>,
    /// Unique video of each row that has a video.
    pub video_of_row: HashMap<u32, VideoId>,
    /// What the user's corrections did in this grouping.
    pub corrections: CorrectionsApplied,
    /// Face tracks not clustered as people (faces on products, unclear faces), with why.
    #[serde(default)]
    pub faces: Vec<FaceVerdict>,
    /// Creator pairs the machine is unsure about, nearest first.
    #[serde(default)]
    pub questions: Vec<SamePersonQuestion>,
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
    /// Each sampled frame's keypoints.
    pub keypoints: Vec<crate::keypoints::FrameFeatures>,
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
        .map(|sha| similarity::VideoSignals {
            frames: &fact(sha).fingerprints,
            keypoints: &fact(sha).keypoints,
            clip: fact(sha).clip.as_deref(),
        })
        .collect();
    let ad_links = corrections::ad_links(rules.edits);
    let clusters = with_ad_links(similarity::cluster(&signals, rules.similarity), &files, &ad_links);
    for &(a, b) in &clusters.joined_by_clip {
        tracing::info!(a = files[a], b = files[b], "CLIP alone says these files are the same video");
    }
    let (checked, passed) = clusters.keypoint_checks;
    tracing::debug!(checked, passed, "keypoint checks of candidate frame pairs");

    let mut grouping = Grouping::default();
    let mut video_of_file: HashMap<&str, VideoId> = HashMap::new();
    for members in &clusters.same_video {
        let id = grouping.videos.len() as VideoId + 1;
        let family = clusters.same_body.iter().position(|f| f.contains(&members[0])).map_or(id, |i| i as u32 + 1);
        for &m in members {
            video_of_file.insert(files[m], id);
        }
        let links =
            clusters.links.iter().filter(|l| members.contains(&l.a)).map(|l| file_link(l, &files, &clusters)).collect();
        grouping.videos.push(UniqueVideo {
            id,
            sha256s: members.iter().map(|&m| files[m].to_string()).collect(),
            creator: None,
            hook_family: family,
            similar: None,
            links,
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

/// The video clustering made to obey the user's word on which files are one ad: files they
/// joined are one video; files they separated are split apart (by the weakest links, see
/// [`creators::enforce`]).
fn with_ad_links(
    mut clusters: similarity::Clusters,
    files: &[&str],
    links: &corrections::AdLinks,
) -> similarity::Clusters {
    if links.same.is_empty() && links.different.is_empty() {
        return clusters;
    }
    let index: HashMap<&str, usize> = files.iter().enumerate().map(|(i, f)| (*f, i)).collect();
    let pairs = |set: &std::collections::HashSet<(String, String)>| -> std::collections::HashSet<(usize, usize)> {
        set.iter()
            .filter_map(|(a, b)| Some((*index.get(a.as_str())?, *index.get(b.as_str())?)))
            .map(|(a, b)| (a.min(b), a.max(b)))
            .collect()
    };
    let (must, cannot) = (pairs(&links.same), pairs(&links.different));
    // Same-video links but those the user cut, plus the user's joins, as components.
    let mut strength: HashMap<(usize, usize), f64> = HashMap::new();
    for l in &clusters.links {
        if matches!(l.relation, similarity::Relation::SameVideo(_)) {
            strength.insert((l.a.min(l.b), l.a.max(l.b)), l.frames.len() as f64);
        }
    }
    let mut together = crate::union_find::UnionFind::new(files.len());
    for (&pair, _) in strength.iter().filter(|(p, _)| !cannot.contains(p)) {
        together.join(pair.0, pair.1);
    }
    for &(a, b) in &must {
        together.join(a, b);
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of: HashMap<usize, usize> = HashMap::new();
    for i in 0..files.len() {
        let root = together.root(i);
        let g = *group_of.entry(root).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(i);
    }
    let distance = |a: usize, b: usize| strength.get(&(a.min(b), a.max(b))).map_or(1.0, |n| 1.0 / (1.0 + n));
    let mut same_video = creators::enforce(files.len(), groups, &must, &cannot, &distance);
    for g in &mut same_video {
        g.sort_unstable();
    }
    same_video.sort_by_key(|g| g[0]);
    // Hook families: the old ones, joined where the user joined videos.
    let mut families = crate::union_find::UnionFind::new(files.len());
    for family in &clusters.same_body {
        for w in family.windows(2) {
            families.join(w[0], w[1]);
        }
    }
    for g in &same_video {
        for w in g.windows(2) {
            families.join(w[0], w[1]);
        }
    }
    let mut body: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..files.len() {
        body.entry(families.root(i)).or_default().push(i);
    }
    let mut same_body: Vec<Vec<usize>> = body.into_values().collect();
    same_body.sort_by_key(|g| g[0]);
    clusters.links.retain(|l| !cannot.contains(&(l.a.min(l.b), l.a.max(l.b))));
    for &(a, b) in &must {
        clusters.links.push(similarity::Link {
            a,
            b,
            relation: similarity::Relation::SameVideo(similarity::SameKind::Copy),
            frames: Vec::new(),
        });
        clusters.joined_by_user.push((a, b));
    }
    clusters.same_video = same_video;
    clusters.same_body = same_body;
    clusters
}

/// A similarity link as saved: files by hash, a few evidence frames spread over the stretch.
fn file_link(link: &similarity::Link, files: &[&str], clusters: &similarity::Clusters) -> FileLink {
    let kind = match link.relation {
        _ if clusters.joined_by_user.contains(&(link.a, link.b)) => LinkKind::User,
        _ if clusters.joined_by_clip.contains(&(link.a, link.b)) => LinkKind::Clip,
        similarity::Relation::SameVideo(similarity::SameKind::Copy) => LinkKind::Copy,
        similarity::Relation::SameVideo(similarity::SameKind::OtherOverlay) => LinkKind::OtherOverlay,
        _ => LinkKind::SameBody,
    };
    let n = link.frames.len();
    let frames = if n <= EVIDENCE_FRAMES {
        link.frames.clone()
    } else {
        (0..EVIDENCE_FRAMES).map(|k| link.frames[k * (n - 1) / (EVIDENCE_FRAMES - 1)]).collect()
    };
    FileLink { a: files[link.a].to_string(), b: files[link.b].to_string(), kind, frames }
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
fn assign_creators<'a>(
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

    // Two faces in one frame are two people, unless the user says otherwise.
    let mut cannot = resolved.cannot.clone();
    for (i, j) in co_occurring(&seen) {
        if !resolved.must.contains(&(i, j)) {
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
    let constraints = Constraints { must_link: pairs(&resolved.must), cannot_link: pairs(&cannot) };
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
    let mut clusters = creators::enforce(seen.len(), clusters, &resolved.must, &cannot, &descriptor_distance);

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

#[cfg(test)]
mod tests;
