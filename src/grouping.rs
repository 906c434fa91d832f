//! Grouping: which ads show the same video, and which videos show the same creator.
//!
//! First version: videos with the same content hash are one unique video, and each unique video
//! with a face on camera is its own provisional creator. Later versions replace the two rules
//! (near-duplicate videos, face recognition across videos) behind the same output type.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

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

/// Groups ads by content hash; `best_face` gives, per content hash, the file of the best face
/// found in that video (None: nobody on camera).
pub fn group(ads: &[AdVideo], best_face: &HashMap<String, Option<String>>) -> Grouping {
    let mut grouping = Grouping::default();
    let mut video_of_sha: HashMap<&str, VideoId> = HashMap::new();
    for ad in ads {
        let Some(sha) = ad.sha256.as_deref() else {
            continue;
        };
        let id = *video_of_sha.entry(sha).or_insert_with(|| {
            let id = grouping.videos.len() as VideoId + 1;
            let creator = best_face.get(sha).cloned().flatten().map(|face_file| {
                let creator_id = grouping.creators.len() as CreatorId + 1;
                grouping.creators.push(Creator {
                    id: creator_id,
                    label: format!("Creator {creator_id}"),
                    videos: vec![id],
                    face_file,
                });
                creator_id
            });
            grouping.videos.push(UniqueVideo {
                id,
                sha256s: vec![sha.to_string()],
                creator,
            });
            id
        });
        grouping.video_of_row.insert(ad.row, id);
    }
    grouping
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ad(row: u32, sha: Option<&str>) -> AdVideo {
        AdVideo {
            row,
            sha256: sha.map(str::to_string),
        }
    }

    #[test]
    fn identical_content_is_one_video_and_faces_make_creators() {
        let ads = [
            ad(2, Some("aa")),
            ad(3, Some("bb")),
            ad(4, Some("aa")),
            ad(5, None),
            ad(6, Some("cc")),
        ];
        let faces = HashMap::from([
            ("aa".to_string(), Some("face-a.jpg".to_string())),
            ("bb".to_string(), None),
            ("cc".to_string(), Some("face-c.jpg".to_string())),
        ]);
        let g = group(&ads, &faces);
        assert_eq!(g.videos.len(), 3);
        assert_eq!(g.video_of_row[&2], g.video_of_row[&4]);
        assert!(
            !g.video_of_row.contains_key(&5),
            "a row without video is in no group"
        );
        assert_eq!(g.creators.len(), 2);
        assert_eq!(g.creators[0].face_file, "face-a.jpg");
        assert_eq!(g.creator_of_row(4), Some(1));
        assert_eq!(g.creator_of_row(3), None, "no face on camera: no creator");
        assert_eq!(g.creator_of_row(6), Some(2));
    }
}
