//! A finished run made directly in the store, with as many creators as a test or benchmark
//! needs, without decoding a single video: for the report's speed and paging at scale.

use std::collections::HashMap;

use crate::grouping::{Creator, Grouping, UniqueVideo};
use crate::ingest::{AdDetails, AdRow, ColumnMapping, ParsedSheet};
use crate::stats::{self, AdOutcome};
use crate::store::{NewDataset, RowOutcome, RunId, RunStatus, StatsLevel, Store, StoreError};

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
    for c in 1..=creators {
        let mut own = Vec::new();
        for v in 0..videos_per_creator {
            let id = (c - 1) * videos_per_creator + v + 1;
            let sha = format!("{id:064x}");
            videos.push(UniqueVideo {
                id,
                sha256s: vec![sha.clone()],
                creator: Some(c),
                hook_family: id,
                similar: None,
            });
            own.push(id);
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
                outcomes.push(RowOutcome { row, status: "downloaded".into(), detail: None, sha256: Some(sha.clone()) });
                video_of_row.insert(row, id);
                ads.push(AdOutcome { row, performance, spend: Some(spend), video: Some(id), creator: Some(c) });
                row += 1;
            }
        }
        creator_list.push(Creator {
            id: c,
            label: format!("Creator {c}"),
            videos: own,
            face_file: format!("{c:064x}.jpg"),
            members: Vec::new(),
            appears_in: Vec::new(),
            hidden: false,
            still: false,
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
    store.set_run_status(run, RunStatus::Running, None)?;
    store.set_row_outcomes(run, &outcomes)?;
    store.save_grouping(run, &Grouping { videos, creators: creator_list, video_of_row })?;
    let corrupt = |e: stats::StatsError| StoreError::Corrupt(e.to_string());
    store.save_stats(run, StatsLevel::Video, &stats::per_video(&ads).map_err(corrupt)?)?;
    store.save_stats(run, StatsLevel::Creator, &stats::per_creator(&ads).map_err(corrupt)?)?;
    for stage in crate::pipeline::Stage::ALL {
        store.mark_stage_done(run, stage.name())?;
    }
    store.set_run_status(run, RunStatus::Succeeded, None)?;
    Ok(run)
}
