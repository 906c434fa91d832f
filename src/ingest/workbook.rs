//! Excel and OpenDocument workbooks (`.xlsx`, `.xls`, `.ods`) to the same table of string cells
//! as a CSV, read with calamine. The first worksheet with any content is used; its first
//! non-empty row is the header. Row numbers are the sheet's own, as Excel shows them.

use std::io::Cursor;

use calamine::{Data, Reader};

use super::IngestError;
use super::table::{Table, TableRow};

pub(super) const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
pub(super) const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

pub(super) fn is_workbook(bytes: &[u8]) -> bool {
    bytes.starts_with(ZIP_MAGIC) || bytes.starts_with(OLE_MAGIC)
}

pub(super) fn read(bytes: &[u8]) -> Result<(Table, Vec<String>), IngestError> {
    let unreadable = |e: calamine::Error| IngestError::Workbook(e.to_string().lines().next().unwrap_or("").to_string());
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec())).map_err(unreadable)?;
    let names = workbook.sheet_names();
    let mut notices = Vec::new();
    for name in &names {
        let range = workbook.worksheet_range(name).map_err(unreadable)?;
        let Some((first_row, _)) = range.start() else { continue };
        let mut rows = range.rows().enumerate().map(|(i, cells)| (first_row as usize + i + 1, cells));
        let Some((_, header_cells)) = rows.by_ref().find(|(_, cells)| cells.iter().any(|c| !is_empty(c))) else {
            continue;
        };
        let headers: Vec<String> = header_cells
            .iter()
            .enumerate()
            .map(|(i, c)| text(c).unwrap_or_else(|| format!("Column {}", column_letters(i))))
            .collect();
        let rows = rows
            .filter(|(_, cells)| cells.iter().any(|c| !is_empty(c)))
            .map(|(number, cells)| TableRow {
                row: u32::try_from(number).unwrap_or(u32::MAX),
                cells: (0..headers.len()).map(|i| cells.get(i).and_then(text)).collect(),
            })
            .collect();
        if names.len() > 1 {
            notices.push(format!("Read the worksheet '{name}' of {} in the workbook.", names.len()));
        }
        return Ok((Table { separator: ',', decimal_comma: false, headers, rows }, notices));
    }
    Err(IngestError::Empty)
}

fn is_empty(cell: &Data) -> bool {
    text(cell).is_none()
}

/// A cell as the text a CSV export would hold: numbers in their shortest exact form, dates as
/// ISO 8601, errors as Excel shows them (so a `#DIV/0!` performance is reported, not dropped).
fn text(cell: &Data) -> Option<String> {
    let s = match cell {
        Data::Empty => return None,
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) => format_number(*f),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => t.format("%Y-%m-%d").to_string(),
            Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => dt.as_f64().to_string(),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => e.to_string(),
    };
    (!s.is_empty()).then_some(s)
}

fn format_number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 { format!("{}", f as i64) } else { format!("{f}") }
}

/// 0 → A, 25 → Z, 26 → AA: how spreadsheets name columns.
fn column_letters(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::{column_letters, format_number};

    #[test]
    fn columns_are_named_like_spreadsheets() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }

    #[test]
    fn numbers_keep_their_exact_value() {
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(1.25), "1.25");
        assert_eq!(format_number(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(format_number(-2.0), "-2");
    }
}
