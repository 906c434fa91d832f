//! Test support: helpers other crates' tests use too.
//!
//! [`corpus_dir`] finds the shared replay corpus of real ad videos. With the feature
//! `test-support`, [`CorpusServer`] replays it over HTTP on 127.0.0.1, so the pipeline can be
//! tested on real files without contacting the hosts in the spreadsheet.

#[cfg(feature = "test-support")]
mod corpus_server;

#[cfg(feature = "test-support")]
pub use corpus_server::CorpusServer;

mod synthetic;

pub use synthetic::synthetic_run;

use std::path::{Path, PathBuf};

/// The replay corpus, if present: `$IPS_CORPUS_DIR`, else `../shared/corpus` beside the repo.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("IPS_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    dir.join("routes.csv").is_file().then_some(dir)
}

/// The repository's `models/` directory (`make models` fills it).
pub fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
}
