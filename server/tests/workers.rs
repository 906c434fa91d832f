//! Many machines, played on one: the store on a throwaway PostgreSQL, `ips run` leaving every
//! video to two `ips worker` processes (pgmq), compared with the embedded SQLite run.
#![cfg(feature = "postgres")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use ips_core::store::Store;
use ips_core::testing::{CorpusServer, KillOnDrop, TempPostgres, require_corpus};

/// `ips` with its data directory, the models, loopback downloads allowed and the Haar face
/// detector: what is tested here is the work's distribution, not faces, and Haar keeps a corpus
/// run short (about a minute in a debug build instead of several with the SSD).
fn ips(data: &Path) -> Command {
    let config = data.with_extension("toml");
    std::fs::write(&config, "[pipeline.faces]\ndetector = \"haar\"\n").unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_ips"));
    command
        .arg("--data-dir")
        .arg(data)
        .env("IPS_CONFIG", &config)
        .env("IPS_MODELS_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/../models"))
        // The corpus is served on loopback, which downloads may not reach by default.
        .env("IPS_ALLOW_HOSTS", "127.0.0.1")
        .env_remove("IPS_DATABASE_URL")
        .env_remove("FAILPOINTS")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

/// `ips run input --out report`, on PostgreSQL when `database_url` is given, with `env` set; its
/// stderr on failure.
fn ips_run(data: &Path, input: &Path, report: &Path, database_url: Option<&str>, env: &[(String, String)]) {
    let mut command = ips(data);
    command.arg("run").arg(input).arg("--out").arg(report).envs(env.iter().cloned());
    if let Some(url) = database_url {
        command.env("IPS_DATABASE_URL", url).arg("--embedded-worker").arg("false");
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "ips run: {}", String::from_utf8_lossy(&output.stderr));
}

/// `ips worker` on the database, with `env` set, its log going to `log`.
fn start_worker(
    data: &Path,
    database_url: &str,
    log: &Path,
    failpoints: Option<&str>,
    env: &[(String, String)],
) -> KillOnDrop {
    let mut command = ips(data);
    command
        .arg("worker")
        .envs(env.iter().cloned())
        .env("IPS_DATABASE_URL", database_url)
        .env("IPS_WORKERS", "1")
        // A killed worker's video comes back after 4 s instead of a minute.
        .env("IPS_QUEUE_VISIBILITY_S", "4");
    if let Some(failpoints) = failpoints {
        command.env("FAILPOINTS", failpoints);
    }
    // The log goes to stdout; errors to stderr: both into `log`.
    let file = std::fs::File::create(log).unwrap();
    command.stdout(file.try_clone().unwrap()).stderr(file).spawn().unwrap().into()
}

/// Stops a worker as a service manager would (SIGTERM) and returns its log.
fn stop_worker(mut worker: KillOnDrop, log: &Path) -> String {
    let status = Command::new("kill").arg("-TERM").arg(worker.id().to_string()).status().unwrap();
    assert!(status.success());
    let exit = worker.wait().unwrap();
    let log = std::fs::read_to_string(log).unwrap();
    assert!(exit.success(), "a worker stops cleanly on SIGTERM: {exit:?}\n{log}");
    log
}

/// The files a worker's log says it analysed to the end (`video worker: analysed …
/// file=<sha256>`; not those it found analysed already), in order.
fn analysed_in(log: &str) -> Vec<String> {
    log.lines()
        .filter(|line| line.contains("video worker: analysed"))
        .map(|line| {
            let hex: Vec<char> = line.chars().collect();
            (0..hex.len().saturating_sub(63))
                .map(|i| hex[i..i + 64].iter().collect::<String>())
                .find(|w| w.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()))
                .unwrap_or_else(|| panic!("no file hash in {line}"))
        })
        .collect()
}

