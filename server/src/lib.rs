//! # ips-server
//!
//! The thin binary around the core and the app: reads the configuration, opens the store, starts
//! the job runner, serves the Leptos app and the upload route, and offers the `ips` CLI. It
//! decides nothing about ads or creators; it wires and reports.

pub mod access;
pub mod cli_run;
pub mod config;
pub mod demo;
pub mod edit_form;
pub mod exports;
pub mod jobs;
pub mod media_files;
pub mod same_origin;
pub mod state;
pub mod upload;
pub mod web;
pub mod worker;
