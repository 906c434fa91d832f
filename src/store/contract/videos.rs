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
    let analysis = VideoAnalysis {
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
    };
    assert_eq!(store.video_analysis(&sha, "fps=2").unwrap(), None);
    store.save_video_analysis(&sha, "fps=2", &analysis).unwrap();
    assert_eq!(store.video_analysis(&sha, "fps=2").unwrap(), Some(analysis.clone()));
    assert_eq!(store.video_analysis(&sha, "fps=1").unwrap(), None, "other settings, other analysis");
    assert_eq!(store.stills_file(&sha).unwrap().as_deref(), Some("stills.jpg"));

    // Analysed again with the same settings: replaced, not doubled.
    let failed = VideoAnalysis { error: Some("no frames".into()), stills_file: None, ..analysis };
    store.save_video_analysis(&sha, "fps=2", &failed).unwrap();
    assert_eq!(store.video_analysis(&sha, "fps=2").unwrap(), Some(failed));
}
