//! The user's corrections (`edits`), their audit log, and each run's edit version.

use super::sql::{Db, Row, ToValue, Value, params};

use super::{Result, RunId, Store, StoreError, now_ms};
use crate::corrections::{Edit, Rule};

/// An edit as stored, undone ones included.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEdit {
    pub id: i64,
    /// The run it was made from.
    pub run_id: RunId,
    pub made_at_ms: i64,
    pub actor: Option<String>,
    pub summary: String,
    pub rules: Vec<Rule>,
    pub undone: bool,
}

impl StoredEdit {
    /// Whether a rule of the edit names a track of one of `files` (content hashes).
    pub fn touches(&self, files: &std::collections::HashSet<String>) -> bool {
        self.rules.iter().any(|r| rule_files(r).iter().any(|sha| files.contains(*sha)))
    }
}

/// Content hashes a rule is about.
pub fn rule_files(rule: &Rule) -> Vec<&str> {
    match rule {
        Rule::Same { a, b } | Rule::Different { a, b } | Rule::Unsure { a, b } => vec![&a.sha256, &b.sha256],
        Rule::SameAd { a, b } | Rule::DifferentAd { a, b } => vec![a, b],
        Rule::Hide { track, .. }
        | Rule::Show { track }
        | Rule::Name { track, .. }
        | Rule::Face { track }
        | Rule::IgnoreFace { track, .. }
        | Rule::RestoreFace { track }
        | Rule::Person { track } => vec![&track.sha256],
    }
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct EditLogEntry {
    pub edit_id: i64,
    pub run_id: RunId,
    pub at_ms: i64,
    /// `made`, `undone` or `redone`.
    pub action: String,
    pub actor: Option<String>,
}

/// The run's creators changed since the version the writer saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaleVersion {
    pub current: i64,
}

fn edit_from_row(r: &Row) -> Result<StoredEdit> {
    let rules: String = r.get(5)?;
    Ok(StoredEdit {
        id: r.get(0)?,
        run_id: r.get(1)?,
        made_at_ms: r.get(2)?,
        actor: r.get(3)?,
        summary: r.get(4)?,
        rules: serde_json::from_str(&rules).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        undone: r.get(6)?,
    })
}

impl Store {
    /// The run's edit version: bumped by every edit, undo or redo that regroups it.
    pub fn edit_version(&self, run: RunId) -> Result<i64> {
        self.read(|db| db.query_opt("SELECT edit_version FROM runs WHERE id = ?1", params![run], |r| r.get::<i64>(0)))?
            .ok_or(StoreError::NotFound { what: "run", id: run })
    }

    /// Bumps the run's edit version; returns the new one.
    pub fn bump_edit_version(&self, run: RunId) -> Result<i64> {
        // One statement, so no other bump can fall between the update and the read.
        self.read(|db| {
            db.query_opt(
                "UPDATE runs SET edit_version = edit_version + 1 WHERE id = ?1 RETURNING edit_version",
                params![run],
                |r| r.get::<i64>(0),
            )
        })?
        .ok_or(StoreError::NotFound { what: "run", id: run })
    }

    /// Records an edit made from `run`, if the run is still at version `expected` (checked and
    /// written in one transaction, so of two tabs only the first write lands).
    pub fn add_edit(
        &self,
        run: RunId,
        expected: i64,
        actor: Option<&str>,
        summary: &str,
        rules: &[Rule],
    ) -> Result<std::result::Result<i64, StaleVersion>> {
        let rules = serde_json::to_string(rules).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.write(|db| {
            if let Err(stale) = lock_at_version(db, run, expected)? {
                return Ok(Err(stale));
            }
            let at = now_ms();
            let id: i64 = db.query_one(
                "INSERT INTO edits (run_id, made_at_ms, actor, summary, rules) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                params![run, at, actor, summary, rules],
                |r| r.get(0),
            )?;
            db.execute(
                "INSERT INTO edit_log (edit_id, run_id, at_ms, action, actor) VALUES (?1, ?2, ?3, 'made', ?4)",
                params![id, run, at, actor],
            )?;
            Ok(Ok(id))
        })
    }

    /// Marks an edit undone (or active again), logged as done from `run`, if the run is still at
    /// version `expected`.
    pub fn set_edit_undone(
        &self,
        edit: i64,
        undone: bool,
        run: RunId,
        expected: i64,
        actor: Option<&str>,
    ) -> Result<std::result::Result<(), StaleVersion>> {
        self.write(|db| {
            if let Err(stale) = lock_at_version(db, run, expected)? {
                return Ok(Err(stale));
            }
            db.execute("UPDATE edits SET undone = ?2 WHERE id = ?1", params![edit, undone])?;
            let action = if undone { "undone" } else { "redone" };
            db.execute(
                "INSERT INTO edit_log (edit_id, run_id, at_ms, action, actor) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![edit, run, now_ms(), action, actor],
            )?;
            Ok(Ok(()))
        })
    }

