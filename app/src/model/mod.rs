//! What the pages show: plain data types, compiled for both the server and the browser. The
//! server fills them (`crate::ssr`), the server functions carry them (`crate::api`), the pages
//! render them; this module depends on none of those.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetSummary {
    pub id: i64,
    pub name: String,
    pub uploaded_at_ms: i64,
    pub is_demo: bool,
    pub accepted_rows: u32,
    pub rejected_rows: u32,
    pub latest_run: Option<RunView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProblemView {
    pub row: u32,
    pub field: String,
    pub message: String,
    /// The row's values as given, for the user to find it in their file.
    pub video_url: Option<String>,
    pub performance: Option<String>,
}

/// A run's state as the pages show it: the core's `RunStatus`, which the browser build cannot
/// link, mirrored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunState {
    Queued,
    Running,
    Cancelled,
    Succeeded,
    Failed,
    Interrupted,
}

impl RunState {
    /// The word shown on the badge, and in `data-status` for styles and tests.
    pub fn word(self) -> &'static str {
        match self {
            RunState::Queued => "queued",
            RunState::Running => "running",
            RunState::Cancelled => "cancelled",
            RunState::Succeeded => "succeeded",
            RunState::Failed => "failed",
            RunState::Interrupted => "interrupted",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    pub id: i64,
    pub status: RunState,
    pub stage: Option<String>,
    pub done: u64,
    pub total: u64,
    pub created_at_ms: i64,
    /// Time spent running so far (or in all, once finished), measured by the server.
    pub elapsed_ms: Option<i64>,
    pub error: Option<String>,
    pub is_active: bool,
    pub is_resumable: bool,
    /// Estimated time left in the current stage, from its pace so far.
    pub eta_ms: Option<i64>,
    /// The settings the run used, in words (None before it started).
    pub settings: Option<String>,
    /// Newest last.
    pub events: Vec<EventView>,
}

/// The settings a new run can be started with; the form shows the server's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSettingsView {
    /// `ssd` or `haar`.
    pub detector: String,
    pub frames_per_second: f64,
    /// Face-descriptor distance that links tracks into one creator.
    pub max_distance: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventView {
    pub at_ms: i64,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetReport {
    pub id: i64,
    pub name: String,
    pub uploaded_at_ms: i64,
    pub is_demo: bool,
    pub url_column: String,
    pub perf_column: String,
    pub notices: Vec<String>,
    pub accepted_rows: u32,
    pub rejected_rows: u32,
    pub problems: Vec<ProblemView>,
    /// Newest first.
    pub runs: Vec<RunView>,
    pub default_settings: RunSettingsView,
}

impl DatasetReport {
    pub fn has_active_run(&self) -> bool {
        self.runs.iter().any(|r| r.is_active)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageView {
    pub name: String,
    /// `done`, `active` or `pending`.
    pub state: String,
}

mod edit;
pub use edit::*;

pub mod edit_form;

mod report;
pub use report::*;

mod upload;
pub use upload::*;

mod visitor;
pub use visitor::*;
