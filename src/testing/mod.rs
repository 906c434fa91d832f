//! Test support (feature `test-support`): helpers other crates' tests use too.
//!
//! [`CorpusServer`] replays the shared corpus of real ad videos over HTTP on 127.0.0.1, so the
//! pipeline can be tested on real files without contacting the hosts in the spreadsheet.

mod corpus_server;

pub use corpus_server::{CorpusServer, corpus_dir};
