//! Server-side glue for the server functions: the shared state they find in the Leptos context,
//! and conversions from the core library's types to the page types in [`crate::api`].

use std::sync::Arc;

use ips_core::store::{Run, RunId, Store, StoreError, now_ms};
use leptos::prelude::*;

mod upload;

pub use upload::upload_preview;

use crate::api::{
    CreatorRow, DatasetReport, DatasetSummary, EventView, ProblemView, RunReport, RunView, StageView, VideoLink,
    VideoRow, VideosReport,
};

/// Starts and stops runs. Implemented by the server's job runner; the app only asks.
pub trait JobControl: Send + Sync {
    /// Queues a run (new or resumed) for execution.
    fn submit(&self, run: RunId);
    /// Asks a run to stop; a queued run is cancelled at once.
    fn cancel(&self, run: RunId);
}

/// What every server function can reach, provided as Leptos context by the server.
#[derive(Clone)]
pub struct ServerState {
    pub store: Arc<Store>,
    pub jobs: Arc<dyn JobControl>,
    /// The server's data directory (uploads waiting for their mapping, faces, stills).
    pub data_dir: std::path::PathBuf,
}

pub fn state() -> Result<ServerState, ServerFnError> {
    use_context::<ServerState>().ok_or_else(|| ServerFnError::new("server state is missing"))
}

/// Runs a store call on the blocking pool (SQLite calls block), mapping errors for the page.
pub async fn with_store<T, F>(f: F) -> Result<T, ServerFnError>
where
    T: Send + 'static,
    F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
{
    let store = state()?.store;
    match tokio::task::spawn_blocking(move || f(&store)).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(StoreError::NotFound { what, id })) => Err(ServerFnError::new(format!("There is no {what} {id}."))),
        Ok(Err(e)) => {
            tracing::error!("store error: {e}");
            Err(ServerFnError::new("The server could not read its data; see its log."))
        }
        Err(e) => {
            tracing::error!("store task failed: {e}");
            Err(ServerFnError::new("The server failed while reading its data; see its log."))
        }
    }
}

pub fn run_view(store: &Store, run: Run, with_events: bool) -> Result<RunView, StoreError> {
    let events = if with_events {
        store.events(run.id)?.into_iter().map(|e| EventView { at_ms: e.at_ms, message: e.message }).collect()
    } else {
        Vec::new()
    };
    let elapsed_ms = run.started_at_ms.map(|start| run.finished_at_ms.unwrap_or_else(now_ms) - start);
    Ok(RunView {
        id: run.id,
        status: run.status.as_str().to_string(),
        stage: run.stage,
        done: run.done,
        total: run.total,
        created_at_ms: run.created_at_ms,
        elapsed_ms,
        error: run.error,
        is_active: run.status.is_active(),
        is_resumable: run.status.is_resumable(),
        events,
    })
}

pub fn dataset_summaries(store: &Store) -> Result<Vec<DatasetSummary>, StoreError> {
    store
        .list_datasets()?
        .into_iter()
        .map(|d| {
            let latest_run = store.runs_for_dataset(d.id)?.into_iter().next();
            Ok(DatasetSummary {
                id: d.id,
                name: d.name,
                uploaded_at_ms: d.uploaded_at_ms,
                is_demo: d.is_demo,
                accepted_rows: d.accepted_rows,
                rejected_rows: d.rejected_rows,
                latest_run: latest_run.map(|r| run_view(store, r, false)).transpose()?,
            })
        })
        .collect()
}

pub fn dataset_report(store: &Store, id: i64) -> Result<DatasetReport, StoreError> {
    let dataset = store.dataset(id)?;
    let problems = store
        .rejected_rows(id)?
        .into_iter()
        .flat_map(|row| {
            let (video_url, performance) = (row.video_url, row.performance);
            row.problems.into_iter().map(move |p| ProblemView {
                row: p.row,
                field: p.field,
                message: p.message,
                video_url: video_url.clone(),
                performance: performance.clone(),
            })
        })
        .collect();
    let runs = store
        .runs_for_dataset(id)?
        .into_iter()
        .enumerate()
        // The event log is shown for the newest run only.
        .map(|(i, run)| run_view(store, run, i == 0))
        .collect::<Result<_, _>>()?;
    Ok(DatasetReport {
        id: dataset.id,
        name: dataset.name,
        uploaded_at_ms: dataset.uploaded_at_ms,
        is_demo: dataset.is_demo,
        url_column: dataset.url_column,
        perf_column: dataset.perf_column,
        notices: dataset.notices,
        accepted_rows: dataset.accepted_rows,
        rejected_rows: dataset.rejected_rows,
        problems,
        runs,
    })
}

/// Links are made only of http(s) URLs: anything else in a spreadsheet is shown as text.
fn is_web_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

