//! The same face in the same footage: two files of one unique video show the same frames, so a
//! face at the same moment and the same place (through the map that joined the files), or the
//! only face of each file at that moment, is the same person, whatever the descriptors say. A
//! zoomed or squeezed re-post changes the face's pixels enough that its descriptor can drift
//! past the creator cut (c27 and its re-framed copy c39 were two table rows for one woman); the
//! footage says what the faces cannot.

use super::{FileLink, LinkKind, UniqueVideo, VideoFacts};
use crate::faces::{FaceTrack, TrackBox};
use crate::keypoints::Transform;
use crate::similarity::FrameMatch;

/// Two boxes are the same face when they overlap this much (intersection over union) …
const MIN_OVERLAP: f32 = 0.3;
/// … at moments this close (seconds, after the files' offset in time).
const MAX_TIME_APART: f64 = 0.3;
/// A pair of tracks is one face when this many of their boxes meet (or all the boxes of the
/// shorter, when it has fewer).
const MIN_MEETINGS: usize = 2;

/// A track of one file, as its index into the caller's list and its track.
pub(super) struct Placed<'a> {
    pub item: usize,
    pub sha256: &'a str,
    pub track: &'a FaceTrack,
}

/// Pairs of `tracks` (by their `item`, low first) that are the same face in the same footage:
/// files of one unique video joined by matched frames, tracks whose boxes meet at the same
/// moments (overlapping through the join's map, or each the only face of its file then), each
/// the other's only such partner.
pub(super) fn same_face_pairs<'f>(
    videos: &[UniqueVideo],
    tracks: &[Placed<'_>],
    fact: &dyn Fn(&str) -> &'f VideoFacts,
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for link in videos.iter().flat_map(|v| &v.links) {
        if !matches!(link.kind, LinkKind::Copy | LinkKind::OtherOverlay) {
            continue;
        }
        let (facts_a, facts_b) = (fact(&link.a), fact(&link.b));
        let Some(map) = FootageMap::of(link, facts_a, facts_b) else { continue };
        let in_a: Vec<&Placed<'_>> = tracks.iter().filter(|t| t.sha256 == link.a).collect();
        let in_b: Vec<&Placed<'_>> = tracks.iter().filter(|t| t.sha256 == link.b).collect();
        let meetings: Vec<Vec<usize>> = in_a
            .iter()
            .map(|a| {
                let a = Seen { track: a.track, others: &facts_a.tracks };
                in_b.iter().map(|b| map.meetings(&a, &Seen { track: b.track, others: &facts_b.tracks })).collect()
            })
            .collect();
        for (i, row) in meetings.iter().enumerate() {
            for (j, &n) in row.iter().enumerate() {
                let need = MIN_MEETINGS.min(in_a[i].track.boxes.len()).min(in_b[j].track.boxes.len()).max(1);
                let only_in_row = row.iter().enumerate().all(|(k, &m)| k == j || m < need);
                let only_in_column = meetings.iter().enumerate().all(|(k, r)| k == i || r[j] < need);
                if n >= need && only_in_row && only_in_column {
                    let (x, y) = (in_a[i].item, in_b[j].item);
                    out.push((x.min(y), x.max(y)));
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// A track with every face track of its file (incidental ones included).
struct Seen<'t> {
    track: &'t FaceTrack,
    others: &'t [FaceTrack],
}

impl Seen<'_> {
    /// Whether no other face of the file was seen at `time_s`.
    fn alone_at(&self, time_s: f64) -> bool {
        self.others
            .iter()
            .filter(|o| o.index != self.track.index)
            .all(|o| o.boxes.iter().all(|b| (f64::from(b.time_s) - time_s).abs() > MAX_TIME_APART))
    }
}

/// Where and when a moment of file a is in file b.
struct FootageMap {
    /// Seconds to add to a time of a.
    offset_s: f64,
    /// From a's frame (fractions of its width and height) to b's.
    scale: [f32; 2],
    shift: [f32; 2],
    mirrored: bool,
}

impl FootageMap {
    /// The map a link's matched frames agree on: the median offset in time, and the keypoint map
    /// when the files were matched by keypoints, else the map from one content rectangle (bars
    /// and cards cropped) onto the other, as the fingerprints compare them.
    fn of(link: &FileLink, a: &VideoFacts, b: &VideoFacts) -> Option<Self> {
        let time = |facts: &VideoFacts, k: u32| facts.fingerprints.get(k as usize).map(|f| f.time_s());
        let mut offsets: Vec<f64> = link.frames.iter().filter_map(|p| Some(time(b, p.b)? - time(a, p.a)?)).collect();
        if offsets.is_empty() {
            return None;
        }
        offsets.sort_by(f64::total_cmp);
        let offset_s = offsets[offsets.len() / 2];
        let first = link.frames.first()?;
        let size = |facts: &VideoFacts, k: u32| {
            facts
                .keypoints
                .plain
                .get(k as usize)
                .map(|f| (f32::from(f.width), f32::from(f.height), f.content.map(f32::from)))
        };
        let (Some((wa, ha, ca)), Some((wb, hb, cb))) = (size(a, first.a), size(b, first.b)) else {
            // No keypoints kept: the frames as they are.
            return Some(Self { offset_s, scale: [1.0, 1.0], shift: [0.0, 0.0], mirrored: false });
        };
        let keypoint_map = link.frames.iter().find_map(|p| match p.by {
            FrameMatch::Keypoints(t) => Some(t),
            FrameMatch::Fingerprint { .. } => None,
        });
        let mirrored = matches!(first.by, FrameMatch::Fingerprint { mirrored: true, .. });
        // In pixels: b = scale · a + shift.
        let t = keypoint_map.unwrap_or_else(|| {
            let (sx, sy) = (cb[2] / ca[2].max(1.0), cb[3] / ca[3].max(1.0));
            Transform { scale_x: sx, scale_y: sy, shift_x: cb[0] - sx * ca[0], shift_y: cb[1] - sy * ca[1], inliers: 0 }
        });
        Some(Self {
            offset_s,
            scale: [t.scale_x * wa / wb, t.scale_y * ha / hb],
            shift: [t.shift_x / wb, t.shift_y / hb],
            mirrored: mirrored && keypoint_map.is_none(),
        })
    }

    /// How many of `a`'s boxes meet one of `b`'s: at the same moment, either overlapping through
    /// the map or each the only face of its file then (a map fitted to a caption or a product
    /// shot can be off for the faces; two lone faces in one moment of one footage are one face).
    fn meetings(&self, a: &Seen<'_>, b: &Seen<'_>) -> usize {
        a.track
            .boxes
            .iter()
            .filter(|p| {
                let moved = self.apply(p);
                let at = f64::from(p.time_s) + self.offset_s;
                b.track.boxes.iter().any(|q| {
                    (at - f64::from(q.time_s)).abs() <= MAX_TIME_APART
                        && (overlap(moved, [q.x, q.y, q.w, q.h]) >= MIN_OVERLAP
                            || (a.alone_at(f64::from(p.time_s)) && b.alone_at(f64::from(q.time_s))))
                })
            })
            .count()
    }

    /// A box of a in b's fractions: x, y, w, h.
    fn apply(&self, p: &TrackBox) -> [f32; 4] {
        let x = if self.mirrored { 1.0 - p.x - p.w } else { p.x };
        [
            self.scale[0] * x + self.shift[0],
            self.scale[1] * p.y + self.shift[1],
            self.scale[0] * p.w,
            self.scale[1] * p.h,
        ]
    }
}

/// Intersection over union of two boxes (x, y, w, h).
fn overlap(a: [f32; 4], b: [f32; 4]) -> f32 {
    let w = (a[0] + a[2]).min(b[0] + b[2]) - a[0].max(b[0]);
    let h = (a[1] + a[3]).min(b[1] + b[3]) - a[1].max(b[1]);
    if w <= 0.0 || h <= 0.0 {
        return 0.0;
    }
    let inter = w * h;
    inter / (a[2] * a[3] + b[2] * b[3] - inter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint::FrameHash;
    use crate::keypoints::FrameFeatures;
    use crate::similarity::FramePair;

    /// A file of 6 frames a second apart, 360 × 640, its picture the whole frame.
    fn facts(tracks: Vec<FaceTrack>) -> VideoFacts {
        VideoFacts {
            tracks,
            fingerprints: (0..6)
                .map(|k| FrameHash { time_ds: k * 10, phash: 0, blocks: vec![], colour: [0; 3], phash_mirrored: 0 })
                .collect(),
            keypoints: crate::keypoints::VideoKeypoints {
                plain: (0..6)
                    .map(|_| FrameFeatures { width: 360, height: 640, content: [0, 0, 360, 640], ..Default::default() })
                    .collect(),
                squeezed: Vec::new(),
            },
            clip: None,
        }
    }

    /// A track seen at seconds 0–5 at (x, y), 0.2 × 0.1 of the frame.
    fn track(index: u32, x: f32, y: f32, w: f32) -> FaceTrack {
        let boxes = (0..6).map(|k| TrackBox { time_s: k as f32, x, y, w, h: 0.1, ..TrackBox::default() }).collect();
        FaceTrack { index, boxes, ..FaceTrack::default() }
    }

    fn video(by: FrameMatch) -> UniqueVideo {
        let frames = (0..6).map(|k| FramePair { a: k, b: k, by }).collect();
        UniqueVideo {
            id: 1,
            sha256s: vec!["a".into(), "b".into()],
            creator: None,
            hook_family: 1,
            similar: None,
            links: vec![FileLink { a: "a".into(), b: "b".into(), kind: LinkKind::Copy, frames }],
        }
    }

    fn pairs(video: &UniqueVideo, a: &VideoFacts, b: &VideoFacts) -> Vec<(usize, usize)> {
        let placed: Vec<Placed<'_>> = a
            .tracks
            .iter()
            .map(|t| ("a", t))
            .chain(b.tracks.iter().map(|t| ("b", t)))
            .enumerate()
            .map(|(item, (sha256, track))| Placed { item, sha256, track })
            .collect();
        let fact = |sha: &str| if sha == "a" { a } else { b };
        same_face_pairs(std::slice::from_ref(video), &placed, &fact)
    }

    #[test]
    fn faces_meeting_through_a_squeeze_are_one_and_others_are_not() {
        // b is a squeezed to 56 % of its width, in a band starting 78 px from the left.
        let squeeze = Transform { scale_x: 0.56, scale_y: 1.0, shift_x: 78.0, shift_y: 0.0, inliers: 50 };
        let link = video(FrameMatch::Keypoints(squeeze));
        let a = facts(vec![track(0, 0.75, 0.3, 0.2), track(1, 0.05, 0.7, 0.2)]);
        // 0.56 · 0.75 + 78 / 360 = 0.637: where a's first face lands; b's second face is elsewhere.
        let b = facts(vec![track(0, 0.637, 0.3, 0.112), track(1, 0.8, 0.1, 0.112)]);
        assert_eq!(pairs(&link, &a, &b), [(0, 2)], "a's face 0 is b's face 0; nobody else meets");
        // Unsqueezed (the identity), b's face 0 sits too far left to meet a's.
        let plain = video(FrameMatch::Fingerprint { distance: 0.0, mirrored: false });
        assert_eq!(pairs(&plain, &a, &b), []);
        // One face in each file at the same moments: one face, even through a map that is off.
        let (a, b) = (facts(vec![track(0, 0.75, 0.3, 0.2)]), facts(vec![track(0, 0.637, 0.3, 0.112)]));
        assert_eq!(pairs(&plain, &a, &b), [(0, 1)]);
    }

    #[test]
    fn a_mirrored_copy_meets_on_the_other_side_and_two_candidates_are_left_alone() {
        let mirrored = video(FrameMatch::Fingerprint { distance: 0.05, mirrored: true });
        let a = facts(vec![track(0, 0.1, 0.3, 0.2)]);
        let b = facts(vec![track(0, 0.7, 0.3, 0.2)]);
        assert_eq!(pairs(&mirrored, &a, &b), [(0, 1)]);
        // Two faces of b both on the spot: which one is a's is not the footage's to say.
        let b = facts(vec![track(0, 0.7, 0.3, 0.2), track(1, 0.72, 0.31, 0.2)]);
        assert_eq!(pairs(&mirrored, &a, &b), []);
        // A hook family's link says nothing about faces.
        let mut family = mirrored.clone();
        family.links[0].kind = LinkKind::SameBody;
        assert_eq!(pairs(&family, &a, &facts(vec![track(0, 0.7, 0.3, 0.2)])), []);
    }
}
