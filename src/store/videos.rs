//! The video cache index (which URL gave which content) and per-video analyses.

use super::sql::{Db, Row, params};

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

fn container(word: String) -> Result<Container> {
    Container::parse(&word).ok_or_else(|| StoreError::Corrupt(format!("container {word}")))
}

fn analysis_from_row(r: &Row) -> Result<VideoAnalysis> {
    let parse_err = |e: serde_json::Error| StoreError::Corrupt(e.to_string());
    let info: Option<String> = r.get(0)?;
    let faces: Option<String> = r.get(1)?;
    let fingerprints: String = r.get(6)?;
    let tracks: String = r.get(8)?;
    let clip: Option<String> = r.get(9)?;
    let keypoints: Option<Vec<u8>> = r.get(10)?;
    Ok(VideoAnalysis {
        info: info.map(|i| serde_json::from_str(&i)).transpose().map_err(parse_err)?,
        faces: faces.map(|f| serde_json::from_str(&f)).transpose().map_err(parse_err)?.unwrap_or_default(),
        face_file: r.get(2)?,
        face_score: r.get(3)?,
        face_time_s: r.get(4)?,
        error: r.get(5)?,
        fingerprints: serde_json::from_str(&fingerprints).map_err(parse_err)?,
        stills_file: r.get(7)?,
        tracks: serde_json::from_str(&tracks).map_err(parse_err)?,
        clip_embedding: clip.map(|c| serde_json::from_str(&c)).transpose().map_err(parse_err)?,
        keypoints: keypoints
            .map(|k| crate::keypoints::decode(&k))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?
            .unwrap_or_default(),
        frames_file: r.get(11)?,
    })
}

impl Store {
    /// The video an earlier fetch of `url` produced, if any.
    pub fn url_video(&self, url: &str) -> Result<Option<CachedVideo>> {
        self.read(|db| {
            db.query_opt(
                "SELECT v.sha256, v.size_bytes, v.container FROM url_fetches u JOIN videos v USING (sha256) WHERE u.url = ?1",
                params![url],
                |r| Ok(CachedVideo { sha256: r.get(0)?, size_bytes: r.get(1)?, container: container(r.get(2)?)? }),
            )
        })
    }

    /// The URLs `run` itself downloaded (before a restart, say).
    pub fn urls_fetched_by(&self, run: RunId) -> Result<std::collections::HashSet<String>> {
        let urls = self.read(|db| {
            db.query_map("SELECT url FROM url_fetches WHERE fetched_by_run = ?1", params![run], |r| r.get::<String>(0))
        })?;
        Ok(urls.into_iter().collect())
    }

    /// A cached video by content hash.
    pub fn video(&self, sha256: &str) -> Result<Option<CachedVideo>> {
        self.read(|db| {
            db.query_opt("SELECT size_bytes, container FROM videos WHERE sha256 = ?1", params![sha256], |r| {
                Ok(CachedVideo { sha256: sha256.to_string(), size_bytes: r.get(0)?, container: container(r.get(1)?)? })
            })
        })
    }

    /// Remembers that `url` gave `video`.
    /// Records that `run` downloaded `url` as `video` (replacing what the URL held before).
    pub fn record_fetch(&self, url: &str, video: &CachedVideo, run: RunId) -> Result<()> {
        self.write(|db| {
            let now = now_ms();
            db.execute(
                "INSERT INTO videos (sha256, size_bytes, container, first_seen_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO NOTHING",
                params![video.sha256, video.size_bytes, video.container.as_str(), now],
            )?;
            db.execute(
                "INSERT INTO url_fetches (url, sha256, fetched_at_ms, fetched_by_run) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (url) DO UPDATE SET sha256 = excluded.sha256, fetched_at_ms = excluded.fetched_at_ms,
                                                 fetched_by_run = excluded.fetched_by_run",
                params![url, video.sha256, now, run],
            )?;
            Ok(())
        })
    }

    pub fn video_analysis(&self, sha256: &str, settings_key: &str) -> Result<Option<VideoAnalysis>> {
        self.read(|db| {
            db.query_opt(
                "SELECT info, faces, face_file, face_score, face_time_s, error, fingerprints, stills_file, face_tracks, clip_embedding, keypoints, frames_file FROM video_analyses
                 WHERE sha256 = ?1 AND settings_key = ?2",
                params![sha256, settings_key],
                analysis_from_row,
            )
        })
    }

    /// The stills strip of the most recent analysis of a video, if any.
    pub fn stills_file(&self, sha256: &str) -> Result<Option<String>> {
        self.read(|db| {
            db.query_opt(
                "SELECT stills_file FROM video_analyses WHERE sha256 = ?1 AND stills_file IS NOT NULL
                 ORDER BY analysed_at_ms DESC LIMIT 1",
                params![sha256],
                |r| r.get(0),
            )
        })
    }

    /// Saves the analysis of file `sha256` under `settings_key`, replacing one saved before.
    pub fn save_video_analysis(&self, sha256: &str, settings_key: &str, analysis: &VideoAnalysis) -> Result<()> {
        let row = AnalysisRow::of(analysis)?;
        self.read(|db| row.upsert(db, sha256, settings_key))
    }

