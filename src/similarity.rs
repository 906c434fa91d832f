//! Near-duplicate videos: which files are the same creative (re-encoded, re-framed, re-captioned,
//! trimmed) and which share a body behind a different hook.
//!
//! Every pair of videos is aligned ([`crate::align`]): two frames match when their fingerprints
//! are close (re-encodes, captions, trims, mirrored copies), or when their keypoints agree on
//! one scale-and-shift map ([`crate::keypoints`]: zoomed, re-framed, carded, squeezed copies,
//! which change every fingerprint). Every pair of videos is first screened on a few frames and
//! their strongest keypoints ([`keypoint_matches`]), so only pairs that pass are compared frame
//! by frame. Two levels, thresholds in [`SimilaritySettings`]:
//! 1. **same video** — the shared stretch covers most of the shorter video and a good part of
//!    the longer one: re-encodes, re-framings, a changed caption or end card, and trimmed copies;
//! 2. **same body, different hook** — a long shared stretch that both videos reach only after an
//!    opening of their own (each put a different hook in front of the same body).
//!
//! Groups are the connected components of each relation (union–find): same-video groups become
//! unique videos; hook families join unique videos that share a body.
//!
//! CLIP can add a third, optional signal: two files whose CLIP embeddings are at least
//! `clip_same_video_min_similarity` alike are the same video even when their frames do not
//! align — a zoomed-in or re-cropped copy, which changes every fingerprint. Off by default: the
//! threshold has to be measured on real weights and real ads (see the README).

use std::collections::HashMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::align::{Shared, align_by};
use crate::fingerprint::FrameHash;
use crate::keypoints::{FrameFeatures, Screened, Transform, VerifySettings, screen_pooled, verify_pooled_maps};
use crate::union_find::UnionFind;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimilaritySettings {
    /// Two frames match when their fingerprint distance is at most this (share of differing
    /// hash bits, 0..1).
    pub frame_max_distance: f32,
    /// Same video: the shared stretch covers at least this share of the shorter video's frames …
    pub same_video_min_share: f64,
    /// … and at least this share of the longer one's (a trimmed copy is still the same video).
    pub same_video_min_share_longer: f64,
    /// For two videos whose keypoints agree on a re-framing: this share of the shorter is
    /// enough.
    pub reframed_min_share: f64,
    /// Same body: the shared stretch has at least this many matching frames …
    pub body_min_frames: usize,
    /// … and covers at least this share of the shorter video.
    pub body_min_share: f64,
    /// A shared stretch starting after this many frames means something was put in front.
    pub hook_min_frames: usize,
    /// Both openings at least this long: two hooks on one body even when the rest would make
    /// them the same video (shorter unmatched openings are often the same frames unmatched).
    pub hook_over_copy_min_frames: usize,
    /// With CLIP on: two files whose video embeddings have at least this cosine similarity are
    /// the same video whatever their fingerprints say. `None` (the default): CLIP does not group.
    pub clip_same_video_min_similarity: Option<f32>,
    /// Frames matched by their keypoints (re-framed copies).
    pub keypoints: KeypointSettings,
}

impl Default for SimilaritySettings {
    fn default() -> Self {
        Self {
            frame_max_distance: 0.2,
            same_video_min_share: 0.8,
            same_video_min_share_longer: 0.6,
            reframed_min_share: 0.6,
            body_min_frames: 4,
            body_min_share: 0.5,
            hook_min_frames: 1,
            hook_over_copy_min_frames: 4,
            clip_same_video_min_similarity: None,
            keypoints: KeypointSettings::default(),
        }
    }
}

/// Which frame pairs get the keypoint check, and what it takes to pass it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeypointSettings {
    /// Off: frames match by fingerprint only.
    pub enabled: bool,
    /// Screening: frames of each video compared with the other's …
    pub screen_frames: usize,
    /// … by their strongest keypoints only …
    pub screen_points: usize,
    /// … passing with this many matches agreeing on one map.
    pub screen_min_inliers: u32,
    /// A squeezed view whose strongest points agree only on a map no re-post makes is screened
    /// again with points spread over the picture: a squeezed picture's strongest points can
    /// crowd into its most textured part (see [`crate::keypoints::spread`]). The strongest
    /// come first: a zoomed copy shares only part of the picture, its most textured part best.
    pub screen_spread: bool,
    /// Keypoints this close (pixels) to the edge of a frame's content are left out: a card's
    /// window edge is the same in every ad made on the template; 0: kept.
    pub edge_margin: f32,
    /// When the plain keypoints find no map, each video's squeezed keypoints are tried against
    /// the other's plain ones (a picture stretched along one axis; see
    /// [`crate::keypoints::SQUEEZE`]).
    pub squeezed: bool,
    /// At most this many maps per pair of videos (one for each part re-framed its own way).
    pub max_maps: usize,
    pub verify: VerifySettings,
}

