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

fn video_row(store: &Store, data: &RunData, id: u32) -> Option<VideoRow> {
    let video = data.grouping.videos.iter().find(|v| v.id == id)?;
    let stats = data.video_stats.get(&id)?;
    let stills = video.sha256s.iter().find_map(|sha| store.stills_file(sha).ok().flatten());
    let creator = video.creator.and_then(|c| data.grouping.creators.iter().find(|x| x.id == c));
    let (urls, other_urls) = data.urls.get(&id).cloned().unwrap_or_default().into_iter().partition(|u| is_web_url(u));
    Some(VideoRow {
        video_id: id,
        hook_family: video.hook_family,
        stills_url: stills.map(|f| format!("/stills/{f}")),
        files: video.sha256s.len() as u32,
        ads: stats.ads,
        mean: stats.mean,
        median: stats.median,
        ci95: stats.ci95,
        spend_weighted_mean: stats.spend_weighted_mean,
        creator_id: creator.map(|c| c.id),
        creator: creator.map(|c| c.label.clone()),
        urls,
        other_urls,
        similar: video.similar.clone(),
    })
}

pub async fn run_videos(run_id: i64) -> Result<VideosReport, ServerFnError> {
    with_store(move |store| {
        let run = store.run(run_id)?;
        let dataset = store.dataset(run.dataset_id)?;
        let version = store.edit_version(run_id)?;
        let data = report::load(store, run_id)?;
        let mut videos: Vec<VideoRow> =
            data.grouping.videos.iter().filter_map(|v| video_row(store, &data, v.id)).collect();
        let mut families: Vec<Vec<VideoRow>> = Vec::new();
        for video in &videos {
            match families.iter_mut().find(|f| f[0].hook_family == video.hook_family) {
                Some(family) => family.push(video.clone()),
                None => families.push(vec![video.clone()]),
            }
        }
        families.retain(|f| f.len() > 1);
        videos.sort_by(|a, b| b.ads.cmp(&a.ads).then(a.video_id.cmp(&b.video_id)));
        let clip_on = data.grouping.videos.iter().any(|v| v.similar.is_some());
        let editable = run.status == ips_core::store::RunStatus::Succeeded;
        Ok(VideosReport {
            run_id,
            dataset_name: dataset.name,
            hook_families: families,
            videos,
            clip_on,
            version,
            editable,
        })
    })
    .await
}

fn ad_view(ad: &report::Ad) -> AdView {
    AdView {
        row: ad.row,
        url: ad.video_url.clone(),
        linkable: is_web_url(&ad.video_url),
        performance: ad.performance,
        spend: ad.details.spend,
        date: ad.details.date.clone(),
        campaign: ad.details.campaign.clone(),
        ad_name: ad.details.ad_name.clone(),
        status: ad.status.to_string(),
        video_id: ad.video,
    }
}

