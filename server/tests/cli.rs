//! `ips run`: the headless pipeline writes its report files and exits 0 even when some rows fail.

use std::process::Command;

use ips_core::testing::{CorpusServer, require_corpus};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ips_run_writes_ads_videos_and_creators() {
    let Some(dir) = require_corpus() else { return };
    let corpus = CorpusServer::start(&dir).await.unwrap();
    let work = tempfile::tempdir().unwrap();
    // The first 20 corpus rows, one row with a bad score and one URL that answers 404.
    let mut csv: Vec<String> =
        corpus.rewritten_assignment_csv().unwrap().lines().take(21).map(str::to_string).collect();
    csv.push(format!("abc,{}/facebook-assets/hd-1", corpus.base_url()));
    csv.push(format!("1.5,{}/facebook-assets/no-such-video", corpus.base_url()));
    let input = work.path().join("input.csv");
    std::fs::write(&input, csv.join("\n")).unwrap();
    let out = work.path().join("report");

    let status = tokio::task::spawn_blocking({
        let (input, out, data) = (input.clone(), out.clone(), work.path().join("data"));
        move || {
            Command::new(env!("CARGO_BIN_EXE_ips"))
                .arg("--data-dir")
                .arg(&data)
                .arg("run")
                .arg(&input)
                .arg("--out")
                .arg(&out)
                .env("IPS_MODELS_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/../models"))
                // The corpus is served on loopback, which downloads may not reach by default.
                .env("IPS_ALLOW_HOSTS", "127.0.0.1")
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert!(status.success(), "a run with failed rows still exits 0");

    let ads = std::fs::read_to_string(out.join("ads.csv")).unwrap();
    let lines: Vec<&str> = ads.lines().collect();
    assert_eq!(
        lines[0],
        "row,video_url,performance,spend,impressions,date,campaign,ad_name,creator_handle,status,video_id,creator_id,creator,hook_family"
    );
    assert_eq!(lines.len(), 1 + 22, "one line per input row, rejected rows included");
    let rows: Vec<u32> = lines[1..].iter().map(|l| l.split(',').next().unwrap().parse().unwrap()).collect();
    assert_eq!(rows, (2..=23).collect::<Vec<u32>>(), "in input order");
    assert!(lines[21].contains("rejected: Performance: not a number: 'abc'"), "{}", lines[21]);
    assert!(lines[22].contains("failed: HTTP 404"), "{}", lines[22]);
    assert!(lines[1].contains(",downloaded,"), "{}", lines[1]);

    let creators = std::fs::read_to_string(out.join("creators.csv")).unwrap();
    assert!(creators.starts_with("creator_id,label,face_file,unique_videos,ads,mean,"), "{creators}");
    for face in creators.lines().skip(1).filter_map(|l| l.split(',').nth(2)).filter(|f| !f.is_empty()) {
        assert!(out.join(face).is_file(), "{face} is in the report folder");
    }
    let videos = std::fs::read_to_string(out.join("videos.csv")).unwrap();
    assert!(videos.starts_with("video_id,first_url,urls,sha256,creator_id,creator,hook_family,ads,mean,"), "{videos}");

    // Each video's and each creator's ads and mean are those of the ads.csv lines naming it.
    let ads = table(&ads);
    let videos = table(&videos);
    let creators = table(&creators);
    let counted = ads.iter().filter(|a| !a["video_id"].is_empty()).count();
    assert_eq!(counted, 20, "the 20 corpus rows have a video; the rejected and the failed row none");
    assert_eq!(videos.iter().map(|v| v["ads"].parse::<usize>().unwrap()).sum::<usize>(), counted);
    for (list, key) in [(&videos, "video_id"), (&creators, "creator_id")] {
        for line in list.iter().filter(|l| !l[key].is_empty()) {
            let perfs: Vec<f64> =
                ads.iter().filter(|a| a[key] == line[key]).map(|a| a["performance"].parse().unwrap()).collect();
            assert_eq!(line["ads"].parse::<usize>().unwrap(), perfs.len(), "{key} {}", line[key]);
            let mean = perfs.iter().sum::<f64>() / perfs.len() as f64;
            assert!((line["mean"].parse::<f64>().unwrap() - mean).abs() < 1e-9, "{key} {}: {line:?}", line[key]);
        }
    }
}

/// The store on PostgreSQL (`IPS_DATABASE_URL`) gives the same report as on SQLite, file for
/// file, on the first 20 corpus rows.
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ips_run_on_postgres_writes_the_same_report_as_on_sqlite() {
    let Some(dir) = require_corpus() else { return };
    let corpus = CorpusServer::start(&dir).await.unwrap();
    let postgres = ips_core::testing::TempPostgres::start().expect("a throwaway PostgreSQL starts");
    let database_url = postgres.create_database().unwrap();
    let work = tempfile::tempdir().unwrap();
    let csv: Vec<String> = corpus.rewritten_assignment_csv().unwrap().lines().take(21).map(str::to_string).collect();
    let input = work.path().join("input.csv");
    std::fs::write(&input, csv.join("\n")).unwrap();

    let run = |name: &'static str, database_url: Option<String>| {
        let (input, work) = (input.clone(), work.path().to_path_buf());
        tokio::task::spawn_blocking(move || {
            let mut command = Command::new(env!("CARGO_BIN_EXE_ips"));
            command
                .arg("--data-dir")
                .arg(work.join(format!("data-{name}")))
                .arg("run")
                .arg(&input)
                .arg("--out")
                .arg(work.join(format!("report-{name}")))
                .env("IPS_MODELS_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/../models"))
                .env("IPS_ALLOW_HOSTS", "127.0.0.1")
                .env_remove("IPS_DATABASE_URL")
                .current_dir(env!("CARGO_MANIFEST_DIR"));
            if let Some(url) = database_url {
                command.env("IPS_DATABASE_URL", url);
            }
            let output = command.output().unwrap();
            assert!(output.status.success(), "{name}: {}", String::from_utf8_lossy(&output.stderr));
            work.join(format!("report-{name}"))
        })
    };
    let sqlite = run("sqlite", None).await.unwrap();
    let on_postgres = run("postgres", Some(database_url.clone())).await.unwrap();
    for file in ["ads.csv", "videos.csv", "creators.csv"] {
        let expected = std::fs::read_to_string(sqlite.join(file)).unwrap();
        assert!(expected.lines().count() > 1, "{file} has lines");
        assert_eq!(std::fs::read_to_string(on_postgres.join(file)).unwrap(), expected, "{file}");
    }
    // The run is in PostgreSQL, not in a SQLite file of the data dir.
    assert!(!work.path().join("data-postgres").join(ips_core::store::DB_FILE).exists());
    let store = ips_core::store::Store::connect(&database_url).unwrap();
    assert_eq!(store.list_datasets().unwrap().len(), 1);
}

