//! Server-side glue for the server functions: the shared state they find in the Leptos context,
//! and conversions from the core library's types to the page types in [`crate::api`].

use std::sync::Arc;

use ips_core::store::{Run, RunId, Store, StoreError, now_ms};
use leptos::prelude::*;

pub mod report;
mod upload;

pub use upload::upload_preview;

use crate::api::{DatasetReport, DatasetSummary, EventView, ProblemView, RunView};

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
