//! What a run's report shows, assembled in one place from the store, so the dashboard, the
//! exports and the standalone HTML report agree: creators in report order with their
//! statistics, every ad with what happened to it, and the charts.

use std::collections::HashMap;

use crate::charts::{self, ChartError, CreatorMean, FacePoint};
use crate::grouping::{CreatorId, Grouping, VideoId};
use crate::ingest::AdDetails;
use crate::pipeline::PipelineError;
use crate::stats::{GroupStats, shrink};
use crate::store::{LineStatus, RunId, StatsLevel, Store, StoreError};

/// Creators in the top charts.
pub const TOP_N: usize = 15;
/// Creators coloured on the face map (the palette's size; more would repeat colours).
pub const FACE_MAP_CREATORS: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Chart(#[from] ChartError),
}

/// One line of the influencer table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CreatorSummary {
    /// None: the videos with nobody on camera.
    pub key: Option<CreatorId>,
    pub label: String,
    pub face_file: Option<String>,
    pub videos: Vec<VideoId>,
    pub stats: GroupStats,
    pub still: bool,
    pub hidden: bool,
    /// The creator's unique video with the best mean, and that mean.
    pub best_video: Option<(VideoId, f64)>,
    /// The mean pulled toward the mean of all ads, the more the fewer ads it has (see
    /// [`crate::stats::shrink`]): what the table ranks by, so two lucky ads do not outrank
    /// fifty steady ones.
    pub shrunk_mean: f64,
}

impl CreatorSummary {
    /// A creator the charts show: someone on camera (a still face too: the flag is a hint for
    /// the user, not a verdict), not hidden by the user.
    pub fn is_charted(&self) -> bool {
        self.key.is_some() && !self.hidden
    }
}

/// One input row that was accepted, with what the run made of it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Ad {
    pub row: u32,
    pub video_url: String,
    pub performance: f64,
    pub details: AdDetails,
    pub status: LineStatus,
    pub video: Option<VideoId>,
    pub creator: Option<CreatorId>,
}

/// Everything the report is made of, for one run.
#[derive(Debug, Clone)]
pub struct RunData {
    pub grouping: Grouping,
    /// People on camera by mean (best first), then still faces, then "no creator on camera";
    /// hidden ones included, flagged.
    pub creators: Vec<CreatorSummary>,
    pub video_stats: HashMap<VideoId, GroupStats>,
    pub ads: Vec<Ad>,
    /// Distinct URLs of each unique video, in input order.
    pub urls: HashMap<VideoId, Vec<String>>,
}

pub const NO_CREATOR_LABEL: &str = "No creator on camera";

/// Only http(s) URLs become links, in the pages and the HTML report: anything else a
/// spreadsheet holds (`javascript:`, `file:`, a path) is shown as text.
pub fn is_web_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