pub fn run_report(store: &Store, run_id: i64) -> Result<RunReport, StoreError> {
    use ips_core::pipeline::Stage;
    use ips_core::store::StatsLevel;

    let run = store.run(run_id)?;
    let dataset = store.dataset(run.dataset_id)?;
    let finished: Vec<String> = store.stage_finish_times(run_id)?.into_iter().map(|(stage, _)| stage).collect();
    let stages = Stage::ALL
        .iter()
        .map(|stage| {
            let name = stage.name().to_string();
            let state = if finished.contains(&name) {
                "done"
            } else if run.status.is_active() && run.stage.as_deref() == Some(stage.name()) {
                "active"
            } else {
                "pending"
            };
            StageView { name, state: state.to_string() }
        })
        .collect();
    let grouping = store.grouping(run_id)?;
    let urls = store.video_urls(run_id, run.dataset_id)?;
    let video_links = |videos: &[u32]| -> Vec<VideoLink> {
        videos
            .iter()
            .filter_map(|id| {
                let list = urls.get(id)?;
                let url = list.iter().find(|u| is_web_url(u))?.clone();
                Some(VideoLink { video_id: *id, url, other_urls: list.len() as u32 - 1 })
            })
            .collect()
    };
    let no_face_videos: Vec<u32> = grouping.videos.iter().filter(|v| v.creator.is_none()).map(|v| v.id).collect();
    let mut creators: Vec<CreatorRow> = store
        .stats(run_id, StatsLevel::Creator)?
        .into_iter()
        .map(|s| {
            let creator = s.key.and_then(|id| grouping.creators.iter().find(|c| c.id == id));
            let videos = creator.map_or(no_face_videos.as_slice(), |c| c.videos.as_slice());
            CreatorRow {
                creator_id: s.key,
                label: creator.map_or_else(|| "No creator on camera".to_string(), |c| c.label.clone()),
                face_url: creator.map(|c| format!("/faces/{}", c.face_file)),
                unique_videos: videos.len() as u32,
                ads: s.ads,
                mean: s.mean,
                median: s.median,
                std_dev: s.std_dev,
                ci95: s.ci95,
                still: creator.is_some_and(|c| c.still),
                best: s.best,
                worst: s.worst,
                videos: video_links(videos),
            }
        })
        .collect();
    // People on camera by mean, then still faces (prints, most likely), then "no creator".
    creators.sort_by(|a, b| {
        (a.creator_id.is_none(), a.still).cmp(&(b.creator_id.is_none(), b.still)).then(b.mean.total_cmp(&a.mean))
    });
    let rows_failed = store.row_outcomes(run_id)?.iter().filter(|o| o.status == "failed").count() as u32;
    Ok(RunReport {
        run: run_view(store, run, true)?,
        dataset_id: dataset.id,
        dataset_name: dataset.name,
        is_demo: dataset.is_demo,
        stages,
        creators,
        unique_videos: grouping.videos.len() as u32,
        rows_failed,
        rows_rejected: dataset.rejected_rows,
    })
}

pub fn run_videos(store: &Store, run_id: i64) -> Result<VideosReport, StoreError> {
    use ips_core::store::StatsLevel;

    let run = store.run(run_id)?;
    let dataset = store.dataset(run.dataset_id)?;
    let grouping = store.grouping(run_id)?;
    let urls = store.video_urls(run_id, run.dataset_id)?;
    let stats = store.stats(run_id, StatsLevel::Video)?;
    let mut videos = Vec::with_capacity(grouping.videos.len());
    for video in &grouping.videos {
        let Some(s) = stats.iter().find(|s| s.key == Some(video.id)) else { continue };
        let stills = video.sha256s.iter().find_map(|sha| store.stills_file(sha).ok().flatten());
        let creator = video.creator.and_then(|c| grouping.creators.iter().find(|x| x.id == c)).map(|c| c.label.clone());
        videos.push(VideoRow {
            video_id: video.id,
            hook_family: video.hook_family,
            stills_url: stills.map(|f| format!("/stills/{f}")),
            files: video.sha256s.len() as u32,
            ads: s.ads,
            mean: s.mean,
            median: s.median,
            creator,
            urls: urls.get(&video.id).cloned().unwrap_or_default().into_iter().filter(|u| is_web_url(u)).collect(),
            similar: video.similar.clone(),
        });
    }
    let mut families: Vec<Vec<VideoRow>> = Vec::new();
    for video in &videos {
        match families.iter_mut().find(|f| f[0].hook_family == video.hook_family) {
            Some(family) => family.push(video.clone()),
            None => families.push(vec![video.clone()]),
        }
    }
    families.retain(|f| f.len() > 1);
    videos.sort_by(|a, b| b.ads.cmp(&a.ads).then(a.video_id.cmp(&b.video_id)));
    let clip_on = grouping.videos.iter().any(|v| v.similar.is_some());
    Ok(VideosReport { run_id, dataset_name: dataset.name, hook_families: families, videos, clip_on })
}
