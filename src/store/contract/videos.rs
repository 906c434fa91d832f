use super::{dataset_with_run, fresh};
use crate::faces::FaceSummary;
use crate::fetch::{CachedVideo, Container};
use crate::store::VideoAnalysis;

fn video(byte: &str, size_bytes: u64) -> CachedVideo {
    CachedVideo { sha256: byte.repeat(32), size_bytes, container: Container::IsoBmff }
}

pub(super) fn the_cache_index_says_which_url_gave_which_file_and_who_fetched_it() {
    let store = fresh();
    let (dataset, run) = dataset_with_run(&store, 1);
    let later = store.create_run(dataset).unwrap();
    assert_eq!(store.url_video("https://ads.example/1.mp4").unwrap(), None);

    store.record_fetch("https://ads.example/1.mp4", &video("aa", 100), run).unwrap();
    store.record_fetch("https://ads.example/2.mp4", &video("aa", 100), run).unwrap();
    assert_eq!(store.url_video("https://ads.example/1.mp4").unwrap(), Some(video("aa", 100)));
    assert_eq!(store.video(&"aa".repeat(32)).unwrap(), Some(video("aa", 100)));
    assert_eq!(store.video(&"bb".repeat(32)).unwrap(), None);

    // The URL now serves other content, fetched by a later run: the newest fetch counts.
    store.record_fetch("https://ads.example/1.mp4", &video("bb", 50), later).unwrap();
    assert_eq!(store.url_video("https://ads.example/1.mp4").unwrap(), Some(video("bb", 50)));
    assert_eq!(store.urls_fetched_by(run).unwrap(), ["https://ads.example/2.mp4".to_string()].into());
    assert_eq!(store.urls_fetched_by(later).unwrap(), ["https://ads.example/1.mp4".to_string()].into());
}

pub(super) fn an_analysis_is_kept_per_file_and_settings() {
    let store = fresh();
    let (_, run) = dataset_with_run(&store, 1);
    let sha = "cc".repeat(32);
    // An analysis is of a file the cache knows.
    store.record_fetch("https://ads.example/1.mp4", &video("cc", 10), run).unwrap();
    let saved = analysis();
    assert_eq!(store.video_analysis(&sha, "fps=2").unwrap(), None);
    store.save_video_analysis(&sha, "fps=2", &saved).unwrap();
    assert_eq!(store.video_analysis(&sha, "fps=2").unwrap(), Some(saved.clone()));
    assert_eq!(store.video_analysis(&sha, "fps=1").unwrap(), None, "other settings, other analysis");
    assert_eq!(store.stills_file(&sha).unwrap().as_deref(), Some("stills.jpg"));

    // Analysed again with the same settings: replaced, not doubled.
    let failed = VideoAnalysis { error: Some("no frames".into()), stills_file: None, ..saved };
    store.save_video_analysis(&sha, "fps=2", &failed).unwrap();
    assert_eq!(store.video_analysis(&sha, "fps=2").unwrap(), Some(failed));

    // A worker's finish (analysis + its pgmq message in one transaction) is PostgreSQL's.
    let message = crate::store::QueueMessage { queue: "ips_videos", id: 1, reads: 1 };
    if !store.on_postgres() {
        let refused = store.save_video_analysis_finishing(&sha, "fps=3", &analysis(), &message);
        assert!(matches!(refused, Err(crate::store::StoreError::PostgresOnly(_))), "{refused:?}");
    }
}

fn analysis() -> VideoAnalysis {
    VideoAnalysis {
        info: None,
        faces: FaceSummary { detections: 4, frames_with_faces: 3, frames_checked: 5 },
        face_file: Some("face.jpg".into()),
        face_score: Some(0.9),
        face_time_s: Some(1.5),
        error: None,
        fingerprints: Vec::new(),
        stills_file: Some("stills.jpg".into()),
        tracks: Vec::new(),
        clip_embedding: Some(vec![0.6, 0.8]),
        keypoints: Default::default(),
        frames_file: Some("frames.jpg".into()),
    }
}

/// A worker that took a video's message writes its analysis and archives the message in one
/// transaction, and only while the message is still its own: after its visibility timeout ran
/// out and another worker took the message (read count 2), or once the message is archived, the
/// late worker writes nothing.
#[cfg(feature = "postgres")]
#[test]
fn a_workers_analysis_and_its_message_are_finished_together_and_fenced() {
    use crate::queue::{PgmqQueue, VideoTask, WorkQueue};
    use crate::store::QueueMessage;
    use std::time::Duration;

    let server = super::shared_postgres();
    let url = server.create_database().unwrap();
    let store = crate::store::Store::connect(&url).unwrap();
    let queue = PgmqQueue::connect(&url, "finish_test").unwrap();
    let (_, run) = dataset_with_run(&store, 1);
    let sha = "dd".repeat(32);
    store.record_fetch("https://ads.example/1.mp4", &video("dd", 10), run).unwrap();
    queue.push(&[VideoTask { run, sha256: sha.clone() }]).unwrap();

    let slow = queue.take(Duration::from_secs(1)).unwrap().expect("the task is taken");
    std::thread::sleep(Duration::from_millis(1500));
    let fast = queue.take(Duration::from_secs(60)).unwrap().expect("taken again after the timeout");
    assert_eq!((slow.id, slow.reads, fast.reads), (fast.id, 1, 2));
    let message = |d: &crate::queue::Delivery| QueueMessage { queue: "finish_test", id: d.id, reads: d.reads };

    let late = VideoAnalysis { error: Some("the slow worker's".into()), ..analysis() };
    assert!(!store.save_video_analysis_finishing(&sha, "fps=2", &late, &message(&slow)).unwrap());
    assert_eq!(store.video_analysis(&sha, "fps=2").unwrap(), None, "the slow worker wrote nothing");
    assert_eq!(queue.pending().unwrap(), 1, "nor archived the message");

    assert!(store.save_video_analysis_finishing(&sha, "fps=2", &analysis(), &message(&fast)).unwrap());
    assert_eq!(store.video_analysis(&sha, "fps=2").unwrap(), Some(analysis()));
    assert_eq!(queue.pending().unwrap(), 0, "archived with the analysis");
    assert!(!queue.finish(&fast).unwrap(), "already archived");

    // Finished twice by the same worker (a retry after a lost reply): the second writes nothing.
    assert!(!store.save_video_analysis_finishing(&sha, "fps=2", &late, &message(&fast)).unwrap());
    assert_eq!(store.video_analysis(&sha, "fps=2").unwrap(), Some(analysis()));
    let bad = QueueMessage { queue: "x; DROP TABLE runs", id: 1, reads: 1 };
    assert!(matches!(
        store.save_video_analysis_finishing(&sha, "fps=2", &analysis(), &bad),
        Err(crate::store::StoreError::Corrupt(_))
    ));
}
