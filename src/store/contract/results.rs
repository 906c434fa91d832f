use super::{dataset_with_run, fresh};
use crate::store::{LineStatus, RowOutcome, RowStatus, StatsLevel};
use crate::testing::synthetic_run;

fn outcome(row: u32, status: RowStatus, sha: Option<&str>) -> RowOutcome {
    RowOutcome { row, status, detail: None, sha256: sha.map(|s| s.repeat(32)) }
}

pub(super) fn row_outcomes_are_upserted_and_every_row_has_a_line() {
    let store = fresh();
    let (dataset, run) = dataset_with_run(&store, 3);
    store
        .set_row_outcomes(run, &[outcome(2, RowStatus::Ingested, None), outcome(3, RowStatus::Ingested, None)])
        .unwrap();
    let failed = RowOutcome { detail: Some("HTTP 404 Not Found".into()), ..outcome(3, RowStatus::Failed, None) };
    store.set_row_outcomes(run, &[outcome(2, RowStatus::Downloaded, Some("aa")), failed.clone()]).unwrap();
    assert_eq!(store.row_outcomes(run).unwrap(), vec![outcome(2, RowStatus::Downloaded, Some("aa")), failed]);

    store.mark_rows_unreadable(run, &"aa".repeat(32), "no frame decodes").unwrap();
    let lines = store.ad_lines(run, dataset).unwrap();
    let said: Vec<(u32, String)> = lines.iter().map(|l| (l.row, l.status.to_string())).collect();
    assert_eq!(
        said,
        vec![
            (2, "unreadable: no frame decodes".to_string()),
            (3, "failed: HTTP 404 Not Found".to_string()),
            (4, "not processed".to_string()),
            (5, "rejected: roas: not a number: 'abc'".to_string()),
        ]
    );
    assert!(matches!(lines[3].status, LineStatus::Rejected(_)));
    assert_eq!(lines[3].performance.as_deref(), Some("abc"));
    assert_eq!(lines[0].video_url.as_deref(), Some("https://ads.example/1.mp4"));
}

pub(super) fn a_grouping_and_its_statistics_read_back_as_saved() {
    let store = fresh();
    let run = synthetic_run(&store, 3, 2, 2).unwrap();
    let dataset = store.run(run).unwrap().dataset_id;
    let grouping = store.grouping(run).unwrap();
    assert_eq!((grouping.videos.len(), grouping.creators.len()), (6, 3));
    store.save_grouping(run, &grouping).unwrap();
    assert_eq!(store.grouping(run).unwrap(), grouping, "saving what was read changes nothing");

    for level in [StatsLevel::Video, StatsLevel::Creator] {
        let stats = store.stats(run, level).unwrap();
        assert_eq!(stats.len(), if level == StatsLevel::Video { 6 } else { 3 });
        assert_eq!(stats.iter().map(|s| s.ads).sum::<u32>(), 12, "every ad counted once per level");
        store.save_stats(run, level, &stats).unwrap();
        assert_eq!(store.stats(run, level).unwrap(), stats);
    }

    let urls = store.video_urls(run, dataset).unwrap();
    assert_eq!(urls.len(), 6);
    assert!(urls.values().all(|list| list.len() == 2), "two ads, two distinct URLs per video");
    let lines = store.ad_lines(run, dataset).unwrap();
    assert_eq!(lines.len(), 12);
    for line in &lines {
        let video = grouping.video_of_row[&line.row];
        let creator = grouping.videos.iter().find(|v| v.id == video).unwrap().creator;
        assert_eq!((line.video_id, line.creator_id), (Some(video), creator), "row {}", line.row);
    }
}
