//! Edits through the store: statistics recomputed from the rows after each one, undo and redo,
//! two writers, and another run of the same videos.

use super::*;
use crate::corrections::EditRequest;
use crate::pipeline::PipelineSettings;
use crate::store::{StatsLevel, Store};
use crate::testing::synthetic_run;

/// (ads, mean) per creator as the statistics stage saved them, hidden ones included.
fn creator_stats(store: &Store, run: RunId) -> Vec<(u32, u32, f64)> {
    store.stats(run, StatsLevel::Creator).unwrap().iter().filter_map(|s| Some((s.key?, s.ads, s.mean))).collect()
}

/// Mean of the performance of the rows whose video belongs to one of `creators`, straight from
/// the dataset's rows.
fn mean_of_rows(store: &Store, run: RunId, creators: &[u32]) -> (u32, f64) {
    let grouping = store.grouping(run).unwrap();
    let dataset = store.run(run).unwrap().dataset_id;
    let values: Vec<f64> = store
        .accepted_rows(dataset)
        .unwrap()
        .into_iter()
        .filter(|r| grouping.creator_of_row(r.row).is_some_and(|c| creators.contains(&c)))
        .map(|r| r.performance)
        .collect();
    (values.len() as u32, values.iter().sum::<f64>() / values.len() as f64)
}

#[test]
fn merge_recomputes_the_statistics_from_the_rows_and_undo_redo_follow() {
    let store = Store::open_in_memory().unwrap();
    let run = synthetic_run(&store, 4, 2, 3).unwrap();
    let before = creator_stats(&store, run);
    assert_eq!(before.len(), 4);
    let (ads_1, ads_2) = (before[0].1, before[1].1);
    let expected = mean_of_rows(&store, run, &[1, 2]);

    let done = edit_creators(&store, run, 0, &EditRequest::Merge { creators: vec![1, 2], keep: 1 }, None).unwrap();
    assert_eq!(done.version, 1);
    let after = creator_stats(&store, run);
    assert_eq!(after.len(), 3);
    let merged = after.iter().find(|s| s.0 == 1).unwrap();
    assert_eq!(merged.1, ads_1 + ads_2, "one creator whose ad count is the sum");
    assert_eq!(merged.1, expected.0);
    assert!((merged.2 - expected.1).abs() < 1e-9, "the mean recomputed from the rows: {} vs {}", merged.2, expected.1);

    let undone = undo(&store, run, done.version, None).unwrap();
    assert_eq!(undone.summary, done.summary);
    assert_eq!(creator_stats(&store, run), before, "undo gives the statistics back");
    let redone = redo(&store, run, undone.version, None).unwrap();
    assert_eq!(creator_stats(&store, run), after);
    assert!(matches!(redo(&store, run, redone.version, None), Err(EditError::NothingToRedo)));

    let h = history(&store, run).unwrap();
    assert_eq!(h.version, 3);
    let actions: Vec<&str> = h.lines.iter().map(|l| l.action.as_str()).collect();
    assert_eq!(actions, ["redone", "undone", "made"], "the audit log, newest first");
    assert_eq!(h.undo.as_deref(), Some(done.summary.as_str()));
    assert_eq!(h.redo, None);
}

#[test]
fn a_stale_version_is_refused_and_changes_nothing() {
    let store = Store::open_in_memory().unwrap();
    let run = synthetic_run(&store, 3, 1, 2).unwrap();
    let first = edit_creators(&store, run, 0, &EditRequest::Rename { creator: 1, name: "Ana".into() }, None).unwrap();
    let before = store.grouping(run).unwrap();
    // A second tab still at version 0, asking about a creator that may not exist any more: the
    // version is checked first, so the answer is "reload", not a confusing "no creator".
    let late = edit_creators(&store, run, 0, &EditRequest::Rename { creator: 9, name: "Bea".into() }, None);
    assert!(matches!(late, Err(EditError::Stale { current: 1 })), "{late:?}");
    assert!(late.unwrap_err().to_string().contains("another tab"));
    assert!(matches!(undo(&store, run, 0, None), Err(EditError::Stale { .. })));
    assert_eq!(store.grouping(run).unwrap(), before);
    assert_eq!(store.edits().unwrap().len(), 1, "nothing written");
    assert_eq!(store.edit_version(run).unwrap(), first.version);
}

