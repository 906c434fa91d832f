//! What the pages ask the server for: plain data types (compiled for both server and browser)
//! and the server functions that fill them from the store.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetSummary {
    pub id: i64,
    pub name: String,
    pub uploaded_at_ms: i64,
    pub is_demo: bool,
    pub accepted_rows: u32,
    pub rejected_rows: u32,
    pub latest_run: Option<RunView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProblemView {
    pub row: u32,
    pub field: String,
    pub message: String,
    /// The row's values as given, for the user to find it in their file.
    pub video_url: Option<String>,
    pub performance: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    pub id: i64,
    pub status: String,
    pub stage: Option<String>,
    pub done: u64,
    pub total: u64,
    pub created_at_ms: i64,
    /// Time spent running so far (or in all, once finished), measured by the server.
    pub elapsed_ms: Option<i64>,
    pub error: Option<String>,
    pub is_active: bool,
    pub is_resumable: bool,
    /// Newest last.
    pub events: Vec<EventView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventView {
    pub at_ms: i64,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetReport {
    pub id: i64,
    pub name: String,
    pub uploaded_at_ms: i64,
    pub is_demo: bool,
    pub url_column: String,
    pub perf_column: String,
    pub notices: Vec<String>,
    pub accepted_rows: u32,
    pub rejected_rows: u32,
    pub problems: Vec<ProblemView>,
    /// Newest first.
    pub runs: Vec<RunView>,
}

impl DatasetReport {
    pub fn has_active_run(&self) -> bool {
        self.runs.iter().any(|r| r.is_active)
    }
}

#[server]
pub async fn list_datasets() -> Result<Vec<DatasetSummary>, ServerFnError> {
    crate::ssr::with_store(crate::ssr::dataset_summaries).await
}

#[server]
pub async fn get_dataset_report(id: i64) -> Result<DatasetReport, ServerFnError> {
    crate::ssr::with_store(move |store| crate::ssr::dataset_report(store, id)).await
}

/// Starts a new run of a dataset in the background.
#[server]
pub async fn start_run(dataset_id: i64) -> Result<i64, ServerFnError> {
    let state = crate::ssr::state()?;
    let run = crate::ssr::with_store(move |store| {
        store.dataset(dataset_id)?;
        store.create_run(dataset_id)
    })
    .await?;
    state.jobs.submit(run);
    Ok(run)
}

/// Asks a queued or running run to stop.
#[server]
pub async fn cancel_run(run_id: i64) -> Result<(), ServerFnError> {
    crate::ssr::state()?.jobs.cancel(run_id);
    Ok(())
}

/// Continues a cancelled, failed or interrupted run from the stage where it stopped.
#[server]
pub async fn resume_run(run_id: i64) -> Result<(), ServerFnError> {
    let state = crate::ssr::state()?;
    let resumable = crate::ssr::with_store(move |store| {
        let run = store.run(run_id)?;
        if run.status.is_resumable() {
            store.set_run_status(run_id, ips_core::store::RunStatus::Queued, None)?;
        }
        Ok(run.status.is_resumable())
    })
    .await?;
    if !resumable {
        return Err(ServerFnError::new("This run cannot be resumed: it is not stopped."));
    }
    state.jobs.submit(run_id);
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageView {
    pub name: String,
    /// `done`, `active` or `pending`.
    pub state: String,
}

mod report;
pub use report::*;

mod upload;
pub use upload::*;
