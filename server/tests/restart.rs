//! Kill the server with SIGKILL three times in one corpus run — while it downloads, while it
//! decodes, and while it writes the clustering — start it again each time, and check that the run
//! finishes without downloading or decoding again what was already done, with the same report as
//! an uninterrupted run of the same input.
//! Skipped, visibly, when the replay corpus is absent.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ips_core::store::{RunStatus, Store};
use ips_core::testing::{CorpusServer, KillOnDrop, require_corpus};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// What is tested here is resuming, not faces: the Haar detector keeps the corpus run short
/// (about a minute instead of several with the SSD).
/// `failpoints`: the `FAILPOINTS` of this start (see `ips_core::faults`), if any.
fn start_server(data_dir: &std::path::Path, port: u16, failpoints: Option<&str>) -> KillOnDrop {
    let config = data_dir.join("ips.toml");
    std::fs::write(&config, "[pipeline.faces]\ndetector = \"haar\"\n").unwrap();
    Command::new(env!("CARGO_BIN_EXE_ips"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(data_dir)
        .env("IPS_CONFIG", &config)
        .env("IPS_DEMO", "false")
        // The corpus is served on loopback, which downloads may not reach by default.
        .env("IPS_ALLOW_HOSTS", "127.0.0.1")
        .env("RUST_LOG", "warn")
        .env("IPS_MODELS_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/../models"))
        .env("FAILPOINTS", failpoints.unwrap_or_default())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::null())
        .spawn()
        .expect("start ips")
        .into()
}

/// SIGKILL: no chance to clean up.
fn kill(server: &mut Child) {
    server.kill().unwrap();
    server.wait().unwrap();
}

