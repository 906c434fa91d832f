//! The user's corrections, applied. An edit, undo or redo is recorded (checked against the version
//! of the run the user saw), then every finished run holding the face tracks it names is grouped
//! again and its statistics recomputed from the rows, so table and charts follow at once.

use std::collections::HashSet;
use std::sync::Mutex;

use super::{PipelineError, group, run_settings, statistics};
use crate::corrections::{self, EditRequest, Note, PlanError, Rule, TrackRef};
use crate::store::{EditLogEntry, RunId, RunStatus, StaleVersion, Store, StoreError, StoredEdit, rule_files};

/// One edit at a time: an edit and the regrouping it causes are one step for other writers.
static EDITING: Mutex<()> = Mutex::new(());

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error(
        "The creators of this run changed since you loaded the page (another tab or another person edited them). \
         Nothing was changed by this request: reload to see the current state, then try again."
    )]
    Stale { current: i64 },
    #[error("Run {0} has not finished: its creators can be edited once it has.")]
    NotFinished(RunId),
    #[error("There is nothing to undo in this run.")]
    NothingToUndo,
    #[error("There is nothing to redo in this run.")]
    NothingToRedo,
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
}

impl From<StoreError> for EditError {
    fn from(e: StoreError) -> Self {
        EditError::Pipeline(PipelineError::Store(e))
    }
}

impl From<StaleVersion> for EditError {
    fn from(s: StaleVersion) -> Self {
        EditError::Stale { current: s.current }
    }
}

/// What an edit, undo or redo did.
#[derive(Debug, Clone, PartialEq)]
pub struct EditDone {
    pub edit: i64,
    pub summary: String,
    /// The run's edit version now.
    pub version: i64,
}

/// Makes `request` on the grouping of `run` as the user saw it at `version`.
pub fn edit_creators(
    store: &Store,
    run: RunId,
    version: i64,
    request: &EditRequest,
    actor: Option<&str>,
) -> Result<EditDone, EditError> {
    let _one_at_a_time = EDITING.lock().unwrap_or_else(|p| p.into_inner());
    ensure_finished(store, run)?;
    // Ids in the request are those of the version the user saw: plan only on that version.
    let current = store.edit_version(run)?;
    if current != version {
        return Err(EditError::Stale { current });
    }
    let planned = corrections::plan(&store.grouping(run)?, request)?;
    let edit = store.add_edit(run, version, actor, &planned.summary, &planned.rules)??;
    let version = regroup_runs_with(store, run, &planned.rules)?;
    Ok(EditDone { edit, summary: planned.summary, version })
}

/// Undoes the newest edit in force that concerns `run`.
pub fn undo(store: &Store, run: RunId, version: i64, actor: Option<&str>) -> Result<EditDone, EditError> {
    let _one_at_a_time = EDITING.lock().unwrap_or_else(|p| p.into_inner());
    ensure_finished(store, run)?;
    let edits = edits_of_run(store, run)?;
    let edit = edits.iter().rev().find(|e| !e.undone).ok_or(EditError::NothingToUndo)?;
    store.set_edit_undone(edit.id, true, run, version, actor)??;
    let version = regroup_runs_with(store, run, &edit.rules)?;
    Ok(EditDone { edit: edit.id, summary: edit.summary.clone(), version })
}

/// Redoes the edit undone last, unless a newer edit was made since.
pub fn redo(store: &Store, run: RunId, version: i64, actor: Option<&str>) -> Result<EditDone, EditError> {
    let _one_at_a_time = EDITING.lock().unwrap_or_else(|p| p.into_inner());
    ensure_finished(store, run)?;
    let edits = edits_of_run(store, run)?;
    let log = store.edit_log()?;
    let edit = redoable(&edits, &log).ok_or(EditError::NothingToRedo)?;
    store.set_edit_undone(edit.id, false, run, version, actor)??;
    let version = regroup_runs_with(store, run, &edit.rules)?;
    Ok(EditDone { edit: edit.id, summary: edit.summary.clone(), version })
}

/// Ends a run that went through all its stages: grouped again if an edit was made after its
/// group stage read the edits (an edit regroups finished runs only), and marked succeeded, both
/// under the edit lock so that no edit falls between the two. Returns whether it regrouped.
pub fn finish_run(store: &Store, run: RunId) -> Result<bool, PipelineError> {
    let _one_at_a_time = EDITING.lock().unwrap_or_else(|p| p.into_inner());
    let behind = store.edit_seq()? > store.grouped_at_edit(run)?;
    if behind {
        let rules: Vec<Rule> = store.active_edits()?.into_iter().flat_map(|e| e.rules).collect();
        regroup_and_count(store, run, videos_for(&rules))?;
        store.bump_edit_version(run)?;
        store.add_event(run, "Grouped again with the edits made while the run was going")?;
    }
    store.set_run_status(run, RunStatus::Succeeded, None)?;
    Ok(behind)
}

