//! A run's results: each row's outcome, the grouping, the statistics, and the reads the report
//! and the exports are made of.

use std::collections::HashMap;

use super::sql::{Row, params};

use super::{DatasetId, LineStatus, Result, RowStatus, RunId, Store, StoreError};
use crate::grouping::{CorrectionsApplied, Creator, Grouping, UniqueVideo};
use crate::stats::GroupStats;

/// What happened to one accepted row in a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RowOutcome {
    pub row: u32,
    pub status: RowStatus,
    /// The reason, for `Failed` and `Unreadable`.
    pub detail: Option<String>,
    pub sha256: Option<String>,
}

/// A `run_creators` row before its JSON cells are read.
struct StoredCreator {
    id: u32,
    label: String,
    face_file: String,
    members: String,
    appears_in: String,
    hidden: bool,
    still: bool,
    hidden_reason: Option<String>,
    named: bool,
    face_track: Option<String>,
    cohesion: f32,
    member_distances: String,
    left_out: u32,
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Level of a statistics row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsLevel {
    Video,
    Creator,
}

impl StatsLevel {
    fn as_str(self) -> &'static str {
        match self {
            StatsLevel::Video => "video",
            StatsLevel::Creator => "creator",
        }
    }
}

/// One line of `ads.csv`: every row of the dataset, in input order, rejected ones included.
#[derive(Debug, Clone, PartialEq)]
pub struct AdLine {
    pub row: u32,
    pub video_url: Option<String>,
    /// The cell as given.
    pub performance: Option<String>,
    pub status: LineStatus,
    pub video_id: Option<u32>,
    pub hook_family: Option<u32>,
    pub creator_id: Option<u32>,
}

impl Store {
    /// Upserts row outcomes in one transaction.
    pub fn set_row_outcomes(&self, run: RunId, outcomes: &[RowOutcome]) -> Result<()> {
        self.write(|db| {
            for o in outcomes {
                db.execute(
                    "INSERT INTO run_rows (run_id, row_number, status, detail, video_sha256) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (run_id, row_number) DO UPDATE
                     SET status = excluded.status, detail = excluded.detail, video_sha256 = excluded.video_sha256",
                    params![run, o.row, o.status.word(), o.detail, o.sha256],
                )?;
            }
            Ok(())
        })
    }

    /// Says of every row of `run` whose video is `sha256` that it downloaded but could not be read.
    pub fn mark_rows_unreadable(&self, run: RunId, sha256: &str, reason: &str) -> Result<()> {
        self.mark_rows(run, sha256, RowStatus::Unreadable, reason)
    }

    /// Says of every row of `run` whose video is `sha256` that its analysis failed for good
    /// (a work-queue task given up), with why.
    pub fn mark_rows_failed(&self, run: RunId, sha256: &str, reason: &str) -> Result<()> {
        self.mark_rows(run, sha256, RowStatus::Failed, reason)
    }

    fn mark_rows(&self, run: RunId, sha256: &str, status: RowStatus, reason: &str) -> Result<()> {
        self.read(|db| {
            db.execute(
                "UPDATE run_rows SET status = ?4, detail = ?3 WHERE run_id = ?1 AND video_sha256 = ?2",
                params![run, sha256, reason, status.word()],
            )?;
            Ok(())
        })
    }

    pub fn row_outcomes(&self, run: RunId) -> Result<Vec<RowOutcome>> {
        self.read(|db| {
            db.query_map(
                "SELECT row_number, status, detail, video_sha256 FROM run_rows WHERE run_id = ?1 ORDER BY row_number",
                params![run],
                row_outcome_from_row,
            )
        })
    }

