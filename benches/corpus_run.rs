//! Benchmark: the whole pipeline on the replay corpus (268 rows, 75 videos) through the local
//! corpus server, from a cold cache. Prints wall time, the time of each stage, the peak
//! resident memory of the process, and the run's accuracy against the committed labels (whole
//! corpus and each half). Run with `make bench` (release build).

use std::time::Instant;

use ips_core::ingest::parse_sheet;
use ips_core::pipeline::{self, CancelFlag, Context, PipelineSettings};
use ips_core::quality::Half;
use ips_core::quality::corpus::{AnalysedCorpus, CorpusLabels};
use ips_core::store::{NewDataset, Store};
use ips_core::testing::{CorpusServer, corpus_dir};

fn main() {
    let Some(dir) = corpus_dir() else {
        eprintln!("SKIPPED: the replay corpus (../shared/corpus) is absent");
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let server = runtime.block_on(CorpusServer::start(&dir)).expect("corpus server");
    let csv = server.rewritten_assignment_csv().expect("corpus csv");
    let data = tempfile::tempdir().expect("temp dir");
    let store = Store::open(data.path()).expect("store");
    let sheet = parse_sheet(csv.as_bytes()).expect("corpus parses");
    let dataset = store
        .insert_dataset(
            &NewDataset { name: "assignment.csv", sha256: "bench", size_bytes: csv.len() as u64, is_demo: false },
            &sheet,
        )
        .expect("dataset");
    let run = store.create_run(dataset).expect("run");
    // `IPS_SET` overrides settings, for pairing two settings run by run (`farm-bench --vs`).
    let mut settings = ips_core::testing::with_overrides(PipelineSettings::default()).expect("IPS_SET");
    // The corpus is served on loopback, which downloads may not reach by default.
    settings.fetch.allow_hosts = vec!["127.0.0.1".into()];
    let workers = std::thread::available_parallelism().map_or(0, |n| n.get());
    let models_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let ctx = Context { store: &store, data_dir: data.path().to_path_buf(), models_dir, settings, shared_queue: None };

    let started = Instant::now();
    let _guard = runtime.enter();
    pipeline::execute(&ctx, run, &CancelFlag::new()).expect("the corpus run succeeds");
    let wall = started.elapsed().as_secs_f64();

    let start_ms = store.run(run).expect("run").started_at_ms.unwrap_or_default();
    println!("corpus run: {} rows, 75 videos, {workers} cores, cold cache", sheet.accepted.len());
    let mut previous = start_ms;
    for (stage, finished) in store.stage_finish_times(run).expect("stage times") {
        println!("  {stage:<11} {:>7.2} s", (finished - previous) as f64 / 1000.0);
        previous = finished;
    }
    println!("  {:<11} {:>7.2} s", "total", wall);
    if let Some(rss) = ips_core::testing::peak_rss_mib() {
        println!("  peak RSS    {rss:>7.0} MiB");
    }

    // The accuracy beside the time: a speed-up that loses accuracy does not count (the same
    // scores as tests/corpus.rs, whose floors `make test` asserts).
    let analysed = AnalysedCorpus::load(&store, run, &dir).expect("the run's analyses");
    let labels = CorpusLabels::load().expect("the corpus labels");
    let settings = pipeline::run_settings(&store, run).expect("settings").expect("the run's settings");
    let whole = analysed.score(&store.grouping(run).expect("grouping"), &labels);
    let tuning = analysed.score(&analysed.group(Some(Half::Tuning), &settings), &labels);
    let held_out = analysed.score(&analysed.group(Some(Half::HeldOut), &settings), &labels);
    for (name, s) in [("whole corpus", whole), ("tuning half", tuning), ("held-out half", held_out)] {
        println!("{name}: {} unique videos; same ad {}\n{}", s.unique_videos, s.same_ad, s.creators);
    }
}
