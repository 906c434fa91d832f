//! Stage `statistics`: per video and per creator, from the rows' performance and the grouping.

use super::{PipelineError, Stage};
use crate::stats::{self, AdOutcome};
use crate::store::{DatasetId, RunId, StatsLevel, Store};

pub(super) fn run(store: &Store, run_id: RunId, dataset: DatasetId) -> Result<bool, PipelineError> {
    store.set_progress(run_id, Stage::Statistics.name(), 0, 1)?;
    recompute(store, run_id, dataset)?;
    store.set_progress(run_id, Stage::Statistics.name(), 1, 1)?;
    Ok(true)
}

/// The run's statistics again, from its rows and its saved grouping.
pub(super) fn recompute(store: &Store, run_id: RunId, dataset: DatasetId) -> Result<(), PipelineError> {
    let grouping = store.grouping(run_id)?;
    let ads: Vec<AdOutcome> = store
        .accepted_rows(dataset)?
        .into_iter()
        .map(|row| {
            let video = grouping.video_of_row.get(&row.row).copied();
            AdOutcome {
                row: row.row,
                performance: row.performance,
                spend: row.details.spend,
                video,
                creator: grouping.creator_of_row(row.row),
            }
        })
        .collect();
    store.save_stats(run_id, StatsLevel::Video, &stats::per_video(&ads)?)?;
    store.save_stats(run_id, StatsLevel::Creator, &stats::per_creator(&ads)?)?;
    Ok(())
}
