//! Ingest: the bytes of an uploaded spreadsheet become rows the pipeline can trust.
//!
//! A CSV file is decoded ([`decode`]) and parsed into string columns by polars ([`table`]); an
//! Excel or OpenDocument workbook is read by calamine ([`workbook`]) into the same table. Its columns
//! are mapped to the fields IPS needs ([`columns`]), and each row is checked ([`validate`]). Every
//! input row ends up either accepted (an [`AdRow`]) or rejected with at least one [`RowProblem`];
//! nothing is dropped silently. Whole-file failures are an [`IngestError`] with one clear message.

mod columns;
mod decode;
mod table;
mod validate;
mod workbook;

pub use columns::{Column, ColumnChoices, ColumnMapping, Field};

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
    /// The optional fields the file has.
    #[serde(default)]
    pub details: AdDetails,
    /// Cells of columns IPS does not interpret (yet), keyed by header, so nothing is lost.
    pub extra: Vec<(String, String)>,
}

/// Optional fields of an ad, when the file has their columns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AdDetails {
    pub spend: Option<f64>,
    pub impressions: Option<f64>,
    /// ISO 8601 date, `YYYY-MM-DD`.
    pub date: Option<String>,
    pub campaign: Option<String>,
    pub ad_name: Option<String>,
    pub creator_handle: Option<String>,
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
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum IngestError {
    #[error("The file is empty.")]
    Empty,
    #[error("The workbook could not be read ({0}). Save it as .xlsx or CSV (UTF-8) and upload that.")]
    Workbook(String),
    #[error(
        "This is neither a CSV text file nor an Excel workbook (it contains binary data). Upload a CSV or XLSX with a header row."
    )]
    Binary,
    #[error("The file has a header row but no data rows.")]
    NoDataRows,
    #[error(
        "The first line looks like data, not a header. Add a header row naming the columns, e.g. `Performance,Video URL`."
    )]
    MissingHeader,
    #[error("No {wanted} column found. Expected a header like {examples}; the file has: {found}.")]
    MissingColumn { wanted: &'static str, examples: &'static str, found: String },
    #[error("Two columns could be the {wanted} column ({first}, {second}); choose one.")]
    AmbiguousColumn { wanted: &'static str, first: String, second: String },
    #[error("There is no column `{header}` for the {wanted}; the file has: {found}.")]
    UnknownColumn { wanted: &'static str, header: String, found: String },
    #[error("The column `{header}` cannot be both the {first} and the {second}.")]
    ColumnTwice { header: String, first: &'static str, second: &'static str },
    #[error("The CSV could not be parsed: {0}")]
    Malformed(String),
}

/// Reads an uploaded CSV file or workbook with columns detected from the headers.
pub fn parse_sheet(bytes: &[u8]) -> Result<ParsedSheet, IngestError> {
    parse_with(bytes, &ColumnChoices::new())
}

/// Reads an uploaded file with the user's column choices: decode, parse, map columns, validate
/// every row.
pub fn parse_with(bytes: &[u8], choices: &ColumnChoices) -> Result<ParsedSheet, IngestError> {
    let (table, notices) = read_table(bytes)?;
    map_and_validate(&table, notices, choices)
}

/// What the mapping step shows before anything is stored: the headers, the first rows, and what
/// the current choices make of the whole file.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    pub headers: Vec<String>,
    /// The first data rows: row number and one cell per header (empty when blank).
    pub sample: Vec<(RowNumber, Vec<String>)>,
    pub total_rows: usize,
    /// The rows as the choices read them, or why the choices do not work yet.
    pub parsed: Result<ParsedSheet, IngestError>,
}

/// Reads an uploaded file for the mapping step. Fails only when the file itself is unreadable.
pub fn preview(bytes: &[u8], choices: &ColumnChoices, sample_rows: usize) -> Result<Preview, IngestError> {
    let (table, notices) = read_table(bytes)?;
    let sample = table
        .rows
        .iter()
        .take(sample_rows)
        .map(|r| (r.row, r.cells.iter().map(|c| c.clone().unwrap_or_default()).collect()))
        .collect();
    Ok(Preview {
        headers: table.headers.clone(),
        sample,
        total_rows: table.rows.len(),
        parsed: map_and_validate(&table, notices, choices),
    })
}

fn read_table(bytes: &[u8]) -> Result<(table::Table, Vec<String>), IngestError> {
    if workbook::is_workbook(bytes) {
        return workbook::read(bytes);
    }
    let decoded = decode::decode(bytes)?;
    let mut notices = decoded.notices;
    let table = table::read(&decoded.text)?;
    if table.separator != ',' {
        notices.push(format!("Columns are separated by '{}'.", table.separator.escape_default()));
    }
    Ok((table, notices))
}

fn map_and_validate(
    table: &table::Table,
    notices: Vec<String>,
    choices: &ColumnChoices,
) -> Result<ParsedSheet, IngestError> {
    let mapping = columns::detect(&table.headers, choices)?;
    if table.rows.is_empty() {
        return Err(IngestError::NoDataRows);
    }
    let (accepted, rejected) = validate::validate(table, &mapping);
    Ok(ParsedSheet { mapping, accepted, rejected, notices })
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod hostile_tests;