    /// Every edit, undone ones included, oldest first.
    pub fn edits(&self) -> Result<Vec<StoredEdit>> {
        self.read(|db| {
            db.query_map(
                "SELECT id, run_id, made_at_ms, actor, summary, rules, undone FROM edits ORDER BY id",
                params![],
                edit_from_row,
            )
        })
    }

    /// The edits in force, oldest first: what every grouping applies.
    pub fn active_edits(&self) -> Result<Vec<Edit>> {
        Ok(self
            .edits()?
            .into_iter()
            .filter(|e| !e.undone)
            .map(|e| Edit { id: e.id, summary: e.summary, rules: e.rules })
            .collect())
    }

    /// The audit log, oldest first.
    pub fn edit_log(&self) -> Result<Vec<EditLogEntry>> {
        self.read(|db| {
            db.query_map("SELECT edit_id, run_id, at_ms, action, actor FROM edit_log ORDER BY id", params![], |r| {
                Ok(EditLogEntry {
                    edit_id: r.get(0)?,
                    run_id: r.get(1)?,
                    at_ms: r.get(2)?,
                    action: r.get(3)?,
                    actor: r.get(4)?,
                })
            })
        })
    }

    /// The newest audit-log id (0 before any edit): it grows with every edit, undo and redo.
    pub fn edit_seq(&self) -> Result<i64> {
        self.read(|db| db.query_one("SELECT COALESCE(MAX(id), 0) FROM edit_log", params![], |r| r.get(0)))
    }

    /// The edit sequence the run was last grouped at.
    pub fn grouped_at_edit(&self, run: RunId) -> Result<i64> {
        self.read(|db| {
            db.query_opt("SELECT grouped_at_edit FROM runs WHERE id = ?1", params![run], |r| r.get::<i64>(0))
        })?
        .ok_or(StoreError::NotFound { what: "run", id: run })
    }

    pub fn set_grouped_at_edit(&self, run: RunId, seq: i64) -> Result<()> {
        self.read(|db| db.execute("UPDATE runs SET grouped_at_edit = ?2 WHERE id = ?1", params![run, seq]))?;
        Ok(())
    }

    /// Finished runs holding one of `files` (content hashes): the runs an edit about them regroups.
    pub fn succeeded_runs_with_files(&self, files: &[&str]) -> Result<Vec<RunId>> {
        if files.is_empty() {
            return Ok(Vec::new());
        }
        let list = (1..=files.len()).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT DISTINCT rr.run_id FROM run_rows rr JOIN runs r ON r.id = rr.run_id
             WHERE r.status = 'succeeded' AND rr.video_sha256 IN ({list})
             ORDER BY rr.run_id"
        );
        let values: Vec<Value> = files.iter().map(ToValue::to_value).collect();
        self.read(|db| db.query_map(&sql, &values, |r| r.get(0)))
    }

    /// The content hashes of the files of a run.
    pub fn run_files(&self, run: RunId) -> Result<std::collections::HashSet<String>> {
        let files = self.read(|db| {
            db.query_map(
                "SELECT DISTINCT video_sha256 FROM run_rows WHERE run_id = ?1 AND video_sha256 IS NOT NULL",
                params![run],
                |r| r.get::<String>(0),
            )
        })?;
        Ok(files.into_iter().collect())
    }
}

/// Inside a write: holds the run at version `expected` until the transaction ends, or says which
/// version it is at. The check is a write (a no-op update of the run's row) rather than a read, so
/// it is race-free on PostgreSQL's READ COMMITTED too: it takes the row's lock, waiting for (and
/// then seeing) a bump in flight, and a bump made after it waits for this transaction.
fn lock_at_version(db: &mut (dyn Db + '_), run: RunId, expected: i64) -> Result<std::result::Result<(), StaleVersion>> {
    let held = db.execute(
        "UPDATE runs SET edit_version = edit_version WHERE id = ?1 AND edit_version = ?2",
        params![run, expected],
    )?;
    if held == 0 {
        let current = db
            .query_opt("SELECT edit_version FROM runs WHERE id = ?1", params![run], |r| r.get::<i64>(0))?
            .ok_or(StoreError::NotFound { what: "run", id: run })?;
        return Ok(Err(StaleVersion { current }));
    }
    Ok(Ok(()))
}