pub fn load(store: &Store, run: RunId) -> Result<RunData, StoreError> {
    let dataset = store.run(run)?.dataset_id;
    let grouping = store.grouping(run)?;
    let video_stats: HashMap<VideoId, GroupStats> =
        store.stats(run, StatsLevel::Video)?.into_iter().filter_map(|s| Some((s.key?, s))).collect();
    let best_of = |videos: &[VideoId]| {
        videos
            .iter()
            .filter_map(|v| Some((*v, video_stats.get(v)?.mean)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
    };
    let no_face_videos: Vec<VideoId> = grouping.videos.iter().filter(|v| v.creator.is_none()).map(|v| v.id).collect();
    let mut creators: Vec<CreatorSummary> = store
        .stats(run, StatsLevel::Creator)?
        .into_iter()
        .map(|stats| {
            let creator = stats.key.and_then(|id| grouping.creators.iter().find(|c| c.id == id));
            let videos = creator.map_or_else(|| no_face_videos.clone(), |c| c.videos.clone());
            CreatorSummary {
                key: stats.key,
                label: creator.map_or_else(|| NO_CREATOR_LABEL.to_string(), |c| c.label.clone()),
                face_file: creator.map(|c| c.face_file.clone()),
                best_video: best_of(&videos),
                videos,
                still: creator.is_some_and(|c| c.still),
                hidden: creator.is_some_and(|c| c.hidden),
                shrunk_mean: stats.mean,
                stats,
            }
        })
        .collect();
    let groups: Vec<shrink::Group> = creators
        .iter()
        .map(|c| shrink::Group { n: c.stats.ads, mean: c.stats.mean, std_dev: c.stats.std_dev })
        .collect();
    let ads_total: u32 = groups.iter().map(|g| g.n).sum();
    let grand_mean = groups.iter().map(|g| g.mean * g.n as f64).sum::<f64>() / ads_total.max(1) as f64;
    for (c, shrunk) in creators.iter_mut().zip(shrink::shrunk_means(&groups, grand_mean)) {
        c.shrunk_mean = shrunk;
    }
    creators.sort_by(|a, b| {
        (a.key.is_none(), a.still)
            .cmp(&(b.key.is_none(), b.still))
            .then(b.shrunk_mean.total_cmp(&a.shrunk_mean))
            .then(a.key.cmp(&b.key))
    });
    let mut outcomes: HashMap<u32, LineStatus> = store
        .row_outcomes(run)?
        .into_iter()
        .map(|o| (o.row, LineStatus::Run { status: o.status, detail: o.detail }))
        .collect();
    let ads = store
        .accepted_rows(dataset)?
        .into_iter()
        .map(|row| Ad {
            status: outcomes.remove(&row.row).unwrap_or(LineStatus::NotProcessed),
            video: grouping.video_of_row.get(&row.row).copied(),
            creator: grouping.creator_of_row(row.row),
            row: row.row,
            video_url: row.video_url,
            performance: row.performance,
            details: row.details,
        })
        .collect();
    let urls = store.video_urls(run, dataset)?;
    Ok(RunData { grouping, creators, video_stats, ads, urls })
}

/// The report's charts as SVG elements.
#[derive(Debug, Clone, PartialEq)]
pub struct RunCharts {
    pub top_creators: String,
    pub distribution: String,
    pub mean_vs_ads: String,
    /// None when no face was found.
    pub face_map: Option<String>,
    /// None when the file has no dates.
    pub over_time: Option<String>,
}

pub fn charts(store: &Store, run: RunId, data: &RunData) -> Result<RunCharts, ReportError> {
    let people: Vec<&CreatorSummary> = data.creators.iter().filter(|c| c.is_charted()).collect();
    let mean_of = |c: &CreatorSummary| CreatorMean {
        label: c.label.clone(),
        mean: c.stats.mean,
        ci95: c.stats.ci95,
        ads: c.stats.ads,
    };
    let top: Vec<&CreatorSummary> = people.iter().take(TOP_N).copied().collect();
    let top_creators = charts::top_creators(&top.iter().map(|c| mean_of(c)).collect::<Vec<_>>())?;
    let groups: Vec<(String, Vec<f64>)> = top
        .iter()
        .map(|c| {
            let values = data.ads.iter().filter(|a| a.creator == c.key && a.video.is_some()).map(|a| a.performance);
            (c.label.clone(), values.collect())
        })
        .collect();
    let distribution = charts::distribution(&groups)?;
    let with_video: Vec<&Ad> = data.ads.iter().filter(|a| a.video.is_some()).collect();
    let overall = with_video.iter().map(|a| a.performance).sum::<f64>() / with_video.len().max(1) as f64;
    let mean_vs_ads = charts::mean_vs_ads(&people.iter().map(|c| mean_of(c)).collect::<Vec<_>>(), overall)?;

    // The face map: the tracks of the creators with the most ads.
    let mut mapped: Vec<&CreatorSummary> = people.clone();
    mapped.sort_by(|a, b| b.stats.ads.cmp(&a.stats.ads).then(a.key.cmp(&b.key)));
    mapped.truncate(FACE_MAP_CREATORS);
    let tracks = crate::pipeline::run_tracks(store, run)?;
    let mut points = Vec::new();
    for (group, summary) in mapped.iter().enumerate() {
        let Some(creator) = data.grouping.creators.iter().find(|c| Some(c.id) == summary.key) else { continue };
        for member in &creator.members {
            let track = tracks.get(&member.sha256).and_then(|t| t.iter().find(|t| t.index == member.track));
            if let Some(track) = track.filter(|t| !t.descriptor.is_empty()) {
                points.push(FacePoint { descriptor: track.descriptor.clone(), group });
            }
        }
    }
    let labels: Vec<String> = mapped.iter().map(|c| c.label.clone()).collect();
    let face_map = if points.len() >= 3 { Some(charts::face_map(&points, &labels)?) } else { None };

    let dated: Vec<(chrono::NaiveDate, f64)> = with_video
        .iter()
        .filter_map(|a| {
            let date = chrono::NaiveDate::parse_from_str(a.details.date.as_deref()?, "%Y-%m-%d").ok()?;
            Some((date, a.performance))
        })
        .collect();
    let over_time = if dated.len() >= 2 { Some(charts::over_time(&dated)?) } else { None };
    Ok(RunCharts { top_creators, distribution, mean_vs_ads, face_map, over_time })
}
