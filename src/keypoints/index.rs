//! Which frames of other videos are worth a geometric check: an inverted index of descriptor
//! words (multi-index hashing over ORB's 256 bits).

use std::collections::HashMap;

use super::{Descriptor, FrameFeatures};

/// A frame of a video, by index in the index's video list and in that video's frames.
pub type FrameRef = (u32, u32);

/// Descriptors are cut into this many words; two descriptors of the same corner seen twice
/// usually share at least one whole word.
const WORDS: usize = 8;

fn words(d: &Descriptor) -> [u32; WORDS] {
    std::array::from_fn(|k| u32::from_le_bytes([d[4 * k], d[4 * k + 1], d[4 * k + 2], d[4 * k + 3]]))
}

/// Frames by the descriptor words they hold.
pub struct FeatureIndex {
    postings: HashMap<(u8, u32), Vec<FrameRef>>,
    videos: usize,
}

impl FeatureIndex {
    /// Indexes the frames of every video (`videos[v][f]` is frame `f` of video `v`).
    pub fn new(videos: &[&[FrameFeatures]]) -> Self {
        let mut postings: HashMap<(u8, u32), Vec<FrameRef>> = HashMap::new();
        for (v, frames) in videos.iter().enumerate() {
            for (f, frame) in frames.iter().enumerate() {
                for d in &frame.descriptors {
                    for (k, w) in words(d).into_iter().enumerate() {
                        let list = postings.entry((k as u8, w)).or_default();
                        let here = (v as u32, f as u32);
                        if list.last() != Some(&here) {
                            list.push(here);
                        }
                    }
                }
            }
        }
        Self { postings, videos: videos.len() }
    }

    /// For frame `frame` of video `video`: frames of *other* videos sharing at least
    /// `min_votes` of its descriptors (a descriptor votes once per frame), best first, at most
    /// `per_video` per other video. Words seen in more than `max_video_share` of the videos
    /// (and at least 3) say nothing and are skipped; so is a frame that has candidates in that
    /// many videos: a brand's end card or logo frame, found in every ad, proves nothing.
    pub fn candidates(
        &self,
        video: u32,
        frame: &FrameFeatures,
        min_votes: u32,
        per_video: usize,
        max_video_share: f64,
    ) -> Vec<(FrameRef, u32)> {
        let common = ((self.videos as f64 * max_video_share).ceil() as usize).max(3);
        let mut votes: HashMap<FrameRef, u32> = HashMap::new();
        let mut seen: Vec<FrameRef> = Vec::new();
        for d in &frame.descriptors {
            seen.clear();
            for (k, w) in words(d).into_iter().enumerate() {
                let Some(list) = self.postings.get(&(k as u8, w)) else { continue };
                if distinct_videos_exceed(list, common) {
                    continue;
                }
                for &r in list.iter().filter(|r| r.0 != video) {
                    if !seen.contains(&r) {
                        seen.push(r);
                        *votes.entry(r).or_default() += 1;
                    }
                }
            }
        }
        let mut ranked: Vec<(FrameRef, u32)> = votes.into_iter().filter(|(_, n)| *n >= min_votes).collect();
        let videos: std::collections::HashSet<u32> = ranked.iter().map(|(r, _)| r.0).collect();
        if videos.len() > common {
            return Vec::new();
        }
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut per: HashMap<u32, usize> = HashMap::new();
        ranked.retain(|(r, _)| {
            let n = per.entry(r.0).or_default();
            *n += 1;
            *n <= per_video
        });
        ranked
    }
}

/// Whether `list` (grouped by video, in index order) names more than `limit` videos.
fn distinct_videos_exceed(list: &[FrameRef], limit: usize) -> bool {
    let mut count = 0;
    let mut last = u32::MAX;
    for r in list {
        if r.0 != last {
            count += 1;
            last = r.0;
            if count > limit {
                return true;
            }
        }
    }
    false
}
