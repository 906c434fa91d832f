//! The report's server side: the core's [`report::RunData`] turned into the page types, the
//! influencer table sorted, searched, filtered and paged here, and the charts cached per run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use ips_core::creators::TrackRole;
use ips_core::grouping::{FaceVerdict, Grouping};
use ips_core::report::{self, CreatorSummary, RunData, is_web_url};
use ips_core::store::{RunId, Store, StoreError};
use leptos::prelude::*;

use super::{run_view, with_store};
use crate::model::{
    AdView, ChartsView, Confidence, CreatorChoice, CreatorDetail, CreatorRow, CreatorTable, FaceKey, FramePairView,
    LeftOutFace, LinkView, PAGE_SIZE, RunReport, SamePersonQuestion, Show, SortKey, StageView, TableQuery, TrackFace,
    VideoDetail, VideoRow, VideosReport,
};

/// A creator whose faces are on average further than this from their centre is worth a look
/// (one person's faces sit within about 0.2 of theirs; the clustering cut keeps groups within
/// 0.4 of each other on average).
const CHECK_COHESION: f32 = 0.2;

fn confidence(grouping: &Grouping, key: Option<u32>) -> Option<Confidence> {
    let c = grouping.creators.iter().find(|c| Some(c.id) == key)?;
    Some(Confidence {
        faces: c.members.len() as u32,
        cohesion: c.cohesion,
        left_out: c.left_out,
        check: c.cohesion > CHECK_COHESION,
    })
}

fn left_out_face(f: &FaceVerdict) -> LeftOutFace {
    let (kind, why) = match &f.role {
        TrackRole::Print { why } => ("print", format!("Face on a product: {why}")),
        TrackRole::Unclustered { why } => ("unclustered", why.clone()),
        TrackRole::Incidental { why } => ("incidental", why.clone()),
        TrackRole::Person => ("person", String::new()),
    };
    LeftOutFace {
        key: FaceKey { sha256: f.track.sha256.clone(), track: f.track.track },
        face_url: f.face_file.as_ref().map(|file| format!("/faces/{file}")),
        video_id: f.video,
        time_s: f.time_s,
        kind: kind.to_string(),
        why,
        attached_to: f.attached_to,
    }
}

fn creator_choice(c: &CreatorSummary) -> CreatorChoice {
    CreatorChoice {
        id: c.key.unwrap_or_default(),
        label: c.label.clone(),
        face_url: c.face_file.as_ref().map(|f| format!("/faces/{f}")),
        hidden: c.hidden,
    }
}

fn creator_row(c: &CreatorSummary, grouping: &Grouping) -> CreatorRow {
    CreatorRow {
        confidence: confidence(grouping, c.key),
        creator_id: c.key,
        label: c.label.clone(),
        face_url: c.face_file.as_ref().map(|f| format!("/faces/{f}")),
        unique_videos: c.videos.len() as u32,
        ads: c.stats.ads,
        mean: c.stats.mean,
        shrunk_mean: c.shrunk_mean,
        median: c.stats.median,
        std_dev: c.stats.std_dev,
        ci95: c.stats.ci95,
        spend_weighted_mean: c.stats.spend_weighted_mean,
        spend: c.stats.spend,
        still: c.still,
        hidden: c.hidden,
        best: c.stats.best,
        worst: c.stats.worst,
        best_video: c.best_video,
    }
}

/// The table rows of `query`'s view, and how many matched before paging.
pub fn table(data: &RunData, query: &TableQuery) -> CreatorTable {
    let needle = query.q.trim().to_lowercase();
    let mut rows: Vec<(usize, &CreatorSummary)> = data
        .creators
        .iter()
        .enumerate()
        .filter(|(_, c)| match query.show {
            Show::Hidden => c.hidden,
            Show::All => true,
            Show::Visible => !c.hidden,
        })
        .filter(|(_, c)| c.stats.ads >= query.min_ads)
        .filter(|(_, c)| needle.is_empty() || c.label.to_lowercase().contains(&needle))
        .collect();
    let missing_last = |v: Option<f64>| v.unwrap_or(f64::NEG_INFINITY);
    rows.sort_by(|(ia, a), (ib, b)| {
        use std::cmp::Ordering;
        let by: Ordering = match query.sort {
            SortKey::Creator => a.label.to_lowercase().cmp(&b.label.to_lowercase()),
            SortKey::Videos => a.videos.len().cmp(&b.videos.len()),
            SortKey::Ads => a.stats.ads.cmp(&b.stats.ads),
            SortKey::Mean => a.stats.mean.total_cmp(&b.stats.mean),
            SortKey::Ci => missing_last(a.stats.ci95.map(|c| c.0)).total_cmp(&missing_last(b.stats.ci95.map(|c| c.0))),
            SortKey::Median => a.stats.median.total_cmp(&b.stats.median),
            SortKey::SpendMean => {
                missing_last(a.stats.spend_weighted_mean).total_cmp(&missing_last(b.stats.spend_weighted_mean))
            }
            SortKey::Best => {
                missing_last(a.best_video.map(|v| v.1)).total_cmp(&missing_last(b.best_video.map(|v| v.1)))
            }
            // The report's own order (people by their shrunk mean, still faces, no creator).
            SortKey::Rank => ia.cmp(ib),
        };
        let by = if query.desc { by.reverse() } else { by };
        // "No creator on camera" is not a creator: it stays last whatever the sort.
        a.key.is_none().cmp(&b.key.is_none()).then(by).then(ia.cmp(ib))
    });
    let matching = rows.len() as u32;
    let pages = matching.div_ceil(PAGE_SIZE).max(1);
    let page = query.page.min(pages);
    let start = ((page - 1) * PAGE_SIZE) as usize;
    CreatorTable {
        rows: rows.iter().skip(start).take(PAGE_SIZE as usize).map(|(_, c)| creator_row(c, &data.grouping)).collect(),
        matching,
        total: data.creators.len() as u32,
        hidden: data.creators.iter().filter(|c| c.hidden).count() as u32,
        pages,
        query: TableQuery { page, ..query.clone() },
        has_spend: data.creators.iter().any(|c| c.stats.spend.is_some()),
    }
}

