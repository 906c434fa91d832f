//! Riding out a database outage (PostgreSQL restarting, a fail-over, the network to it cut):
//! a run whose store could not be reached mid-stage waits for the database and resumes itself,
//! as a restarted server would resume it, instead of failing.

use std::time::{Duration, Instant};

use super::PipelineError;
use crate::store::{RunId, Store};

/// How long the pipeline waits for an unreachable database before it gives up.
pub(super) const OUTAGE: Duration = Duration::from_secs(60);

/// How many outages one run rides out before the next one fails it: a database that keeps
/// dropping away is a fault for a person to look at.
const MAX_OUTAGES: usize = 10;

impl PipelineError {
    /// Whether this error came from a database that could not be reached (see
    /// [`crate::store::StoreError::is_unreachable`]).
    pub fn is_database_unreachable(&self) -> bool {
        matches!(self, PipelineError::Store(e) if e.is_unreachable())
    }
}

/// Runs `attempt` (which resumes the run from its first unfinished stage) again after each
/// outage, once the database answers, until it ends some other way. Stages are resumable (a
/// stage cut off midway is redone from its start), so a repeat does what a resume does.
pub(super) fn through_outages<T>(
    store: &Store,
    run_id: RunId,
    mut attempt: impl FnMut() -> Result<T, PipelineError>,
) -> Result<T, PipelineError> {
    let mut outages = 0;
    loop {
        match attempt() {
            Err(e) if e.is_database_unreachable() && outages < MAX_OUTAGES => {
                outages += 1;
                tracing::warn!(run_id, "the database went away ({e}); waiting up to {OUTAGE:?} for it");
                wait_for_database(store, run_id).map_err(|_| e)?;
                store.add_event(run_id, "The database was unreachable for a while; the run goes on from its stage")?;
            }
            other => return other,
        }
    }
}

/// Returns once the store answers again, or the last error after [`OUTAGE`].
fn wait_for_database(store: &Store, run_id: RunId) -> Result<(), PipelineError> {
    let since = Instant::now();
    let mut wait = Duration::from_millis(200);
    loop {
        match store.run(run_id) {
            Ok(_) => return Ok(()),
            Err(e) if since.elapsed() + wait >= OUTAGE || !e.is_unreachable() => return Err(e.into()),
            Err(_) => {
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_secs(2));
            }
        }
    }
}
