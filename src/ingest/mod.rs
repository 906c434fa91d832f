//! Ingest: the bytes of an uploaded spreadsheet become rows the pipeline can trust.
//!
//! The file is decoded ([`decode`]), parsed into string columns by polars ([`table`]), its columns
//! are mapped to the fields IPS needs ([`columns`]), and each row is checked ([`validate`]). Every
//! input row ends up either accepted (an [`AdRow`]) or rejected with at least one [`RowProblem`];
//! nothing is dropped silently. Whole-file failures are an [`IngestError`] with one clear message.

mod columns;
mod decode;
mod table;
mod validate;

pub use columns::{ColumnMapping, Field};

use serde::{Deserialize, Serialize};

/// Spreadsheet row number as a user sees it when opening the file: the header is row 1, so the
/// first data row is row 2.
pub type RowNumber = u32;

/// One accepted ad: a video URL and its performance score, plus every other cell of the row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdRow {
    pub row: RowNumber,
    pub video_url: String,
    pub performance: f64,
    /// Cells of columns IPS does not interpret (yet), keyed by header, so nothing is lost.
    pub extra: Vec<(String, String)>,
}

/// A row that could not be accepted, with the raw values so it can be shown and exported as given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectedRow {
    pub row: RowNumber,
    pub video_url: Option<String>,
    pub performance: Option<String>,
    pub extra: Vec<(String, String)>,
    pub problems: Vec<RowProblem>,
}

/// What is wrong with one field of one row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowProblem {
    pub row: RowNumber,
    /// The header of the column the problem is in, as the user wrote it.
    pub field: String,
    pub message: String,
}

/// The outcome of reading one uploaded file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParsedSheet {
    pub mapping: ColumnMapping,
    pub accepted: Vec<AdRow>,
    pub rejected: Vec<RejectedRow>,
    /// Things the user should know that are not errors (encoding guessed, separator used...).
    pub notices: Vec<String>,
}

impl ParsedSheet {
    /// Data rows in the file (accepted + rejected): header and blank lines not counted.
    pub fn total_rows(&self) -> usize {
        self.accepted.len() + self.rejected.len()
    }
}

/// Why a whole file could not be read. Each variant's message is shown to the user as is.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum IngestError {
    #[error("The file is empty.")]
    Empty,
    #[error("This looks like an Excel workbook, not a CSV file. Save it as CSV (UTF-8) and upload that.")]
    Workbook,
    #[error("This is not a CSV text file (it contains binary data). Upload a CSV with a header row.")]
    Binary,
    #[error("The file has a header row but no data rows.")]
    NoDataRows,
    #[error(
        "The first line looks like data, not a header. Add a header row naming the columns, e.g. `Performance,Video URL`."
    )]
    MissingHeader,
    #[error("No {wanted} column found. Expected a header like {examples}; the file has: {found}.")]
    MissingColumn { wanted: &'static str, examples: &'static str, found: String },
    #[error("Two columns could be the {wanted} column ({first}, {second}); rename one of them.")]
    AmbiguousColumn { wanted: &'static str, first: String, second: String },
    #[error("The CSV could not be parsed: {0}")]
    Malformed(String),
}

/// Reads an uploaded CSV file: decode, parse, map columns, validate every row.
pub fn parse_csv(bytes: &[u8]) -> Result<ParsedSheet, IngestError> {
    let decoded = decode::decode(bytes)?;
    let mut notices = decoded.notices;
    let table = table::read(&decoded.text)?;
    if table.separator != ',' {
        notices.push(format!("Columns are separated by '{}'.", table.separator.escape_default()));
    }
    let mapping = columns::detect(&table.headers)?;
    if table.rows.is_empty() {
        return Err(IngestError::NoDataRows);
    }
    let decimal_comma = table.separator != ',';
    let (accepted, rejected) = validate::validate(&table, &mapping, decimal_comma);
    Ok(ParsedSheet { mapping, accepted, rejected, notices })
}

#[cfg(test)]
mod tests;
