//! Pipeline tests: whole runs against a local HTTP server (127.0.0.1) serving videos the test
//! writes itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use opencv::core::{CV_8UC3, Mat, Scalar};
use opencv::prelude::*;

use super::*;
use crate::ingest::parse_sheet;
use crate::store::{DatasetId, NewDataset, StatsLevel};

/// A 3-second, 10 fps video: a face photo when the models are fetched, else grey frames.
/// A 3 s clip: sample2.jpg's three people talking (see `demo::animate`), or a grey frame.
fn test_video(dir: &std::path::Path, name: &str, grey: f64) -> Vec<u8> {
    let photo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/face-api/demo/sample2.jpg");
    let frames = opencv::imgcodecs::imread(photo.to_str().unwrap(), opencv::imgcodecs::IMREAD_COLOR)
        .ok()
        .filter(|m| !m.empty() && grey < 0.0)
        .map(|m| {
            let models = std::sync::Arc::new(crate::faceapi::FaceModels::load(&crate::testing::models_dir()).unwrap());
            crate::demo::talking_frames(&crate::frames::downscale(&m, 480).unwrap(), models, 30).unwrap()
        })
        .unwrap_or_else(|| {
            vec![Mat::new_rows_cols_with_default(240, 320, CV_8UC3, Scalar::all(grey.abs())).unwrap(); 30]
        });
    let path = dir.join(name);
    crate::video_writer::write_mp4(&path, 10.0, &frames).unwrap();
    std::fs::read(path).unwrap()
}

struct Served {
    base: String,
    hits: Arc<AtomicUsize>,
}