impl Default for KeypointSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            screen_frames: 4,
            screen_points: 300,
            screen_min_inliers: 12,
            screen_spread: true,
            edge_margin: 6.0,
            squeezed: true,
            max_maps: 3,
            verify: VerifySettings::default(),
        }
    }
}

/// What two same-video files differ in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SameKind {
    /// One is the other re-encoded, re-framed, mirrored or trimmed: every frame of one has its
    /// match in the other.
    Copy,
    /// The same footage, but each has frames of its own: another caption, price card, end
    /// card or last shot.
    OtherOverlay,
}

/// How two videos relate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Relation {
    SameVideo(SameKind),
    /// The same body; the hooks are the frames before the shared stretch in each.
    SameBody {
        hook_a: usize,
        hook_b: usize,
    },
    Different,
}

/// Why two frames were matched.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by")]
pub enum FrameMatch {
    /// Their fingerprints are this close (0..1), the first mirrored or not.
    Fingerprint { distance: f32, mirrored: bool },
    /// Their keypoints agree on this map from the first onto the second.
    Keypoints(Transform),
}

/// Two matched frames: indices into each video's sampled frames.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FramePair {
    pub a: u32,
    pub b: u32,
    pub by: FrameMatch,
}

/// Why two files are one video or share a body: the matched frames of their shared stretch.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// Indices into the input.
    pub a: usize,
    pub b: usize,
    pub relation: Relation,
    pub frames: Vec<FramePair>,
}

/// Relates two videos by their fingerprints only.
pub fn relate(a: &[FrameHash], b: &[FrameHash], settings: &SimilaritySettings) -> Relation {
    relate_with(a, b, &HashMap::new(), settings).0
}

/// Relates two videos whose frames match by fingerprint, or by the keypoint matches in
/// `verified` ((frame of a, frame of b) → map); returns the shared stretch too.
fn relate_with(
    a: &[FrameHash],
    b: &[FrameHash],
    verified: &HashMap<(usize, usize), Transform>,
    settings: &SimilaritySettings,
) -> (Relation, Option<Shared>) {
    if a.is_empty() || b.is_empty() {
        return (Relation::Different, None);
    }
    let matches =
        |i: usize, j: usize| verified.contains_key(&(i, j)) || a[i].distance(&b[j]) <= settings.frame_max_distance;
    let Some(shared) = align_by(a.len(), b.len(), matches) else { return (Relation::Different, None) };
    let (share_a, share_b) = (shared.share_of_a(a.len()), shared.share_of_b(b.len()));
    let (share_shorter, share_longer) = if a.len() <= b.len() { (share_a, share_b) } else { (share_b, share_a) };
    let shorter = a.len().min(b.len());
    let long_enough =
        shared.matched >= settings.body_min_frames && shared.matched as f64 >= settings.body_min_share * shorter as f64;
    // Each opens with long frames of its own before the shared body: two hooks on one body, not
    // one ad, however much of the rest is shared.
    let opening = shared.a_start.min(shared.b_start);
    if long_enough && opening >= settings.hook_min_frames.max(settings.hook_over_copy_min_frames) {
        return (Relation::SameBody { hook_a: shared.a_start, hook_b: shared.b_start }, Some(shared));
    }
    // A re-framed copy (its keypoints agree on one map) has frames no check can match — plain,
    // dark or text-only ones — so less of it need match.
    let min_share = if verified.is_empty() { settings.same_video_min_share } else { settings.reframed_min_share };
    if share_shorter >= min_share && share_longer >= settings.same_video_min_share_longer {
        let kind = if shared.matched == a.len() || shared.matched == b.len() {
            SameKind::Copy
        } else {
            SameKind::OtherOverlay
        };
        return (Relation::SameVideo(kind), Some(shared));
    }
    if long_enough && opening >= settings.hook_min_frames {
        (Relation::SameBody { hook_a: shared.a_start, hook_b: shared.b_start }, Some(shared))
    } else {
        (Relation::Different, None)
    }
}

