//! The video cache index (which URL gave which content) and per-video analyses.

use rusqlite::{OptionalExtension, params};

use super::{Result, RunId, Store, StoreError, now_ms};
use crate::faces::{FaceSummary, FaceTrack};
use crate::fetch::{CachedVideo, Container};
use crate::fingerprint::FrameHash;
use crate::frames::VideoInfo;

/// What the analyse stage learned about one video.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoAnalysis {
    pub info: Option<VideoInfo>,
    pub faces: FaceSummary,
    /// Best face crop, a file name in `<data dir>/faces/`.
    pub face_file: Option<String>,
    pub face_score: Option<f64>,
    pub face_time_s: Option<f64>,
    /// Why the video could not be analysed (corrupt, no frames…).
    pub error: Option<String>,
    /// One per sampled frame, in order.
    pub fingerprints: Vec<FrameHash>,
    /// Strip of stills, a file name in `<data dir>/stills/`.
    pub stills_file: Option<String>,
    /// The people seen, most present first.
    pub tracks: Vec<FaceTrack>,
    /// CLIP embedding of the video (normalised mean of its frames'); None when CLIP is off.
    pub clip_embedding: Option<Vec<f32>>,
    /// One per sampled frame, in order: its ORB keypoints, plain and squeezed (see
    /// [`crate::keypoints`]).
    pub keypoints: crate::keypoints::VideoKeypoints,
    /// Every sampled frame side by side (a file in `<data dir>/stills/`), each
    /// [`crate::stills::STILL_HEIGHT`] high.
    pub frames_file: Option<String>,
}

fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Store {
    /// The video an earlier fetch of `url` produced, if any.
    pub fn url_video(&self, url: &str) -> Result<Option<CachedVideo>> {
        let row = self
            .conn()
            .query_row(
                "SELECT v.sha256, v.size_bytes, v.container FROM url_fetches u JOIN videos v USING (sha256) WHERE u.url = ?1",
                [url],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?, r.get::<_, String>(2)?)),
            )
            .optional()?;
        row.map(|(sha256, size_bytes, container)| {
            let container =
                Container::parse(&container).ok_or_else(|| StoreError::Corrupt(format!("container {container}")))?;
            Ok(CachedVideo { sha256, size_bytes, container })
        })
        .transpose()
    }

    /// The URLs `run` itself downloaded (before a restart, say).
    pub fn urls_fetched_by(&self, run: RunId) -> Result<std::collections::HashSet<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT url FROM url_fetches WHERE fetched_by_run = ?1")?;
        let urls = stmt.query_map([run], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(urls)
    }

    /// A cached video by content hash.
    pub fn video(&self, sha256: &str) -> Result<Option<CachedVideo>> {
        let row = self
            .conn()
            .query_row("SELECT size_bytes, container FROM videos WHERE sha256 = ?1", [sha256], |r| {
                Ok((r.get::<_, u64>(0)?, r.get::<_, String>(1)?))
            })
            .optional()?;
        row.map(|(size_bytes, container)| {
            let container =
                Container::parse(&container).ok_or_else(|| StoreError::Corrupt(format!("container {container}")))?;
            Ok(CachedVideo { sha256: sha256.to_string(), size_bytes, container })
        })
        .transpose()
    }

    /// Remembers that `url` gave `video`.
    /// Records that `run` downloaded `url` as `video` (replacing what the URL held before).
    pub fn record_fetch(&self, url: &str, video: &CachedVideo, run: RunId) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let now = now_ms();
        tx.execute(
            "INSERT OR IGNORE INTO videos (sha256, size_bytes, container, first_seen_ms) VALUES (?1, ?2, ?3, ?4)",
            params![video.sha256, video.size_bytes as i64, video.container.as_str(), now],
        )?;
        tx.execute(
            "INSERT INTO url_fetches (url, sha256, fetched_at_ms, fetched_by_run) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (url) DO UPDATE SET sha256 = excluded.sha256, fetched_at_ms = excluded.fetched_at_ms,
                                             fetched_by_run = excluded.fetched_by_run",
            params![url, video.sha256, now, run],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn video_analysis(&self, sha256: &str, settings_key: &str) -> Result<Option<VideoAnalysis>> {
        let row = self
            .conn()
            .query_row(
                "SELECT info, faces, face_file, face_score, face_time_s, error, fingerprints, stills_file, face_tracks, clip_embedding, keypoints, frames_file FROM video_analyses
                 WHERE sha256 = ?1 AND settings_key = ?2",
                params![sha256, settings_key],
                |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, Option<String>>(7)?,
                        r.get::<_, String>(8)?,
                        r.get::<_, Option<String>>(9)?,
                        r.get::<_, Option<Vec<u8>>>(10)?,
                        r.get::<_, Option<String>>(11)?,
                    ))
                },
            )
            .optional()?;
        row.map(
            |(
                info,
                faces,
                face_file,
                face_score,
                face_time_s,
                error,
                fingerprints,
                stills_file,
                tracks,
                clip,
                keypoints,
                frames_file,
            )| {
                let parse_err = |e: serde_json::Error| StoreError::Corrupt(e.to_string());
                Ok(VideoAnalysis {
                    info: info.map(|i| serde_json::from_str(&i)).transpose().map_err(parse_err)?,
                    faces: faces.map(|f| serde_json::from_str(&f)).transpose().map_err(parse_err)?.unwrap_or_default(),
                    face_file,
                    face_score,
                    face_time_s,
                    error,
                    fingerprints: serde_json::from_str(&fingerprints).map_err(parse_err)?,
                    stills_file,
                    tracks: serde_json::from_str(&tracks).map_err(parse_err)?,
                    clip_embedding: clip.map(|c| serde_json::from_str(&c)).transpose().map_err(parse_err)?,
                    keypoints: keypoints
                        .map(|k| crate::keypoints::decode(&k))
                        .transpose()
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?
                        .unwrap_or_default(),
                    frames_file,
                })
            },
        )
        .transpose()
    }

    /// The stills strip of the most recent analysis of a video, if any.
    pub fn stills_file(&self, sha256: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT stills_file FROM video_analyses WHERE sha256 = ?1 AND stills_file IS NOT NULL
                 ORDER BY analysed_at_ms DESC LIMIT 1",
                [sha256],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn save_video_analysis(&self, sha256: &str, settings_key: &str, analysis: &VideoAnalysis) -> Result<()> {
        self.conn().execute(
            "INSERT OR REPLACE INTO video_analyses
               (sha256, settings_key, info, faces, face_file, face_score, face_time_s, error, analysed_at_ms, fingerprints, stills_file, face_tracks, clip_embedding, keypoints, frames_file)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            params![
                sha256,
                settings_key,
                analysis.info.as_ref().map(json).transpose()?,
                json(&analysis.faces)?,
                analysis.face_file,
                analysis.face_score,
                analysis.face_time_s,
                analysis.error,
                now_ms(),
                json(&analysis.fingerprints)?,
                analysis.stills_file,
                json(&analysis.tracks)?,
                analysis.clip_embedding.as_ref().map(json).transpose()?,
                (!analysis.keypoints.is_empty()).then(|| crate::keypoints::encode(&analysis.keypoints)),
                analysis.frames_file,
            ],
        )?;
        Ok(())
    }
}
