//! Test support: helpers other crates' tests use too.
//!
//! [`corpus_dir`] finds the shared replay corpus of real ad videos. With the feature
//! `test-support`, [`CorpusServer`] replays it over HTTP on 127.0.0.1, so the pipeline can be
//! tested on real files without contacting the hosts in the spreadsheet.

#[cfg(feature = "test-support")]
mod corpus_server;

#[cfg(feature = "test-support")]
pub use corpus_server::CorpusServer;

#[cfg(feature = "postgres")]
mod postgres;
mod process;
#[cfg(feature = "postgres")]
pub mod queue_worker;
#[cfg(feature = "postgres")]
mod s3;
mod synthetic;

#[cfg(feature = "postgres")]
pub use postgres::{TempPostgres, TempPostgresError};
#[cfg(feature = "postgres")]
pub use s3::TempS3;

pub use process::KillOnDrop;
pub use synthetic::synthetic_run;

use std::path::{Path, PathBuf};

/// Where the replay corpus is looked for: `$IPS_CORPUS_DIR`, else `../shared/corpus` beside
/// the repo.
fn corpus_location() -> PathBuf {
    std::env::var_os("IPS_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"))
}

/// The replay corpus, if present (see [`corpus_location`]).
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = corpus_location();
    dir.join("routes.csv").is_file().then_some(dir)
}

/// The replay corpus for a test that needs it. Absent, the test is skipped ([`skip`]) — or,
/// under `CI=true`, fails saying what is missing.
pub fn require_corpus() -> Option<PathBuf> {
    let found = corpus_dir();
    if found.is_none() {
        skip(&format!(
            "the replay corpus is missing at {} (set IPS_CORPUS_DIR, or put it at ../shared/corpus beside the repository)",
            corpus_location().display()
        ));
    }
    found
}

/// The repository's `models/` directory (`make models` fills it).
pub fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}

/// `path` under `models/`, for a test that needs that model file or photo. Absent, the test is
/// skipped ([`skip`]) — or, under `CI=true`, fails saying what is missing.
pub fn require_model_file(path: &str) -> Option<PathBuf> {
    let full = models_dir().join(path);
    if full.exists() {
        return Some(full);
    }
    skip(&format!("{} is missing (run `make models`)", full.display()));
    None
}

/// Records that the calling test cannot run because `why`: under `CI=true` (a CI run must have
/// everything) this panics; otherwise it writes `SKIPPED: why` straight to the process's
/// standard error, past the test harness's capture, so `tools/test-summary.py` counts the test
/// as skipped instead of passed.
pub fn skip(why: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true and {why}");
    }
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {why}");
}

/// `settings` with the overrides in `$IPS_SET` (`'faces.second_look_min_score=0
/// creators.max_distance=0.35'`: dotted paths into the settings' JSON, values as JSON or plain
/// strings), for measuring a change by hand with the examples and benches.
pub fn with_overrides(
    settings: crate::pipeline::PipelineSettings,
) -> Result<crate::pipeline::PipelineSettings, Box<dyn std::error::Error>> {
    let Ok(overrides) = std::env::var("IPS_SET") else { return Ok(settings) };
    let mut value = serde_json::to_value(&settings)?;
    for pair in overrides.split_whitespace() {
        let (path, v) = pair.split_once('=').ok_or("IPS_SET: key=value pairs")?;
        let mut at = &mut value;
        for part in path.split('.') {
            at = at.get_mut(part).ok_or_else(|| format!("IPS_SET: no setting {path}"))?;
        }
        *at = serde_json::from_str(v).unwrap_or(serde_json::Value::String(v.into()));
    }
    Ok(serde_json::from_value(value)?)
}

/// The process's peak resident memory so far (`VmHWM`), for benches to print beside a time.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
