//! Tables to one XLSX workbook, a worksheet per table: numbers stay numbers (so Excel can sort
//! and sum them), header row bold and frozen, columns fitted to their content.

use polars::prelude::*;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::ExportError;

fn xlsx_error(e: XlsxError) -> ExportError {
    ExportError::Write { path: "workbook".to_string(), message: e.to_string() }
}

fn polars_error(e: PolarsError) -> ExportError {
    ExportError::Write { path: "workbook".to_string(), message: e.to_string() }
}

/// `(sheet name, table)` pairs to the bytes of an `.xlsx` file.
pub fn to_xlsx(sheets: &[(&str, &DataFrame)]) -> Result<Vec<u8>, ExportError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    for (name, frame) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(*name).map_err(xlsx_error)?;
        for (c, column) in frame.columns().iter().enumerate() {
            let col =
                u16::try_from(c).map_err(|_| polars_error(PolarsError::ComputeError("too many columns".into())))?;
            sheet.write_string_with_format(0, col, column.name().as_str(), &bold).map_err(xlsx_error)?;
            let series = column.as_materialized_series();
            for (r, value) in series.iter().enumerate() {
                let row = r as u32 + 1;
                match value {
                    AnyValue::Null => {}
                    AnyValue::Boolean(b) => {
                        sheet.write_boolean(row, col, b).map_err(xlsx_error)?;
                    }
                    AnyValue::String(s) => {
                        sheet.write_string(row, col, s).map_err(xlsx_error)?;
                    }
                    AnyValue::StringOwned(s) => {
                        sheet.write_string(row, col, s.as_str()).map_err(xlsx_error)?;
                    }
                    other => match other.extract::<f64>() {
                        Some(number) if number.is_finite() => {
                            sheet.write_number(row, col, number).map_err(xlsx_error)?;
                        }
                        _ => {
                            sheet.write_string(row, col, other.to_string()).map_err(xlsx_error)?;
                        }
                    },
                }
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        sheet.autofit();
    }
    book.save_to_buffer().map_err(xlsx_error)
}