    /// Saves a worker's analysis and archives the work-queue message that asked for it, in one
    /// transaction (PostgreSQL, whose pgmq holds the queue), fenced: `false`, with nothing
    /// written, when the message is no longer this worker's — another worker finished it, or took
    /// it again after this one's visibility timeout ran out (its read count moved on). The
    /// message's row is locked meanwhile, so no one takes or archives it halfway.
    pub fn save_video_analysis_finishing(
        &self,
        sha256: &str,
        settings_key: &str,
        analysis: &VideoAnalysis,
        message: &QueueMessage<'_>,
    ) -> Result<bool> {
        if !self.on_postgres() {
            return Err(StoreError::PostgresOnly("finishing a work-queue message"));
        }
        let queue = message.queue;
        if queue.is_empty() || !queue.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            return Err(StoreError::Corrupt(format!("{queue:?} is not a pgmq queue name")));
        }
        let row = AnalysisRow::of(analysis)?;
        self.write(|db| {
            // pgmq keeps queue `x`'s messages in table `pgmq.q_x`.
            let held = db.query_opt(
                &format!("SELECT read_ct FROM pgmq.q_{queue} WHERE msg_id = ?1 FOR UPDATE"),
                params![message.id],
                |r| r.get::<i64>(0),
            )?;
            if held != Some(i64::from(message.reads)) {
                return Ok(false);
            }
            row.upsert(db, sha256, settings_key)?;
            db.query_one("SELECT pgmq.archive(?1, ?2)", params![queue, message.id], |r| r.get::<bool>(0))
        })
    }

    /// How many of `run`'s files have an analysis under `settings_key` (with a CLIP embedding,
    /// or unreadable, when `with_clip`): how far workers elsewhere have got.
    pub fn count_analysed(&self, run: RunId, settings_key: &str, with_clip: bool) -> Result<u64> {
        self.read(|db| {
            db.query_one(
                "SELECT COUNT(*) FROM video_analyses a
                 WHERE a.settings_key = ?2
                   AND a.sha256 IN (SELECT video_sha256 FROM run_rows WHERE run_id = ?1)
                   AND (?3 = 0 OR a.clip_embedding IS NOT NULL OR a.info IS NULL)",
                params![run, settings_key, with_clip],
                |r| r.get(0),
            )
        })
    }
}

/// A work-queue message as a worker took it (see [`Store::save_video_analysis_finishing`]).
#[derive(Debug, Clone, Copy)]
pub struct QueueMessage<'a> {
    /// pgmq's queue name.
    pub queue: &'a str,
    pub id: i64,
    /// Its read count when this worker took it.
    pub reads: u32,
}

/// A [`VideoAnalysis`] as `video_analyses` stores it.
struct AnalysisRow<'a> {
    analysis: &'a VideoAnalysis,
    info: Option<String>,
    faces: String,
    fingerprints: String,
    tracks: String,
    clip: Option<String>,
    keypoints: Option<Vec<u8>>,
}

impl<'a> AnalysisRow<'a> {
    fn of(analysis: &'a VideoAnalysis) -> Result<Self> {
        Ok(Self {
            analysis,
            info: analysis.info.as_ref().map(json).transpose()?,
            faces: json(&analysis.faces)?,
            fingerprints: json(&analysis.fingerprints)?,
            tracks: json(&analysis.tracks)?,
            clip: analysis.clip_embedding.as_ref().map(json).transpose()?,
            keypoints: (!analysis.keypoints.is_empty()).then(|| crate::keypoints::encode(&analysis.keypoints)),
        })
    }

    /// Analysed again with the same settings: the row is replaced, every column rewritten.
    fn upsert(&self, db: &mut dyn Db, sha256: &str, settings_key: &str) -> Result<()> {
        let analysis = self.analysis;
        db.execute(
            "INSERT INTO video_analyses
               (sha256, settings_key, info, faces, face_file, face_score, face_time_s, error, analysed_at_ms, fingerprints, stills_file, face_tracks, clip_embedding, keypoints, frames_file)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
             ON CONFLICT (sha256, settings_key) DO UPDATE SET
               info = excluded.info, faces = excluded.faces, face_file = excluded.face_file,
               face_score = excluded.face_score, face_time_s = excluded.face_time_s, error = excluded.error,
               analysed_at_ms = excluded.analysed_at_ms, fingerprints = excluded.fingerprints,
               stills_file = excluded.stills_file, face_tracks = excluded.face_tracks,
               clip_embedding = excluded.clip_embedding, keypoints = excluded.keypoints,
               frames_file = excluded.frames_file",
            params![
                sha256,
                settings_key,
                self.info,
                self.faces,
                analysis.face_file,
                analysis.face_score,
                analysis.face_time_s,
                analysis.error,
                now_ms(),
                self.fingerprints,
                analysis.stills_file,
                self.tracks,
                self.clip,
                self.keypoints,
                analysis.frames_file,
            ],
        )?;
        Ok(())
    }
}
