//! Video servers that misbehave: each download ends with a precise reason, within its timeouts.

use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::Response;
use futures_util::stream;

use super::*;

async fn start_hostile_server() -> (String, Arc<AtomicUsize>) {
    let errors = Arc::new(AtomicUsize::new(0));
    let counter = errors.clone();
    let app = Router::new()
        // MP4 bytes, then nothing more for a minute.
        .route(
            "/drip",
            get(|| async {
                let chunks = stream::unfold(0u32, |n| async move {
                    if n > 0 {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                    }
                    Some((Ok::<_, std::io::Error>(Bytes::from_static(MP4_HEAD)), n + 1))
                });
                Body::from_stream(chunks)
            }),
        )
        // An MP4 head followed by zeros, forever.
        .route(
            "/endless",
            get(|| async {
                let head = stream::once(async { Ok::<_, std::io::Error>(Bytes::from_static(MP4_HEAD)) });
                let zeros = stream::repeat_with(|| Ok(Bytes::from(vec![0u8; 64 * 1024])));
                Body::from_stream(futures_util::StreamExt::chain(head, zeros))
            }),
        )
        // Promises 100,000 bytes, sends 24 and closes.
        .route(
            "/short",
            get(|| async {
                Response::builder()
                    .header(header::CONTENT_LENGTH, "100000")
                    .header(header::CONTENT_TYPE, "video/mp4")
                    .body(Body::from_stream(stream::once(async {
                        Ok::<_, std::io::Error>(Bytes::from_static(MP4_HEAD))
                    })))
                    .unwrap()
            }),
        )
        // A real MP4 head sent as a web page: the bytes decide.
        .route("/mislabelled", get(|| async { ([(header::CONTENT_TYPE, "text/html")], MP4_HEAD) }))
        // An error page with a 200.
        .route("/soft-404", get(|| async { "<html><body><h1>Video not found</h1></body></html>" }))
        .route(
            "/error",
            get(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                async { StatusCode::INTERNAL_SERVER_ERROR }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, errors)
}

fn failure(outcome: FetchOutcome) -> FetchError {
    match outcome {
        FetchOutcome::Failed(e) => e,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn misbehaving_servers_end_with_a_precise_reason_within_their_timeouts() {
    let (base, errors) = start_hostile_server().await;
    let dir = tempfile::tempdir().unwrap();
    let settings = FetchSettings { read_timeout_secs: 1, max_video_mib: 1, retries: 2, ..local() };
    let fetcher = fetcher(dir.path(), settings);

    let started = Instant::now();
    let drip = failure(fetcher.fetch(&format!("{base}/drip")).await);
    assert!(matches!(drip, FetchError::Timeout(_)), "{drip:?}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "3 attempts of 1 s idle, not a minute: {:?}",
        started.elapsed()
    );

    assert_eq!(failure(fetcher.fetch(&format!("{base}/endless")).await), FetchError::TooLarge { limit_mib: 1 });
    let short = failure(fetcher.fetch(&format!("{base}/short")).await);
    assert!(matches!(short, FetchError::Transfer(_)), "a body shorter than its length: {short:?}");
    assert_eq!(failure(fetcher.fetch(&format!("{base}/soft-404")).await), FetchError::Html);
    assert!(
        matches!(fetcher.fetch(&format!("{base}/mislabelled")).await, FetchOutcome::Downloaded(_)),
        "the bytes are an MP4"
    );

    let error = failure(fetcher.fetch(&format!("{base}/error")).await);
    assert_eq!(error.to_string(), "HTTP 500 Internal Server Error");
    assert_eq!(errors.load(Ordering::SeqCst), 3, "a 500 is tried three times (2 retries)");
    assert!(std::fs::read_dir(dir.path().join("videos/tmp")).unwrap().next().is_none(), "no partial file left");
}
