//! What a run made of each row: the status stored per row ([`RowStatus`]) and the text the
//! report and the exports show for it ([`LineStatus`]).

use super::sql::{FromValue, Value};

/// Where a row is in a run. Stored (and exported) as its word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowStatus {
    /// Read into the run, not fetched yet.
    Ingested,
    Downloaded,
    /// Its URL was fetched before: the cached file is used.
    Cached,
    /// The download failed.
    Failed,
    /// Downloaded, but no frame could be decoded.
    Unreadable,
}

impl RowStatus {
    const ALL: [RowStatus; 5] =
        [RowStatus::Ingested, RowStatus::Downloaded, RowStatus::Cached, RowStatus::Failed, RowStatus::Unreadable];

    pub fn word(self) -> &'static str {
        match self {
            RowStatus::Ingested => "ingested",
            RowStatus::Downloaded => "downloaded",
            RowStatus::Cached => "cached",
            RowStatus::Failed => "failed",
            RowStatus::Unreadable => "unreadable",
        }
    }

    pub fn from_word(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.word() == word)
    }

    /// The row has no video to count: its download failed or the file could not be read.
    pub fn is_problem(self) -> bool {
        matches!(self, RowStatus::Failed | RowStatus::Unreadable)
    }
}

impl std::fmt::Display for RowStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

/// Read from its word; an unknown word reads as no value (a typed error naming the column).
impl FromValue for RowStatus {
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Text(word) => RowStatus::from_word(word),
            _ => None,
        }
    }
}

/// What a run made of one row of the dataset, as the report and the exports say it
/// (`rejected: …`, `not processed`, `downloaded`, `failed: …`).
#[derive(Debug, Clone, PartialEq)]
pub enum LineStatus {
    /// The upload refused the row, for these problems.
    Rejected(String),
    /// The run has not reached the row (yet).
    NotProcessed,
    /// Where the run is with the row, and why it failed.
    Run { status: RowStatus, detail: Option<String> },
}

impl LineStatus {
    pub(super) fn of(status: Option<RowStatus>, detail: Option<String>) -> Self {
        match status {
            Some(status) => LineStatus::Run { status, detail },
            None => LineStatus::NotProcessed,
        }
    }

    /// Accepted, but without a video to count: the download failed or the file was unreadable.
    pub fn is_problem(&self) -> bool {
        matches!(self, LineStatus::Run { status, .. } if status.is_problem())
    }
}

impl std::fmt::Display for LineStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineStatus::Rejected(problems) => write!(f, "rejected: {problems}"),
            LineStatus::NotProcessed => f.write_str("not processed"),
            LineStatus::Run { status, detail: None } => write!(f, "{status}"),
            LineStatus::Run { status, detail: Some(d) } => write!(f, "{status}: {d}"),
        }
    }
}

/// Written as its text, as the exports show it.
impl serde::Serialize for LineStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}
