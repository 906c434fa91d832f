//! Datasets (uploads) and their rows.

use serde::{Deserialize, Serialize};

use super::sql::{Row, params};
use super::{Result, Store, StoreError, now_ms};
use crate::ingest::{AdRow, ColumnMapping, ParsedSheet, RejectedRow, RowProblem};

pub type DatasetId = i64;

/// What the caller knows about an upload besides its parsed content.
pub struct NewDataset<'a> {
    pub name: &'a str,
    pub sha256: &'a str,
    pub size_bytes: u64,
    pub is_demo: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub id: DatasetId,
    pub name: String,
    pub uploaded_at_ms: i64,
    pub sha256: String,
    pub url_column: String,
    pub perf_column: String,
    /// Every field's column; `None` for datasets stored before the mapping was kept.
    pub mapping: Option<ColumnMapping>,
    pub notices: Vec<String>,
    pub is_demo: bool,
    pub accepted_rows: u32,
    pub rejected_rows: u32,
}

const DATASET_COLUMNS: &str = "d.id, d.name, d.uploaded_at_ms, d.sha256, d.url_column, d.perf_column, \
     d.notices, d.is_demo, d.mapping, \
     (SELECT COUNT(*) FROM rows r WHERE r.dataset_id = d.id AND r.accepted = 1), \
     (SELECT COUNT(*) FROM rows r WHERE r.dataset_id = d.id AND r.accepted = 0)";

fn dataset_from_row(row: &Row) -> Result<Dataset> {
    let notices: String = row.get(6)?;
    Ok(Dataset {
        id: row.get(0)?,
        name: row.get(1)?,
        uploaded_at_ms: row.get(2)?,
        sha256: row.get(3)?,
        url_column: row.get(4)?,
        perf_column: row.get(5)?,
        notices: serde_json::from_str(&notices).unwrap_or_else(|_| vec![notices]),
        is_demo: row.get(7)?,
        mapping: row.get::<Option<String>>(8)?.and_then(|m| serde_json::from_str(&m).ok()),
        accepted_rows: row.get(9)?,
        rejected_rows: row.get(10)?,
    })
}

fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_json<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{e}: {text}")))
}

impl Store {
    /// Stores an upload and all its rows, accepted and rejected, in one transaction.
    pub fn insert_dataset(&self, new: &NewDataset<'_>, sheet: &ParsedSheet) -> Result<DatasetId> {
        self.write(|db| {
            let id: DatasetId = db.query_one(
                "INSERT INTO datasets (name, uploaded_at_ms, sha256, size_bytes, url_column, perf_column, notices, is_demo, mapping)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
                params![
                new.name,
                now_ms(),
                new.sha256,
                new.size_bytes as i64,
                sheet.mapping.video_url.1,
                sheet.mapping.performance.1,
                to_json(&sheet.notices)?,
                new.is_demo,
                to_json(&sheet.mapping)?,
                ],
                |r| r.get(0),
            )?;
            const INSERT_ROW: &str =
                "INSERT INTO rows (dataset_id, row_number, accepted, video_url, performance, perf_raw, extra, details)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
            const INSERT_PROBLEM: &str =
                "INSERT INTO row_problems (dataset_id, row_number, field, message) VALUES (?1, ?2, ?3, ?4)";
            for ad in &sheet.accepted {
                db.execute(INSERT_ROW, params![
                    id,
                    ad.row,
                    true,
                    ad.video_url,
                    ad.performance,
                    ad.performance.to_string(),
                    to_json(&ad.extra)?,
                    to_json(&ad.details)?
                ])?;
            }
            for rejected in &sheet.rejected {
                db.execute(INSERT_ROW, params![
                    id,
                    rejected.row,
                    false,
                    rejected.video_url,
                    None::<f64>,
                    rejected.performance,
                    to_json(&rejected.extra)?,
                    "{}"
                ])?;
                for p in &rejected.problems {
                    db.execute(INSERT_PROBLEM, params![id, p.row, p.field, p.message])?;
                }
            }
            Ok(id)
        })
    }

    pub fn dataset(&self, id: DatasetId) -> Result<Dataset> {
        self.read(|db| {
            db.query_opt(
                &format!("SELECT {DATASET_COLUMNS} FROM datasets d WHERE d.id = ?1"),
                params![id],
                dataset_from_row,
            )
        })?
        .ok_or(StoreError::NotFound { what: "dataset", id })
    }

    /// All datasets, newest first.
    pub fn list_datasets(&self) -> Result<Vec<Dataset>> {
        self.read(|db| {
            db.query_map(
                &format!("SELECT {DATASET_COLUMNS} FROM datasets d ORDER BY d.id DESC"),
                params![],
                dataset_from_row,
            )
        })
    }

    /// Datasets made from a file with this content hash: (id, name), oldest first.
    pub fn datasets_with_sha256(&self, sha256: &str) -> Result<Vec<(DatasetId, String)>> {
        self.read(|db| {
            db.query_map("SELECT id, name FROM datasets WHERE sha256 = ?1 ORDER BY id", params![sha256], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
        })
    }

    /// Accepted rows in input order.
    pub fn accepted_rows(&self, id: DatasetId) -> Result<Vec<AdRow>> {
        self.read(|db| {
            db.query_map(
                "SELECT row_number, video_url, performance, extra, details FROM rows
                 WHERE dataset_id = ?1 AND accepted = 1 ORDER BY row_number",
                params![id],
                |r| {
                    Ok(AdRow {
                        row: r.get(0)?,
                        video_url: r.get(1)?,
                        performance: r.get(2)?,
                        extra: from_json(&r.get::<String>(3)?)?,
                        details: from_json(&r.get::<String>(4)?)?,
                    })
                },
            )
        })
    }

    /// Rejected rows in input order, each with all its problems.
    pub fn rejected_rows(&self, id: DatasetId) -> Result<Vec<RejectedRow>> {
        self.read(|db| {
            let rows = db.query_map(
                "SELECT row_number, video_url, perf_raw, extra FROM rows
                 WHERE dataset_id = ?1 AND accepted = 0 ORDER BY row_number",
                params![id],
                |r| {
                    let extra: String = r.get(3)?;
                    Ok(RejectedRow { row: r.get(0)?, video_url: r.get(1)?, performance: r.get(2)?, extra: from_json(&extra)?, problems: Vec::new() })
                },
            )?;
            rows.into_iter()
                .map(|mut rejected| {
                    rejected.problems = db.query_map(
                        "SELECT field, message FROM row_problems WHERE dataset_id = ?1 AND row_number = ?2 ORDER BY rowid",
                        params![id, rejected.row],
                        |r| Ok(RowProblem { row: rejected.row, field: r.get(0)?, message: r.get(1)? }),
                    )?;
                    Ok(rejected)
                })
                .collect()
        })
    }
}
