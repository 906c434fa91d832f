//! Stage `ingest`: the dataset's accepted rows enter the run, one status line per ad, in batches
//! so progress is visible and a cancel is honoured between batches.

use super::{CancelFlag, PipelineError, Stage};
use crate::store::{DatasetId, RowOutcome, RowStatus, RunId, Store};

/// Rows written per transaction (and per progress update).
const BATCH: usize = 100;

/// Returns `false` when cancelled before the end.
pub(super) fn run(
    store: &Store,
    run_id: RunId,
    dataset: DatasetId,
    cancel: &CancelFlag,
) -> Result<bool, PipelineError> {
    let rows = store.accepted_rows(dataset)?;
    let total = rows.len() as u64;
    store.set_progress(run_id, Stage::Ingest.name(), 0, total)?;
    let mut done = 0u64;
    for batch in rows.chunks(BATCH) {
        if cancel.is_cancelled() {
            return Ok(false);
        }
        let outcomes: Vec<RowOutcome> = batch
            .iter()
            .map(|r| RowOutcome { row: r.row, status: RowStatus::Ingested, detail: None, sha256: None })
            .collect();
        store.set_row_outcomes(run_id, &outcomes)?;
        done += batch.len() as u64;
        store.set_progress(run_id, Stage::Ingest.name(), done, total)?;
    }
    store.add_event(run_id, &format!("Ingested {done} rows"))?;
    Ok(true)
}
