//! The store's contract: what any backend must do, as tests over a fresh store, one file per
//! part (datasets, runs, the video cache, results, edits). Every test takes its store from
//! [`fresh`]; today that is SQLite in memory, and a second backend runs the same suite by
//! giving its own store there.

use super::Store;
use crate::ingest::ParsedSheet;

mod datasets;
mod edits;
mod results;
mod runs;
mod videos;

fn fresh() -> Store {
    Store::open_in_memory().expect("an empty store opens")
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

/// A dataset of `good` accepted rows and one rejected, with a queued run.
fn dataset_with_run(store: &Store, good: u32) -> (super::DatasetId, super::RunId) {
    let new = super::NewDataset { name: "ads.csv", sha256: &"ab".repeat(32), size_bytes: 10, is_demo: false };
    let dataset = store.insert_dataset(&new, &sheet(good)).unwrap();
    (dataset, store.create_run(dataset).unwrap())
}