/// Serves `/face.mp4` and `/face-copy.mp4` (same bytes), `/grey.mp4`, and a 404 elsewhere.
async fn serve_videos(dir: &std::path::Path) -> Served {
    let face = test_video(dir, "face.mp4", -1.0);
    let grey = test_video(dir, "grey.mp4", 90.0);
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = |bytes: Vec<u8>, hits: Arc<AtomicUsize>| {
        get(move || {
            hits.fetch_add(1, Ordering::SeqCst);
            let bytes = bytes.clone();
            async move { bytes }
        })
    };
    let app = Router::new()
        .route("/face.mp4", counter(face.clone(), hits.clone()))
        .route("/face-copy.mp4", counter(face, hits.clone()))
        .route("/grey.mp4", counter(grey, hits.clone()))
        .fallback({
            let hits = hits.clone();
            move || {
                hits.fetch_add(1, Ordering::SeqCst);
                async { StatusCode::NOT_FOUND }
            }
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Served { base, hits }
}

fn dataset(store: &Store, base: &str) -> DatasetId {
    let csv = format!(
        "Performance,Video URL\n1.0,{base}/face.mp4\n3.0,{base}/face-copy.mp4\n2.0,{base}/grey.mp4\n5.0,{base}/missing.mp4\n4.0,{base}/face.mp4\n"
    );
    let sheet = parse_sheet(csv.as_bytes()).unwrap();
    let new = NewDataset { name: "t.csv", sha256: "x", size_bytes: csv.len() as u64, is_demo: false };
    store.insert_dataset(&new, &sheet).unwrap()
}

/// Default settings, but downloads may reach the tests' own server on 127.0.0.1.
fn local_settings() -> PipelineSettings {
    let mut settings = PipelineSettings::default();
    settings.fetch.allow_hosts = vec!["127.0.0.1".into()];
    settings
}

/// Runs the pipeline on its own store connection, as the server's job runner does.
fn execute_fresh(data_dir: std::path::PathBuf, run: RunId, cancel: CancelFlag) -> Result<Outcome, String> {
    execute_with_models(data_dir, crate::testing::models_dir(), run, cancel)
}

fn execute_with_models(
    data_dir: std::path::PathBuf,
    models_dir: std::path::PathBuf,
    run: RunId,
    cancel: CancelFlag,
) -> Result<Outcome, String> {
    let store = Store::open(&data_dir).unwrap();
    let ctx = Context {
        store: &store,
        data_dir: data_dir.clone(),
        models_dir,
        settings: local_settings(),
        shared_queue: None,
    };
    execute(&ctx, run, &cancel).map_err(|e| e.to_string())
}

async fn execute_in_background(data_dir: &std::path::Path, run: RunId) -> Result<Outcome, String> {
    let data_dir = data_dir.to_path_buf();
    tokio::task::spawn_blocking(move || execute_fresh(data_dir, run, CancelFlag::new())).await.unwrap()
}

/// The repository's models plus the tiny random CLIP checkpoint of the CLIP tests, as a user
/// who put CLIP weights in `models/` would have them.
fn models_with_tiny_clip(dir: &std::path::Path) -> std::path::PathBuf {
    let models = dir.join("models");
    let clip = models.join(crate::clip::MODEL_DIR);
    std::fs::create_dir_all(&clip).unwrap();
    let repo = crate::testing::models_dir();
    std::os::unix::fs::symlink(repo.join("manifest.toml"), models.join("manifest.toml")).unwrap();
    std::os::unix::fs::symlink(repo.join("face-api"), models.join("face-api")).unwrap();
    std::os::unix::fs::symlink(repo.join("human"), models.join("human")).unwrap();
    let tiny = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/clip/testdata/tiny");
    for file in ["config.json", "model.safetensors"] {
        std::fs::copy(tiny.join(file), clip.join(file)).unwrap();
    }
    models
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clip_weights_add_embeddings_and_similar_creatives_to_a_rerun() {
    let Fixture { dir, store, dataset, .. } = fixture().await;
    let run = store.create_run(dataset).unwrap();
    assert_eq!(execute_in_background(dir.path(), run).await, Ok(Outcome::Succeeded));
    assert!(store.grouping(run).unwrap().videos.iter().all(|v| v.similar.is_none()), "CLIP is off");
    let events: Vec<String> = store.events(run).unwrap().into_iter().map(|e| e.message).collect();
    assert!(events.iter().any(|m| m.starts_with("CLIP is off")), "{events:?}");

    let models = models_with_tiny_clip(dir.path());
    let rerun = store.create_run(dataset).unwrap();
    let data_dir = dir.path().to_path_buf();
    let outcome = tokio::task::spawn_blocking(move || execute_with_models(data_dir, models, rerun, CancelFlag::new()))
        .await
        .unwrap();
    assert_eq!(outcome, Ok(Outcome::Succeeded));
    let grouping = store.grouping(rerun).unwrap();
    assert_eq!(grouping.videos.len(), 2);
    for video in &grouping.videos {
        let similar = video.similar.as_ref().expect("CLIP is on: every video has neighbours");
        let other = grouping.videos.iter().find(|v| v.id != video.id).unwrap();
        assert_eq!(similar.len(), 1);
        assert_eq!(similar[0].0, other.id, "the only other video is the nearest");
        assert!((-1.0..=1.0001).contains(&similar[0].1), "a cosine: {similar:?}");
        let analysis =
            store.video_analysis(&video.sha256s[0], &super::analyse::settings_key(&PipelineSettings::default()));
        let embedding = analysis.unwrap().unwrap().clip_embedding.expect("the analysis was redone with CLIP");
        assert_eq!(embedding.len(), 16, "the tiny checkpoint's projection size");
        let norm = embedding.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "a unit vector: {norm}");
    }
}

/// A data dir with the test videos served and a dataset of them stored.
struct Fixture {
    dir: tempfile::TempDir,
    served: Served,
    store: Store,
    dataset: DatasetId,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let served = serve_videos(dir.path()).await;
    let store = Store::open(dir.path()).unwrap();
    let dataset = dataset(&store, &served.base);
    Fixture { dir, served, store, dataset }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_goes_from_rows_to_creator_statistics() {
    let Fixture { dir, served, store, dataset } = fixture().await;
    let run = store.create_run(dataset).unwrap();
    assert_eq!(execute_in_background(dir.path(), run).await, Ok(Outcome::Succeeded));

    let outcomes = store.row_outcomes(run).unwrap();
    let statuses: Vec<&str> = outcomes.iter().map(|o| o.status.word()).collect();
    assert_eq!(statuses, ["downloaded", "downloaded", "downloaded", "failed", "downloaded"]);
    assert_eq!(outcomes[3].detail.as_deref(), Some("HTTP 404 Not Found"));
    assert_eq!(
        served.hits.load(Ordering::SeqCst),
        4,
        "each distinct URL once: rows 2 and 6 share one; a 404 is not retried"
    );

    let grouping = store.grouping(run).unwrap();
    assert_eq!(grouping.videos.len(), 2, "face.mp4 and face-copy.mp4 are the same bytes: one video");
    assert_eq!(grouping.video_of_row[&2], grouping.video_of_row[&3]);

    let video_stats = store.stats(run, StatsLevel::Video).unwrap();
    let face_video = video_stats.iter().find(|s| s.key == Some(grouping.video_of_row[&2])).unwrap();
    assert_eq!(face_video.ads, 3);
    assert!((face_video.mean - (1.0 + 3.0 + 4.0) / 3.0).abs() < 1e-12);

    let creators = store.stats(run, StatsLevel::Creator).unwrap();
    let no_face = creators.iter().find(|s| s.key.is_none()).expect("the grey video has nobody on camera");
    assert_eq!((no_face.ads, no_face.mean), (1, 2.0));
    if std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/face-api/demo/sample2.jpg").is_file() {
        // sample2.jpg shows three people (animated: they talk): the most present owns the ads,
        // the second appears in it, the third looks down the whole time — too unclear to say who
        // she is, so she is an unclustered face, not a creator.
        assert_eq!(grouping.creators.len(), 2, "{:?}", grouping.creators);
        assert!(
            matches!(grouping.faces.as_slice(), [f] if matches!(f.role, crate::creators::TrackRole::Unclustered { .. })),
            "{:?}",
            grouping.faces
        );
        let face = faces_dir(dir.path()).join(&grouping.creators[0].face_file);
        assert!(std::fs::read(face).unwrap().starts_with(&[0xFF, 0xD8]), "the creator's face is a JPEG");
        assert_eq!(creators[0].ads, 3);
        let video = grouping.video_of_row[&2];
        assert_eq!(grouping.creators[0].videos, vec![video]);
        assert!(grouping.creators[1..].iter().all(|c| c.videos.is_empty() && c.appears_in == vec![video]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_run_downloads_and_decodes_nothing_again() {
    let Fixture { dir, served, store, dataset } = fixture().await;
    let run = store.create_run(dataset).unwrap();
    assert_eq!(execute_in_background(dir.path(), run).await, Ok(Outcome::Succeeded));
    let hits_after_first = served.hits.load(Ordering::SeqCst);

    // The server died after the analyse stage: later stages never finished.
    store.forget_stages_after(run, Stage::Analyse.name()).unwrap();
    store.set_run_status(run, RunStatus::Running, None).unwrap();
    assert_eq!(store.mark_interrupted_runs().unwrap(), vec![run]);
    assert_eq!(execute_in_background(dir.path(), run).await, Ok(Outcome::Succeeded));
    assert_eq!(served.hits.load(Ordering::SeqCst), hits_after_first, "nothing downloaded again");
    let events: Vec<String> = store.events(run).unwrap().into_iter().map(|e| e.message).collect();
    assert!(events.iter().any(|m| m == "Stage fetch: already done, skipped"), "{events:?}");
    assert!(events.iter().any(|m| m == "Stage analyse: already done, skipped"), "{events:?}");
    assert_eq!(store.grouping(run).unwrap().videos.len(), 2);

    // A second run of the same dataset finds every video in the cache and every analysis done.
    let rerun = store.create_run(dataset).unwrap();
    assert_eq!(execute_in_background(dir.path(), rerun).await, Ok(Outcome::Succeeded));
    assert_eq!(served.hits.load(Ordering::SeqCst), hits_after_first + 1, "only the failed URL is tried again");
    let statuses: Vec<&str> = store.row_outcomes(rerun).unwrap().into_iter().map(|o| o.status.word()).collect();
    assert_eq!(statuses, ["cached", "cached", "cached", "failed", "cached"]);
}

#[test]
fn a_cancelled_run_stops_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let dataset = dataset(&store, "http://127.0.0.1:9");
    let run = store.create_run(dataset).unwrap();
    let cancel = CancelFlag::new();
    cancel.cancel();
    assert_eq!(execute_fresh(dir.path().to_path_buf(), run, cancel), Ok(Outcome::Cancelled));
    assert_eq!(store.run(run).unwrap().status, RunStatus::Cancelled);
    assert!(store.events(run).unwrap().iter().any(|e| e.message == "Cancelled"));
}

/// A video task of a cancelled run, left on the shared queue, is done without analysing (and
/// without failing); the same task of a live run is attempted (and fails here: the file was
/// never downloaded), so the run's status is what decided.
#[test]
fn a_worker_drops_the_tasks_of_a_cancelled_run() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let dataset = dataset(&store, "http://127.0.0.1:9");
    let (live, cancelled) = (store.create_run(dataset).unwrap(), store.create_run(dataset).unwrap());
    for run in [live, cancelled] {
        set_run_settings(&store, run, &local_settings()).unwrap();
    }
    store.set_run_status(cancelled, RunStatus::Cancelled, None).unwrap();
    let cancel = CancelFlag::new();
    let mut worker = VideoWorker::new(&store, dir.path().to_path_buf(), crate::testing::models_dir(), &cancel);
    let task = |run: RunId| crate::queue::Delivery {
        id: 1,
        reads: 1,
        task: crate::queue::VideoTask { run, sha256: "ab".repeat(32) },
    };
    assert_eq!(worker.attempt(&task(cancelled)), crate::queue::Attempt::Done);
    assert!(matches!(worker.attempt(&task(live)), crate::queue::Attempt::Failed(e) if e.contains("not in the index")));
    assert!(store.video_analysis(&"ab".repeat(32), &analysis_key(&local_settings())).unwrap().is_none());
}

mod broken_videos;

#[test]
fn the_per_video_and_finishing_stages_are_every_stage_in_order() {
    assert_eq!([&Stage::PER_VIDEO[..], &Stage::FINISHING[..]].concat(), Stage::ALL);
}

/// Executes `run` on a thread with a store connection of its own to the PostgreSQL database at
/// `url`, as another process would.
#[cfg(feature = "postgres")]
fn process(url: String, data_dir: std::path::PathBuf, run: RunId) -> std::thread::JoinHandle<Result<Outcome, String>> {
    std::thread::spawn(move || {
        let store = Store::connect(&url).unwrap();
        let ctx = Context {
            store: &store,
            data_dir,
            models_dir: crate::testing::models_dir(),
            settings: local_settings(),
            shared_queue: None,
        };
        execute(&ctx, run, &CancelFlag::new()).map_err(|e| e.to_string())
    })
}

/// Two processes finishing one run at once (two servers resuming it after a crash): both get
/// past the videos' stages, one groups and computes the statistics, the other waits for it
/// (PostgreSQL's advisory lock on the run) and then finds both stages done.
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_finishing_one_run_do_the_finishing_stages_once() {
    let dir = tempfile::tempdir().unwrap();
    let served = serve_videos(dir.path()).await;
    let postgres = crate::testing::TempPostgres::start().expect("a throwaway PostgreSQL starts");
    let url = postgres.create_database().unwrap();
    let data_dir = dir.path().join("data");
    let events = tokio::task::spawn_blocking(move || {
        let store = Store::connect(&url).unwrap();
        let run = store.create_run(dataset(&store, &served.base)).unwrap();
        assert_eq!(process(url.clone(), data_dir.clone(), run).join().unwrap(), Ok(Outcome::Succeeded));
        // As if the server had died right after analysing the videos.
        store.forget_stages_after(run, Stage::Analyse.name()).unwrap();
        store.set_run_status(run, RunStatus::Interrupted, None).unwrap();

        let said = |text: &str| store.events(run).unwrap().iter().filter(|e| e.message == text).count();
        // This test holds the run's lock until both processes are waiting for it.
        let racers = store
            .finishing_run(run, || -> Result<_, StoreError> {
                let racers = [process(url.clone(), data_dir.clone(), run), process(url.clone(), data_dir.clone(), run)];
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
                while said("Stage analyse: already done, skipped") < 2 {
                    assert!(std::time::Instant::now() < deadline, "both processes reach the finishing stages");
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                std::thread::sleep(std::time::Duration::from_millis(500));
                assert_eq!(said("Stage group: started"), 1, "only the first run's: both wait for the lock");
                Ok(racers)
            })
            .unwrap();
        for racer in racers {
            assert_eq!(racer.join().unwrap(), Ok(Outcome::Succeeded));
        }
        assert_eq!(store.run(run).unwrap().status, RunStatus::Succeeded);
        store.events(run).unwrap().into_iter().map(|e| e.message).collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let count = |text: &str| events.iter().filter(|m| *m == text).count();
    for stage in Stage::FINISHING {
        let name = stage.name();
        // The first run's, and one of the two racers'.
        assert_eq!(count(&format!("Stage {name}: started")), 2, "{events:#?}");
        assert_eq!(count(&format!("Stage {name}: already done, skipped")), 1, "the other racer's: {events:#?}");
    }
}

/// PostgreSQL down for longer than the store waits for a connection, once in each of the
/// stages that do not wait on workers (fetch, group, statistics): each time the run waits for
/// the database, resumes from its stage and ends as a run without outages does.
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_rides_out_the_database_going_away_in_each_stage() {
    let dir = tempfile::tempdir().unwrap();
    let served = serve_videos(dir.path()).await;
    let postgres = crate::testing::TempPostgres::start().expect("a throwaway PostgreSQL starts");
    let url = postgres.create_database().unwrap();
    let data_dir = dir.path().join("data");
    tokio::task::spawn_blocking(move || {
        let store = Store::connect(&url).unwrap();
        let ads = dataset(&store, &served.base);
        let steady = store.create_run(ads).unwrap();
        assert_eq!(process(url.clone(), data_dir.clone(), steady).join().unwrap(), Ok(Outcome::Succeeded));

        let run = store.create_run(ads).unwrap();
        let held = [Stage::Fetch, Stage::Group, Stage::Statistics];
        for stage in held {
            let flag = crate::faults::hold_flag(&data_dir, &format!("stage-{}", stage.name()));
            std::fs::create_dir_all(flag.parent().unwrap()).unwrap();
            std::fs::write(&flag, b"").unwrap();
        }
        let outages = process(url.clone(), data_dir.clone(), run);
        for stage in held {
            let started = format!("Stage {}: started", stage.name());
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
            while !store.events(run).unwrap().iter().any(|e| e.message == started) {
                assert!(std::time::Instant::now() < deadline, "the run reaches stage {}", stage.name());
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            // Down as the stage goes on, for longer than a store call waits for a connection.
            postgres.crash().unwrap();
            std::fs::remove_file(crate::faults::hold_flag(&data_dir, &format!("stage-{}", stage.name()))).unwrap();
            std::thread::sleep(std::time::Duration::from_secs(12));
            postgres.start_again().unwrap();
        }
        assert_eq!(outages.join().unwrap(), Ok(Outcome::Succeeded));

        let store = Store::connect(&url).unwrap();
        assert_eq!(store.run(run).unwrap().status, RunStatus::Succeeded);
        let events: Vec<String> = store.events(run).unwrap().into_iter().map(|e| e.message).collect();
        let count = |text: &str| events.iter().filter(|m| *m == text).count();
        assert_eq!(
            count("The database was unreachable for a while; the run goes on from its stage"),
            3,
            "one outage per held stage: {events:#?}"
        );
        for stage in held {
            assert_eq!(count(&format!("Stage {}: started", stage.name())), 2, "redone after its outage: {events:#?}");
        }
        // The same files and failures (the second run finds the videos cached, not downloaded).
        let outcomes = |run: RunId| -> Vec<_> {
            let rows = store.row_outcomes(run).unwrap();
            rows.into_iter().map(|o| (o.row, o.sha256, o.detail, o.status.is_problem())).collect()
        };
        assert_eq!(outcomes(run), outcomes(steady));
        for level in [StatsLevel::Video, StatsLevel::Creator] {
            let (with, without) = (store.stats(run, level).unwrap(), store.stats(steady, level).unwrap());
            assert!(!without.is_empty());
            assert_eq!(format!("{with:?}"), format!("{without:?}"), "{level:?} statistics");
        }
    })
    .await
    .unwrap();
}
