//! Row checks: each row becomes an accepted [`AdRow`] or a [`RejectedRow`] naming every problem.

use std::collections::HashMap;

use super::table::{Table, TableRow};
use super::{AdDetails, AdRow, ColumnMapping, Field, RejectedRow, RowProblem};

/// URL schemes the fetch stage can read.
pub const SUPPORTED_SCHEMES: [&str; 3] = ["http", "https", "file"];

pub(super) fn validate(table: &Table, mapping: &ColumnMapping) -> (Vec<AdRow>, Vec<RejectedRow>) {
    let decimal_comma = table.decimal_comma;
    let mut accepted = Vec::new();
    let mut rejected = Vec::new();
    let mut first_seen: HashMap<Vec<Option<String>>, u32> = HashMap::new();

    for row in &table.rows {
        let cell = |i: usize| row.cells[i].as_deref().map(str::trim).filter(|s| !s.is_empty());
        let url = cell(mapping.video_url.0);
        let performance = cell(mapping.performance.0);
        let extra = extra_cells(table, row, |i| !mapping.is_mapped(i));
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
        let details = details(mapping, &cell, decimal_comma, &mut problem);
        let key: Vec<Option<String>> = row.cells.iter().map(|c| c.as_deref().map(|s| s.trim().to_string())).collect();
        if let Some(first) = first_seen.get(&key) {
            problem("row", format!("duplicate of row {first}"));
        } else {
            first_seen.insert(key, row.row);
        }

        match (checked_url, checked_performance) {
            (Some(video_url), Some(performance)) if problems.is_empty() => {
                accepted.push(AdRow { row: row.row, video_url, performance, details, extra })
            }
            _ => rejected.push(RejectedRow {
                row: row.row,
                video_url: url.map(str::to_string),
                performance: performance.map(str::to_string),
                // A rejected row keeps its optional fields as given too: it has no details.
                extra: extra_cells(table, row, |i| i != mapping.video_url.0 && i != mapping.performance.0),
                problems,
            }),
        }
    }
    (accepted, rejected)
}

fn extra_cells(table: &Table, row: &TableRow, keep: impl Fn(usize) -> bool) -> Vec<(String, String)> {
    table
        .headers
        .iter()
        .zip(&row.cells)
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .filter_map(|(_, (header, cell))| {
            let value = cell.as_deref()?.trim();
            (!value.is_empty()).then(|| (header.clone(), value.to_string()))
        })
        .collect()
}

/// The optional fields of a row; a cell that is given but cannot be read is a problem, so a
/// typo in a spend column is reported instead of quietly leaving the ad out of a weighted mean.
fn details<'a>(
    mapping: &ColumnMapping,
    cell: &impl Fn(usize) -> Option<&'a str>,
    decimal_comma: bool,
    problem: &mut impl FnMut(&str, String),
) -> AdDetails {
    let mut details = AdDetails::default();
    for (field, (index, header)) in &mapping.optional {
        let Some(raw) = cell(*index) else { continue };
        match field {
            Field::Spend | Field::Impressions => match check_amount(raw, decimal_comma) {
                Ok(v) if v < 0.0 => problem(header, format!("negative {}: '{}'", field.label(), clip(raw))),
                Ok(v) if *field == Field::Spend => details.spend = Some(v),
                Ok(v) => details.impressions = Some(v),
                Err(m) => problem(header, m),
            },
            Field::Date => match check_date(raw) {
                Ok(d) => details.date = Some(d),
                Err(m) => problem(header, m),
            },
            Field::Campaign => details.campaign = Some(raw.to_string()),
            Field::AdName => details.ad_name = Some(raw.to_string()),
            Field::CreatorHandle => details.creator_handle = Some(raw.to_string()),
            Field::VideoUrl | Field::Performance => {}
        }
    }
    details
}

/// An amount as spreadsheets export it: `$1,234.50`, `1 234,50 €`, `250`.
fn check_amount(raw: &str, decimal_comma: bool) -> Result<f64, String> {
    let bare: String =
        raw.chars().filter(|c| !matches!(c, '$' | '€' | '£' | '¥' | ' ' | '\u{a0}' | '\u{202f}')).collect();
    let thousands = if decimal_comma { '.' } else { ',' };
    let not_amount = || format!("not an amount: '{}'", clip(raw));
    if !separates_thousands(&bare, thousands) {
        return Err(not_amount());
    }
    check_number(&bare.replace(thousands, ""), decimal_comma).map_err(|_| not_amount())
}

/// Whether every `sep` in `s` is followed by exactly three digits (`1,234,567.5`): then it groups
/// thousands. `1,5` is not read as 15.
fn separates_thousands(s: &str, sep: char) -> bool {
    let chars: Vec<char> = s.chars().collect();
    chars.iter().enumerate().filter(|(_, c)| **c == sep).all(|(i, _)| {
        i > 0
            && chars.get(i + 1..i + 4).is_some_and(|d| d.iter().all(char::is_ascii_digit))
            && chars.get(i + 4).is_none_or(|c| !c.is_ascii_digit())
    })
}

/// Dates are kept as ISO 8601 days. Slashed dates are refused: `03/04/2026` is March in one
/// country and April in another, and a guess would misplace the ad on the time chart.
fn check_date(raw: &str) -> Result<String, String> {
    use chrono::{NaiveDate, NaiveDateTime};
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%Y/%m/%d"))
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S").map(|t| t.date()))
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S").map(|t| t.date()))
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M").map(|t| t.date()));
    day.map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|_| format!("not a date: '{}' (write it as YYYY-MM-DD)", clip(raw)))
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
