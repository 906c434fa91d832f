//! The user's corrections (`edits`), their audit log, and each run's edit version.

use rusqlite::{OptionalExtension, params};

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

impl Store {
    /// The run's edit version: bumped by every edit, undo or redo that regroups it.
    pub fn edit_version(&self, run: RunId) -> Result<i64> {
        self.conn()
            .query_row("SELECT edit_version FROM runs WHERE id = ?1", [run], |r| r.get(0))
            .optional()?
            .ok_or(StoreError::NotFound { what: "run", id: run })
    }

    /// Bumps the run's edit version; returns the new one.
    pub fn bump_edit_version(&self, run: RunId) -> Result<i64> {
        let conn = self.conn();
        conn.execute("UPDATE runs SET edit_version = edit_version + 1 WHERE id = ?1", [run])?;
        Ok(conn.query_row("SELECT edit_version FROM runs WHERE id = ?1", [run], |r| r.get(0))?)
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
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current: i64 = tx.query_row("SELECT edit_version FROM runs WHERE id = ?1", [run], |r| r.get(0))?;
        if current != expected {
            return Ok(Err(StaleVersion { current }));
        }
        let at = now_ms();
        tx.execute(
            "INSERT INTO edits (run_id, made_at_ms, actor, summary, rules) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![run, at, actor, summary, rules],
        )?;
        let id = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO edit_log (edit_id, run_id, at_ms, action, actor) VALUES (?1, ?2, ?3, 'made', ?4)",
            params![id, run, at, actor],
        )?;
        tx.commit()?;
        Ok(Ok(id))
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
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current: i64 = tx.query_row("SELECT edit_version FROM runs WHERE id = ?1", [run], |r| r.get(0))?;
        if current != expected {
            return Ok(Err(StaleVersion { current }));
        }
        tx.execute("UPDATE edits SET undone = ?2 WHERE id = ?1", params![edit, undone])?;
        let action = if undone { "undone" } else { "redone" };
        tx.execute(
            "INSERT INTO edit_log (edit_id, run_id, at_ms, action, actor) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![edit, run, now_ms(), action, actor],
        )?;
        tx.commit()?;
        Ok(Ok(()))
    }

    /// Every edit, undone ones included, oldest first.
    pub fn edits(&self) -> Result<Vec<StoredEdit>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT id, run_id, made_at_ms, actor, summary, rules, undone FROM edits ORDER BY id")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, bool>(6)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(id, run_id, made_at_ms, actor, summary, rules, undone)| {
                let rules = serde_json::from_str(&rules).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok(StoredEdit { id, run_id, made_at_ms, actor, summary, rules, undone })
            })
            .collect()
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
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT edit_id, run_id, at_ms, action, actor FROM edit_log ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok(EditLogEntry {
                edit_id: r.get(0)?,
                run_id: r.get(1)?,
                at_ms: r.get(2)?,
                action: r.get(3)?,
                actor: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The newest audit-log id (0 before any edit): it grows with every edit, undo and redo.
    pub fn edit_seq(&self) -> Result<i64> {
        Ok(self.conn().query_row("SELECT COALESCE(MAX(id), 0) FROM edit_log", [], |r| r.get(0))?)
    }

    /// The edit sequence the run was last grouped at.
    pub fn grouped_at_edit(&self, run: RunId) -> Result<i64> {
        Ok(self.conn().query_row("SELECT grouped_at_edit FROM runs WHERE id = ?1", [run], |r| r.get(0))?)
    }

    pub fn set_grouped_at_edit(&self, run: RunId, seq: i64) -> Result<()> {
        self.conn().execute("UPDATE runs SET grouped_at_edit = ?2 WHERE id = ?1", params![run, seq])?;
        Ok(())
    }

    /// Finished runs holding one of `files` (content hashes): the runs an edit about them regroups.
    pub fn succeeded_runs_with_files(&self, files: &[&str]) -> Result<Vec<RunId>> {
        let list = serde_json::to_string(files).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT DISTINCT rr.run_id FROM run_rows rr JOIN runs r ON r.id = rr.run_id
             WHERE r.status = 'succeeded' AND rr.video_sha256 IN (SELECT value FROM json_each(?1))
             ORDER BY rr.run_id",
        )?;
        let runs = stmt.query_map([list], |r| r.get(0))?;
        Ok(runs.collect::<rusqlite::Result<_>>()?)
    }

    /// The content hashes of the files of a run.
    pub fn run_files(&self, run: RunId) -> Result<std::collections::HashSet<String>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT DISTINCT video_sha256 FROM run_rows WHERE run_id = ?1 AND video_sha256 IS NOT NULL")?;
        let files = stmt.query_map([run], |r| r.get(0))?;
        Ok(files.collect::<rusqlite::Result<_>>()?)
    }
}
