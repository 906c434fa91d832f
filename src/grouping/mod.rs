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
    pub keypoints: crate::keypoints::VideoKeypoints,
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
            keypoints: &fact(sha).keypoints.plain,
            squeezed: &fact(sha).keypoints.squeezed,
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

mod footage;
mod people;
mod videos;

use people::assign_creators;
use videos::{file_link, similar_creatives, with_ad_links};

#[cfg(test)]
mod tests;
