//! Exports of a run as CSV files (written with polars): `ads.csv` (one line per input row, in
//! input order, rejected rows included), `videos.csv` and `creators.csv` (the statistics), plus
//! the creators' face images, so the folder stands on its own.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use crate::store::{RunId, StatsLevel, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing {path}: {message}")]
    Write { path: String, message: String },
}

/// What [`write_report`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub ads: usize,
    pub videos: usize,
    pub creators: usize,
}

/// Writes `ads.csv`, `videos.csv`, `creators.csv` and `faces/` into `out`.
pub fn write_report(store: &Store, run: RunId, data_dir: &Path, out: &Path) -> Result<Written, ExportError> {
    let io = |path: &Path, e: &dyn std::fmt::Display| ExportError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(out.join("faces")).map_err(|e| io(out, &e))?;
    let dataset = store.run(run)?.dataset_id;
    let grouping = store.grouping(run)?;
    let urls = store.video_urls(run, dataset)?;

    let ads = store.ad_lines(run, dataset)?;
    let mut frame = df!(
        "row" => ads.iter().map(|a| a.row).collect::<Vec<_>>(),
        "video_url" => ads.iter().map(|a| a.video_url.clone()).collect::<Vec<_>>(),
        "performance" => ads.iter().map(|a| a.performance.clone()).collect::<Vec<_>>(),
        "status" => ads.iter().map(|a| a.status.clone()).collect::<Vec<_>>(),
        "video_id" => ads.iter().map(|a| a.video_id).collect::<Vec<_>>(),
        "creator_id" => ads.iter().map(|a| a.creator_id).collect::<Vec<_>>(),
        "hook_family" => ads.iter().map(|a| a.hook_family).collect::<Vec<_>>(),
    )
    .map_err(|e| io(out, &e))?;
    write_csv(&mut frame, &out.join("ads.csv"))?;

    let creator_of_video: HashMap<u32, Option<u32>> = grouping.videos.iter().map(|v| (v.id, v.creator)).collect();
    let videos = store.stats(run, StatsLevel::Video)?;
    let first_url = |id: Option<u32>| id.and_then(|id| urls.get(&id)).and_then(|u| u.first().cloned());
    let mut frame = df!(
        "video_id" => videos.iter().map(|s| s.key).collect::<Vec<_>>(),
        "first_url" => videos.iter().map(|s| first_url(s.key)).collect::<Vec<_>>(),
        "urls" => videos.iter().map(|s| s.key.and_then(|k| urls.get(&k)).map_or(0, |u| u.len() as u32)).collect::<Vec<_>>(),
        "sha256" => videos.iter().map(|s| s.key.and_then(|k| grouping.videos.get(k as usize - 1)).map(|v| v.sha256s.join(" "))).collect::<Vec<_>>(),
        "creator_id" => videos.iter().map(|s| s.key.and_then(|k| creator_of_video.get(&k).copied().flatten())).collect::<Vec<_>>(),
        "hook_family" => videos.iter().map(|s| s.key.and_then(|k| grouping.videos.get(k as usize - 1)).map(|v| v.hook_family)).collect::<Vec<_>>(),
        "ads" => videos.iter().map(|s| s.ads).collect::<Vec<_>>(),
        "mean" => videos.iter().map(|s| s.mean).collect::<Vec<_>>(),
        "median" => videos.iter().map(|s| s.median).collect::<Vec<_>>(),
        "std_dev" => videos.iter().map(|s| s.std_dev).collect::<Vec<_>>(),
        "best_row" => videos.iter().map(|s| s.best_row).collect::<Vec<_>>(),
        "best" => videos.iter().map(|s| s.best).collect::<Vec<_>>(),
        "worst_row" => videos.iter().map(|s| s.worst_row).collect::<Vec<_>>(),
        "worst" => videos.iter().map(|s| s.worst).collect::<Vec<_>>(),
    )
    .map_err(|e| io(out, &e))?;
    write_csv(&mut frame, &out.join("videos.csv"))?;

    let creators = store.stats(run, StatsLevel::Creator)?;
    let creator = |key: Option<u32>| key.and_then(|k| grouping.creators.iter().find(|c| c.id == k));
    let faces_dir = crate::pipeline::faces_dir(data_dir);
    for c in &grouping.creators {
        let (from, to) = (faces_dir.join(&c.face_file), out.join("faces").join(&c.face_file));
        std::fs::copy(&from, &to).map_err(|e| io(&from, &e))?;
    }
    let mut frame = df!(
        "creator_id" => creators.iter().map(|s| s.key).collect::<Vec<_>>(),
        "label" => creators.iter().map(|s| creator(s.key).map_or_else(|| "No creator on camera".to_string(), |c| c.label.clone())).collect::<Vec<_>>(),
        "face_file" => creators.iter().map(|s| creator(s.key).map(|c| format!("faces/{}", c.face_file))).collect::<Vec<_>>(),
        "unique_videos" => creators.iter().map(|s| creator(s.key).map_or_else(
            || grouping.videos.iter().filter(|v| v.creator.is_none()).count() as u32,
            |c| c.videos.len() as u32,
        )).collect::<Vec<_>>(),
        "ads" => creators.iter().map(|s| s.ads).collect::<Vec<_>>(),
        "mean" => creators.iter().map(|s| s.mean).collect::<Vec<_>>(),
        "median" => creators.iter().map(|s| s.median).collect::<Vec<_>>(),
        "std_dev" => creators.iter().map(|s| s.std_dev).collect::<Vec<_>>(),
        "ci95_low" => creators.iter().map(|s| s.ci95.map(|c| c.0)).collect::<Vec<_>>(),
        "ci95_high" => creators.iter().map(|s| s.ci95.map(|c| c.1)).collect::<Vec<_>>(),
        "best_row" => creators.iter().map(|s| s.best_row).collect::<Vec<_>>(),
        "best" => creators.iter().map(|s| s.best).collect::<Vec<_>>(),
        "worst_row" => creators.iter().map(|s| s.worst_row).collect::<Vec<_>>(),
        "worst" => creators.iter().map(|s| s.worst).collect::<Vec<_>>(),
        "still_face" => creators.iter().map(|s| creator(s.key).map(|c| c.still)).collect::<Vec<_>>(),
        "also_in_videos" => creators.iter().map(|s| creator(s.key).map(|c| c.appears_in.iter().map(u32::to_string).collect::<Vec<_>>().join(" "))).collect::<Vec<_>>(),
    )
    .map_err(|e| io(out, &e))?;
    write_csv(&mut frame, &out.join("creators.csv"))?;
    Ok(Written { ads: ads.len(), videos: videos.len(), creators: creators.len() })
}

fn write_csv(frame: &mut DataFrame, path: &Path) -> Result<(), ExportError> {
    let io =
        |e: &dyn std::fmt::Display| ExportError::Write { path: path.display().to_string(), message: e.to_string() };
    let mut file = std::fs::File::create(path).map_err(|e| io(&e))?;
    CsvWriter::new(&mut file).include_header(true).finish(frame).map_err(|e| io(&e))
}