/// What [`cluster`] compares of one file.
#[derive(Debug, Clone, Copy, Default)]
pub struct VideoSignals<'a> {
    pub frames: &'a [FrameHash],
    /// Each sampled frame's keypoints (empty: matched by fingerprint only) …
    pub keypoints: &'a [FrameFeatures],
    /// … and those found with the frame squeezed vertically (see [`crate::keypoints::SQUEEZE`];
    /// empty: not tried).
    pub squeezed: &'a [FrameFeatures],
    /// The file's CLIP embedding (unit length), when CLIP is on.
    pub clip: Option<&'a [f32]>,
}

/// Groups of indices into the input, each group sorted, groups ordered by their first index.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Clusters {
    /// Videos that are the same creative.
    pub same_video: Vec<Vec<usize>>,
    /// Videos that share a body (same-video groups included): hook families.
    pub same_body: Vec<Vec<usize>>,
    /// Pairs joined as the same video by CLIP alone (their frames did not align).
    pub joined_by_clip: Vec<(usize, usize)>,
    /// Pairs the user said are the same ad (see `grouping`; never set here).
    pub joined_by_user: Vec<(usize, usize)>,
    /// Every pair found the same video or sharing a body, with its evidence.
    pub links: Vec<Link>,
    /// Frame pairs that got the keypoint check, and how many passed (for the run log).
    pub keypoint_checks: (usize, usize),
}

