//! The store's contract: what any backend must do, as tests over a fresh store, one file per
//! part (datasets, runs, the video cache, results, edits). Every case takes its store from
//! [`fresh`] and runs twice: on SQLite in memory (`on_sqlite::…`) and, with the `postgres`
//! feature, on a new database of a throwaway PostgreSQL (`on_postgres::…`).

use std::cell::Cell;
use std::ops::Deref;

use super::Store;
use crate::ingest::ParsedSheet;

mod datasets;
mod edits;
mod results;
mod runs;
mod videos;

#[derive(Clone, Copy)]
enum Backend {
    Sqlite,
    #[cfg(feature = "postgres")]
    Postgres,
}

thread_local! {
    /// The backend the case running on this thread is for (each test has its own thread).
    static BACKEND: Cell<Backend> = const { Cell::new(Backend::Sqlite) };
}

/// A fresh store and what keeps its database alive.
struct TestStore {
    store: Store,
    #[cfg(feature = "postgres")]
    _server: Option<std::sync::Arc<crate::testing::TempPostgres>>,
}

impl Deref for TestStore {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

fn fresh() -> TestStore {
    match BACKEND.get() {
        Backend::Sqlite => TestStore {
            store: Store::open_in_memory().expect("an empty store opens"),
            #[cfg(feature = "postgres")]
            _server: None,
        },
        #[cfg(feature = "postgres")]
        Backend::Postgres => {
            let server = shared_postgres();
            let url = server.create_database().expect("a new test database");
            TestStore { store: Store::connect(&url).expect("the PostgreSQL store migrates"), _server: Some(server) }
        }
    }
}

/// One throwaway PostgreSQL for the cases that run at the same time (each in a database of its
/// own); stopped when the last of them ends.
#[cfg(feature = "postgres")]
fn shared_postgres() -> std::sync::Arc<crate::testing::TempPostgres> {
    use std::sync::{Arc, Mutex, Weak};
    static SHARED: Mutex<Weak<crate::testing::TempPostgres>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(server) = shared.upgrade() {
        return server;
    }
    let server = Arc::new(crate::testing::TempPostgres::start().expect("a throwaway PostgreSQL starts"));
    *shared = Arc::downgrade(&server);
    server
}

/// Each case of the contract as a test per backend.
macro_rules! on_every_backend {
    ($($part:ident: [$($case:ident),* $(,)?]),* $(,)?) => {
        mod on_sqlite {
            $($(
                #[test]
                fn $case() {
                    super::BACKEND.set(super::Backend::Sqlite);
                    super::$part::$case();
                }
            )*)*
        }
        #[cfg(feature = "postgres")]
        mod on_postgres {
            $($(
                #[test]
                fn $case() {
                    super::BACKEND.set(super::Backend::Postgres);
                    super::$part::$case();
                }
            )*)*
        }
    };
}

on_every_backend! {
    datasets: [a_dataset_keeps_every_row_accepted_or_not_with_its_problems, datasets_are_listed_newest_first_and_found_by_content, a_missing_dataset_is_not_found],
    edits: [an_edit_lands_only_at_the_version_its_writer_saw_and_is_logged, an_edit_finds_the_finished_runs_holding_its_files],
    results: [row_outcomes_are_upserted_and_every_row_has_a_line, a_grouping_and_its_statistics_read_back_as_saved],
    runs: [a_new_run_is_queued_with_an_event_and_listed_newest_first, status_changes_stamp_times_and_say_why_in_the_events, progress_settings_and_interrupted_runs, finished_stages_are_kept_for_resume, a_failed_write_leaves_nothing_behind],
    videos: [the_cache_index_says_which_url_gave_which_file_and_who_fetched_it, an_analysis_is_kept_per_file_and_settings],
}

/// A sheet of `good` accepted rows (`https://ads.example/<n>.mp4`, performance n) and one row
/// refused for its score.
fn sheet(good: u32) -> ParsedSheet {
    let mut csv = String::from("video_url,roas,campaign\n");
    for n in 1..=good {
        csv.push_str(&format!("https://ads.example/{n}.mp4,{n},spring\n"));
    }
    csv.push_str("https://ads.example/x.mp4,abc,fall\n");
    crate::ingest::parse_sheet(csv.as_bytes()).expect("the test sheet reads")
}

#[cfg(feature = "postgres")]
#[test]
fn processes_starting_together_migrate_postgres_once() {
    let server = shared_postgres();
    let url = server.create_database().unwrap();
    let stores: Vec<Store> = std::thread::scope(|scope| {
        let starting: Vec<_> = (0..3).map(|_| scope.spawn(|| Store::connect(&url))).collect();
        starting.into_iter().map(|s| s.join().unwrap().expect("each process migrates or finds it done")).collect()
    });
    assert!(stores.iter().all(|s| s.backend_name() == "postgres"));
    // All three see one schema: what one writes the others read.
    let (dataset, run) = dataset_with_run(&stores[0], 1);
    assert_eq!(stores[2].run(run).unwrap().dataset_id, dataset);
    assert!(matches!(stores[1].snapshot_to(std::path::Path::new("/tmp/x")), Err(super::StoreError::SqliteOnly(_))));
}

/// A dataset of `good` accepted rows and one rejected, with a queued run.
fn dataset_with_run(store: &Store, good: u32) -> (super::DatasetId, super::RunId) {
    let new = super::NewDataset { name: "ads.csv", sha256: &"ab".repeat(32), size_bytes: 10, is_demo: false };
    let dataset = store.insert_dataset(&new, &sheet(good)).unwrap();
    (dataset, store.create_run(dataset).unwrap())
}