/// A CSV file as one map per line, by column name (fields may be quoted, with `""` inside).
fn table(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut lines = text.lines().map(fields);
    let header = lines.next().unwrap();
    lines.map(|cells| header.iter().cloned().zip(cells).collect()).collect()
}

fn fields(line: &str) -> Vec<String> {
    let (mut out, mut cell, mut quoted, mut chars) = (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cell)),
            _ => cell.push(c),
        }
    }
    out.push(cell);
    out
}

#[test]
fn ips_run_fails_on_an_unreadable_file() {
    let work = tempfile::tempdir().unwrap();
    let input = work.path().join("empty.csv");
    std::fs::write(&input, "").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ips"))
        .arg("--data-dir")
        .arg(work.path().join("data"))
        .args(["run"])
        .arg(&input)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("The file is empty."), "{stderr}");
}

/// A file whose every row is refused: each row's problems are printed, nothing is analysed, and
/// the exit status says the run did not happen.
#[test]
fn ips_run_stops_with_the_problems_when_every_row_is_rejected() {
    let work = tempfile::tempdir().unwrap();
    let input = work.path().join("bad.csv");
    std::fs::write(&input, "video_url,roas\nhttps://a.example/1.mp4,abc\n,2\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ips"))
        .arg("--data-dir")
        .arg(work.path().join("data"))
        .arg("run")
        .arg(&input)
        .arg("--out")
        .arg(work.path().join("report"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("row 2 (roas): not a number: 'abc'"), "{stderr}");
    assert!(stderr.contains("row 3 (video_url): missing video URL"), "{stderr}");
    assert!(stderr.contains("no row of") && stderr.contains("bad.csv can be analysed"), "{stderr}");
    assert!(!work.path().join("report").exists(), "no report for a run that did not happen");
}
