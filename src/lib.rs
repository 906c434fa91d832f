//! # ips-core
//!
//! The core of the Influencer Performance System: everything that turns a spreadsheet of ads into
//! per-creator statistics, with no UI and no HTTP server in it.
//!
//! - [`ingest`]: a CSV upload becomes typed [`ingest::AdRow`]s plus a per-row problem report.
//! - [`store`]: the SQLite store (datasets, rows, runs, run events); the only module that owns SQL.
//! - [`pipeline`]: the stages a run goes through, each with typed input and output.
//!
//! Invariant: nothing here knows about Leptos or axum. The `app` crate renders what this crate
//! computes; the `server` crate wires it to HTTP and a job runner.

pub mod align;
pub mod allocator;
#[cfg(feature = "postgres")]
pub mod blocking;
pub mod charts;
pub mod clip;
pub mod corrections;
pub mod creators;
pub mod demo;
pub mod export;
pub mod faceapi;
pub mod faces;
pub mod faults;
pub mod fetch;
pub mod fingerprint;
pub mod frames;
pub mod grouping;
pub mod hash;
pub mod human;
pub mod ingest;
pub mod keypoints;
pub mod media;
pub mod pipeline;
pub mod quality;
pub mod queue;
pub mod report;
pub mod simd;
pub mod similarity;
pub mod stats;
pub mod stills;
pub mod store;
pub mod testing;
pub mod union_find;
pub mod video_writer;