/// Runs whose charts are kept in memory (about 100 KB each).
const CACHED_RUNS: usize = 32;

/// Charts of finished runs, by run and (the time it finished, its edit version): a resume or an
/// edit draws them again.
type ChartCache = Mutex<HashMap<RunId, ((i64, i64), Arc<ChartsView>)>>;

fn chart_cache() -> &'static ChartCache {
    static CACHE: OnceLock<ChartCache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

fn charts(
    store: &Store,
    run: RunId,
    version: (i64, i64),
    data: &RunData,
) -> Result<Option<Arc<ChartsView>>, StoreError> {
    if let Some((drawn, charts)) = chart_cache().lock().map_err(|_| poisoned())?.get(&run)
        && *drawn == version
    {
        return Ok(Some(Arc::clone(charts)));
    }
    let made = match report::charts(store, run, data) {
        Ok(c) => c,
        Err(report::ReportError::Store(e)) => return Err(e),
        Err(e) => {
            tracing::error!("charts of run {run}: {e}");
            return Ok(None);
        }
    };
    let view = Arc::new(ChartsView {
        top_creators: made.top_creators,
        distribution: made.distribution,
        mean_vs_ads: made.mean_vs_ads,
        face_map: made.face_map,
        over_time: made.over_time,
    });
    let mut cache = chart_cache().lock().map_err(|_| poisoned())?;
    // Bounded: the runs finished longest ago make room (they are drawn again if asked for).
    while cache.len() >= CACHED_RUNS {
        let Some(oldest) = cache.iter().min_by_key(|(_, (at, _))| *at).map(|(run, _)| *run) else { break };
        cache.remove(&oldest);
    }
    cache.insert(run, (version, Arc::clone(&view)));
    Ok(Some(view))
}

fn poisoned() -> StoreError {
    StoreError::Corrupt("chart cache lock poisoned".to_string())
}

pub async fn run_report(run_id: i64, query: TableQuery) -> Result<RunReport, ServerFnError> {
    with_store(move |store| build_run_report(store, run_id, &query)).await
}

/// The report page's data; public for the server's rendering benchmark.
pub fn build_run_report(store: &Store, run_id: i64, query: &TableQuery) -> Result<RunReport, StoreError> {
    use ips_core::pipeline::Stage;

    let run = store.run(run_id)?;
    let dataset = store.dataset(run.dataset_id)?;
    let finished: Vec<String> = store.stage_finish_times(run_id)?.into_iter().map(|(stage, _)| stage).collect();
    let stages = Stage::ALL
        .iter()
        .map(|stage| {
            let name = stage.name().to_string();
            let state = if finished.contains(&name) {
                "done"
            } else if run.status.is_active() && run.stage.as_deref() == Some(stage.name()) {
                "active"
            } else {
                "pending"
            };
            StageView { name, state: state.to_string() }
        })
        .collect();
    // The version first: if an edit lands while the data loads, the page carries the older
    // version with newer data, so its next write is refused (reload) rather than misapplied.
    let version = store.edit_version(run_id)?;
    let data = report::load(store, run_id)?;
    let charts = match run.finished_at_ms {
        Some(at) if !run.status.is_active() && data.creators.iter().any(CreatorSummary::is_charted) => {
            charts(store, run_id, (at, version), &data)?.map(|c| (*c).clone())
        }
        _ => None,
    };
    let edits = match run.status {
        ips_core::store::RunStatus::Succeeded => Some(super::edit::edits_view(store, run_id, version, &data.grouping)?),
        _ => None,
    };
    let rows_failed = data.ads.iter().filter(|a| a.status.is_problem()).count() as u32;
    Ok(RunReport {
        run: run_view(store, run, true)?,
        dataset_id: dataset.id,
        dataset_name: dataset.name,
        is_demo: dataset.is_demo,
        stages,
        table: table(&data, query),
        charts,
        creators_on_camera: data.creators.iter().filter(|c| c.key.is_some() && !c.hidden).count() as u32,
        unique_videos: data.grouping.videos.len() as u32,
        rows_failed,
        rows_rejected: dataset.rejected_rows,
        questions: questions(&data),
        faces_on_products: data
            .grouping
            .faces
            .iter()
            .filter(|f| matches!(f.role, TrackRole::Print { .. }))
            .map(left_out_face)
            .collect(),
        edits,
    })
}

/// The run's "Same person?" questions, with both creators as the table shows them (hidden ones
/// left out: the user has dealt with them).
fn questions(data: &RunData) -> Vec<SamePersonQuestion> {
    let choice = |id: u32| data.creators.iter().find(|c| c.key == Some(id) && !c.hidden).map(creator_choice);
    data.grouping
        .questions
        .iter()
        .filter_map(|q| Some(SamePersonQuestion { a: choice(q.a)?, b: choice(q.b)?, distance: q.distance }))
        .collect()
}

mod creator;
mod videos;

use creator::ad_view;
pub use creator::creator_detail;
use videos::video_row;
pub use videos::{run_videos, video_detail};
