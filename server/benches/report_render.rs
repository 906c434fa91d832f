//! How long the server takes to render the influencer page of a run with 1,000 creators
//! (issue #6: under 100 ms). The run is made directly in a fresh store (no videos decoded); the
//! page is requested through the real router in-process, so the time is the server's own:
//! store reads, table sort and paging, charts (cached after the first request), Leptos SSR.
//!
//! `cargo bench -p ips-server --bench report_render` (release build). Prints the cold first
//! request and the median and 95th percentile of the next ones; then how long a correction takes
//! on that run (a merge or its undo: recorded, creators regrouped, statistics recomputed) and
//! the page right after it (charts drawn again).

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

const CREATORS: u32 = 1_000;
const REQUESTS: usize = 60;
const EDITS: usize = 6;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let config = ips_server::config::Config {
        data_dir: dir.path().to_path_buf(),
        demo: false,
        ..ips_server::config::Config::default()
    };
    let server = ips_server::web::build(&config)?;
    let made = Instant::now();
    let run = ips_core::testing::synthetic_run(&server.store, CREATORS, 2, 3)?;
    println!("setup: run {run} with {CREATORS} creators, 6,000 ads, made in {:.1?}", made.elapsed());

    let render = |uri: String| {
        let router = server.router.clone();
        async move {
            let started = Instant::now();
            let response = router.oneshot(Request::get(uri).body(Body::empty())?).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            anyhow::ensure!(status == StatusCode::OK, "status {status}");
            Ok::<_, anyhow::Error>((started.elapsed(), body))
        }
    };
    let page = format!("/runs/{run}");
    let (cold, body) = render(page.clone()).await?;
    let html = String::from_utf8_lossy(&body);
    anyhow::ensure!(
        html.contains("Creator 1") && html.contains("svg class=\"chart\""),
        "the page lacks its table or charts"
    );
    anyhow::ensure!(html.contains("Page 1 of 20"), "1,000 creators are 20 pages of 50");

    let mut times: Vec<Duration> = Vec::with_capacity(REQUESTS);
    for i in 0..REQUESTS {
        // Alternate views: default order, sorted by ads, a later page, a search.
        let uri = match i % 4 {
            0 => page.clone(),
            1 => format!("{page}?sort=ads&dir=desc"),
            2 => format!("{page}?sort=mean&dir=desc&page=7"),
            _ => format!("{page}?q=creator+9"),
        };
        times.push(render(uri).await?.0);
    }
    times.sort();
    let median = times[times.len() / 2];
    let p95 = times[times.len() * 95 / 100];
    println!(
        "influencer page, {CREATORS} creators: cold (charts drawn) {cold:.1?}; then median {median:.1?}, p95 {p95:.1?} over {REQUESTS} requests"
    );
    println!("target < 100 ms: {}", if p95 < Duration::from_millis(100) { "met" } else { "NOT met" });

    use ips_core::corrections::EditRequest;
    use ips_core::pipeline::{edit_creators, undo};
    let store = &server.store;
    let mut version = store.edit_version(run)?;
    let mut edits: Vec<Duration> = Vec::new();
    for k in 0..EDITS {
        let started = Instant::now();
        let done = if k % 2 == 0 {
            edit_creators(store, run, version, &EditRequest::Merge { creators: vec![1, 2], keep: 1 }, None)?
        } else {
            undo(store, run, version, None)?
        };
        edits.push(started.elapsed());
        version = done.version;
    }
    edits.sort();
    let (after, _) = render(page.clone()).await?;
    println!(
        "correction (merge or undo) on {CREATORS} creators: median {:.1?}, slowest {:.1?} over {EDITS}; the page after it (charts drawn again) {after:.1?}",
        edits[edits.len() / 2],
        edits[edits.len() - 1]
    );
    Ok(())
}
