//! Fetch tests against a local server with scripted behaviours (127.0.0.1 only).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;

use super::*;

/// The smallest thing that sniffs as an MP4: an `ftyp` box.
const MP4_HEAD: &[u8] = b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2";

struct TestServer {
    base: String,
    flaky_hits: Arc<AtomicUsize>,
    missing_hits: Arc<AtomicUsize>,
    /// Requests that reached `/counted`: proof that a refused URL sent nothing.
    counted_hits: Arc<AtomicUsize>,
}

async fn start_server() -> TestServer {
    let flaky_hits = Arc::new(AtomicUsize::new(0));
    let missing_hits = Arc::new(AtomicUsize::new(0));
    let counted_hits = Arc::new(AtomicUsize::new(0));
    let (flaky, missing, counted) = (flaky_hits.clone(), missing_hits.clone(), counted_hits.clone());
    let app = Router::new()
        .route("/a.mp4", get(|| async { ([(header::CONTENT_TYPE, "video/mp4")], MP4_HEAD) }))
        .route("/same-bytes", get(|| async { ([(header::CONTENT_TYPE, "application/octet-stream")], MP4_HEAD) }))
        .route("/html", get(|| async { ([(header::CONTENT_TYPE, "text/html")], "<!DOCTYPE html><p>Not found</p>") }))
        .route("/text", get(|| async { ([(header::CONTENT_TYPE, "text/plain")], "just some words, not a video") }))
        .route("/empty", get(|| async { "" }))
        .route("/to-metadata", get(|| async { Redirect::temporary("http://169.254.169.254/latest/meta-data/") }))
        .route("/to-other-loopback", get(|| async { Redirect::temporary("http://127.0.0.2:9/x.mp4") }))
        .route("/loop", get(|| async { Redirect::temporary("/loop") }))
        .route("/big", get(|| async { vec![0u8; 3 * 1024 * 1024] }))
        .route(
            "/counted",
            get(move || {
                counted.fetch_add(1, Ordering::SeqCst);
                async { MP4_HEAD }
            }),
        )
        .route(
            "/missing",
            get(move || {
                missing.fetch_add(1, Ordering::SeqCst);
                async { StatusCode::NOT_FOUND }
            }),
        )
        .route(
            "/flaky",
            get(move || {
                let n = flaky.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n == 0 { StatusCode::SERVICE_UNAVAILABLE.into_response() } else { MP4_HEAD.into_response() }
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    TestServer { base, flaky_hits, missing_hits, counted_hits }
}

fn fetcher(dir: &std::path::Path, settings: FetchSettings) -> Fetcher {
    Fetcher::new(FetchSettings { backoff_ms: 1, ..settings }, VideoCache::new(dir)).unwrap()
}

/// Settings that let the tests reach their own server on 127.0.0.1 (and nothing else private).
fn local() -> FetchSettings {
    FetchSettings { allow_hosts: vec!["127.0.0.1".into()], ..FetchSettings::default() }
}

#[tokio::test]
async fn a_video_lands_in_the_cache_under_its_hash() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();
    let fetcher = fetcher(dir.path(), local());
    let outcome = fetcher.fetch(&format!("{}/a.mp4", server.base)).await;
    let FetchOutcome::Downloaded(video) = outcome else { panic!("{outcome:?}") };
    assert_eq!(video.sha256, crate::hash::sha256_hex(MP4_HEAD));
    assert_eq!(video.container, Container::IsoBmff);
    let path = fetcher.cache().path(&video.sha256, video.container);
    assert_eq!(std::fs::read(path).unwrap(), MP4_HEAD);

    // The same bytes behind another URL (and a generic content type) are the same video.
    let again = fetcher.fetch(&format!("{}/same-bytes", server.base)).await;
    assert_eq!(again.video().unwrap().sha256, video.sha256);
    assert!(std::fs::read_dir(dir.path().join("videos/tmp")).unwrap().next().is_none(), "no temp file left");
}

#[tokio::test]
async fn failures_say_precisely_what_went_wrong() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();
    let fetcher = fetcher(dir.path(), FetchSettings { max_video_mib: 1, ..local() });
    let fail = |o: FetchOutcome| match o {
        FetchOutcome::Failed(e) => e,
        other => panic!("expected a failure, got {other:?}"),
    };
    assert_eq!(fail(fetcher.fetch(&format!("{}/html", server.base)).await), FetchError::Html);
    assert_eq!(
        fail(fetcher.fetch(&format!("{}/text", server.base)).await),
        FetchError::NotVideo { content_type: Some("text/plain".into()) }
    );
    assert_eq!(fail(fetcher.fetch(&format!("{}/empty", server.base)).await), FetchError::Empty);
    assert_eq!(fail(fetcher.fetch(&format!("{}/big", server.base)).await), FetchError::TooLarge { limit_mib: 1 });
    let missing = fail(fetcher.fetch(&format!("{}/missing", server.base)).await);
    assert_eq!(missing.to_string(), "HTTP 404 Not Found");
    assert_eq!(server.missing_hits.load(Ordering::SeqCst), 1, "a 404 is not retried");
    // Nothing listens on port 9 of loopback: a connection error, retried, then reported.
    let refused = fail(fetcher.fetch("http://127.0.0.1:9/x.mp4").await);
    assert!(matches!(refused, FetchError::Connect(_)), "{refused:?}");
}

#[tokio::test]
async fn transient_failures_are_retried() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();
    let outcome = fetcher(dir.path(), local()).fetch(&format!("{}/flaky", server.base)).await;
    assert!(matches!(outcome, FetchOutcome::Downloaded(_)), "{outcome:?}");
    assert_eq!(server.flaky_hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn local_files_only_from_the_configured_directory() {
    let dir = tempfile::tempdir().unwrap();
    let allowed = tempfile::tempdir().unwrap();
    let video = allowed.path().join("clip.mp4");
    std::fs::write(&video, MP4_HEAD).unwrap();
    let url = url::Url::from_file_path(&video).unwrap().to_string();

    let refused = fetcher(dir.path(), FetchSettings::default()).fetch(&url).await;
    assert!(matches!(refused, FetchOutcome::Failed(FetchError::LocalRefused(_))), "{refused:?}");

    let settings = FetchSettings { local_dir: Some(allowed.path().to_path_buf()), ..FetchSettings::default() };
    let fetcher = fetcher(dir.path(), settings);
    assert!(matches!(fetcher.fetch(&url).await, FetchOutcome::Downloaded(_)));
    // A plain path is read relative to the local directory, and only from inside it.
    assert!(matches!(fetcher.fetch("clip.mp4").await, FetchOutcome::Downloaded(_)));
    assert!(matches!(
        fetcher.fetch("../escape.mp4").await,
        FetchOutcome::Failed(FetchError::LocalIo(_) | FetchError::LocalRefused(_))
    ));
    let outside = url::Url::from_file_path(dir.path().join("x.mp4")).unwrap().to_string();
    std::fs::write(dir.path().join("x.mp4"), MP4_HEAD).unwrap();
    assert!(matches!(fetcher.fetch(&outside).await, FetchOutcome::Failed(FetchError::LocalRefused(_))));
}

#[test]
fn containers_are_recognised_by_their_first_bytes() {
    assert_eq!(Container::sniff(MP4_HEAD), Some(Container::IsoBmff));
    assert_eq!(Container::sniff(b"\0\0\0\x08wide\0\0\0\0"), Some(Container::IsoBmff));
    assert_eq!(
        Container::sniff(&[0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 1, 0, 0, 0]),
        Some(Container::Matroska)
    );
    assert_eq!(Container::sniff(b"GIF89a......"), None);
}

fn refusal(outcome: FetchOutcome) -> String {
    match outcome {
        FetchOutcome::Failed(FetchError::Refused(message)) => message,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn loopback_is_refused_by_default_before_any_request_is_sent() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();
    let guarded = fetcher(dir.path(), FetchSettings::default());
    let port = server.base.rsplit(':').next().unwrap();
    // An IP literal, and a name that resolves to loopback: both refused, the server never asked.
    let literal = refusal(guarded.fetch(&format!("{}/counted", server.base)).await);
    assert!(literal.starts_with("refused: 127.0.0.1 is a loopback address"), "{literal}");
    let named = refusal(guarded.fetch(&format!("http://localhost:{port}/counted")).await);
    assert!(named.starts_with("refused: localhost resolves to") && named.contains("loopback"), "{named}");
    assert_eq!(server.counted_hits.load(Ordering::SeqCst), 0, "no request reached the server");
    // Allowed, the same URL works (the server was there all along).
    assert!(matches!(
        fetcher(dir.path(), local()).fetch(&format!("{}/counted", server.base)).await,
        FetchOutcome::Downloaded(_)
    ));
    assert_eq!(server.counted_hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn private_and_metadata_addresses_are_refused_without_connecting() {
    let dir = tempfile::tempdir().unwrap();
    let guarded = fetcher(dir.path(), FetchSettings { connect_timeout_secs: 30, ..FetchSettings::default() });
    // Were any of these connected to, the attempt would take until the 30 s connect timeout (or
    // fail with a connection error); the refusal comes first, at once, naming the address.
    for (url, kind) in [
        ("http://10.1.2.3:8080/ad.mp4", "private"),
        ("http://172.16.5.4/ad.mp4", "private"),
        ("http://172.31.0.1/ad.mp4", "private"),
        ("http://192.168.0.1/ad.mp4", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local (cloud metadata)"),
        ("http://[fd00::1]/ad.mp4", "private (unique local)"),
        ("http://[::ffff:10.0.0.1]/ad.mp4", "private"),
        ("http://0x7f.1/ad.mp4", "loopback"),
        ("http://2130706433/ad.mp4", "loopback"),
    ] {
        let started = std::time::Instant::now();
        let message = refusal(guarded.fetch(url).await);
        assert!(message.contains(kind), "{url}: {message}");
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "{url}: refused at once");
    }
}

#[tokio::test]
async fn every_redirect_is_checked_and_loops_end() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();
    let allowed = fetcher(dir.path(), local());
    let to_metadata = refusal(allowed.fetch(&format!("{}/to-metadata", server.base)).await);
    assert!(to_metadata.contains("169.254.169.254"), "{to_metadata}");
    let to_loopback = refusal(allowed.fetch(&format!("{}/to-other-loopback", server.base)).await);
    assert!(to_loopback.contains("127.0.0.2"), "only 127.0.0.1 is allowed: {to_loopback}");
    let looped = allowed.fetch(&format!("{}/loop", server.base)).await;
    assert!(matches!(looped, FetchOutcome::Failed(FetchError::TooManyRedirects)), "{looped:?}");
    assert!(!FetchError::TooManyRedirects.is_transient() && !FetchError::Refused(String::new()).is_transient());
}

#[test]
fn a_bad_allow_list_is_a_clear_error() {
    let settings = FetchSettings { allow_hosts: vec!["not a host!".into()], ..FetchSettings::default() };
    let error = Fetcher::new(settings, VideoCache::new(std::path::Path::new("/nonexistent"))).err().unwrap();
    assert!(error.to_string().contains("not a host!"), "{error}");
}

mod hostile;
