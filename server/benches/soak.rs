//! Bounded load test (`make soak`): 50 concurrent readers request report pages over HTTP while
//! runs write to the store, and every response is checked. Prints requests, errors (must be 0),
//! and latency percentiles.
//!
//! The server is the real one (router, store, job runner) on 127.0.0.1; the readers ask for the
//! influencer page of a 300-creator run (sorted and searched views), the JSON API, and the page
//! of the run being written; the writer is the demo dataset run again and again (download from
//! the server itself, analysis, grouping, statistics) until the readers are done.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const READERS: usize = 50;
const REQUESTS_PER_READER: usize = 40;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let config = ips_server::config::Config {
        data_dir: dir.path().to_path_buf(),
        addr,
        models_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/../models").into(),
        demo: true,
        ..ips_server::config::Config::default()
    };
    let server = ips_server::web::build(&config)?;
    let jobs: Arc<dyn ips_app::ssr::JobControl> = server.jobs.clone();
    ips_server::demo::load_if_empty(&config, server.store.clone(), jobs.clone()).await?;
    let read_run = ips_core::testing::synthetic_run(&server.store, 300, 2, 3)?;
    let router = server.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });

    // The writer: the demo dataset (run 1 is already going) run again whenever the last ends.
    let done = Arc::new(AtomicBool::new(false));
    let runs_written = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (store, done, runs_written) = (server.store.clone(), done.clone(), runs_written.clone());
        tokio::spawn(async move {
            let mut current = 1;
            while !done.load(Ordering::SeqCst) {
                let status = store.run(current).map(|r| r.status);
                if matches!(status, Ok(s) if !s.is_active()) {
                    runs_written.fetch_add(1, Ordering::SeqCst);
                    current = store.create_run(1).expect("a new run");
                    jobs.submit(current);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };

    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
    let errors = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut readers = Vec::new();
    for reader in 0..READERS {
        let (client, errors) = (client.clone(), errors.clone());
        readers.push(tokio::spawn(async move {
            let mut times = Vec::with_capacity(REQUESTS_PER_READER);
            for i in 0..REQUESTS_PER_READER {
                let path = match (reader + i) % 5 {
                    0 => format!("/runs/{read_run}"),
                    1 => format!("/runs/{read_run}?sort=ads&dir=desc&page=3"),
                    2 => format!("/runs/{read_run}?q=creator+2"),
                    3 => format!("/api/runs/{read_run}"),
                    _ => "/runs/1".to_string(),
                };
                let t = Instant::now();
                let ok = match client.get(format!("http://{addr}{path}")).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok_and(|b| !b.is_empty()),
                    Err(_) => false,
                };
                times.push(t.elapsed());
                if !ok {
                    errors.fetch_add(1, Ordering::SeqCst);
                }
            }
            times
        }));
    }
    let mut times: Vec<Duration> = Vec::new();
    for reader in readers {
        times.extend(reader.await?);
    }
    let wall = started.elapsed();
    done.store(true, Ordering::SeqCst);
    writer.await?;
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "soak: {} requests by {READERS} concurrent readers in {wall:.1?} while {} runs were written; errors {}",
        times.len(),
        runs_written.load(Ordering::SeqCst),
        errors.load(Ordering::SeqCst)
    );
    println!("latency: p50 {:.1?}, p95 {:.1?}, p99 {:.1?}, max {:.1?}", at(0.5), at(0.95), at(0.99), at(1.0));
    anyhow::ensure!(errors.load(Ordering::SeqCst) == 0, "requests failed under load");
    Ok(())
}
