use super::{dataset_with_run, fresh};
use crate::store::{RunStatus, StoreError};

pub(super) fn a_new_run_is_queued_with_an_event_and_listed_newest_first() {
    let store = fresh();
    let (dataset, first) = dataset_with_run(&store, 2);
    let second = store.create_run(dataset).unwrap();

    let run = store.run(first).unwrap();
    assert_eq!(
        (run.dataset_id, run.status, run.stage.clone(), run.done, run.total),
        (dataset, RunStatus::Queued, None, 0, 0)
    );
    assert_eq!((run.started_at_ms, run.finished_at_ms, run.error), (None, None, None));
    assert_eq!(store.events(first).unwrap().iter().map(|e| e.message.as_str()).collect::<Vec<_>>(), vec!["Queued"]);
    let listed: Vec<_> = store.runs_for_dataset(dataset).unwrap().iter().map(|r| r.id).collect();
    assert_eq!(listed, vec![second, first]);
    assert_eq!(store.runs_with_status(&[RunStatus::Queued]).unwrap(), vec![first, second], "oldest first");
    assert!(store.runs_with_status(&[RunStatus::Running]).unwrap().is_empty());
}

pub(super) fn status_changes_stamp_times_and_say_why_in_the_events() {
    let store = fresh();
    let (_, run) = dataset_with_run(&store, 1);
    store.set_run_status(run, RunStatus::Running, None).unwrap();
    let started = store.run(run).unwrap().started_at_ms.expect("a start time");
    store.set_run_status(run, RunStatus::Failed, Some("disk full")).unwrap();
    let failed = store.run(run).unwrap();
    assert_eq!((failed.status, failed.error.as_deref()), (RunStatus::Failed, Some("disk full")));
    assert!(failed.finished_at_ms.is_some_and(|t| t >= started));

    // Resumed: the first start time stays, the finish time goes.
    store.set_run_status(run, RunStatus::Queued, None).unwrap();
    store.set_run_status(run, RunStatus::Running, None).unwrap();
    let again = store.run(run).unwrap();
    assert_eq!((again.started_at_ms, again.finished_at_ms, again.error), (Some(started), None, None));
    let events: Vec<_> = store.events(run).unwrap().into_iter().map(|e| e.message).collect();
    assert_eq!(events, ["Queued", "Started", "Failed: disk full", "Queued to resume", "Started"]);

    assert!(matches!(
        store.set_run_status(99, RunStatus::Running, None),
        Err(StoreError::NotFound { what: "run", id: 99 })
    ));
    assert!(matches!(store.run(99), Err(StoreError::NotFound { what: "run", id: 99 })));
}

pub(super) fn progress_settings_and_interrupted_runs() {
    let store = fresh();
    let (_, run) = dataset_with_run(&store, 1);
    store.set_progress(run, "fetch", 3, 10).unwrap();
    let r = store.run(run).unwrap();
    assert_eq!((r.stage.as_deref(), r.done, r.total), (Some("fetch"), 3, 10));

    assert_eq!(store.run_settings(run).unwrap(), None);
    store.set_run_settings(run, r#"{"a":1}"#).unwrap();
    assert_eq!(store.run_settings(run).unwrap().as_deref(), Some(r#"{"a":1}"#));

    // A server that stopped mid-run left it running: the next one marks it interrupted.
    store.set_run_status(run, RunStatus::Running, None).unwrap();
    assert_eq!(store.mark_interrupted_runs().unwrap(), vec![run]);
    let r = store.run(run).unwrap();
    assert_eq!((r.status, r.finished_at_ms), (RunStatus::Interrupted, None));
    assert!(store.mark_interrupted_runs().unwrap().is_empty());

    store.add_event(run, "Fetched 1 of 1 videos: 0 failed").unwrap();
    assert_eq!(store.events(run).unwrap().last().map(|e| e.message.as_str()), Some("Fetched 1 of 1 videos: 0 failed"));
    assert!(matches!(store.run_settings(run + 1), Err(StoreError::NotFound { what: "run", .. })));
}

/// A write that fails half-way leaves nothing behind: here the second row of a dataset repeats
/// the first's row number, so the whole upload is refused and no dataset appears.
pub(super) fn a_failed_write_leaves_nothing_behind() {
    let store = fresh();
    let mut sheet = super::sheet(2);
    sheet.accepted[1].row = sheet.accepted[0].row;
    let new = crate::store::NewDataset { name: "dup.csv", sha256: &"cd".repeat(32), size_bytes: 1, is_demo: false };
    assert!(store.insert_dataset(&new, &sheet).is_err());
    assert!(store.list_datasets().unwrap().is_empty());
    assert!(store.datasets_with_sha256(&"cd".repeat(32)).unwrap().is_empty());
}

pub(super) fn finished_stages_are_kept_for_resume() {
    let store = fresh();
    let (_, run) = dataset_with_run(&store, 1);
    assert!(!store.is_stage_done(run, "ingest").unwrap());
    for stage in ["ingest", "fetch", "analyse"] {
        store.mark_stage_done(run, stage).unwrap();
    }
    store.mark_stage_done(run, "fetch").unwrap();
    let done: Vec<_> = store.stage_finish_times(run).unwrap().into_iter().map(|(s, _)| s).collect();
    assert_eq!(done, ["ingest", "fetch", "analyse"], "in the order they finished, once each");

    store.forget_stages_after(run, "ingest").unwrap();
    assert!(store.is_stage_done(run, "ingest").unwrap());
    assert!(!store.is_stage_done(run, "fetch").unwrap() && !store.is_stage_done(run, "analyse").unwrap());
}
