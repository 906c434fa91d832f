//! The pipeline: the stages a run goes through, in order, each resumable.
//!
//! [`execute`] drives one run: it marks the run running, runs every stage the run has not finished
//! yet (a resumed run skips finished ones), records progress and events in the store, and leaves
//! the run succeeded, failed or cancelled. Stages see the store only through its methods.

mod cancel;
mod ingest;

pub use cancel::CancelFlag;

use crate::store::{RunId, RunStatus, Store, StoreError};

/// A stage of a run, in execution order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Takes the dataset's accepted rows into the run: one status line per ad.
    Ingest,
}

impl Stage {
    pub const ALL: [Stage; 1] = [Stage::Ingest];

    /// The name stored in the database and shown to the user.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Ingest => "ingest",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How [`execute`] left the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    Cancelled,
}

/// Runs (or resumes) a run to its end. A stage error fails the run and is returned; the run's
/// status in the store always says how it ended.
pub fn execute(store: &Store, run_id: RunId, cancel: &CancelFlag) -> Result<Outcome, PipelineError> {
    let result = execute_stages(store, run_id, cancel);
    let (status, error) = match &result {
        Ok(Outcome::Succeeded) => (RunStatus::Succeeded, None),
        Ok(Outcome::Cancelled) => (RunStatus::Cancelled, None),
        Err(e) => (RunStatus::Failed, Some(e.to_string())),
    };
    store.set_run_status(run_id, status, error.as_deref())?;
    result
}

fn execute_stages(store: &Store, run_id: RunId, cancel: &CancelFlag) -> Result<Outcome, PipelineError> {
    let run = store.run(run_id)?;
    store.set_run_status(run_id, RunStatus::Running, None)?;
    for stage in Stage::ALL {
        if cancel.is_cancelled() {
            return Ok(Outcome::Cancelled);
        }
        if store.is_stage_done(run_id, stage.name())? {
            store.add_event(run_id, &format!("Stage {}: already done, skipped", stage.name()))?;
            continue;
        }
        let started = std::time::Instant::now();
        store.add_event(run_id, &format!("Stage {}: started", stage.name()))?;
        let finished = match stage {
            Stage::Ingest => ingest::run(store, run_id, run.dataset_id, cancel)?,
        };
        if !finished {
            return Ok(Outcome::Cancelled);
        }
        store.mark_stage_done(run_id, stage.name())?;
        store.add_event(
            run_id,
            &format!("Stage {}: done in {} ms", stage.name(), started.elapsed().as_millis()),
        )?;
    }
    Ok(Outcome::Succeeded)
}

#[cfg(test)]
mod tests;