async fn wait_until_up(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while reqwest::get(format!("http://127.0.0.1:{port}/")).await.is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls the store (read side, WAL) until `done` holds or the deadline passes.
async fn wait_for(store: &Store, run: i64, what: &str, secs: u64, done: impl Fn(&ips_core::store::Run) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Ok(r) = store.run(run)
            && done(&r)
        {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn query<T: rusqlite::types::FromSql>(data_dir: &std::path::Path, sql: &str) -> Vec<T> {
    let conn = rusqlite::Connection::open(data_dir.join("ips.sqlite3")).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

fn analysis_times(data_dir: &std::path::Path) -> Vec<(String, i64)> {
    let conn = rusqlite::Connection::open(data_dir.join("ips.sqlite3")).unwrap();
    let mut stmt = conn.prepare("SELECT sha256, analysed_at_ms FROM video_analyses ORDER BY sha256").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
}

/// Half-written downloads in the video cache's scratch directory.
fn partial_downloads(data_dir: &std::path::Path) -> usize {
    std::fs::read_dir(data_dir.join("videos/tmp"))
        .map(|dir| dir.filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "part"))).count())
        .unwrap_or(0)
}

/// Whether some connection holds SQLite's write lock now (an open write transaction).
fn write_transaction_open(data_dir: &std::path::Path) -> bool {
    let conn = rusqlite::Connection::open(data_dir.join("ips.sqlite3")).unwrap();
    conn.busy_timeout(Duration::ZERO).unwrap();
    match conn.execute_batch("BEGIN IMMEDIATE; ROLLBACK;") {
        Ok(()) => false,
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DatabaseBusy => true,
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_while_downloading_decoding_and_clustering_resumes_and_ends_with_the_uninterrupted_report() {
    let Some(dir) = require_corpus() else { return };
    let corpus = CorpusServer::start(&dir).await.unwrap();
    // Half of each video, then a pause: a kill leaves half-written files behind.
    corpus.set_delay(Duration::from_millis(200));
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = start_server(data.path(), port, None);
    wait_until_up(port).await;

    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::text(corpus.rewritten_assignment_csv().unwrap()).file_name("assignment.csv"),
    );
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = client.post(format!("http://127.0.0.1:{port}/upload")).multipart(form).send().await.unwrap();
    // The upload goes to its mapping step; starting it with the detected columns stores the
    // dataset and queues the run.
    let mapping = response.headers()["location"].to_str().unwrap().to_string();
    assert!(mapping.starts_with("/uploads/") && mapping.ends_with("?name=assignment.csv"), "{mapping}");
    let start = format!("http://127.0.0.1:{port}{}/start", mapping.split('?').next().unwrap());
    let response = client.post(start).form(&[("name", "assignment.csv")]).send().await.unwrap();
    assert_eq!(response.headers()["location"], "/datasets/1");
    let store = Store::open(data.path()).unwrap();

    // 1. Killed while downloading.
    let fetching = |r: &ips_core::store::Run| r.stage.as_deref() == Some("fetch") && r.done >= 60;
    wait_for(&store, 1, "60 URLs fetched", 120, fetching).await;
    kill(&mut server);
    let fetched_before: Vec<String> = query(data.path(), "SELECT url FROM url_fetches");
    assert!((60..268).contains(&fetched_before.len()), "{} URLs fetched", fetched_before.len());
    assert!(partial_downloads(data.path()) > 0, "the kill came midway through some downloads");

    // 2. Killed while decoding.
    corpus.set_delay(Duration::ZERO);
    let mut server = start_server(data.path(), port, None);
    wait_until_up(port).await;
    wait_for(&store, 1, "10 videos analysed", 240, |r| r.stage.as_deref() == Some("analyse") && r.done >= 10).await;
    assert_eq!(partial_downloads(data.path()), 0, "the restart removed the dead process's half-written files");
    kill(&mut server);
    let hits_before = corpus.total_hits();
    assert!((268..=272).contains(&hits_before), "every URL once, and again only the ≤ 4 cut off: {hits_before}");
    for url in &fetched_before {
        let path = url::Url::parse(url).unwrap().path().to_string();
        assert_eq!(corpus.hits(&path), 1, "{url} was fetched before the kill, so not again");
    }
    let analysed_before = analysis_times(data.path());
    assert!(analysed_before.len() >= 10 && analysed_before.len() < 75, "{} analysed", analysed_before.len());

    // 3. Killed while writing the clustering: a fail point holds the write transaction open.
    let mut server = start_server(data.path(), port, Some("save-grouping=sleep(600000)"));
    wait_until_up(port).await;
    wait_for(&store, 1, "the group stage", 300, |r| r.stage.as_deref() == Some("group")).await;
    // The stage clusters before it writes: a minute here, more on a loaded CI machine (a CI run
    // once needed more than 60 s).
    let (group_started, deadline) = (Instant::now(), Instant::now() + Duration::from_secs(300));
    while !write_transaction_open(data.path()) {
        assert!(
            Instant::now() < deadline,
            "the grouping's write transaction never opened ({:?} after the stage began)",
            group_started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("the grouping's write transaction opened {:?} after the stage began", group_started.elapsed());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(write_transaction_open(data.path()), "held open by the fail point");
    kill(&mut server);
    let saved: Vec<i64> = query(data.path(), "SELECT COUNT(*) FROM run_videos WHERE run_id = 1");
    assert_eq!(saved, [0], "the half-written grouping was rolled back, not left half there");
    let analysed_at_kill = analysis_times(data.path());
    assert_eq!(analysed_at_kill.len(), 75);

    // 4. Left to finish.
    let mut server = start_server(data.path(), port, None);
    wait_until_up(port).await;
    wait_for(&store, 1, "the resumed run to succeed", 300, |r| r.status == RunStatus::Succeeded).await;
    let export = |file: &str| {
        let url = format!("http://127.0.0.1:{port}/runs/1/export/{file}");
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    };
    let (resumed_ads, resumed_creators) = (export("ads.csv").await, export("creators.csv").await);
    kill(&mut server);

    assert_eq!(corpus.total_hits(), hits_before, "nothing downloaded again");
    for (sha, at) in &analysed_before {
        let after = analysed_at_kill.iter().find(|(s, _)| s == sha).unwrap();
        assert_eq!(after.1, *at, "video {sha} was decoded again after the second kill");
    }
    assert_eq!(analysis_times(data.path()), analysed_at_kill, "nothing decoded again after the third");
    let events: Vec<String> = store.events(1).unwrap().into_iter().map(|e| e.message).collect();
    assert_eq!(events.iter().filter(|m| m.starts_with("Interrupted")).count(), 3, "{events:?}");
    assert!(events.iter().any(|m| m == "Stage analyse: already done, skipped"), "{events:?}");
    let grouping = store.grouping(1).unwrap();
    assert_eq!(grouping.videos.iter().map(|v| v.sha256s.len()).sum::<usize>(), 75, "every file in one video");

    // The same input, uninterrupted, in a fresh data directory (the CLI): the same report.
    let fresh = tempfile::tempdir().unwrap();
    let input = fresh.path().join("assignment.csv");
    std::fs::write(&input, corpus.rewritten_assignment_csv().unwrap()).unwrap();
    let config = fresh.path().join("ips.toml");
    std::fs::write(&config, "[pipeline.faces]\ndetector = \"haar\"\n").unwrap();
    let out = fresh.path().join("report");
    let status = tokio::task::spawn_blocking({
        let (input, out, data) = (input.clone(), out.clone(), fresh.path().join("data"));
        move || {
            Command::new(env!("CARGO_BIN_EXE_ips"))
                .arg("--data-dir")
                .arg(&data)
                .arg("run")
                .arg(&input)
                .arg("--out")
                .arg(&out)
                .env("IPS_CONFIG", &config)
                .env("IPS_ALLOW_HOSTS", "127.0.0.1")
                .env("IPS_MODELS_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/../models"))
                .env("RUST_LOG", "warn")
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .stdout(Stdio::null())
                .status()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert!(status.success());
    let uninterrupted_ads = std::fs::read_to_string(out.join("ads.csv")).unwrap();
    assert_eq!(resumed_ads.lines().count(), 269, "a header and all 268 rows");
    assert_eq!(resumed_ads, uninterrupted_ads, "the killed-and-resumed run's ads.csv is the uninterrupted one's");
    assert_eq!(resumed_creators, std::fs::read_to_string(out.join("creators.csv")).unwrap(), "and so are its creators");
}