/// Relates every pair of `videos` (their fingerprints and keypoints, and CLIP when asked) and
/// groups them.
pub fn cluster(videos: &[VideoSignals<'_>], settings: &SimilaritySettings) -> Clusters {
    let (verified, keypoint_checks) = if settings.keypoints.enabled {
        keypoint_matches(videos, &settings.keypoints)
    } else {
        (HashMap::new(), (0, 0))
    };
    let n = videos.len();
    let no_matches = HashMap::new();
    let related: Vec<(usize, usize, Relation, Option<Shared>)> = (0..n)
        .into_par_iter()
        .flat_map_iter(|i| {
            let verified = &verified;
            let no_matches = &no_matches;
            (i + 1..n).map(move |j| {
                let pairs = verified.get(&(i, j)).unwrap_or(no_matches);
                let (relation, shared) = relate_with(videos[i].frames, videos[j].frames, pairs, settings);
                (i, j, relation, shared)
            })
        })
        .collect();
    let mut same_video = UnionFind::new(n);
    let mut same_body = UnionFind::new(n);
    let mut joined_by_clip = Vec::new();
    let mut links = Vec::new();
    for (i, j, mut relation, shared) in related {
        if !matches!(relation, Relation::SameVideo(_)) && clip_says_same(&videos[i], &videos[j], settings) {
            relation = Relation::SameVideo(SameKind::Copy);
            joined_by_clip.push((i, j));
        }
        match relation {
            Relation::SameVideo(_) => {
                same_video.join(i, j);
                same_body.join(i, j);
            }
            Relation::SameBody { .. } => same_body.join(i, j),
            Relation::Different => continue,
        }
        let pairs = verified.get(&(i, j)).unwrap_or(&no_matches);
        let frames = shared
            .map(|s| s.pairs.iter().map(|&(x, y)| frame_pair(&videos[i], &videos[j], x, y, pairs, settings)).collect())
            .unwrap_or_default();
        links.push(Link { a: i, b: j, relation, frames });
    }
    Clusters {
        same_video: same_video.groups(),
        same_body: same_body.groups(),
        joined_by_clip,
        joined_by_user: Vec::new(),
        links,
        keypoint_checks,
    }
}

/// Why frame `x` of `a` matched frame `y` of `b`: their fingerprints when close enough, else
/// their keypoints.
fn frame_pair(
    a: &VideoSignals<'_>,
    b: &VideoSignals<'_>,
    x: usize,
    y: usize,
    verified: &HashMap<(usize, usize), Transform>,
    settings: &SimilaritySettings,
) -> FramePair {
    let (distance, mirrored) = a.frames[x].distance_and_mirroring(&b.frames[y]);
    let by = match verified.get(&(x, y)) {
        Some(t) if distance > settings.frame_max_distance => FrameMatch::Keypoints(*t),
        _ => FrameMatch::Fingerprint { distance, mirrored },
    };
    FramePair { a: x as u32, b: y as u32, by }
}

/// Keypoint-verified frame pairs of every two videos: (video a, video b) with a < b →
/// (frame of a, frame of b) → map from a's frame onto b's.
pub type Verified = HashMap<(usize, usize), HashMap<(usize, usize), Transform>>;

/// Frame pairs of two videos (frame of a, frame of b) that agree with a keypoint map, with it.
type AgreeingFrames = Vec<((usize, usize), Transform)>;

/// The frame pairs of `videos` whose keypoints agree, and how many frame pairs were compared
/// and passed. Two steps (see [`crate::keypoints`]):
/// 1. **screening**, every pair of videos: a few frames of each at the same place in time (the
///    same second, and the same share of the video), their strongest keypoints only, pooled into
///    one scale-and-shift fit; most pairs of different ads find none;
/// 2. for a pair that passes, every frame pair along the offsets in time the screening matched
///    (±1) is pooled into one fit with all keypoints (or up to `max_maps` fits, for a copy
///    framed differently in different parts); frame pairs with enough matches agreeing with one
///    are the same picture.
///
/// Both steps run on the plain keypoints of both videos first; when they find nothing, on one
/// video's squeezed keypoints against the other's plain ones, each way round (a picture
/// stretched along one axis, see [`crate::keypoints::SQUEEZE`]).
pub fn keypoint_matches(videos: &[VideoSignals<'_>], settings: &KeypointSettings) -> (Verified, (usize, usize)) {
    let n = videos.len();
    let pairs: Vec<(usize, usize)> = (0..n).flat_map(|a| (a + 1..n).map(move |b| (a, b))).collect();
    let footage: Vec<[Vec<FrameFeatures>; 2]> = videos
        .par_iter()
        .map(|v| [footage_points(v.keypoints, settings), footage_points(v.squeezed, settings)])
        .collect();
    let views: &[(usize, usize)] = if settings.squeezed { &[(0, 0), (1, 0), (0, 1)] } else { &[(0, 0)] };
    let results: Vec<((usize, usize), usize, AgreeingFrames)> = pairs
        .par_iter()
        .filter_map(|&(a, b)| {
            let mut compared = 0;
            for &(view_a, view_b) in views {
                let (fa, fb) = (&footage[a][view_a][..], &footage[b][view_b][..]);
                // A squeezed view is screened again with points spread over the picture when
                // the strongest agree only on a map no re-post makes (see `screen_spread`).
                let spread_points = settings.screen_spread && (view_a, view_b) != (0, 0);
                if let Some((along, found)) = verify_along_screened(fa, fb, settings, spread_points) {
                    compared += along;
                    if !found.is_empty() {
                        return Some(((a, b), compared, found));
                    }
                }
            }
            (compared > 0).then_some(((a, b), compared, Vec::new()))
        })
        .collect();
    let mut verified: Verified = HashMap::new();
    let (mut checked, mut passed) = (pairs.len() * settings.screen_frames, 0);
    for (pair, compared, found) in results {
        checked += compared;
        passed += found.len();
        if !found.is_empty() {
            verified.insert(pair, found.into_iter().collect());
        }
    }
    (verified, (checked, passed))
}

/// Screening and, when it passes, the pooled fit of one pair of videos' keypoints (one view of
/// each): how many frame pairs were compared, and those that agree with the map (frame of a,
/// frame of b) with it. None when the screening finds no map.
fn verify_along_screened(
    fa: &[FrameFeatures],
    fb: &[FrameFeatures],
    settings: &KeypointSettings,
    spread_points: bool,
) -> Option<(usize, AgreeingFrames)> {
    let offsets = screen(fa, fb, settings, spread_points)?;
    let along: Vec<(usize, usize)> = offsets
        .iter()
        .flat_map(|d| (d - 1..=d + 1).collect::<Vec<_>>())
        .collect::<std::collections::BTreeSet<i64>>()
        .into_iter()
        .flat_map(|d| (0..fa.len()).map(move |f| (f, f as i64 + d)))
        .filter(|&(_, g)| g >= 0 && (g as usize) < fb.len())
        .map(|(f, g)| (f, g as usize))
        .collect();
    // A re-post may be re-framed differently from one part to the next (zoomed in from the 8th
    // second, a slow zoom): each frame pair takes the map most of its matches agree with.
    let frames: Vec<(&FrameFeatures, &FrameFeatures)> = along.iter().map(|&(f, g)| (&fa[f], &fb[g])).collect();
    let maps = verify_pooled_maps(&frames, &settings.verify, settings.max_maps.max(1));
    let found = along
        .iter()
        .enumerate()
        .filter_map(|(k, &fg)| {
            let (transform, agreeing) = maps.iter().map(|(t, per_pair)| (t, per_pair[k])).max_by_key(|(_, n)| *n)?;
            (agreeing >= settings.verify.min_pair_inliers)
                .then_some((fg, Transform { inliers: agreeing, ..*transform }))
        })
        .collect();
    Some((along.len(), found))
}

/// The keypoints of a video that say something about its footage: away from its content's
/// edges (a template's window).
fn footage_points(frames: &[FrameFeatures], settings: &KeypointSettings) -> Vec<FrameFeatures> {
    crate::keypoints::away_from_edges(frames, settings.edge_margin)
}

/// The screening of two videos' keypoints: `screen_frames` frames of `a` spread over it, each
/// against the frame of `b` at the same second and at the same share of its length, strongest
/// keypoints only (then, with `spread_points`, points spread over the picture when the
/// strongest agreed only on a refused map), pooled into one fit. Returns the offsets in time (frame of b − frame of a)
/// of the frame pairs that agree with it, or None when there is no fit.
fn screen(
    a: &[FrameFeatures],
    b: &[FrameFeatures],
    settings: &KeypointSettings,
    spread_points: bool,
) -> Option<Vec<i64>> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let k = settings.screen_frames.min(a.len());
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for j in 0..k {
        let f = (2 * j + 1) * a.len() / (2 * k);
        let proportional = (f * b.len() / a.len()).min(b.len() - 1);
        for g in [f.min(b.len() - 1), proportional] {
            if !pairs.contains(&(f, g)) {
                pairs.push((f, g));
            }
        }
    }
    let strongest = |x: &FrameFeatures| FrameFeatures {
        points: x.points.iter().take(settings.screen_points).copied().collect(),
        descriptors: x.descriptors.iter().take(settings.screen_points).copied().collect(),
        ..x.clone()
    };
    let spread = |x: &FrameFeatures| crate::keypoints::spread(x, settings.screen_points);
    let screening = VerifySettings { min_pooled_inliers: settings.screen_min_inliers, ..settings.verify };
    let screen_with = |choose: &dyn Fn(&FrameFeatures) -> FrameFeatures| {
        let frames: Vec<(FrameFeatures, FrameFeatures)> =
            pairs.iter().map(|&(f, g)| (choose(&a[f]), choose(&b[g]))).collect();
        let refs: Vec<(&FrameFeatures, &FrameFeatures)> = frames.iter().map(|(x, y)| (x, y)).collect();
        screen_pooled(&refs, &screening)
    };
    let agreeing = match screen_with(&strongest) {
        Screened::Map(_, agreeing) => agreeing,
        // Enough of the strongest points agreed on a map no re-post makes: they may have
        // crowded into one textured part; points spread over the picture may find the true one.
        Screened::Refused if spread_points => match screen_with(&spread) {
            Screened::Map(_, agreeing) => agreeing,
            Screened::Refused | Screened::Nothing => return None,
        },
        Screened::Refused | Screened::Nothing => return None,
    };
    let mut offsets: Vec<i64> = pairs
        .iter()
        .zip(agreeing)
        .filter(|(_, n)| *n >= settings.verify.min_pair_inliers)
        .map(|(&(f, g), _)| g as i64 - f as i64)
        .collect();
    offsets.sort_unstable();
    offsets.dedup();
    (!offsets.is_empty()).then_some(offsets)
}

fn clip_says_same(a: &VideoSignals<'_>, b: &VideoSignals<'_>, settings: &SimilaritySettings) -> bool {
    match (settings.clip_same_video_min_similarity, a.clip, b.clip) {
        (Some(min), Some(x), Some(y)) if x.len() == y.len() => x.iter().zip(y).map(|(p, q)| p * q).sum::<f32>() >= min,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn video(seeds: &[u64]) -> Vec<FrameHash> {
        seeds
            .iter()
            .map(|s| FrameHash {
                time_ds: 0,
                phash: s.wrapping_mul(0x9E37_79B9_7F4A_7C15),
                blocks: vec![],
                colour: [90, 90, 90],
                phash_mirrored: 0,
            })
            .collect()
    }

    #[test]
    fn same_videos_and_hook_families_are_grouped() {
        let original = video(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        let recut = video(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]); // an end card added
        let new_hook = video(&[50, 51, 52, 4, 5, 6, 7, 8, 9, 10]);
        let other = video(&[20, 21, 22, 23, 24, 25]);
        let videos = [&original, &recut, &new_hook, &other].map(|v| VideoSignals { frames: v, ..Default::default() });
        let settings = SimilaritySettings::default();
        assert_eq!(relate(&original, &recut, &settings), Relation::SameVideo(SameKind::Copy));
        assert_eq!(relate(&original, &new_hook, &settings), Relation::SameBody { hook_a: 3, hook_b: 3 });
        assert_eq!(relate(&original, &other, &settings), Relation::Different);
        let clusters = cluster(&videos, &settings);
        assert_eq!(clusters.same_video, vec![vec![0, 1], vec![2], vec![3]]);
        assert_eq!(clusters.same_body, vec![vec![0, 1, 2], vec![3]]);
    }

    #[test]
    fn long_openings_of_their_own_make_hook_variants_even_when_the_rest_is_shared() {
        let body: Vec<u64> = (100..116).collect();
        let with = |opening: &[u64]| video(&[opening, body.as_slice()].concat());
        let settings = SimilaritySettings::default();
        // 16 of 20 frames shared (0.8 of each): the same video by share, but each opens with 4
        // seconds of its own: two hooks on one body.
        let (a, b) = (with(&[1, 2, 3, 4]), with(&[51, 52, 53, 54]));
        assert_eq!(relate(&a, &b, &settings), Relation::SameBody { hook_a: 4, hook_b: 4 });
        // Openings of 3 unmatched frames are more often the same shots unmatched (a zoomed copy):
        // the share decides, as before.
        let (c, d) = (with(&[1, 2, 3]), with(&[51, 52, 53]));
        assert_eq!(relate(&c, &d, &settings), Relation::SameVideo(SameKind::OtherOverlay));
    }

    /// A unit vector at `angle` radians from the first axis, in the plane of the first two.
    fn embedding(angle: f32) -> Vec<f32> {
        let mut v = vec![0.0; 8];
        (v[0], v[1]) = (angle.cos(), angle.sin());
        v
    }

    #[test]
    fn clip_joins_files_whose_frames_do_not_align_only_when_asked() {
        let (zoomed_in, original, other) = (video(&[30, 31, 32, 33]), video(&[1, 2, 3, 4]), video(&[60, 61, 62]));
        let (near, close, far) = (embedding(0.0), embedding(0.2), embedding(0.6)); // cos 0.98, 0.83
        fn signals<'a>(frames: [&'a [FrameHash]; 3], clip: [Option<&'a [f32]>; 3]) -> [VideoSignals<'a>; 3] {
            [0, 1, 2].map(|i| VideoSignals { frames: frames[i], clip: clip[i], ..Default::default() })
        }
        let frames = [original.as_slice(), zoomed_in.as_slice(), other.as_slice()];
        let all = signals(frames, [Some(&near), Some(&close), Some(&far)]);
        let off = SimilaritySettings::default();
        assert_eq!(cluster(&all, &off).same_video, vec![vec![0], vec![1], vec![2]], "off by default");

        let on = SimilaritySettings { clip_same_video_min_similarity: Some(0.95), ..off };
        let clusters = cluster(&all, &on);
        assert_eq!(clusters.same_video, vec![vec![0, 1], vec![2]], "0.98 joins, 0.83 does not");
        assert_eq!(clusters.joined_by_clip, vec![(0, 1)]);
        assert_eq!(clusters.same_body, vec![vec![0, 1], vec![2]], "a same video is in one hook family");

        let one_missing = signals(frames, [Some(&near), None, Some(&far)]);
        assert_eq!(cluster(&one_missing, &on).same_video.len(), 3, "no embedding, no CLIP vote");
    }
}