/// The run's grouping made again with the edits in force, and its statistics from the rows. Its
/// unique videos are kept unless the edits say which files are one ad (`videos`): then the files
/// are compared again.
fn regroup_and_count(store: &Store, run: RunId, videos: group::Videos) -> Result<(), PipelineError> {
    let settings = run_settings(store, run)?.unwrap_or_default();
    group::regroup(store, &settings, run, videos)?;
    statistics::recompute(store, run, store.run(run)?.dataset_id)
}

/// Whether edits with these rules change which files are one video.
fn videos_for(rules: &[Rule]) -> group::Videos {
    if rules.iter().any(Rule::is_about_videos) { group::Videos::Compare } else { group::Videos::Keep }
}

/// A run's corrections: the log of edits that concern it, what undo and redo would do, and how
/// the edits hold in its grouping.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub version: i64,
    /// Newest first.
    pub lines: Vec<HistoryLine>,
    /// Summaries of the edit undo and redo would act on.
    pub undo: Option<String>,
    pub redo: Option<String>,
    pub notes: Vec<Note>,
    pub ignored_faces: Vec<(TrackRef, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryLine {
    pub edit: i64,
    pub summary: String,
    /// `made`, `undone` or `redone`.
    pub action: String,
    pub at_ms: i64,
    pub actor: Option<String>,
    /// The run it was done from.
    pub run_id: RunId,
    /// Whether the edit is undone now.
    pub undone: bool,
}

pub fn history(store: &Store, run: RunId) -> Result<History, EditError> {
    let edits = edits_of_run(store, run)?;
    let ids: HashSet<i64> = edits.iter().map(|e| e.id).collect();
    let log = store.edit_log()?;
    let redo = redoable(&edits, &log).map(|e| e.summary.clone());
    let mut lines: Vec<HistoryLine> = log
        .into_iter()
        .filter(|l| ids.contains(&l.edit_id))
        .filter_map(|l| {
            let edit = edits.iter().find(|e| e.id == l.edit_id)?;
            Some(HistoryLine {
                edit: l.edit_id,
                summary: edit.summary.clone(),
                action: l.action,
                at_ms: l.at_ms,
                actor: l.actor,
                run_id: l.run_id,
                undone: edit.undone,
            })
        })
        .collect();
    lines.reverse();
    let grouping = store.grouping(run)?;
    Ok(History {
        version: store.edit_version(run)?,
        lines,
        undo: edits.iter().rev().find(|e| !e.undone).map(|e| e.summary.clone()),
        redo,
        notes: grouping.corrections.notes,
        ignored_faces: grouping.corrections.ignored_faces,
    })
}

/// The edit redo acts on, as in any editor: the last one undone, unless an edit was made (or the
/// undone ones redone) since. Read from the audit log of the run's edits: a new edit clears the
/// redo stack, an undo pushes, a redo pops.
fn redoable<'a>(edits: &'a [StoredEdit], log: &[EditLogEntry]) -> Option<&'a StoredEdit> {
    let mut stack: Vec<i64> = Vec::new();
    for entry in log.iter().filter(|l| edits.iter().any(|e| e.id == l.edit_id)) {
        match entry.action.as_str() {
            "made" => stack.clear(),
            "undone" => stack.push(entry.edit_id),
            _ => stack.retain(|id| *id != entry.edit_id),
        }
    }
    let top = *stack.last()?;
    edits.iter().find(|e| e.id == top && e.undone)
}

/// Every edit (undone ones too) naming a track of one of the run's files, oldest first.
fn edits_of_run(store: &Store, run: RunId) -> Result<Vec<StoredEdit>, EditError> {
    let files = store.run_files(run)?;
    Ok(store.edits()?.into_iter().filter(|e| e.touches(&files)).collect())
}

fn ensure_finished(store: &Store, run: RunId) -> Result<(), EditError> {
    if store.run(run)?.status != RunStatus::Succeeded {
        return Err(EditError::NotFinished(run));
    }
    Ok(())
}

/// Groups again (and recomputes the statistics of) `run` and every other finished run holding a
/// file the rules name; bumps their edit versions. Returns `run`'s new version.
fn regroup_runs_with(store: &Store, run: RunId, rules: &[Rule]) -> Result<i64, EditError> {
    let mut files: Vec<&str> = rules.iter().flat_map(rule_files).collect();
    files.sort_unstable();
    files.dedup();
    let mut runs = store.succeeded_runs_with_files(&files)?;
    if !runs.contains(&run) {
        runs.push(run);
    }
    let mut version = 0;
    for r in runs {
        regroup_and_count(store, r, videos_for(rules))?;
        let v = store.bump_edit_version(r)?;
        if r == run {
            version = v;
        }
    }
    Ok(version)
}

#[cfg(test)]
#[path = "edit_tests.rs"]
mod tests;
