//! Runs, their progress, their event log, and the per-row outcome of each run.

use serde::{Deserialize, Serialize};

use super::sql::{Row, params};
use super::{DatasetId, Result, Store, StoreError, now_ms};

pub type RunId = i64;

/// The first key of the advisory lock a run's finishing stages hold on PostgreSQL (the second is
/// the run's id); the migration and pgmq locks are one-key, so they never collide with it.
#[cfg(feature = "postgres")]
const FINISH_LOCK_CLASS: i32 = 0x1b5;

/// Where a run is in its life. `Interrupted` means the server stopped while the run was going;
/// such a run can be resumed and skips the stages it had finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunStatus {
    Queued,
    Running,
    Cancelled,
    Succeeded,
    Failed,
    Interrupted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Queued, Self::Running, Self::Cancelled, Self::Succeeded, Self::Failed, Self::Interrupted]
            .into_iter()
            .find(|status| status.as_str() == s)
    }

    /// Still has work to do (or is doing it).
    pub fn is_active(self) -> bool {
        matches!(self, RunStatus::Queued | RunStatus::Running)
    }

    /// Can be started again from where it stopped.
    pub fn is_resumable(self) -> bool {
        matches!(self, RunStatus::Cancelled | RunStatus::Failed | RunStatus::Interrupted)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub id: RunId,
    pub dataset_id: DatasetId,
    pub status: RunStatus,
    pub stage: Option<String>,
    pub done: u64,
    pub total: u64,
    pub created_at_ms: i64,
    pub started_at_ms: Option<i64>,
    pub finished_at_ms: Option<i64>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunEvent {
    pub at_ms: i64,
    pub message: String,
}

const RUN_COLUMNS: &str =
    "id, dataset_id, status, stage, done, total, created_at_ms, started_at_ms, finished_at_ms, error";

fn run_from_row(row: &Row) -> Result<Run> {
    let status: String = row.get(2)?;
    Ok(Run {
        id: row.get(0)?,
        dataset_id: row.get(1)?,
        status: RunStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown run status {status:?}")))?,
        stage: row.get(3)?,
        done: row.get(4)?,
        total: row.get(5)?,
        created_at_ms: row.get(6)?,
        started_at_ms: row.get(7)?,
        finished_at_ms: row.get(8)?,
        error: row.get(9)?,
    })
}

impl Store {
    /// A new queued run of a dataset.
    pub fn create_run(&self, dataset_id: DatasetId) -> Result<RunId> {
        let id = self.read(|db| {
            db.query_one(
                "INSERT INTO runs (dataset_id, status, created_at_ms) VALUES (?1, 'queued', ?2) RETURNING id",
                params![dataset_id, now_ms()],
                |r| r.get(0),
            )
        })?;
        self.add_event(id, "Queued")?;
        Ok(id)
    }

    pub fn run(&self, id: RunId) -> Result<Run> {
        self.read(|db| {
            db.query_opt(&format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"), params![id], run_from_row)
        })?
        .ok_or(StoreError::NotFound { what: "run", id })
    }

    /// Runs of a dataset, newest first.
    pub fn runs_for_dataset(&self, dataset_id: DatasetId) -> Result<Vec<Run>> {
        self.read(|db| {
            db.query_map(
                &format!("SELECT {RUN_COLUMNS} FROM runs WHERE dataset_id = ?1 ORDER BY id DESC"),
                params![dataset_id],
                run_from_row,
            )
        })
    }

    /// Ids of runs with one of these statuses, oldest first.
    pub fn runs_with_status(&self, statuses: &[RunStatus]) -> Result<Vec<RunId>> {
        let rows = self.read(|db| {
            db.query_map("SELECT id, status FROM runs ORDER BY id", params![], |r| {
                Ok((r.get::<RunId>(0)?, r.get::<String>(1)?))
            })
        })?;
        let mut ids = Vec::new();
        for (id, status) in rows {
            if RunStatus::parse(&status).is_some_and(|s| statuses.contains(&s)) {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// Moves a run to `status`, stamping start and finish times, and logs why.
    pub fn set_run_status(&self, id: RunId, status: RunStatus, error: Option<&str>) -> Result<()> {
        let now = now_ms();
        let finished = (!status.is_active() && status != RunStatus::Interrupted).then_some(now);
        let changed = self.read(|db| {
            db.execute(
                "UPDATE runs SET status = ?2, error = ?3,
                        started_at_ms = CASE WHEN ?2 = 'running' THEN COALESCE(started_at_ms, ?4) ELSE started_at_ms END,
                        finished_at_ms = ?5
                 WHERE id = ?1",
                params![id, status.as_str(), error, now, finished],
            )
        })?;
        if changed == 0 {
            return Err(StoreError::NotFound { what: "run", id });
        }
        let message = match (status, error) {
            (RunStatus::Queued, _) => "Queued to resume".to_string(),
            (RunStatus::Running, _) => "Started".to_string(),
            (RunStatus::Succeeded, _) => "Finished".to_string(),
            (RunStatus::Cancelled, _) => "Cancelled".to_string(),
            (RunStatus::Interrupted, _) => "Interrupted: the server stopped during the run".to_string(),
            (RunStatus::Failed, Some(e)) => format!("Failed: {e}"),
            (RunStatus::Failed, None) => "Failed".to_string(),
        };
        self.add_event(id, &message)
    }

    /// Records which stage a run is in and how far it got.
    pub fn set_progress(&self, id: RunId, stage: &str, done: u64, total: u64) -> Result<()> {
        self.read(|db| {
            db.execute(
                "UPDATE runs SET stage = ?2, done = ?3, total = ?4 WHERE id = ?1",
                params![id, stage, done, total],
            )
        })?;
        Ok(())
    }

    /// The settings (JSON) a run was first started with, if it has started.
    pub fn run_settings(&self, id: RunId) -> Result<Option<String>> {
        self.read(|db| db.query_opt("SELECT settings FROM runs WHERE id = ?1", params![id], |r| r.get(0)))?
            .ok_or(StoreError::NotFound { what: "run", id })
    }

    pub fn set_run_settings(&self, id: RunId, settings: &str) -> Result<()> {
        self.read(|db| db.execute("UPDATE runs SET settings = ?2 WHERE id = ?1", params![id, settings]))?;
        Ok(())
    }

    pub fn add_event(&self, run: RunId, message: &str) -> Result<()> {
        self.read(|db| {
            db.execute(
                "INSERT INTO run_events (run_id, at_ms, message) VALUES (?1, ?2, ?3)",
                params![run, now_ms(), message],
            )
        })?;
        Ok(())
    }

    /// A run's events, oldest first.
    pub fn events(&self, run: RunId) -> Result<Vec<RunEvent>> {
        self.read(|db| {
            db.query_map("SELECT at_ms, message FROM run_events WHERE run_id = ?1 ORDER BY id", params![run], |r| {
                Ok(RunEvent { at_ms: r.get(0)?, message: r.get(1)? })
            })
        })
    }

    /// At start-up: runs left `running` by a server that stopped are marked interrupted.
    /// Returns them, oldest first, so the caller can resume them.
    pub fn mark_interrupted_runs(&self) -> Result<Vec<RunId>> {
        let ids = self.runs_with_status(&[RunStatus::Running])?;
        for &id in &ids {
            self.set_run_status(id, RunStatus::Interrupted, None)?;
        }
        Ok(ids)
    }

    /// Runs `f` as the one process finishing run `run` (its stages after the videos' analysis):
    /// on PostgreSQL, under an advisory lock on the run, so a second process finishing the same
    /// run (two servers resuming it) waits, then finds the stages done. On SQLite `f` runs at
    /// once: one machine, whose job runner runs a run once.
    #[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
    pub fn finishing_run<T, E: From<StoreError>>(
        &self,
        run: RunId,
        f: impl FnOnce() -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        match &self.backend {
            super::Backend::Sqlite(_) => f(),
            #[cfg(feature = "postgres")]
            super::Backend::Postgres(postgres) => {
                let id =
                    i32::try_from(run).map_err(|_| StoreError::Corrupt(format!("run id {run} is out of range")))?;
                postgres.holding_lock(FINISH_LOCK_CLASS, id, f)
            }
        }
    }

    pub fn is_stage_done(&self, run: RunId, stage: &str) -> Result<bool> {
        let found = self.read(|db| {
            db.query_opt("SELECT 1 FROM run_stages WHERE run_id = ?1 AND stage = ?2", params![run, stage], |_| Ok(()))
        })?;
        Ok(found.is_some())
    }

    /// (stage, finished at) of the run's finished stages, in the order they finished.
    pub fn stage_finish_times(&self, run: RunId) -> Result<Vec<(String, i64)>> {
        self.read(|db| {
            db.query_map(
                "SELECT stage, finished_at_ms FROM run_stages WHERE run_id = ?1 ORDER BY rowid",
                params![run],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
    }

    pub fn mark_stage_done(&self, run: RunId, stage: &str) -> Result<()> {
        self.read(|db| {
            db.execute(
                "INSERT INTO run_stages (run_id, stage, finished_at_ms) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                params![run, stage, now_ms()],
            )
        })?;
        Ok(())
    }

    /// Forgets that the stages finished after `stage` finished, as if
    /// the server had stopped right after `stage`. For tests of resume.
    #[doc(hidden)]
    pub fn forget_stages_after(&self, run: RunId, stage: &str) -> Result<()> {
        self.read(|db| {
            db.execute(
                "DELETE FROM run_stages
                 WHERE run_id = ?1 AND rowid > (SELECT rowid FROM run_stages WHERE run_id = ?1 AND stage = ?2)",
                params![run, stage],
            )
        })?;
        Ok(())
    }
}