    /// Replaces the run's grouping.
    pub fn save_grouping(&self, run: RunId, grouping: &Grouping) -> Result<()> {
        self.write(|db| {
            db.execute("DELETE FROM run_videos WHERE run_id = ?1", params![run])?;
            db.execute("DELETE FROM run_creators WHERE run_id = ?1", params![run])?;
            for v in &grouping.videos {
                let similar = v
                    .similar
                    .as_ref()
                    .map(serde_json::to_string)
                    .transpose()
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                // The video's links ride on its first file's row.
                let links = to_json(&v.links)?;
                for (k, sha) in v.sha256s.iter().enumerate() {
                    let links = if k == 0 { links.as_str() } else { "[]" };
                    db.execute(
                        "INSERT INTO run_videos (run_id, video_id, sha256, creator_id, hook_family, \"similar\", links) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![run, v.id, sha, v.creator, v.hook_family, similar, links],
                    )?;
                }
            }
            // The crash test kills the process here, with the transaction open and half written.
            fail::fail_point!("save-grouping");
            for c in &grouping.creators {
                let members = to_json(&c.members)?;
                let appears_in = to_json(&c.appears_in)?;
                let face_track = c.face_track.as_ref().map(to_json).transpose()?;
                db.execute(
                    "INSERT INTO run_creators (run_id, creator_id, label, face_file, members, appears_in, hidden, still, hidden_reason, named, face_track, cohesion, member_distances, left_out)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                    params![
                        run,
                        c.id,
                        c.label,
                        c.face_file,
                        members,
                        appears_in,
                        c.hidden,
                        c.still,
                        c.hidden_reason,
                        c.named,
                        face_track,
                        c.cohesion,
                        to_json(&c.member_distances)?,
                        c.left_out
                    ],
                )?;
            }
            db.execute(
                "UPDATE runs SET corrections = ?2, faces = ?3, questions = ?4 WHERE id = ?1",
                params![run, to_json(&grouping.corrections)?, to_json(&grouping.faces)?, to_json(&grouping.questions)?],
            )?;
            Ok(())
        })
    }

    /// The run's grouping as saved, with rows mapped through their outcomes' video hashes.
    pub fn grouping(&self, run: RunId) -> Result<Grouping> {
        self.read(|db| {
            let mut videos: Vec<UniqueVideo> = Vec::new();
            let rows = db.query_map(
                "SELECT video_id, sha256, creator_id, hook_family, \"similar\", links FROM run_videos WHERE run_id = ?1 ORDER BY video_id, rowid",
                params![run],
                |r| {
                    Ok((
                        r.get::<u32>(0)?,
                        r.get::<String>(1)?,
                        r.get::<Option<u32>>(2)?,
                        r.get::<u32>(3)?,
                        r.get::<Option<String>>(4)?,
                        r.get::<String>(5)?,
                    ))
                },
            )?;
            for (id, sha, creator, hook_family, similar, links) in rows {
                match videos.last_mut() {
                    Some(last) if last.id == id => last.sha256s.push(sha),
                    _ => {
                        let similar = similar
                            .map(|s| serde_json::from_str(&s))
                            .transpose()
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                        videos.push(UniqueVideo {
                            id,
                            sha256s: vec![sha],
                            creator,
                            hook_family,
                            similar,
                            links: from_json(&links)?,
                        })
                    }
                }
            }
            let rows = db.query_map(
                "SELECT creator_id, label, face_file, members, appears_in, hidden, still, hidden_reason, named, face_track, cohesion, member_distances, left_out
                 FROM run_creators WHERE run_id = ?1 ORDER BY creator_id",
                params![run],
                stored_creator_from_row,
            )?;
            let mut creators = rows
                .into_iter()
                .map(|c| {
                    Ok(Creator {
                        id: c.id,
                        label: c.label,
                        videos: Vec::new(),
                        face_file: c.face_file,
                        members: from_json(&c.members)?,
                        appears_in: from_json(&c.appears_in)?,
                        hidden: c.hidden,
                        hidden_reason: c.hidden_reason,
                        named: c.named,
                        face_track: c.face_track.as_deref().map(from_json).transpose()?,
                        still: c.still,
                        cohesion: c.cohesion,
                        member_distances: from_json(&c.member_distances)?,
                        left_out: c.left_out,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            for v in &videos {
                if let Some(c) = v.creator.and_then(|c| creators.iter_mut().find(|x| x.id == c)) {
                    c.videos.push(v.id);
                }
            }
            let video_of_sha: HashMap<&str, u32> =
                videos.iter().flat_map(|v| v.sha256s.iter().map(move |s| (s.as_str(), v.id))).collect();
            let video_of_row = db
                .query_map(
                    "SELECT row_number, video_sha256 FROM run_rows WHERE run_id = ?1 AND video_sha256 IS NOT NULL",
                    params![run],
                    |r| Ok((r.get::<u32>(0)?, r.get::<String>(1)?)),
                )?
                .into_iter()
                .filter_map(|(row, sha)| video_of_sha.get(sha.as_str()).map(|v| (row, *v)))
                .collect();
            let (corrections, faces, questions): (String, String, String) =
                db.query_one("SELECT corrections, faces, questions FROM runs WHERE id = ?1", params![run], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
            let corrections: CorrectionsApplied = from_json(&corrections)?;
            Ok(Grouping {
                videos,
                creators,
                video_of_row,
                corrections,
                faces: from_json(&faces)?,
                questions: from_json(&questions)?,
            })
        })
    }

    /// Replaces the run's statistics at one level.
    pub fn save_stats(&self, run: RunId, level: StatsLevel, stats: &[GroupStats]) -> Result<()> {
        self.write(|db| {
            db.execute("DELETE FROM run_stats WHERE run_id = ?1 AND level = ?2", params![run, level.as_str()])?;
            for s in stats {
                db.execute(
                    "INSERT INTO run_stats (run_id, level, group_id, ads, mean, median, std_dev, best_row, best, worst_row, worst, ci_low, ci_high, spend, spend_weighted_mean)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                    params![
                        run,
                        level.as_str(),
                        s.key.unwrap_or(0),
                        s.ads,
                        s.mean,
                        s.median,
                        s.std_dev,
                        s.best_row,
                        s.best,
                        s.worst_row,
                        s.worst,
                        s.ci95.map(|c| c.0),
                        s.ci95.map(|c| c.1),
                        s.spend,
                        s.spend_weighted_mean
                    ],
                )?;
            }
            Ok(())
        })
    }

    /// The run's statistics at one level, in group order (the no-creator group, key None, last).
    pub fn stats(&self, run: RunId, level: StatsLevel) -> Result<Vec<GroupStats>> {
        self.read(|db| {
            // CASE rather than `group_id = 0`: the same number (0, then 1 for the no-creator
            // group) in both dialects, not a boolean on PostgreSQL.
            db.query_map(
                "SELECT group_id, ads, mean, median, std_dev, best_row, best, worst_row, worst, ci_low, ci_high, spend, spend_weighted_mean FROM run_stats
                 WHERE run_id = ?1 AND level = ?2 ORDER BY CASE WHEN group_id = 0 THEN 1 ELSE 0 END, group_id",
                params![run, level.as_str()],
                |r| {
                    let key: u32 = r.get(0)?;
                    Ok(GroupStats {
                        key: (key != 0).then_some(key),
                        ads: r.get(1)?,
                        mean: r.get(2)?,
                        median: r.get(3)?,
                        std_dev: r.get(4)?,
                        best_row: r.get(5)?,
                        best: r.get(6)?,
                        worst_row: r.get(7)?,
                        worst: r.get(8)?,
                        ci95: r.get::<Option<f64>>(9)?.zip(r.get::<Option<f64>>(10)?),
                        spend: r.get(11)?,
                        spend_weighted_mean: r.get(12)?,
                    })
                },
            )
        })
    }

    /// The distinct URLs of each unique video of the run, in input order.
    pub fn video_urls(&self, run: RunId, dataset: DatasetId) -> Result<HashMap<u32, Vec<String>>> {
        let rows = self.read(|db| {
            db.query_map(
                "SELECT rv.video_id, r.video_url FROM run_rows rr
                 JOIN rows r ON r.dataset_id = ?2 AND r.row_number = rr.row_number
                 JOIN run_videos rv ON rv.run_id = rr.run_id AND rv.sha256 = rr.video_sha256
                 WHERE rr.run_id = ?1 ORDER BY rr.row_number",
                params![run, dataset],
                |r| Ok((r.get::<u32>(0)?, r.get::<String>(1)?)),
            )
        })?;
        let mut urls: HashMap<u32, Vec<String>> = HashMap::new();
        for (video, url) in rows {
            let list = urls.entry(video).or_default();
            if !list.contains(&url) {
                list.push(url);
            }
        }
        Ok(urls)
    }

    /// Every row of the run's dataset with what happened to it, in input order.
    pub fn ad_lines(&self, run: RunId, dataset: DatasetId) -> Result<Vec<AdLine>> {
        let problems: HashMap<u32, String> = self
            .rejected_rows(dataset)?
            .into_iter()
            .map(|r| {
                (r.row, r.problems.iter().map(|p| format!("{}: {}", p.field, p.message)).collect::<Vec<_>>().join("; "))
            })
            .collect();
        self.read(|db| {
            db.query_map(
                "SELECT r.row_number, r.video_url, r.perf_raw, r.accepted, rr.status, rr.detail, rv.video_id, rv.creator_id, rv.hook_family
                 FROM rows r
                 LEFT JOIN run_rows rr ON rr.run_id = ?1 AND rr.row_number = r.row_number
                 LEFT JOIN run_videos rv ON rv.run_id = ?1 AND rv.sha256 = rr.video_sha256
                 WHERE r.dataset_id = ?2
                 ORDER BY r.row_number",
                params![run, dataset],
                |r| {
                    let row: u32 = r.get(0)?;
                    let accepted: bool = r.get(3)?;
                    let status: Option<RowStatus> = r.get(4)?;
                    let detail: Option<String> = r.get(5)?;
                    Ok(AdLine {
                        row,
                        video_url: r.get(1)?,
                        performance: r.get(2)?,
                        status: if accepted {
                            LineStatus::of(status, detail)
                        } else {
                            LineStatus::Rejected(problems.get(&row).cloned().unwrap_or_default())
                        },
                        video_id: r.get(6)?,
                        creator_id: r.get(7)?,
                        hook_family: r.get(8)?,
                    })
                },
            )
        })
    }
}

fn row_outcome_from_row(r: &Row) -> Result<RowOutcome> {
    Ok(RowOutcome { row: r.get(0)?, status: r.get(1)?, detail: r.get(2)?, sha256: r.get(3)? })
}

fn stored_creator_from_row(r: &Row) -> Result<StoredCreator> {
    Ok(StoredCreator {
        id: r.get(0)?,
        label: r.get(1)?,
        face_file: r.get(2)?,
        members: r.get(3)?,
        appears_in: r.get(4)?,
        hidden: r.get(5)?,
        still: r.get(6)?,
        hidden_reason: r.get(7)?,
        named: r.get(8)?,
        face_track: r.get(9)?,
        cohesion: r.get(10)?,
        member_distances: r.get(11)?,
        left_out: r.get(12)?,
    })
}