pub async fn creator_detail(run_id: i64, creator: String) -> Result<CreatorDetail, ServerFnError> {
    let key: Option<u32> = match creator.as_str() {
        "none" => None,
        id => Some(id.parse().map_err(|_| ServerFnError::new(format!("There is no creator {id}.")))?),
    };
    with_store(move |store| {
        let run = store.run(run_id)?;
        let dataset = store.dataset(run.dataset_id)?;
        let version = store.edit_version(run_id)?;
        let data = report::load(store, run_id)?;
        let not_found = || StoreError::NotFound { what: "creator", id: key.map_or(0, i64::from) };
        let summary = data.creators.iter().find(|c| c.key == key).ok_or_else(not_found)?;
        let grouped = key.and_then(|k| data.grouping.creators.iter().find(|c| c.id == k));
        let mut faces = Vec::new();
        if let Some(creator) = grouped {
            let tracks =
                ips_core::pipeline::run_tracks(store, run_id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let video_of_sha: HashMap<&str, u32> =
                data.grouping.videos.iter().flat_map(|v| v.sha256s.iter().map(move |s| (s.as_str(), v.id))).collect();
            for (k, member) in creator.members.iter().enumerate() {
                let Some(track) = tracks.get(&member.sha256).and_then(|t| t.iter().find(|t| t.index == member.track))
                else {
                    continue;
                };
                let attached =
                    data.grouping.faces.iter().any(|f| &f.track == member && f.attached_to == Some(creator.id));
                let Some(face) = &track.face_file else { continue };
                faces.push(TrackFace {
                    key: FaceKey { sha256: member.sha256.clone(), track: member.track },
                    is_face: creator.face_track.as_ref() == Some(member),
                    face_url: format!("/faces/{face}"),
                    video_id: video_of_sha.get(member.sha256.as_str()).copied(),
                    first_s: track.first_s,
                    last_s: track.last_s,
                    frames: track.frames,
                    distance: creator.member_distances.get(k).copied().unwrap_or_default(),
                    attached,
                });
            }
            // The least typical face first: a wrong face is the first one to see.
            faces.sort_by(|a, b| b.distance.total_cmp(&a.distance));
        }
        let videos = summary.videos.iter().filter_map(|v| video_row(store, &data, *v)).collect();
        let ads: Vec<AdView> = data.ads.iter().filter(|a| a.video.is_some() && a.creator == key).map(ad_view).collect();
        let values: Vec<f64> = ads.iter().map(|a| a.performance).collect();
        let distribution = ips_core::charts::distribution(&[(summary.label.clone(), values)]).ok();
        let others = data.creators.iter().filter(|c| c.key.is_some() && c.key != key).map(creator_choice).collect();
        Ok(CreatorDetail {
            version,
            editable: run.status == ips_core::store::RunStatus::Succeeded && key.is_some(),
            others,
            run_id,
            dataset_name: dataset.name,
            creator: creator_row(summary, &data.grouping),
            faces,
            videos,
            appears_in: grouped.map(|c| c.appears_in.clone()).unwrap_or_default(),
            ads,
            distribution,
        })
    })
    .await
}

/// How a frame map reads: "zoomed in 1.4×", "shrunk to 75 % (a card or bars)", "squeezed".
fn describe_map(t: &ips_core::keypoints::Transform) -> String {
    let (sx, sy) = (t.scale_x, t.scale_y);
    let scale = (sx + sy) / 2.0;
    if (sx - sy).abs() > 0.1 * scale {
        format!("re-framed: {:.0} % wide, {:.0} % high", sx * 100.0, sy * 100.0)
    } else if scale > 1.05 {
        format!("zoomed in {scale:.2}×")
    } else if scale < 0.95 {
        format!("shrunk to {:.0} % (on a card or between bars)", scale * 100.0)
    } else {
        "the same framing".to_string()
    }
}

fn frame_match(m: &ips_core::similarity::FrameMatch) -> String {
    use ips_core::similarity::FrameMatch;
    match m {
        FrameMatch::Fingerprint { distance, mirrored: true } => format!("mirrored, fingerprints {distance:.2} apart"),
        FrameMatch::Fingerprint { distance, .. } => format!("fingerprints {distance:.2} apart"),
        FrameMatch::Keypoints(t) => format!("{} keypoints agree: {}", t.inliers, describe_map(t)),
    }
}

fn link_view(link: &ips_core::grouping::FileLink, times: &dyn Fn(&str, u32) -> f64) -> LinkView {
    use ips_core::grouping::LinkKind;
    use ips_core::similarity::FrameMatch;
    let maps: Vec<&ips_core::keypoints::Transform> = link
        .frames
        .iter()
        .filter_map(|f| match &f.by {
            FrameMatch::Keypoints(t) => Some(t),
            _ => None,
        })
        .collect();
    let mirrored = link.frames.iter().any(|f| matches!(f.by, FrameMatch::Fingerprint { mirrored: true, .. }));
    let how = match (maps.first(), mirrored) {
        (_, true) => ", mirrored".to_string(),
        (Some(t), false) => format!(", {}", describe_map(t)),
        (None, false) => String::new(),
    };
    let (kind, what) = match link.kind {
        LinkKind::Copy => ("copy", format!("The same video{how}")),
        LinkKind::OtherOverlay => {
            ("other_overlay", format!("The same footage with another caption, card or last shot{how}"))
        }
        LinkKind::SameBody => ("same_body", format!("The same body behind another hook{how}")),
        LinkKind::Clip => ("clip", "Joined by CLIP: their pictures are alike".to_string()),
        LinkKind::User => ("user", "Joined by you: the same ad".to_string()),
    };
    LinkView {
        kind: kind.to_string(),
        what,
        a: link.a.clone(),
        b: link.b.clone(),
        frames: link
            .frames
            .iter()
            .map(|f| FramePairView {
                a: f.a,
                b: f.b,
                a_s: times(&link.a, f.a),
                b_s: times(&link.b, f.b),
                how: frame_match(&f.by),
            })
            .collect(),
    }
}

pub async fn video_detail(run_id: i64, video_id: u32) -> Result<VideoDetail, ServerFnError> {
    with_store(move |store| {
        let run = store.run(run_id)?;
        let dataset = store.dataset(run.dataset_id)?;
        let version = store.edit_version(run_id)?;
        let data = report::load(store, run_id)?;
        let video =
            video_row(store, &data, video_id).ok_or(StoreError::NotFound { what: "video", id: i64::from(video_id) })?;
        let family = data
            .grouping
            .videos
            .iter()
            .filter(|v| v.hook_family == video.hook_family && v.id != video_id)
            .filter_map(|v| video_row(store, &data, v.id))
            .collect();
        let also_on_camera = data
            .grouping
            .creators
            .iter()
            .filter(|c| c.appears_in.contains(&video_id))
            .map(|c| (c.id, c.label.clone()))
            .collect();
        let ads = data.ads.iter().filter(|a| a.video == Some(video_id)).map(ad_view).collect();
        let unclustered = data.grouping.faces.iter().filter(|f| f.video == video_id).map(left_out_face).collect();
        // The evidence: this video's links, with every file they name and its frame sheet.
        let this = data.grouping.videos.iter().find(|v| v.id == video_id);
        let mut links: Vec<&ips_core::grouping::FileLink> = this.map(|v| v.links.iter().collect()).unwrap_or_default();
        for other in data.grouping.videos.iter().filter(|v| v.id != video_id) {
            links.extend(other.links.iter().filter(|l| this.is_some_and(|t| t.sha256s.contains(&l.b))));
        }
        let settings =
            ips_core::pipeline::run_settings(store, run_id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let key = settings.as_ref().map(ips_core::pipeline::analysis_key).unwrap_or_default();
        let mut shas: Vec<String> = this.map(|v| v.sha256s.clone()).unwrap_or_default();
        for l in &links {
            for sha in [&l.a, &l.b] {
                if !shas.contains(sha) {
                    shas.push(sha.clone());
                }
            }
        }
        let mut url_of: HashMap<String, String> = HashMap::new();
        for outcome in store.row_outcomes(run_id)? {
            let (Some(sha), Some(ad)) = (outcome.sha256, data.ads.iter().find(|a| a.row == outcome.row)) else {
                continue;
            };
            url_of.entry(sha).or_insert_with(|| ad.video_url.clone());
        }
        let mut files = Vec::new();
        let mut times: HashMap<String, Vec<f64>> = HashMap::new();
        for sha in &shas {
            let analysis = store.video_analysis(sha, &key)?;
            let (width, height) =
                analysis.as_ref().and_then(|a| a.info.as_ref()).map_or((0, 0), |i| (i.width, i.height));
            let frame_height = ips_core::stills::STILL_HEIGHT as u32;
            let frame_width =
                if height > 0 { (width as f64 * frame_height as f64 / height as f64).round() as u32 } else { 0 };
            let video = data.grouping.videos.iter().find(|v| v.sha256s.contains(sha)).map_or(0, |v| v.id);
            files.push(crate::model::VideoFile {
                sha256: sha.clone(),
                video_id: video,
                url: url_of.get(sha).cloned(),
                frames_url: analysis.as_ref().and_then(|a| a.frames_file.as_ref()).map(|f| format!("/stills/{f}")),
                frame_width,
                frame_height,
            });
            times.insert(
                sha.clone(),
                analysis.map(|a| a.fingerprints.iter().map(|f| f.time_s()).collect()).unwrap_or_default(),
            );
        }
        let time =
            |sha: &str, frame: u32| times.get(sha).and_then(|t| t.get(frame as usize)).copied().unwrap_or_default();
        let links = links.into_iter().map(|l| link_view(l, &time)).collect();
        Ok(VideoDetail {
            run_id,
            dataset_name: dataset.name,
            video,
            ads,
            family,
            also_on_camera,
            unclustered,
            files,
            links,
            version,
            editable: run.status == ips_core::store::RunStatus::Succeeded,
        })
    })
    .await
}
