//! Benchmark: real-size ads, as ad platforms serve them (1080 × 1920, 30 fps, 30 s, H.264 with a
//! keyframe every 250 frames). The corpus's files are 360 × 640; this bench makes its own
//! real-size clips from some of them with ffmpeg (looped to 30 s and scaled up; made once and
//! kept in the target directory, not timed), serves them on 127.0.0.1 and runs the whole
//! pipeline on them from a cold cache. It prints ads per minute and the decode share: how much
//! of the run a plain single-threaded ffmpeg decode of the same files, spread over the cores,
//! would take, and the same for the referenced pictures only (IPS leaves the others undecoded).
//! Run with `make bench` (release build).
//!
//! `IPS_REAL_SIZE_ADS` sets how many ads (default 6, at most 20).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use ips_core::ingest::parse_sheet;
use ips_core::pipeline::{self, CancelFlag, Context, PipelineSettings};
use ips_core::store::{NewDataset, Store};
use ips_core::testing::{CorpusServer, corpus_dir};

/// Corpus files the clips are made from: different ads (none a copy of another), in the
/// corpus's order, so as mixed as it is: of the first six, two show their creator (c02, c03),
/// the others a product with faces printed on it, which the detector works on all the same.
const SOURCES: [&str; 20] = [
    "c00", "c01", "c02", "c03", "c05", "c06", "c07", "c08", "c09", "c10", "c11", "c12", "c13", "c14", "c15", "c17",
    "c18", "c19", "c20", "c21",
];
const SECONDS: u32 = 30;

/// Makes (once) `dir/videos/<name>.mp4`, a real-size clip of the corpus file `name`.
fn real_size_clip(corpus: &Path, dir: &Path, name: &str) -> PathBuf {
    let out = dir.join("videos").join(format!("{name}.mp4"));
    if out.is_file() {
        return out;
    }
    std::fs::create_dir_all(out.parent().expect("videos dir")).expect("clip directory");
    let partial = out.with_extension("partial.mp4");
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-stream_loop", "-1", "-i"])
        .arg(corpus.join("videos").join(format!("{name}.mp4")))
        .args(["-t", &SECONDS.to_string(), "-vf", "scale=1080:1920:flags=bicubic,fps=30"])
        .args(["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"])
        .args(["-g", "250", "-keyint_min", "250", "-sc_threshold", "0", "-c:a", "aac", "-b:a", "96k"])
        .arg(&partial)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg could not make the real-size clip of {name}");
    std::fs::rename(&partial, &out).expect("clip in place");
    out
}

/// Seconds a plain single-threaded ffmpeg decode of `path`'s video takes; with `skip_noref`,
/// of its referenced pictures only (what sampling decodes: src/frames/pictures.rs).
fn plain_decode_s(path: &Path, skip_noref: bool) -> f64 {
    let started = Instant::now();
    let skip: &[&str] = if skip_noref { &["-skip_frame", "noref"] } else { &[] };
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-threads", "1"])
        .args(skip)
        .arg("-i")
        .arg(path)
        .args(["-an", "-f", "null", "-"])
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg could not decode {}", path.display());
    started.elapsed().as_secs_f64()
}

fn main() {
    let Some(corpus) = corpus_dir() else {
        eprintln!("SKIPPED: the replay corpus (../shared/corpus) is absent");
        return;
    };
    let count: usize = std::env::var("IPS_REAL_SIZE_ADS").ok().and_then(|v| v.parse().ok()).unwrap_or(6);
    let names = &SOURCES[..count.clamp(1, SOURCES.len())];
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("real-size-ads");
    let clips: Vec<PathBuf> = names.iter().map(|name| real_size_clip(&corpus, &dir, name)).collect();

    // The same layout as the corpus: routes, files, and a sheet pointing at them.
    let routes: String = names.iter().map(|n| format!("/ads/{n},videos/{n}.mp4\n")).collect();
    std::fs::write(dir.join("routes.csv"), format!("path,file\n{routes}")).expect("routes.csv");
    let rows: String =
        names.iter().enumerate().map(|(i, n)| format!("{}.5,https://ads.example/ads/{n}\n", i + 1)).collect();
    std::fs::write(dir.join("assignment.csv"), format!("Performance,Video URL\n{rows}")).expect("assignment.csv");

    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let server = runtime.block_on(CorpusServer::start(&dir)).expect("clip server");
    let csv = server.rewritten_assignment_csv().expect("sheet");
    let data = tempfile::tempdir().expect("temp dir");
    let store = Store::open(data.path()).expect("store");
    let sheet = parse_sheet(csv.as_bytes()).expect("sheet parses");
    let new = NewDataset { name: "real-size.csv", sha256: "bench", size_bytes: csv.len() as u64, is_demo: false };
    let run = store.create_run(store.insert_dataset(&new, &sheet).expect("dataset")).expect("run");
    let mut settings = ips_core::testing::with_overrides(PipelineSettings::default()).expect("IPS_SET");
    settings.fetch.allow_hosts = vec!["127.0.0.1".into()];
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let models_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let ctx = Context { store: &store, data_dir: data.path().to_path_buf(), models_dir, settings, shared_queue: None };

    let started = Instant::now();
    let _guard = runtime.enter();
    pipeline::execute(&ctx, run, &CancelFlag::new()).expect("the run succeeds");
    let wall = started.elapsed().as_secs_f64();

    let grouping = store.grouping(run).expect("grouping");
    assert_eq!(grouping.video_of_row.len(), names.len(), "every real-size ad has its video");
    let decode: f64 = clips.iter().map(|c| plain_decode_s(c, false)).sum();
    let decode_bound = decode / workers as f64;
    let referenced: f64 = clips.iter().map(|c| plain_decode_s(c, true)).sum();
    let referenced_bound = referenced / workers as f64;
    println!(
        "real-size ads: {} ads of 1080x1920, 30 fps, {SECONDS} s, GOP 250; {workers} cores, cold cache",
        names.len()
    );
    let start_ms = store.run(run).expect("run").started_at_ms.unwrap_or_default();
    let mut previous = start_ms;
    for (stage, finished) in store.stage_finish_times(run).expect("stage times") {
        println!("  {stage:<11} {:>7.2} s", (finished - previous) as f64 / 1000.0);
        previous = finished;
    }
    println!("  {:<11} {:>7.2} s  ({:.2} s an ad)", "total", wall, wall / names.len() as f64);
    if let Some(rss) = ips_core::testing::peak_rss_mib() {
        println!("  peak RSS    {rss:>7.0} MiB");
    }
    println!("  {} unique videos, {} creators", grouping.videos.len(), grouping.creators.len());
    println!("  ads per minute              {:>6.1}", names.len() as f64 * 60.0 / wall);
    println!(
        "  plain decode (ffmpeg, 1 thread) {decode:.1} s for all, {:.2} s an ad; over {workers} cores {decode_bound:.1} s = {:.0} % of the run; decoding alone would allow {:.1} ads per minute",
        decode / names.len() as f64,
        100.0 * decode_bound / wall,
        names.len() as f64 * 60.0 / decode_bound
    );
    println!(
        "  referenced pictures only (ffmpeg -skip_frame noref, what IPS decodes) {referenced:.1} s for all, {:.2} s an ad; over {workers} cores {referenced_bound:.1} s = {:.0} % of the run; decoding alone would allow {:.1} ads per minute",
        referenced / names.len() as f64,
        100.0 * referenced_bound / wall,
        names.len() as f64 * 60.0 / referenced_bound
    );
}
