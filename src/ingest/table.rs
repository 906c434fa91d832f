//! Text to a table of string cells, parsed by polars. Every cell stays a string here: typing is
//! the validator's job, so that a bad cell becomes a row problem instead of a failed file.

use std::io::Cursor;

use polars::prelude::*;

use super::{IngestError, RowNumber};

pub(super) struct Table {
    pub separator: char,
    /// Numbers may use a decimal comma (`1,25`): the file is separated by something else.
    pub decimal_comma: bool,
    pub headers: Vec<String>,
    pub rows: Vec<TableRow>,
}

pub(super) struct TableRow {
    pub row: RowNumber,
    /// One cell per header; `None` where the row had no value.
    pub cells: Vec<Option<String>>,
}

const SEPARATORS: [char; 4] = [',', ';', '\t', '|'];

pub(super) fn read(text: &str) -> Result<Table, IngestError> {
    let separator = sniff_separator(text);
    let options = CsvReadOptions::default()
        .with_has_header(true)
        // Read every column as text; `validate` types the cells it needs.
        .with_infer_schema_length(Some(0))
        .with_raise_if_empty(false)
        .map_parse_options(|o| o.with_separator(separator as u8).with_quote_char(Some(b'"')));
    let frame = options
        .into_reader_with_file_handle(Cursor::new(text.as_bytes()))
        .finish()
        .map_err(|e| IngestError::Malformed(describe(&e)))?;

    let headers: Vec<String> = frame.get_column_names().iter().map(|n| n.to_string()).collect();
    let columns: Vec<Vec<Option<String>>> = frame
        .columns()
        .iter()
        .map(|column| {
            let strings = column.cast(&DataType::String).map_err(|e| IngestError::Malformed(describe(&e)))?;
            let strings = strings.str().map_err(|e| IngestError::Malformed(describe(&e)))?;
            Ok(strings.iter().map(|cell| cell.map(str::to_string)).collect())
        })
        .collect::<Result<_, IngestError>>()?;

    let rows = (0..frame.height())
        .map(|i| TableRow {
            // +2: rows are 1-based and row 1 is the header.
            row: u32::try_from(i + 2).unwrap_or(u32::MAX),
            cells: columns.iter().map(|c| c[i].clone()).collect(),
        })
        .collect();
    Ok(Table { separator, decimal_comma: separator != ',', headers, rows })
}

/// The separator is the candidate that occurs most often, outside quotes, in the header line.
fn sniff_separator(text: &str) -> char {
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut counts = [0usize; SEPARATORS.len()];
    let mut quoted = false;
    for c in header.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted && let Some(i) = SEPARATORS.iter().position(|s| *s == c) {
            counts[i] += 1;
        }
    }
    let best = (0..SEPARATORS.len()).max_by_key(|&i| (counts[i], usize::MAX - i)).unwrap_or(0);
    if counts[best] == 0 { ',' } else { SEPARATORS[best] }
}

/// polars errors carry internal context; keep the first line, which says what went wrong.
fn describe(error: &PolarsError) -> String {
    error.to_string().lines().next().unwrap_or("unknown error").to_string()
}

#[cfg(test)]
mod tests {
    use super::sniff_separator;

    #[test]
    fn separator_is_the_most_frequent_outside_quotes() {
        assert_eq!(sniff_separator("a;b;c\n1;2;3"), ';');
        assert_eq!(sniff_separator("\"x,y\";b\n"), ';');
        assert_eq!(sniff_separator("a\tb\n"), '\t');
        assert_eq!(sniff_separator("Performance,Video URL\n"), ',');
        assert_eq!(sniff_separator("single\n"), ',');
    }
}