/// Kills a process at once, as a crash or the OOM killer would.
fn kill_9(child: &mut Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

/// The corpus served on 127.0.0.1, a throwaway PostgreSQL with a database, and an input CSV of
/// the first `rows` corpus rows (all with `None`) in a temporary work directory.
struct Setup {
    corpus_dir: PathBuf,
    _corpus: CorpusServer,
    postgres: TempPostgres,
    database_url: String,
    _work: tempfile::TempDir,
    work: PathBuf,
    input: PathBuf,
}

async fn setup(rows: Option<usize>) -> Option<Setup> {
    let corpus_dir = require_corpus()?;
    let corpus = CorpusServer::start(&corpus_dir).await.unwrap();
    let postgres = TempPostgres::start().expect("a throwaway PostgreSQL starts");
    let database_url = postgres.create_database().unwrap();
    let temp = tempfile::tempdir().unwrap();
    let work = temp.path().to_path_buf();
    let csv: Vec<String> = corpus
        .rewritten_assignment_csv()
        .unwrap()
        .lines()
        .take(rows.map_or(usize::MAX, |n| n + 1))
        .map(str::to_string)
        .collect();
    let input = work.join("input.csv");
    std::fs::write(&input, csv.join("\n")).unwrap();
    Some(Setup { corpus_dir, _corpus: corpus, postgres, database_url, _work: temp, work, input })
}

fn distinct_files(store: &Store) -> usize {
    let run = store.runs_with_status(&[ips_core::store::RunStatus::Succeeded]).unwrap()[0];
    let files: std::collections::HashSet<String> =
        store.row_outcomes(run).unwrap().into_iter().filter_map(|o| o.sha256).collect();
    files.len()
}

/// Two workers on machines of their own (each its own data directory; videos, face crops and
/// stills shared through S3), one killed (SIGKILL) in the middle of the run's videos, then the
/// database restarted at once while the run goes on: the killed worker's video comes back after
/// the visibility timeout and the other worker finishes it, the run and the worker ride out the
/// restart; the report is the embedded SQLite run's, file for file, every file was analysed to
/// the end exactly once, and the run's data directory has every face crop the report names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_postgres_make_the_embedded_report_through_a_kill_and_a_database_restart() {
    let Some(setup) = setup(None).await else { return };
    let (postgres, database_url, work, input) = (&setup.postgres, &setup.database_url, &setup.work, &setup.input);

    let sqlite_report = work.join("report-sqlite");
    let embedded = tokio::task::spawn_blocking({
        let (work, input, report) = (work.clone(), input.clone(), sqlite_report.clone());
        move || ips_run(&work.join("data-sqlite"), &input, &report, None, &[])
    });
    embedded.await.unwrap();

    // Each worker has a data directory of its own, as on another machine: the media is in S3.
    let s3 = ips_core::testing::TempS3::start("ips-media").expect("moto_server starts (tools/setup.sh installs it)");
    let mut media_env = vec![("IPS_MEDIA_URL".to_string(), "s3://ips-media/test".to_string())];
    media_env.extend(s3.options().into_iter().map(|(key, value)| (key.to_ascii_uppercase(), value)));
    let data = work.join("data-postgres");
    let logs = [work.join("worker-1.log"), work.join("worker-2.log")];
    let mut workers: Vec<KillOnDrop> = logs
        .iter()
        .map(|log| start_worker(&log.with_extension("data"), &database_url, log, None, &media_env))
        .collect();
    let postgres_report = work.join("report-postgres");
    let run = tokio::task::spawn_blocking({
        let (data, input, report, url) = (data.clone(), input.clone(), postgres_report.clone(), database_url.clone());
        let env = media_env.clone();
        move || ips_run(&data, &input, &report, Some(&url), &env)
    });
    // Once the first worker has analysed two files, it is in the middle of a third: kill it.
    let killed = tokio::task::spawn_blocking({
        let (log, mut victim) = (logs[0].clone(), workers.remove(0));
        move || {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
            while analysed_in(&std::fs::read_to_string(&log).unwrap()).len() < 2 {
                assert!(std::time::Instant::now() < deadline, "the first worker analyses two files");
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            kill_9(&mut victim);
            analysed_in(&std::fs::read_to_string(&log).unwrap())
        }
    });
    let before_kill = killed.await.unwrap();
    assert!(!run.is_finished(), "the run was still analysing when the worker was killed");
    postgres.restart().expect("the database restarts");
    run.await.unwrap();
    let survivor = stop_worker(workers.remove(0), &logs[1]);

    for file in ["ads.csv", "videos.csv", "creators.csv"] {
        let expected = std::fs::read_to_string(sqlite_report.join(file)).unwrap();
        assert!(expected.lines().count() > 1, "{file} has lines");
        if file == "ads.csv" {
            assert_eq!(expected.lines().count(), 269, "a header and every corpus row");
        }
        assert_eq!(std::fs::read_to_string(postgres_report.join(file)).unwrap(), expected, "{file}");
    }
    let store = Store::connect(&database_url).unwrap();
    let mut analysed = before_kill.clone();
    analysed.extend(analysed_in(&survivor));
    let distinct: std::collections::HashSet<&String> = analysed.iter().collect();
    assert_eq!(analysed.len(), distinct.len(), "no file analysed to the end twice: {analysed:?}");
    assert_eq!(distinct.len(), distinct_files(&store), "every file analysed");
    assert!(before_kill.len() >= 2, "the killed worker took part: {before_kill:?}");

    // The run's machine analysed nothing, yet has every face crop the report names, from S3.
    let run_data = |dir: &str| data.join(dir).read_dir().map_or(0, |files| files.count());
    assert_eq!(run_data("tmp"), 0, "no analysis scratch left on the run's machine");
    let creators = std::fs::read_to_string(postgres_report.join("creators.csv")).unwrap();
    // Its `face_file` cells: `faces/<sha256>.jpg`, a path under the data directory too.
    let faces: Vec<&str> = creators.split([',', '\n']).filter(|cell| cell.ends_with(".jpg")).collect();
    assert!(!faces.is_empty(), "creators.csv names face crops: {creators}");
    for face in faces {
        assert!(data.join(face).is_file(), "{face} brought home to the run's data directory");
    }
    assert!(run_data("stills") > 0, "and the stills");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poisoned_video_is_given_up_with_its_reason_and_the_run_finishes() {
    let Some(setup) = setup(Some(3)).await else { return };
    let (dir, database_url, work, input) = (&setup.corpus_dir, &setup.database_url, &setup.work, &setup.input);
    // The first row's file is poisoned (routes.csv: URL path → file).
    let first_row = std::fs::read_to_string(&input).unwrap().lines().nth(1).unwrap().to_string();
    let routes = std::fs::read_to_string(dir.join("routes.csv")).unwrap();
    let file = routes
        .lines()
        .filter_map(|line| line.split_once(','))
        .find(|(path, _)| first_row.ends_with(path))
        .map(|(_, file)| file.to_string())
        .expect("the first row's URL is routed");
    let poisoned = ips_core::hash::sha256_hex(&std::fs::read(dir.join(file)).unwrap());

    let data = work.join("data");
    let log = work.join("worker.log");
    // This worker shares the run's data directory (one machine, no media store).
    let failpoints = format!("poisoned-video=return({poisoned})");
    let worker = start_worker(&data, &database_url, &log, Some(&failpoints), &[]);
    tokio::task::spawn_blocking({
        let (data, input, report, url) = (data.clone(), input.clone(), work.join("report"), database_url.clone());
        move || ips_run(&data, &input, &report, Some(&url), &[])
    })
    .await
    .unwrap();
    stop_worker(worker, &log);

    let store = Store::connect(&database_url).unwrap();
    let run = store.runs_with_status(&[ips_core::store::RunStatus::Succeeded]).unwrap()[0];
    let outcomes = store.row_outcomes(run).unwrap();
    let failed: Vec<_> = outcomes.iter().filter(|o| o.sha256.as_deref() == Some(poisoned.as_str())).collect();
    assert!(!failed.is_empty(), "the poisoned file is one of the run's: {outcomes:?}");
    for row in failed {
        assert_eq!(row.status, ips_core::store::RowStatus::Failed);
        assert_eq!(
            row.detail.as_deref(),
            Some("worker gave up after 3 tries: this video always fails (fault injected)"),
            "row {}",
            row.row
        );
    }
    assert!(
        outcomes.iter().any(|o| o.sha256.as_deref() != Some(poisoned.as_str()) && !o.status.is_problem()),
        "the other rows were analysed: {outcomes:?}"
    );
}
