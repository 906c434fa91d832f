use super::*;
use crate::ingest::parse_csv;
use crate::store::NewDataset;

fn store_with_dataset(rows: usize) -> (Store, crate::store::DatasetId) {
    let store = Store::open_in_memory().unwrap();
    let mut csv = String::from("Performance,Video URL\n");
    for i in 0..rows {
        csv.push_str(&format!("{}.5,https://cdn.example.com/{i}.mp4\n", i % 3));
    }
    csv.push_str("oops,https://cdn.example.com/bad.mp4\n");
    let sheet = parse_csv(csv.as_bytes()).unwrap();
    let new = NewDataset { name: "t.csv", sha256: "x", size_bytes: csv.len() as u64, is_demo: false };
    let id = store.insert_dataset(&new, &sheet).unwrap();
    (store, id)
}

#[test]
fn a_run_ingests_every_accepted_row_and_succeeds() {
    let (store, dataset) = store_with_dataset(250);
    let run = store.create_run(dataset).unwrap();
    assert_eq!(execute(&store, run, &CancelFlag::new()).unwrap(), Outcome::Succeeded);
    let stored = store.run(run).unwrap();
    assert_eq!(stored.status, RunStatus::Succeeded);
    assert_eq!((stored.done, stored.total), (250, 250));
    assert!(stored.finished_at_ms.is_some());
    let statuses = store.row_statuses(run).unwrap();
    assert_eq!(statuses.len(), 250, "the rejected row is not part of the run");
    assert_eq!(statuses[0], (2, ingest::INGESTED.to_string()));
}

#[test]
fn a_cancelled_run_stops_and_says_so() {
    let (store, dataset) = store_with_dataset(10);
    let run = store.create_run(dataset).unwrap();
    let cancel = CancelFlag::new();
    cancel.cancel();
    assert_eq!(execute(&store, run, &cancel).unwrap(), Outcome::Cancelled);
    assert_eq!(store.run(run).unwrap().status, RunStatus::Cancelled);
    assert!(store.events(run).unwrap().iter().any(|e| e.message == "Cancelled"));
}

#[test]
fn an_interrupted_run_resumes_and_skips_finished_stages() {
    let (store, dataset) = store_with_dataset(5);
    let run = store.create_run(dataset).unwrap();
    execute(&store, run, &CancelFlag::new()).unwrap();
    // Simulate a server that died while the run was running, then restarted.
    store.set_run_status(run, RunStatus::Running, None).unwrap();
    assert_eq!(store.mark_interrupted_runs().unwrap(), vec![run]);
    assert_eq!(store.run(run).unwrap().status, RunStatus::Interrupted);
    assert_eq!(execute(&store, run, &CancelFlag::new()).unwrap(), Outcome::Succeeded);
    let events: Vec<String> = store.events(run).unwrap().into_iter().map(|e| e.message).collect();
    assert!(events.iter().any(|m| m == "Stage ingest: already done, skipped"), "{events:?}");
}
