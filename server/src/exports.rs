//! Downloads of a finished run: `GET /runs/{id}/export/{file}` with `creators.csv`, `ads.csv`,
//! `videos.csv`, `report.xlsx` (the three tables as worksheets) or `report.html` (standalone,
//! images inlined); and `GET /api/runs/{id}`, the same data as JSON.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use ips_core::export;
use ips_core::store::{Store, StoreError};

use crate::state::AppState;

const CSV: &str = "text/csv; charset=utf-8";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const HTML: &str = "text/html; charset=utf-8";

pub async fn export_file(State(state): State<AppState>, Path((run, file)): Path<(i64, String)>) -> Response {
    let store = state.server.store.clone();
    let data_dir = state.server.data_dir.clone();
    let task = tokio::task::spawn_blocking(move || -> Result<Option<(Vec<u8>, &'static str, String)>, String> {
        let name = file_stem(&store, run).map_err(describe)?;
        let made = match file.as_str() {
            "creators.csv" | "ads.csv" | "videos.csv" => {
                let tables = export::tables(&store, run).map_err(describe_export)?;
                let frame = match file.as_str() {
                    "creators.csv" => &tables.creators,
                    "ads.csv" => &tables.ads,
                    _ => &tables.videos,
                };
                (export::to_csv(frame).map_err(describe_export)?, CSV)
            }
            "report.xlsx" => {
                let t = export::tables(&store, run).map_err(describe_export)?;
                let sheets = [("creators", &t.creators), ("videos", &t.videos), ("ads", &t.ads)];
                (export::to_xlsx(&sheets).map_err(describe_export)?, XLSX)
            }
            "report.html" => (export::html_report(&store, run, &data_dir).map_err(describe_export)?.into_bytes(), HTML),
            _ => return Ok(None),
        };
        Ok(Some((made.0, made.1, format!("{name}-{file}"))))
    });
    match task.await {
        Ok(Ok(Some((bytes, content_type, filename)))) => (
            [
                (header::CONTENT_TYPE, content_type.to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            bytes,
        )
            .into_response(),
        Ok(Ok(None)) => (StatusCode::NOT_FOUND, "No such export.").into_response(),
        Ok(Err(message)) => (StatusCode::NOT_FOUND, message).into_response(),
        Err(e) => {
            tracing::error!("export task failed: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "The export failed; see the server log.").into_response()
        }
    }
}

/// `ads-2026-run3`: the dataset's name, safe for a file name, and the run.
fn file_stem(store: &Store, run: i64) -> Result<String, StoreError> {
    let dataset = store.dataset(store.run(run)?.dataset_id)?;
    let stem = dataset.name.rsplit_once('.').map_or(dataset.name.as_str(), |(stem, _)| stem);
    let safe: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .take(60)
        .collect();
    Ok(format!("{safe}-run{run}"))
}

fn describe(e: StoreError) -> String {
    match e {
        StoreError::NotFound { what, id } => format!("There is no {what} {id}."),
        e => {
            tracing::error!("export: {e}");
            "The export failed; see the server log.".to_string()
        }
    }
}

fn describe_export(e: export::ExportError) -> String {
    match e {
        export::ExportError::Store(e) => describe(e),
        e => {
            tracing::error!("export: {e}");
            "The export failed; see the server log.".to_string()
        }
    }
}

/// The run's report as JSON: creators in report order with their statistics, unique videos,
/// and every accepted ad with its video and creator.
pub async fn run_json(State(state): State<AppState>, Path(run): Path<i64>) -> Response {
    let store = state.server.store.clone();
    let task = tokio::task::spawn_blocking(move || -> Result<serde_json::Value, StoreError> {
        let dataset = store.dataset(store.run(run)?.dataset_id)?;
        let data = ips_core::report::load(&store, run)?;
        let mut videos: Vec<serde_json::Value> = data
            .grouping
            .videos
            .iter()
            .map(|v| {
                serde_json::json!({
                    "video_id": v.id,
                    "hook_family": v.hook_family,
                    "creator_id": v.creator,
                    "sha256s": v.sha256s,
                    "urls": data.urls.get(&v.id),
                    "stats": data.video_stats.get(&v.id),
                })
            })
            .collect();
        videos.sort_by_key(|v| v["video_id"].as_u64());
        Ok(serde_json::json!({
            "run_id": run,
            "dataset": { "id": dataset.id, "name": dataset.name },
            "creators": data.creators,
            "videos": videos,
            "ads": data.ads,
        }))
    });
    match task.await {
        Ok(Ok(value)) => Json(value).into_response(),
        Ok(Err(e)) => (StatusCode::NOT_FOUND, describe(e)).into_response(),
        Err(e) => {
            tracing::error!("json task failed: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "The server failed; see its log.").into_response()
        }
    }
}

/// `GET /datasets/{id}/rejected.csv`: the rows that were not accepted, as given, with their
/// problems, to fix and upload again.
pub async fn rejected_rows(State(state): State<AppState>, Path(dataset): Path<i64>) -> Response {
    let store = state.server.store.clone();
    let task = tokio::task::spawn_blocking(move || export::rejected_csv(&store, dataset).map_err(describe_export));
    match task.await {
        Ok(Ok(bytes)) => (
            [
                (header::CONTENT_TYPE, CSV.to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"dataset{dataset}-rejected-rows.csv\"")),
            ],
            bytes,
        )
            .into_response(),
        Ok(Err(message)) => (StatusCode::NOT_FOUND, message).into_response(),
        Err(e) => {
            tracing::error!("rejected rows task failed: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "The export failed; see the server log.").into_response()
        }
    }
}
