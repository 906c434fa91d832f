//! Grouping: which ads show the same video, and which videos show the same creator.
//!
//! Files whose fingerprints say they are the same creative ([`crate::similarity`]) are one unique
//! video; unique videos sharing a body behind different hooks form a hook family. Each unique
//! video with a face on camera is, for now, its own provisional creator (face recognition across
//! videos replaces that rule behind the same output type).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Creator {
    /// 1-based, in order of first appearance in the input.
    pub id: CreatorId,
    pub label: String,
    pub videos: Vec<VideoId>,
    /// The representative face: a file name in the face store.
    pub face_file: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Grouping {
    pub videos: Vec<UniqueVideo>,
    pub creators: Vec<Creator>,
    /// Unique video of each row that has a video.
    pub video_of_row: HashMap<u32, VideoId>,
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
    /// Best face crop (file, quality score); None: nobody on camera.
    pub face: Option<(String, f64)>,
    pub fingerprints: Vec<FrameHash>,
}

/// Groups ads into unique videos (near-duplicate files together) and hook families, and unique
/// videos with a face into provisional creators. `facts` is keyed by content hash.
pub fn group(ads: &[AdVideo], facts: &HashMap<String, VideoFacts>, settings: &SimilaritySettings) -> Grouping {
    let mut files: Vec<&str> = Vec::new();
    for sha in ads.iter().filter_map(|a| a.sha256.as_deref()) {
        if !files.contains(&sha) {
            files.push(sha);
        }
    }
    let empty = VideoFacts::default();
    let fact = |sha: &str| facts.get(sha).unwrap_or(&empty);
    let prints: Vec<&[FrameHash]> = files.iter().map(|sha| fact(sha).fingerprints.as_slice()).collect();
    let clusters = similarity::cluster(&prints, settings);

    let mut grouping = Grouping::default();
    let mut video_of_file: HashMap<&str, VideoId> = HashMap::new();
    for members in &clusters.same_video {
        let id = grouping.videos.len() as VideoId + 1;
        let family = clusters.same_body.iter().position(|f| f.contains(&members[0])).map_or(id, |i| i as u32 + 1);
        let best_face = members
            .iter()
            .filter_map(|&m| fact(files[m]).face.as_ref())
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(file, _)| file.clone());
        let creator = best_face.map(|face_file| {
            let creator_id = grouping.creators.len() as CreatorId + 1;
            grouping.creators.push(Creator {
                id: creator_id,
                label: format!("Creator {creator_id}"),
                videos: vec![id],
                face_file,
            });
            creator_id
        });
        for &m in members {
            video_of_file.insert(files[m], id);
        }
        grouping.videos.push(UniqueVideo {
            id,
            sha256s: members.iter().map(|&m| files[m].to_string()).collect(),
            creator,
            hook_family: family,
        });
    }
    for ad in ads {
        if let Some(sha) = ad.sha256.as_deref() {
            grouping.video_of_row.insert(ad.row, video_of_file[sha]);
        }
    }
    grouping
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ad(row: u32, sha: Option<&str>) -> AdVideo {
        AdVideo { row, sha256: sha.map(str::to_string) }
    }

    #[test]
    fn identical_content_is_one_video_and_faces_make_creators() {
        let ads = [ad(2, Some("aa")), ad(3, Some("bb")), ad(4, Some("aa")), ad(5, None), ad(6, Some("cc"))];
        // Distinct, unrelated fingerprints: grouping falls back to identical content.
        let prints = |seed: u64| {
            (0..6)
                .map(|k| FrameHash {
                    time_ds: k * 10,
                    phash: (seed * 7 + k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                    blocks: vec![],
                    colour: [0; 3],
                })
                .collect()
        };
        let facts = HashMap::from([
            ("aa".to_string(), VideoFacts { face: Some(("face-a.jpg".into(), 0.5)), fingerprints: prints(1) }),
            ("bb".to_string(), VideoFacts { face: None, fingerprints: prints(2) }),
            ("cc".to_string(), VideoFacts { face: Some(("face-c.jpg".into(), 0.4)), fingerprints: prints(3) }),
        ]);
        let g = group(&ads, &facts, &SimilaritySettings::default());
        assert_eq!(g.videos.len(), 3);
        assert_eq!(g.video_of_row[&2], g.video_of_row[&4]);
        assert!(!g.video_of_row.contains_key(&5), "a row without video is in no group");
        assert_eq!(g.creators.len(), 2);
        assert_eq!(g.creators[0].face_file, "face-a.jpg");
        assert_eq!(g.creator_of_row(4), Some(1));
        assert_eq!(g.creator_of_row(3), None, "no face on camera: no creator");
        assert_eq!(g.creator_of_row(6), Some(2));
        assert_eq!(g.videos.iter().map(|v| v.hook_family).collect::<Vec<_>>(), [1, 2, 3]);
    }

    #[test]
    fn near_duplicate_files_are_one_video_with_the_best_face() {
        let body: Vec<FrameHash> = (0..8)
            .map(|k| FrameHash {
                time_ds: k * 10,
                phash: (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                blocks: vec![],
                colour: [50; 3],
            })
            .collect();
        let ads = [ad(2, Some("original")), ad(3, Some("reencoded"))];
        let facts = HashMap::from([
            ("original".to_string(), VideoFacts { face: Some(("dim.jpg".into(), 0.2)), fingerprints: body.clone() }),
            ("reencoded".to_string(), VideoFacts { face: Some(("sharp.jpg".into(), 0.7)), fingerprints: body }),
        ]);
        let g = group(&ads, &facts, &SimilaritySettings::default());
        assert_eq!(g.videos.len(), 1);
        assert_eq!(g.videos[0].sha256s, ["original", "reencoded"]);
        assert_eq!(g.creators.len(), 1);
        assert_eq!(g.creators[0].face_file, "sharp.jpg");
    }
}
