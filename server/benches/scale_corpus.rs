//! `make bench-scale`, second half: the replay corpus (268 rows, 75 files, the default SSD face
//! detector) run cold by `ips run` three ways, timed wall to wall:
//! - embedded: SQLite, one process analysing on all its cores (the default);
//! - PostgreSQL + pgmq with N = 1 and N = 2 `ips worker` processes of one analysis thread each
//!   (`IPS_WORKERS=1`), each with a data directory of its own and the media in a local S3
//!   (moto), as workers on other one-core machines would be; `ips run --embedded-worker false`.
//!
//! Every way's report (`ads.csv`, `videos.csv`, `creators.csv`) must equal the embedded run's.
//! Prints a table of wall times. The corpus is `../shared/corpus` or `IPS_CORPUS_DIR`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ips_core::testing::{CorpusServer, KillOnDrop, TempPostgres, TempS3};

const REPORT_FILES: [&str; 3] = ["ads.csv", "videos.csv", "creators.csv"];

fn ips(data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ips"));
    command
        .arg("--data-dir")
        .arg(data)
        .env("IPS_MODELS_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/../models"))
        // The corpus is served on loopback, which downloads may not reach by default.
        .env("IPS_ALLOW_HOSTS", "127.0.0.1")
        .env_remove("IPS_DATABASE_URL")
        .env_remove("IPS_WORKERS")
        .env("RUST_LOG", "warn")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

/// One way of running the corpus: how many worker processes (none: embedded).
struct Way {
    name: &'static str,
    workers: usize,
}

struct Timed {
    wall: Duration,
    report: PathBuf,
}

fn run_way(way: &Way, work: &Path, input: &Path, postgres: &TempPostgres, s3: &TempS3) -> anyhow::Result<Timed> {
    let dir = work.join(way.name.replace(' ', "-"));
    let report = dir.join("report");
    let mut run = ips(&dir.join("data"));
    run.arg("run").arg(input).arg("--out").arg(&report).stdout(Stdio::null());
    std::fs::create_dir_all(&dir)?;
    let mut workers: Vec<KillOnDrop> = Vec::new();
    if way.workers > 0 {
        let url = postgres.create_database()?;
        let mut media = vec![("IPS_MEDIA_URL".to_string(), format!("s3://ips-media/{}", way.name.replace(' ', "-")))];
        media.extend(s3.options().into_iter().map(|(key, value)| (key.to_ascii_uppercase(), value)));
        run.env("IPS_DATABASE_URL", &url).arg("--embedded-worker").arg("false").envs(media.iter().cloned());
        for n in 0..way.workers {
            let log = std::fs::File::create(dir.join(format!("worker-{n}.log")))?;
            let mut worker = ips(&dir.join(format!("worker-{n}")));
            worker
                .arg("worker")
                .env("IPS_DATABASE_URL", &url)
                .env("IPS_WORKERS", "1")
                .envs(media.iter().cloned())
                .stdout(log.try_clone()?)
                .stderr(log);
            workers.push(worker.spawn()?.into());
        }
    }
    let started = Instant::now();
    let output = run.output()?;
    let wall = started.elapsed();
    anyhow::ensure!(
        output.status.success(),
        "{}: ips run failed: {}",
        way.name,
        String::from_utf8_lossy(&output.stderr)
    );
    drop(workers);
    Ok(Timed { wall, report })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let Some(corpus_dir) = ips_core::testing::require_corpus() else {
        println!("scale_corpus: no replay corpus (../shared/corpus or IPS_CORPUS_DIR): nothing measured");
        return Ok(());
    };
    let corpus = CorpusServer::start(&corpus_dir).await?;
    let postgres = TempPostgres::start()?;
    let s3 = TempS3::start("ips-media").map_err(anyhow::Error::msg)?;
    let work = tempfile::tempdir()?;
    let input = work.path().join("input.csv");
    std::fs::write(&input, corpus.rewritten_assignment_csv()?)?;

    let ways = [
        Way { name: "embedded", workers: 0 },
        Way { name: "1 worker", workers: 1 },
        Way { name: "2 workers", workers: 2 },
    ];
    println!(
        "The replay corpus ({} rows), cold, release build; {} cores",
        std::fs::read_to_string(&input)?.lines().count() - 1,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| way | worker processes × analysis threads | wall (s) | speed-up over 1 worker | report as embedded |");
    println!("| --- | ---: | ---: | ---: | --- |");
    let mut embedded: Option<PathBuf> = None;
    let mut one_worker: Option<Duration> = None;
    for way in &ways {
        let (work, input) = (work.path().to_path_buf(), input.clone());
        let timed = tokio::task::block_in_place(|| run_way(way, &work, &input, &postgres, &s3))?;
        let same = match &embedded {
            None => "(itself)".to_string(),
            Some(reference) => {
                for file in REPORT_FILES {
                    let expected = std::fs::read_to_string(reference.join(file))?;
                    let got = std::fs::read_to_string(timed.report.join(file))?;
                    anyhow::ensure!(got == expected, "{}: {file} differs from the embedded run's", way.name);
                }
                "identical".to_string()
            }
        };
        if way.workers == 1 {
            one_worker = Some(timed.wall);
        }
        let speed_up = match (way.workers, one_worker) {
            (0, _) | (_, None) => "–".to_string(),
            (_, Some(one)) => format!("{:.2}×", one.as_secs_f64() / timed.wall.as_secs_f64()),
        };
        let shape = if way.workers == 0 { "embedded, all cores".to_string() } else { format!("{} × 1", way.workers) };
        println!("| {} | {shape} | {:.1} | {speed_up} | {same} |", way.name, timed.wall.as_secs_f64());
        embedded.get_or_insert(timed.report);
    }
    Ok(())
}
