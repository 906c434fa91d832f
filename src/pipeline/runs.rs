//! The one way datasets and runs come to be and change state, shared by the web upload, the
//! server functions, the CLI (`ips run`) and the demo: importing a sheet (parse → hash → store
//! the dataset with every row → queue a run), starting another run of a dataset with checked
//! settings, resuming a stopped run and cancelling a queued one. The caller hands a queued run
//! to its runner; stopping a run that is executing is the runner's part (its cancel flag).

use crate::ingest::{self, ColumnChoices, IngestError, ParsedSheet};
use crate::pipeline::PipelineSettings;
use crate::pipeline::limits::OutOfRange;
use crate::store::{DatasetId, NewDataset, RunId, RunStatus, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum RunServiceError {
    /// The user's file cannot be read as a sheet.
    #[error(transparent)]
    Sheet(#[from] IngestError),
    /// A setting is outside what the pipeline accepts.
    #[error("{0}.")]
    Settings(OutOfRange),
    #[error("This run cannot be resumed: it is not stopped.")]
    NotStopped,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A file to import.
pub struct Import<'a> {
    /// The dataset's name (the file's name).
    pub name: &'a str,
    pub bytes: &'a [u8],
    /// The columns the user chose; empty: found from the headers.
    pub columns: &'a ColumnChoices,
    pub is_demo: bool,
}

/// What an import stored.
#[derive(Debug)]
pub struct Imported {
    pub dataset: DatasetId,
    /// The queued run; none when no row was accepted, as there is nothing to analyse.
    pub run: Option<RunId>,
    /// The sheet as read: accepted rows and the rejected ones with their problems.
    pub sheet: ParsedSheet,
}

/// Reads the file and stores it as a dataset with every row (accepted or rejected, with its
/// problems), then queues a run of it when any row was accepted. Blocks.
pub fn import(store: &Store, file: &Import<'_>) -> Result<Imported, RunServiceError> {
    let sheet = ingest::parse_with(file.bytes, file.columns)?;
    let sha256 = crate::hash::sha256_hex(file.bytes);
    let new =
        NewDataset { name: file.name, sha256: &sha256, size_bytes: file.bytes.len() as u64, is_demo: file.is_demo };
    let dataset = store.insert_dataset(&new, &sheet)?;
    let run = if sheet.accepted.is_empty() { None } else { Some(store.create_run(dataset)?) };
    Ok(Imported { dataset, run, sheet })
}

/// The first setting out of its range, as the error every front end shows.
pub fn check_settings(settings: &PipelineSettings) -> Result<(), RunServiceError> {
    match settings.problems().into_iter().next() {
        Some(problem) => Err(RunServiceError::Settings(problem)),
        None => Ok(()),
    }
}

/// Queues a new run of `dataset` with its own `settings` (checked first). Blocks.
pub fn start_run(store: &Store, dataset: DatasetId, settings: &PipelineSettings) -> Result<RunId, RunServiceError> {
    check_settings(settings)?;
    store.dataset(dataset)?;
    let run = store.create_run(dataset)?;
    let json = serde_json::to_string(settings).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    store.set_run_settings(run, &json)?;
    Ok(run)
}

/// Queues a cancelled, failed or interrupted run again; it continues from the stage where it
/// stopped.
pub fn resume(store: &Store, run: RunId) -> Result<(), RunServiceError> {
    if !store.run(run)?.status.is_resumable() {
        return Err(RunServiceError::NotStopped);
    }
    store.set_run_status(run, RunStatus::Queued, None)?;
    Ok(())
}

/// Cancels a run that waits in the queue; returns false (and changes nothing) when it is not
/// queued — a running run is stopped through its runner's cancel flag.
pub fn cancel_queued(store: &Store, run: RunId) -> Result<bool, RunServiceError> {
    if store.run(run)?.status != RunStatus::Queued {
        return Ok(false);
    }
    store.set_run_status(run, RunStatus::Cancelled, None)?;
    Ok(true)
}

#[cfg(test)]
mod tests;
