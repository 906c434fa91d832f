//! A finished run made directly in the store, with as many creators as a test or benchmark
//! needs, without decoding a single video: for the report's speed and paging at scale, and for
//! the corrections' tests (each video has one face track and an analysis, so the run can be
//! grouped again exactly as the pipeline would).

use std::collections::HashMap;

use crate::creators::TrackRef;
use crate::faces::FaceTrack;
use crate::fetch::{CachedVideo, Container};
use crate::fingerprint::FrameHash;
use crate::grouping::{Creator, Grouping, UniqueVideo};
use crate::ingest::{AdDetails, AdRow, ColumnMapping, ParsedSheet};
use crate::pipeline::{PipelineSettings, analysis_key, set_run_settings};
use crate::stats::{self, AdOutcome};
use crate::store::VideoAnalysis;
use crate::store::{NewDataset, RowOutcome, RowStatus, RunId, RunStatus, StatsLevel, Store, StoreError};

/// `creators` creators, each with `videos_per_creator` unique videos and `ads_per_video` ads
/// per video; performance and spend vary deterministically. Returns the finished run.
pub fn synthetic_run(
    store: &Store,
    creators: u32,
    videos_per_creator: u32,
    ads_per_video: u32,
) -> Result<RunId, StoreError> {
    let mut accepted = Vec::new();
    let mut outcomes = Vec::new();
    let mut videos = Vec::new();
    let mut creator_list = Vec::new();
    let mut video_of_row = HashMap::new();
    let mut ads = Vec::new();
    let mut row = 2;
    let mut analyses = Vec::new();
    for c in 1..=creators {
        let mut own = Vec::new();
        let mut members = Vec::new();
        for v in 0..videos_per_creator {
            let id = (c - 1) * videos_per_creator + v + 1;
            let sha = format!("{id:064x}");
            videos.push(UniqueVideo {
                id,
                sha256s: vec![sha.clone()],
                creator: Some(c),
                hook_family: id,
                similar: None,
                links: Vec::new(),
            });
            own.push(id);
            members.push(TrackRef { sha256: sha.clone(), track: 0 });
            analyses.push((format!("https://cdn.example.com/{c}/{v}/0.mp4"), sha.clone(), analysis(c, id)));
            for a in 0..ads_per_video {
                let performance = 0.5 + f64::from((c * 37 + v * 11 + a * 7) % 300) / 100.0;
                let spend = f64::from(50 + (c * 13 + a) % 500);
                accepted.push(AdRow {
                    row,
                    video_url: format!("https://cdn.example.com/{c}/{v}/{a}.mp4"),
                    performance,
                    details: AdDetails { spend: Some(spend), ..AdDetails::default() },
                    extra: Vec::new(),
                });
                outcomes.push(RowOutcome {
                    row,
                    status: RowStatus::Downloaded,
                    detail: None,
                    sha256: Some(sha.clone()),
                });
                video_of_row.insert(row, id);
                ads.push(AdOutcome { row, performance, spend: Some(spend), video: Some(id), creator: Some(c) });
                row += 1;
            }
        }
        creator_list.push(Creator {
            id: c,
            label: format!("Creator {c}"),
            videos: own,
            face_file: face_file(c, (c - 1) * videos_per_creator + 1),
            members,
            appears_in: Vec::new(),
            hidden: false,
            hidden_reason: None,
            named: false,
            face_track: (videos_per_creator > 0)
                .then(|| TrackRef { sha256: format!("{:064x}", (c - 1) * videos_per_creator + 1), track: 0 }),
            still: false,
            cohesion: 0.0,
            member_distances: Vec::new(),
            left_out: 0,
        });
    }
    let sheet = ParsedSheet {
        mapping: ColumnMapping {
            video_url: (1, "Video URL".into()),
            performance: (0, "Performance".into()),
            optional: Vec::new(),
        },
        accepted,
        rejected: Vec::new(),
        notices: Vec::new(),
    };
    let name = format!("synthetic-{creators}-creators.csv");
    let dataset = store.insert_dataset(
        &NewDataset { name: &name, sha256: &format!("{creators:064x}"), size_bytes: 0, is_demo: false },
        &sheet,
    )?;
    let run = store.create_run(dataset)?;
    let settings = PipelineSettings::default();
    set_run_settings(store, run, &settings).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let key = analysis_key(&settings);
    for (url, sha, analysis) in &analyses {
        let video = CachedVideo { sha256: sha.clone(), size_bytes: 0, container: Container::IsoBmff };
        store.record_fetch(url, &video, run)?;
        store.save_video_analysis(sha, &key, analysis)?;
    }
    store.set_run_status(run, RunStatus::Running, None)?;
    store.set_row_outcomes(run, &outcomes)?;
    store.save_grouping(run, &Grouping { videos, creators: creator_list, video_of_row, ..Grouping::default() })?;
    let corrupt = |e: stats::StatsError| StoreError::Corrupt(e.to_string());
    store.save_stats(run, StatsLevel::Video, &stats::per_video(&ads).map_err(corrupt)?)?;
    store.save_stats(run, StatsLevel::Creator, &stats::per_creator(&ads).map_err(corrupt)?)?;
    for stage in crate::pipeline::Stage::ALL {
        store.mark_stage_done(run, stage.name())?;
    }
    store.set_run_status(run, RunStatus::Succeeded, None)?;
    Ok(run)
}

/// Creator `c`'s face in video `video` (the first video's face represents the creator).
fn face_file(c: u32, video: u32) -> String {
    format!("{:064x}.jpg", u64::from(c) << 32 | u64::from(video))
}

/// Creator `c`'s descriptor: 0.5 in two dimensions picked by `c` (different creators are at
/// least 0.7 apart, beyond the 0.45 cut), moved a little per video.
fn descriptor(c: u32, video: u32) -> Vec<f32> {
    let mut d = vec![0.0f32; 128];
    d[(c % 64) as usize] = 0.5;
    d[64 + (c / 64 % 64) as usize] = 0.5;
    d[127 - (video % 7) as usize] += 0.02;
    d
}

/// What the analyse stage would have saved for video `id` of creator `c`: one person, well
/// seen, and fingerprints no other video shares.
fn analysis(c: u32, id: u32) -> VideoAnalysis {
    let track = FaceTrack {
        index: 0,
        frames: 6,
        first_s: 0.0,
        last_s: 5.0,
        face_file: Some(face_file(c, id)),
        best_time_s: 1.0,
        quality: 0.5 + f64::from(id % 5) / 10.0,
        face_fraction: 0.3,
        confidence: 0.9,
        frontalness: 0.9,
        descriptor: descriptor(c, id),
        incidental: None,
        motion: Default::default(),
        boxes: Vec::new(),
        descriptor_spread: 0.25,
    };
    let fingerprints = (0..6u64)
        .map(|k| FrameHash {
            time_ds: (k * 10) as u32,
            phash: (u64::from(id) * 7919 + k).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            blocks: vec![],
            colour: [0; 3],
            phash_mirrored: 0,
        })
        .collect();
    VideoAnalysis {
        info: None,
        faces: Default::default(),
        face_file: track.face_file.clone(),
        face_score: Some(track.quality),
        face_time_s: Some(1.0),
        error: None,
        fingerprints,
        stills_file: None,
        tracks: vec![track],
        clip_embedding: None,
        keypoints: Default::default(),
        frames_file: None,
    }
}
