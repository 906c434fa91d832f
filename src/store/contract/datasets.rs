use super::{dataset_with_run, fresh, sheet};
use crate::store::{NewDataset, StoreError};

pub(super) fn a_dataset_keeps_every_row_accepted_or_not_with_its_problems() {
    let store = fresh();
    let (id, _) = dataset_with_run(&store, 3);

    let dataset = store.dataset(id).unwrap();
    assert_eq!((dataset.name.as_str(), dataset.accepted_rows, dataset.rejected_rows), ("ads.csv", 3, 1));
    assert_eq!((dataset.url_column.as_str(), dataset.perf_column.as_str()), ("video_url", "roas"));
    assert!(!dataset.is_demo);
    assert_eq!(dataset.mapping, Some(sheet(3).mapping), "the column mapping is kept");

    let accepted = store.accepted_rows(id).unwrap();
    assert_eq!(accepted.iter().map(|r| (r.row, r.performance)).collect::<Vec<_>>(), vec![(2, 1.0), (3, 2.0), (4, 3.0)]);
    assert_eq!(accepted[0].video_url, "https://ads.example/1.mp4");

    let rejected = store.rejected_rows(id).unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].row, 5);
    assert_eq!(rejected[0].performance.as_deref(), Some("abc"), "the cell as given");
    assert_eq!(rejected[0].problems[0].field, "roas");
}

pub(super) fn datasets_are_listed_newest_first_and_found_by_content() {
    let store = fresh();
    let (first, _) = dataset_with_run(&store, 1);
    let other = NewDataset { name: "more.csv", sha256: &"cd".repeat(32), size_bytes: 5, is_demo: true };
    let second = store.insert_dataset(&other, &sheet(2)).unwrap();

    let listed: Vec<_> = store.list_datasets().unwrap().into_iter().map(|d| (d.id, d.is_demo)).collect();
    assert_eq!(listed, vec![(second, true), (first, false)]);
    assert_eq!(store.datasets_with_sha256(&"cd".repeat(32)).unwrap(), vec![(second, "more.csv".to_string())]);
    assert!(store.datasets_with_sha256(&"ef".repeat(32)).unwrap().is_empty());
}

pub(super) fn a_missing_dataset_is_not_found() {
    let store = fresh();
    assert!(matches!(store.dataset(7), Err(StoreError::NotFound { what: "dataset", id: 7 })));
}
