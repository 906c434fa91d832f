use super::{dataset_with_run, fresh};
use crate::corrections::Rule;
use crate::creators::TrackRef;
use crate::store::{RowOutcome, RowStatus, RunStatus, StaleVersion, StoreError};

fn track(byte: &str, index: u32) -> TrackRef {
    TrackRef { sha256: byte.repeat(32), track: index }
}

pub(super) fn an_edit_lands_only_at_the_version_its_writer_saw_and_is_logged() {
    let store = fresh();
    let (_, run) = dataset_with_run(&store, 1);
    assert_eq!(store.edit_version(run).unwrap(), 0);
    assert_eq!(store.edit_seq().unwrap(), 0);

    let rules = vec![Rule::Same { a: track("aa", 0), b: track("bb", 1) }];
    let first = store.add_edit(run, 0, Some("ana"), "Merged B into A", &rules).unwrap().unwrap();
    assert_eq!(store.bump_edit_version(run).unwrap(), 1);
    // A second tab still at version 0: refused, nothing written.
    let stale = store.add_edit(run, 0, None, "Hid A", &[Rule::Hide { track: track("aa", 0), reason: String::new() }]);
    assert_eq!(stale.unwrap(), Err(StaleVersion { current: 1 }));

    let edits = store.edits().unwrap();
    assert_eq!(edits.len(), 1);
    assert_eq!((edits[0].id, edits[0].run_id, edits[0].actor.as_deref()), (first, run, Some("ana")));
    assert_eq!((edits[0].summary.as_str(), &edits[0].rules, edits[0].undone), ("Merged B into A", &rules, false));
    assert!(edits[0].touches(&["bb".repeat(32)].into()));
    assert!(!edits[0].touches(&["cc".repeat(32)].into()));

    // Undone at the right version only; the log says made, then undone, then redone.
    assert_eq!(store.set_edit_undone(first, true, run, 0, None).unwrap(), Err(StaleVersion { current: 1 }));
    store.set_edit_undone(first, true, run, 1, Some("bo")).unwrap().unwrap();
    assert!(store.active_edits().unwrap().is_empty());
    assert!(store.edits().unwrap()[0].undone, "an undone edit is kept");
    store.set_edit_undone(first, false, run, 1, None).unwrap().unwrap();
    assert_eq!(store.active_edits().unwrap().iter().map(|e| e.id).collect::<Vec<_>>(), vec![first]);
    let log: Vec<_> = store.edit_log().unwrap().into_iter().map(|l| (l.edit_id, l.action, l.actor)).collect();
    assert_eq!(
        log,
        vec![
            (first, "made".to_string(), Some("ana".to_string())),
            (first, "undone".to_string(), Some("bo".to_string())),
            (first, "redone".to_string(), None),
        ]
    );
    assert_eq!(store.edit_seq().unwrap(), 3, "one step per log line");
    assert!(matches!(store.edit_version(42), Err(StoreError::NotFound { what: "run", id: 42 })));
}

pub(super) fn an_edit_finds_the_finished_runs_holding_its_files() {
    let store = fresh();
    let (dataset, run) = dataset_with_run(&store, 2);
    let unfinished = store.create_run(dataset).unwrap();
    for r in [run, unfinished] {
        let rows = [(2, "aa"), (3, "bb")].map(|(row, sha)| RowOutcome {
            row,
            status: RowStatus::Downloaded,
            detail: None,
            sha256: Some(sha.repeat(32)),
        });
        store.set_row_outcomes(r, &rows).unwrap();
    }
    store.set_run_status(run, RunStatus::Succeeded, None).unwrap();

    assert_eq!(store.run_files(run).unwrap(), ["aa".repeat(32), "bb".repeat(32)].into());
    let aa = "aa".repeat(32);
    assert_eq!(store.succeeded_runs_with_files(&[&aa]).unwrap(), vec![run], "only finished runs are regrouped");
    assert!(store.succeeded_runs_with_files(&[&"cc".repeat(32)]).unwrap().is_empty());

    assert_eq!(store.grouped_at_edit(run).unwrap(), 0);
    store.set_grouped_at_edit(run, 5).unwrap();
    assert_eq!(store.grouped_at_edit(run).unwrap(), 5);
}
