//! The upload's mapping step: what the file holds and what the chosen columns make of it.

use serde::{Deserialize, Serialize};

use super::ProblemView;

/// One field IPS can read and the column currently chosen for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChoice {
    /// The form name (`video_url`, `performance`, `spend`…).
    pub key: String,
    pub label: String,
    pub required: bool,
    /// The header chosen or detected; None: not in this file.
    pub column: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadPreview {
    pub sha256: String,
    pub headers: Vec<String>,
    /// The first rows: row number and one cell per header.
    pub sample: Vec<(u32, Vec<String>)>,
    pub total_rows: u32,
    pub fields: Vec<FieldChoice>,
    /// Why the current choices cannot be used, e.g. no performance column.
    pub error: Option<String>,
    pub accepted: u32,
    pub rejected: u32,
    /// Problems of the rejected rows, first ones only.
    pub problems: Vec<ProblemView>,
    pub notices: Vec<String>,
    /// Datasets made from the same file before: (id, name).
    pub uploaded_before: Vec<(i64, String)>,
}

/// Problems listed on the mapping page; the dataset page lists them all.
pub const PREVIEW_PROBLEMS: usize = 20;
