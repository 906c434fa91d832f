//! Exports of a run: its three tables (`ads`: one line per input row, in input order, rejected
//! rows included; `videos` and `creators`: the statistics) as CSV (polars' writer) or one XLSX
//! workbook (rust_xlsxwriter), a folder with the CSVs and the face images (the CLI's), and a
//! standalone HTML report with the faces and charts inlined.

use std::collections::HashMap;
use std::path::Path;

use polars::prelude::*;

use crate::store::{RunId, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
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

/// A run as three tables: `ads` (every input row, in input order, rejected ones included),
/// `videos` and `creators` (the statistics, in report order).
pub struct Tables {
    pub ads: DataFrame,
    pub videos: DataFrame,
    pub creators: DataFrame,
}

fn frame_error(e: PolarsError) -> ExportError {
    ExportError::Write { path: "table".to_string(), message: e.to_string() }
}

pub fn tables(store: &Store, run: RunId) -> Result<Tables, ExportError> {
    let dataset = store.run(run)?.dataset_id;
    let data = crate::report::load(store, run)?;
    let grouping = &data.grouping;
    let urls = &data.urls;
    let lines = store.ad_lines(run, dataset)?;
    let details: HashMap<u32, &crate::ingest::AdDetails> = data.ads.iter().map(|a| (a.row, &a.details)).collect();
    let detail = |row: u32| details.get(&row).copied();
    let label_of =
        |id: Option<u32>| id.and_then(|id| grouping.creators.iter().find(|c| c.id == id)).map(|c| c.label.clone());
    let ads = df!(
        "row" => lines.iter().map(|a| a.row).collect::<Vec<_>>(),
        "video_url" => lines.iter().map(|a| a.video_url.clone()).collect::<Vec<_>>(),
        "performance" => lines.iter().map(|a| a.performance.clone()).collect::<Vec<_>>(),
        "spend" => lines.iter().map(|a| detail(a.row).and_then(|d| d.spend)).collect::<Vec<_>>(),
        "impressions" => lines.iter().map(|a| detail(a.row).and_then(|d| d.impressions)).collect::<Vec<_>>(),
        "date" => lines.iter().map(|a| detail(a.row).and_then(|d| d.date.clone())).collect::<Vec<_>>(),
        "campaign" => lines.iter().map(|a| detail(a.row).and_then(|d| d.campaign.clone())).collect::<Vec<_>>(),
        "ad_name" => lines.iter().map(|a| detail(a.row).and_then(|d| d.ad_name.clone())).collect::<Vec<_>>(),
        "creator_handle" => lines.iter().map(|a| detail(a.row).and_then(|d| d.creator_handle.clone())).collect::<Vec<_>>(),
        "status" => lines.iter().map(|a| a.status.to_string()).collect::<Vec<_>>(),
        "video_id" => lines.iter().map(|a| a.video_id).collect::<Vec<_>>(),
        "creator_id" => lines.iter().map(|a| a.creator_id).collect::<Vec<_>>(),
        "creator" => lines.iter().map(|a| label_of(a.creator_id)).collect::<Vec<_>>(),
        "hook_family" => lines.iter().map(|a| a.hook_family).collect::<Vec<_>>(),
    )
    .map_err(frame_error)?;

    let creator_of_video: HashMap<u32, Option<u32>> = grouping.videos.iter().map(|v| (v.id, v.creator)).collect();
    let mut videos: Vec<&crate::stats::GroupStats> = data.video_stats.values().collect();
    videos.sort_by_key(|s| s.key);
    let first_url = |id: Option<u32>| id.and_then(|id| urls.get(&id)).and_then(|u| u.first().cloned());
    let video = |key: Option<u32>| key.and_then(|k| grouping.videos.get(k as usize - 1));
    let videos = df!(
        "video_id" => videos.iter().map(|s| s.key).collect::<Vec<_>>(),
        "first_url" => videos.iter().map(|s| first_url(s.key)).collect::<Vec<_>>(),
        "urls" => videos.iter().map(|s| s.key.and_then(|k| urls.get(&k)).map_or(0, |u| u.len() as u32)).collect::<Vec<_>>(),
        "sha256" => videos.iter().map(|s| video(s.key).map(|v| v.sha256s.join(" "))).collect::<Vec<_>>(),
        "creator_id" => videos.iter().map(|s| s.key.and_then(|k| creator_of_video.get(&k).copied().flatten())).collect::<Vec<_>>(),
        "creator" => videos.iter().map(|s| label_of(s.key.and_then(|k| creator_of_video.get(&k).copied().flatten()))).collect::<Vec<_>>(),
        "hook_family" => videos.iter().map(|s| video(s.key).map(|v| v.hook_family)).collect::<Vec<_>>(),
        "ads" => videos.iter().map(|s| s.ads).collect::<Vec<_>>(),
        "mean" => videos.iter().map(|s| s.mean).collect::<Vec<_>>(),
        "median" => videos.iter().map(|s| s.median).collect::<Vec<_>>(),
        "std_dev" => videos.iter().map(|s| s.std_dev).collect::<Vec<_>>(),
        "spend" => videos.iter().map(|s| s.spend).collect::<Vec<_>>(),
        "spend_weighted_mean" => videos.iter().map(|s| s.spend_weighted_mean).collect::<Vec<_>>(),
        "best_row" => videos.iter().map(|s| s.best_row).collect::<Vec<_>>(),
        "best" => videos.iter().map(|s| s.best).collect::<Vec<_>>(),
        "worst_row" => videos.iter().map(|s| s.worst_row).collect::<Vec<_>>(),
        "worst" => videos.iter().map(|s| s.worst).collect::<Vec<_>>(),
    )
    .map_err(frame_error)?;

    let creators = &data.creators;
    let creator = |key: Option<u32>| key.and_then(|k| grouping.creators.iter().find(|c| c.id == k));
    let creators = df!(
        "creator_id" => creators.iter().map(|c| c.key).collect::<Vec<_>>(),
        "label" => creators.iter().map(|c| c.label.clone()).collect::<Vec<_>>(),
        "face_file" => creators.iter().map(|c| c.face_file.as_ref().map(|f| format!("faces/{f}"))).collect::<Vec<_>>(),
        "unique_videos" => creators.iter().map(|c| c.videos.len() as u32).collect::<Vec<_>>(),
        "ads" => creators.iter().map(|c| c.stats.ads).collect::<Vec<_>>(),
        "mean" => creators.iter().map(|c| c.stats.mean).collect::<Vec<_>>(),
        "ranked_mean" => creators.iter().map(|c| c.shrunk_mean).collect::<Vec<_>>(),
        "median" => creators.iter().map(|c| c.stats.median).collect::<Vec<_>>(),
        "std_dev" => creators.iter().map(|c| c.stats.std_dev).collect::<Vec<_>>(),
        "ci95_low" => creators.iter().map(|c| c.stats.ci95.map(|x| x.0)).collect::<Vec<_>>(),
        "ci95_high" => creators.iter().map(|c| c.stats.ci95.map(|x| x.1)).collect::<Vec<_>>(),
        "spend" => creators.iter().map(|c| c.stats.spend).collect::<Vec<_>>(),
        "spend_weighted_mean" => creators.iter().map(|c| c.stats.spend_weighted_mean).collect::<Vec<_>>(),
        "best_video_id" => creators.iter().map(|c| c.best_video.map(|v| v.0)).collect::<Vec<_>>(),
        "best_row" => creators.iter().map(|c| c.stats.best_row).collect::<Vec<_>>(),
        "best" => creators.iter().map(|c| c.stats.best).collect::<Vec<_>>(),
        "worst_row" => creators.iter().map(|c| c.stats.worst_row).collect::<Vec<_>>(),
        "worst" => creators.iter().map(|c| c.stats.worst).collect::<Vec<_>>(),
        "still_face" => creators.iter().map(|c| c.key.map(|_| c.still)).collect::<Vec<_>>(),
        "hidden" => creators.iter().map(|c| c.key.map(|_| c.hidden)).collect::<Vec<_>>(),
        "hidden_reason" => creators.iter().map(|c| creator(c.key).and_then(|c| c.hidden_reason.clone())).collect::<Vec<_>>(),
        "faces" => creators.iter().map(|c| creator(c.key).map(|c| c.members.len() as u32)).collect::<Vec<_>>(),
        "face_cohesion" => creators.iter().map(|c| creator(c.key).map(|c| c.cohesion)).collect::<Vec<_>>(),
        "faces_left_out" => creators.iter().map(|c| creator(c.key).map(|c| c.left_out)).collect::<Vec<_>>(),
        "also_in_videos" => creators.iter().map(|c| creator(c.key).map(|c| c.appears_in.iter().map(u32::to_string).collect::<Vec<_>>().join(" "))).collect::<Vec<_>>(),
    )
    .map_err(frame_error)?;
    Ok(Tables { ads, videos, creators })
}

/// Writes `ads.csv`, `videos.csv`, `creators.csv` and `faces/` into `out`.
pub fn write_report(store: &Store, run: RunId, data_dir: &Path, out: &Path) -> Result<Written, ExportError> {
    let io = |path: &Path, e: &dyn std::fmt::Display| ExportError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(out.join("faces")).map_err(|e| io(out, &e))?;
    let mut tables = tables(store, run)?;
    let faces_dir = crate::pipeline::faces_dir(data_dir);
    for c in &store.grouping(run)?.creators {
        let (from, to) = (faces_dir.join(&c.face_file), out.join("faces").join(&c.face_file));
        std::fs::copy(&from, &to).map_err(|e| io(&from, &e))?;
    }
    for (name, frame) in
        [("ads.csv", &mut tables.ads), ("videos.csv", &mut tables.videos), ("creators.csv", &mut tables.creators)]
    {
        let path = out.join(name);
        std::fs::write(&path, to_csv(frame)?).map_err(|e| io(&path, &e))?;
    }
    Ok(Written { ads: tables.ads.height(), videos: tables.videos.height(), creators: tables.creators.height() })
}

/// The rows of a dataset that were not accepted, as the user gave them (their columns under
/// their own headers) with a `problems` column first: fix and upload again.
pub fn rejected_csv(store: &Store, dataset: crate::store::DatasetId) -> Result<Vec<u8>, ExportError> {
    let info = store.dataset(dataset)?;
    let rows = store.rejected_rows(dataset)?;
    let mut headers: Vec<String> = Vec::new();
    for row in &rows {
        for (header, _) in &row.extra {
            if !headers.contains(header) {
                headers.push(header.clone());
            }
        }
    }
    let mut columns = vec![
        Column::new("row".into(), rows.iter().map(|r| r.row).collect::<Vec<_>>()),
        Column::new(
            "problems".into(),
            rows.iter()
                .map(|r| {
                    r.problems.iter().map(|p| format!("{}: {}", p.field, p.message)).collect::<Vec<_>>().join("; ")
                })
                .collect::<Vec<_>>(),
        ),
        Column::new(info.url_column.as_str().into(), rows.iter().map(|r| r.video_url.clone()).collect::<Vec<_>>()),
        Column::new(info.perf_column.as_str().into(), rows.iter().map(|r| r.performance.clone()).collect::<Vec<_>>()),
    ];
    for header in &headers {
        let cells: Vec<Option<String>> =
            rows.iter().map(|r| r.extra.iter().find(|(h, _)| h == header).map(|(_, v)| v.clone())).collect();
        columns.push(Column::new(header.as_str().into(), cells));
    }
    let frame = DataFrame::new(rows.len(), columns).map_err(frame_error)?;
    to_csv(&frame)
}

/// A table as CSV bytes. Text cells a spreadsheet would run as a formula (`=`, `+`, `-`, `@`,
/// tab, carriage return first) get a leading `'`, unless they are plain numbers.
pub fn to_csv(frame: &DataFrame) -> Result<Vec<u8>, ExportError> {
    let mut safe = frame.clone();
    let names: Vec<String> = safe.get_column_names().iter().map(|n| n.to_string()).collect();
    for name in names {
        let column = safe.column(&name).map_err(frame_error)?;
        if column.dtype() != &DataType::String {
            continue;
        }
        let cleaned: StringChunked =
            column.str().map_err(frame_error)?.iter().map(|cell| cell.map(neutralise_formula)).collect();
        safe.with_column(cleaned.with_name(name.as_str().into()).into_column()).map_err(frame_error)?;
    }
    let mut bytes = Vec::new();
    CsvWriter::new(&mut bytes).include_header(true).finish(&mut safe).map_err(frame_error)?;
    Ok(bytes)
}

pub fn neutralise_formula(cell: &str) -> String {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.trim().parse::<f64>().is_err() { format!("'{cell}") } else { cell.to_string() }
}

mod html;
mod xlsx;

pub use html::html_report;
pub use xlsx::to_xlsx;

#[cfg(test)]
mod tests;