#[test]
fn hide_keeps_the_rows_and_a_new_run_of_the_same_videos_gets_the_edits() {
    let store = Store::open_in_memory().unwrap();
    let run = synthetic_run(&store, 3, 2, 2).unwrap();
    let before = creator_stats(&store, run);
    edit_creators(&store, run, 0, &EditRequest::Hide { creators: vec![2], reason: "stock".into() }, None).unwrap();
    let g = store.grouping(run).unwrap();
    assert!(g.creators[1].hidden);
    assert_eq!(creator_stats(&store, run), before, "hidden creators keep their rows and statistics (restorable)");

    // Another run over the same files (a re-run), grouped by the stage with another threshold.
    let dataset = store.run(run).unwrap().dataset_id;
    let rerun = store.create_run(dataset).unwrap();
    store.set_row_outcomes(rerun, &store.row_outcomes(run).unwrap()).unwrap();
    let mut settings = PipelineSettings::default();
    settings.creators.max_distance = 0.3;
    group::run(&store, &settings, rerun).unwrap();
    let g = store.grouping(rerun).unwrap();
    assert!(g.creators[1].hidden && !g.creators[0].hidden, "the hide holds in the re-run");
    assert_eq!(history(&store, rerun).unwrap().lines.len(), 1, "and its log lists it");
}

#[test]
fn unfinished_runs_cannot_be_edited() {
    let store = Store::open_in_memory().unwrap();
    let run = synthetic_run(&store, 2, 1, 1).unwrap();
    store.set_run_status(run, crate::store::RunStatus::Running, None).unwrap();
    let r = edit_creators(&store, run, 0, &EditRequest::Rename { creator: 1, name: "x".into() }, None);
    assert!(matches!(r, Err(EditError::NotFinished(_))));
}

#[test]
fn a_run_going_while_an_edit_is_made_catches_up_as_it_ends() {
    let store = Store::open_in_memory().unwrap();
    let run = synthetic_run(&store, 3, 1, 2).unwrap();
    let dataset = store.run(run).unwrap().dataset_id;
    let going = store.create_run(dataset).unwrap();
    store.set_row_outcomes(going, &store.row_outcomes(run).unwrap()).unwrap();
    group::run(&store, &PipelineSettings::default(), going).unwrap();
    store.set_run_status(going, crate::store::RunStatus::Running, None).unwrap();

    edit_creators(&store, run, 0, &EditRequest::Hide { creators: vec![2], reason: String::new() }, None).unwrap();
    assert!(!store.grouping(going).unwrap().creators[1].hidden, "a running run is not regrouped under its feet");
    assert!(finish_run(&store, going).unwrap());
    assert!(store.grouping(going).unwrap().creators[1].hidden, "it is as it ends");
    assert_eq!(store.run(going).unwrap().status, crate::store::RunStatus::Succeeded);
    assert!(!finish_run(&store, going).unwrap(), "once");
}

#[test]
fn a_larger_upload_of_the_same_videos_gets_the_edits_when_grouped() {
    let store = Store::open_in_memory().unwrap();
    let small = synthetic_run(&store, 3, 1, 2).unwrap();
    edit_creators(&store, small, 0, &EditRequest::Merge { creators: vec![1, 3], keep: 3 }, None).unwrap();
    // A new dataset: the same three videos and a fourth creator's.
    let larger = synthetic_run(&store, 4, 1, 2).unwrap();
    assert_ne!(store.run(larger).unwrap().dataset_id, store.run(small).unwrap().dataset_id);
    group::run(&store, &PipelineSettings::default(), larger).unwrap();
    let g = store.grouping(larger).unwrap();
    assert_eq!(g.creators.len(), 3, "creators 1 and 3 are one: {:?}", g.creators);
    assert_eq!(g.videos[0].creator, g.videos[2].creator);
    assert_eq!(g.creators[0].label, "Creator 3", "with the name kept at the merge");
}

#[test]
fn redo_follows_the_undo_stack_and_a_new_edit_clears_it() {
    let store = Store::open_in_memory().unwrap();
    let run = synthetic_run(&store, 4, 1, 1).unwrap();
    let rename = |c: u32, name: &str| EditRequest::Rename { creator: c, name: name.into() };
    let v = edit_creators(&store, run, 0, &rename(1, "One"), None).unwrap().version;
    let v = edit_creators(&store, run, v, &rename(2, "Two"), None).unwrap().version;
    let v = undo(&store, run, v, None).unwrap().version; // "Two" undone
    let v = edit_creators(&store, run, v, &rename(3, "Three"), None).unwrap().version;
    let v = undo(&store, run, v, None).unwrap().version; // "Three" undone
    let h = history(&store, run).unwrap();
    assert!(h.redo.as_deref().is_some_and(|s| s.contains("Three")), "redo brings back Three, not Two: {:?}", h.redo);
    let done = redo(&store, run, v, None).unwrap();
    assert!(done.summary.contains("Three"));
    assert!(
        matches!(redo(&store, run, done.version, None), Err(EditError::NothingToRedo)),
        "Two was dropped by a new edit"
    );
    let labels: Vec<String> = store.grouping(run).unwrap().creators.iter().map(|c| c.label.clone()).collect();
    assert_eq!(labels, ["One", "Creator 2", "Three", "Creator 4"]);
}
