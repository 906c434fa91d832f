//! Row checks: each row becomes an accepted [`AdRow`] or a [`RejectedRow`] naming every problem.

use std::collections::HashMap;

use super::table::{Table, TableRow};
use super::{AdRow, ColumnMapping, RejectedRow, RowProblem};

/// URL schemes the fetch stage can read.
pub const SUPPORTED_SCHEMES: [&str; 3] = ["http", "https", "file"];

pub(super) fn validate(table: &Table, mapping: &ColumnMapping, decimal_comma: bool) -> (Vec<AdRow>, Vec<RejectedRow>) {
    let mut accepted = Vec::new();
    let mut rejected = Vec::new();
    let mut first_seen: HashMap<Vec<Option<String>>, u32> = HashMap::new();

    for row in &table.rows {
        let cell = |i: usize| row.cells[i].as_deref().map(str::trim).filter(|s| !s.is_empty());
        let url = cell(mapping.video_url.0);
        let performance = cell(mapping.performance.0);
        let extra = extra_cells(table, mapping, row);
        let mut problems = Vec::new();
        let mut problem = |field: &str, message: String| {
            problems.push(RowProblem { row: row.row, field: field.to_string(), message })
        };

        let checked_url = match url {
            None => {
                problem(&mapping.video_url.1, "missing video URL".to_string());
                None
            }
            Some(raw) => check_url(raw).map_err(|m| problem(&mapping.video_url.1, m)).ok(),
        };
        let checked_performance = match performance {
            None => {
                problem(&mapping.performance.1, "missing performance".to_string());
                None
            }
            Some(raw) => check_number(raw, decimal_comma).map_err(|m| problem(&mapping.performance.1, m)).ok(),
        };
        let key: Vec<Option<String>> = row.cells.iter().map(|c| c.as_deref().map(|s| s.trim().to_string())).collect();
        if let Some(first) = first_seen.get(&key) {
            problem("row", format!("duplicate of row {first}"));
        } else {
            first_seen.insert(key, row.row);
        }

        match (checked_url, checked_performance) {
            (Some(video_url), Some(performance)) if problems.is_empty() => {
                accepted.push(AdRow { row: row.row, video_url, performance, extra })
            }
            _ => rejected.push(RejectedRow {
                row: row.row,
                video_url: url.map(str::to_string),
                performance: performance.map(str::to_string),
                extra,
                problems,
            }),
        }
    }
    (accepted, rejected)
}

fn extra_cells(table: &Table, mapping: &ColumnMapping, row: &TableRow) -> Vec<(String, String)> {
    table
        .headers
        .iter()
        .zip(&row.cells)
        .enumerate()
        .filter(|(i, _)| *i != mapping.video_url.0 && *i != mapping.performance.0)
        .filter_map(|(_, (header, cell))| {
            let value = cell.as_deref()?.trim();
            (!value.is_empty()).then(|| (header.clone(), value.to_string()))
        })
        .collect()
}

fn check_url(raw: &str) -> Result<String, String> {
    let parsed = match url::Url::parse(raw) {
        Ok(parsed) => parsed,
        // A plain path: read from the configured local directory by the fetch stage, which
        // refuses it (with a row status) when no directory is configured or it lies outside.
        Err(url::ParseError::RelativeUrlWithoutBase) if looks_like_host(raw) => {
            return Err(format!("the URL has no scheme: add https:// in front of '{}'", clip(raw)));
        }
        Err(url::ParseError::RelativeUrlWithoutBase) if !raw.contains("://") => return Ok(raw.to_string()),
        Err(e) => return Err(format!("not a valid URL ({e}): '{}'", clip(raw))),
    };
    if !SUPPORTED_SCHEMES.contains(&parsed.scheme()) {
        return Err(format!("unsupported URL scheme '{}:' (use http, https or file)", clip(parsed.scheme())));
    }
    if parsed.scheme() != "file" && parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("URL has no host: '{}'", clip(raw)));
    }
    // Keep the URL as the user wrote it (trimmed): it is how they will recognise the row.
    Ok(raw.to_string())
}

/// `cdn.example.com/ad.mp4`: a host name where a path's first folder would be.
fn looks_like_host(raw: &str) -> bool {
    let first = raw.split('/').next().unwrap_or("");
    raw.contains('/')
        && first.contains('.')
        && first.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && !first.starts_with('.')
}

/// Parses a performance score. With a non-comma separator, a decimal comma (`1,25`) is accepted,
/// as European spreadsheet exports write it.
fn check_number(raw: &str, decimal_comma: bool) -> Result<f64, String> {
    let normalised =
        if decimal_comma && raw.contains(',') && !raw.contains('.') { raw.replace(',', ".") } else { raw.to_string() };
    match normalised.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(format!("not a finite number: '{}'", clip(raw))),
        Err(_) => Err(format!("not a number: '{}'", clip(raw))),
    }
}

/// Keeps messages readable when a cell holds a huge value.
fn clip(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX { s.to_string() } else { format!("{}…", s.chars().take(MAX).collect::<String>()) }
}
