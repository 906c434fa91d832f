use super::*;
use crate::ingest::Field;

const SHEET: &str = "video_url,roas,note\nhttps://example.com/a.mp4,1.5,hi\n,2,hi\nhttps://example.com/b.mp4,abc,hi\n";

fn import_csv(store: &Store, csv: &str, columns: &ColumnChoices) -> Result<Imported, RunServiceError> {
    import(store, &Import { name: "ads.csv", bytes: csv.as_bytes(), columns, is_demo: false })
}

#[test]
fn an_import_stores_every_row_and_queues_a_run() {
    let store = Store::open_in_memory().unwrap();
    let imported = import_csv(&store, SHEET, &ColumnChoices::new()).unwrap();
    assert_eq!(imported.sheet.accepted.len(), 1);
    assert_eq!(imported.sheet.rejected.iter().map(|r| r.row).collect::<Vec<_>>(), vec![3, 4]);

    let dataset = store.dataset(imported.dataset).unwrap();
    assert_eq!((dataset.name.as_str(), dataset.accepted_rows, dataset.rejected_rows), ("ads.csv", 1, 2));
    assert_eq!(dataset.perf_column, "roas");
    let rejected = store.rejected_rows(imported.dataset).unwrap();
    assert_eq!(rejected.len(), 2, "nothing the user gave is dropped");

    let run = store.run(imported.run.expect("a run for the accepted row")).unwrap();
    assert_eq!((run.dataset_id, run.status), (imported.dataset, RunStatus::Queued));
    assert_eq!(store.run_settings(run.id).unwrap(), None, "the runner's settings apply when it starts");
}

#[test]
fn the_chosen_columns_are_used_and_a_sheet_without_good_rows_queues_nothing() {
    let store = Store::open_in_memory().unwrap();
    // The performance column chosen by hand is a column of text: every row is rejected.
    let columns = vec![(Field::Performance, Some("note".to_string()))];
    let imported = import_csv(&store, SHEET, &columns).unwrap();
    assert!(imported.sheet.accepted.is_empty());
    assert_eq!(imported.run, None);
    assert!(store.runs_for_dataset(imported.dataset).unwrap().is_empty());
    assert_eq!(store.dataset(imported.dataset).unwrap().rejected_rows, 3);
}

#[test]
fn an_unreadable_file_is_refused_with_the_reader_s_message() {
    let store = Store::open_in_memory().unwrap();
    let err = import_csv(&store, "", &ColumnChoices::new()).unwrap_err();
    assert!(matches!(err, RunServiceError::Sheet(IngestError::Empty)), "{err:?}");
    assert_eq!(err.to_string(), "The file is empty.");
    assert!(store.list_datasets().unwrap().is_empty());
}

#[test]
fn a_new_run_keeps_its_own_checked_settings() {
    let store = Store::open_in_memory().unwrap();
    let dataset = import_csv(&store, SHEET, &ColumnChoices::new()).unwrap().dataset;
    let mut settings = PipelineSettings::default();
    settings.creators.max_distance = 0.5;
    let run = start_run(&store, dataset, &settings).unwrap();
    let saved: PipelineSettings = serde_json::from_str(&store.run_settings(run).unwrap().unwrap()).unwrap();
    assert_eq!(saved.creators.max_distance, 0.5);
    assert_eq!(store.run(run).unwrap().status, RunStatus::Queued);

    settings.frames.per_second = 1000.0;
    let err = start_run(&store, dataset, &settings).unwrap_err();
    assert_eq!(err.to_string(), "frames.per_second must be a number from 0.1 to 5, not 1000.");
    assert_eq!(store.runs_for_dataset(dataset).unwrap().len(), 2, "a refused start makes no run");

    let missing = start_run(&store, dataset + 1, &PipelineSettings::default()).unwrap_err();
    assert!(matches!(missing, RunServiceError::Store(StoreError::NotFound { .. })), "{missing:?}");
}

#[test]
fn only_a_stopped_run_resumes_and_only_a_queued_one_is_cancelled_here() {
    let store = Store::open_in_memory().unwrap();
    let run = import_csv(&store, SHEET, &ColumnChoices::new()).unwrap().run.unwrap();
    assert!(matches!(resume(&store, run), Err(RunServiceError::NotStopped)));

    assert!(cancel_queued(&store, run).unwrap());
    assert_eq!(store.run(run).unwrap().status, RunStatus::Cancelled);
    assert!(!cancel_queued(&store, run).unwrap(), "already stopped");

    resume(&store, run).unwrap();
    assert_eq!(store.run(run).unwrap().status, RunStatus::Queued);

    store.set_run_status(run, RunStatus::Running, None).unwrap();
    assert!(!cancel_queued(&store, run).unwrap(), "a running run is the runner's to stop");
    assert_eq!(store.run(run).unwrap().status, RunStatus::Running);
}
