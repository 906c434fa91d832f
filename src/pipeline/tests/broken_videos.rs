//! Videos that download fine but are broken or unusual inside: the run still finishes, a video
//! whose index sits at its end (not "faststart") is read like any other, and a row whose video
//! cannot be decoded says so, with the reason, instead of passing as downloaded.

use axum::body::Bytes;

use super::*;
use crate::report;

/// The top-level MP4 box types, in file order.
fn top_level_boxes(bytes: &[u8]) -> Vec<String> {
    let mut boxes = Vec::new();
    let mut at = 0usize;
    while at + 8 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        boxes.push(String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned());
        if size < 8 {
            break;
        }
        at += size;
    }
    boxes
}

/// The same video with its index moved to the front, as `ffmpeg -movflags +faststart` does.
fn faststart(dir: &std::path::Path, source: &std::path::Path) -> Vec<u8> {
    let out = dir.join("faststart.mp4");
    let status = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(source)
        .args(["-c", "copy", "-movflags", "+faststart"])
        .arg(&out)
        .status()
        .expect("ffmpeg (installed by `make test`'s set-up) remuxes the test video");
    assert!(status.success());
    std::fs::read(out).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_and_non_faststart_videos_each_end_with_a_precise_row_status() {
    let dir = tempfile::tempdir().unwrap();
    let moov_last = test_video(dir.path(), "moov-last.mp4", 70.0);
    let moov_first = faststart(dir.path(), &dir.path().join("moov-last.mp4"));
    let (last, first) = (top_level_boxes(&moov_last), top_level_boxes(&moov_first));
    let position = |boxes: &[String], kind: &str| boxes.iter().position(|b| b == kind).unwrap();
    assert!(position(&last, "moov") > position(&last, "mdat"), "OpenCV writes the index last: {last:?}");
    assert!(position(&first, "moov") < position(&first, "mdat"), "{first:?}");
    // Cut before its index: nothing can be decoded.
    let truncated = moov_last[..moov_last.len() * 6 / 10].to_vec();
    // An MP4 head and then noise.
    let mut corrupt = moov_first[..32].to_vec();
    corrupt.extend((0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));

    let route = |bytes: Vec<u8>| {
        let bytes = Bytes::from(bytes);
        get(move || {
            let bytes = bytes.clone();
            async move { ([(axum::http::header::CONTENT_TYPE, "video/mp4")], bytes) }
        })
    };
    let app = Router::new()
        .route("/moov-last.mp4", route(moov_last))
        .route("/faststart.mp4", route(moov_first))
        .route("/truncated.mp4", route(truncated))
        .route("/corrupt.mp4", route(corrupt));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let store = Store::open(dir.path()).unwrap();
    let csv = format!(
        "Performance,Video URL\n1.0,{base}/moov-last.mp4\n2.0,{base}/faststart.mp4\n3.0,{base}/truncated.mp4\n4.0,{base}/corrupt.mp4\n"
    );
    let sheet = parse_sheet(csv.as_bytes()).unwrap();
    let new = NewDataset { name: "broken.csv", sha256: "b", size_bytes: csv.len() as u64, is_demo: false };
    let dataset = store.insert_dataset(&new, &sheet).unwrap();
    let run = store.create_run(dataset).unwrap();
    assert_eq!(execute_in_background(dir.path(), run).await, Ok(Outcome::Succeeded), "the run finishes");

    let outcomes = store.row_outcomes(run).unwrap();
    let statuses: Vec<&str> = outcomes.iter().map(|o| o.status.word()).collect();
    assert_eq!(statuses, ["downloaded", "downloaded", "unreadable", "unreadable"]);
    for broken in &outcomes[2..] {
        let reason = broken.detail.as_deref().unwrap_or_default();
        assert!(!reason.is_empty(), "row {} says why: {broken:?}", broken.row);
    }
    let grouping = store.grouping(run).unwrap();
    assert_eq!(
        grouping.video_of_row[&2], grouping.video_of_row[&3],
        "the same pictures, index first or last: one unique video"
    );

    // Nothing dropped: every row is in the report, the broken ones with their reason.
    let data = report::load(&store, run).unwrap();
    assert_eq!(data.ads.len(), 4);
    assert!(
        data.ads.iter().filter(|a| a.status.to_string().starts_with("unreadable: ")).count() == 2,
        "{:?}",
        data.ads
    );
    let counted: u32 = store.stats(run, StatsLevel::Creator).unwrap().iter().map(|s| s.ads).sum();
    assert_eq!(counted, 4, "every ad is counted in the creators' statistics");
    let events: Vec<String> = store.events(run).unwrap().into_iter().map(|e| e.message).collect();
    assert!(events.iter().any(|m| m.ends_with("; 2 could not be read")), "{events:?}");
}
