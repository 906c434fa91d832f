//! What the pages ask the server for: the server functions, which fill the types of
//! [`crate::model`] from the store (through `crate::ssr`, on the server only). The types are
//! re-exported here, so a page imports what it asks for and what it gets from one place.
//!
//! Every server function names its endpoint. Without a name, Leptos appends a hash of the
//! crate's directory to the URL, so a browser bundle and a server built from two checkouts
//! (a shared build cache) call different URLs and every call answers 404.

use leptos::prelude::*;

pub use crate::model::*;

#[server(endpoint = "list_datasets")]
pub async fn list_datasets() -> Result<Vec<DatasetSummary>, ServerFnError> {
    crate::ssr::with_store(crate::ssr::dataset_summaries).await
}

#[server(endpoint = "get_dataset_report")]
pub async fn get_dataset_report(id: i64) -> Result<DatasetReport, ServerFnError> {
    let defaults = crate::ssr::state()?.pipeline;
    crate::ssr::with_store(move |store| crate::ssr::dataset_report(store, id, &defaults)).await
}

/// Starts a new run of a dataset in the background, with the face detector, sampling rate and
/// creator threshold given (the form's fields, as text; checked on the server).
#[server(endpoint = "start_run")]
pub async fn start_run(
    dataset_id: i64,
    detector: String,
    frames_per_second: String,
    max_distance: String,
) -> Result<i64, ServerFnError> {
    crate::ssr::start_run(dataset_id, detector, frames_per_second, max_distance).await
}

/// Asks a queued or running run to stop.
#[server(endpoint = "cancel_run")]
pub async fn cancel_run(run_id: i64) -> Result<(), ServerFnError> {
    crate::ssr::state()?.jobs.cancel(run_id);
    Ok(())
}

/// Continues a cancelled, failed or interrupted run from the stage where it stopped.
#[server(endpoint = "resume_run")]
pub async fn resume_run(run_id: i64) -> Result<(), ServerFnError> {
    crate::ssr::resume_run(run_id).await
}

mod edit;
pub use edit::*;

mod report;
pub use report::*;

mod upload;
pub use upload::*;

mod visitor;
pub use visitor::*;
