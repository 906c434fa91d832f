//! Stage `fetch`: every distinct URL of the run's rows is fetched once, with bounded concurrency;
//! URLs fetched before (by this run before a restart, or by any earlier run) whose video is still
//! in the cache are not fetched again. Each row ends `downloaded`, `cached` or `failed: reason`.

use std::collections::HashMap;

use futures_util::StreamExt;

use super::{CancelFlag, Context, PipelineError, PipelineSettings, Stage};
use crate::fetch::{FetchOutcome, Fetcher, VideoCache};
use crate::store::{DatasetId, RowOutcome, RowStatus, RunId};

pub(super) fn run(
    ctx: &Context<'_>,
    settings: &PipelineSettings,
    run_id: RunId,
    dataset: DatasetId,
    cancel: &CancelFlag,
) -> Result<bool, PipelineError> {
    let store = ctx.store;
    let rows = store.accepted_rows(dataset)?;
    let mut urls: Vec<&str> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for row in &rows {
        if seen.insert(row.video_url.as_str()) {
            urls.push(&row.video_url);
        }
    }
    let total = urls.len() as u64;
    let cache = VideoCache::new(&ctx.data_dir);
    let mut outcomes: HashMap<&str, FetchOutcome> = HashMap::new();
    let mut to_fetch = Vec::new();
    // This run's own downloads before a restart stay `downloaded`: the resumed run reports what an
    // uninterrupted one would.
    let ours = store.urls_fetched_by(run_id)?;
    for url in urls {
        match store.url_video(url)? {
            Some(video) if cache.contains(&video.sha256, video.container) => {
                let outcome =
                    if ours.contains(url) { FetchOutcome::Downloaded(video) } else { FetchOutcome::Cached(video) };
                outcomes.insert(url, outcome);
            }
            _ => to_fetch.push(url),
        }
    }
    let mut done = outcomes.len() as u64;
    store.set_progress(run_id, Stage::Fetch.name(), done, total)?;

    let fetcher = Fetcher::new(settings.fetch.clone(), cache)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| PipelineError::Io(format!("cannot start the download runtime: {e}")))?;
    let mut cancelled = false;
    runtime.block_on(async {
        let mut results = futures_util::stream::iter(to_fetch)
            .map(|url| {
                let fetcher = &fetcher;
                async move { (url, fetcher.fetch(url).await) }
            })
            .buffer_unordered(settings.fetch.concurrency.max(1));
        while let Some((url, outcome)) = results.next().await {
            if let Some(video) = outcome.video() {
                store.record_fetch(url, video, run_id)?;
            } else if let FetchOutcome::Failed(e) = &outcome {
                tracing::info!(url, "fetch failed: {e}");
            }
            outcomes.insert(url, outcome);
            done += 1;
            store.set_progress(run_id, Stage::Fetch.name(), done, total)?;
            if cancel.is_cancelled() {
                cancelled = true;
                break;
            }
        }
        Ok::<_, PipelineError>(())
    })?;
    if cancelled {
        return Ok(false);
    }

    let row_outcomes: Vec<RowOutcome> = rows
        .iter()
        .map(|row| {
            let outcome = &outcomes[row.video_url.as_str()];
            RowOutcome {
                row: row.row,
                status: row_status(outcome),
                detail: match outcome {
                    FetchOutcome::Failed(e) => Some(e.to_string()),
                    _ => None,
                },
                sha256: outcome.video().map(|v| v.sha256.clone()),
            }
        })
        .collect();
    store.set_row_outcomes(run_id, &row_outcomes)?;
    // Workers on other machines find the videos in the media store.
    if let Some(media) = ctx.shared_queue.and_then(|shared| shared.media) {
        let cache = VideoCache::new(&ctx.data_dir);
        let mut published = std::collections::HashSet::new();
        for video in outcomes.values().filter_map(FetchOutcome::video) {
            if published.insert(video.sha256.as_str()) {
                let path = cache.path(&video.sha256, video.container);
                media.publish(&crate::media::key_of(&ctx.data_dir, &path)?, &path)?;
            }
        }
    }
    let count = |status: RowStatus| row_outcomes.iter().filter(|o| o.status == status).count();
    store.add_event(
        run_id,
        &format!(
            "Fetched {total} distinct URLs: {} rows downloaded, {} from cache, {} failed",
            count(RowStatus::Downloaded),
            count(RowStatus::Cached),
            count(RowStatus::Failed)
        ),
    )?;
    Ok(true)
}

/// The status of the rows whose URL had this outcome.
fn row_status(outcome: &FetchOutcome) -> RowStatus {
    match outcome {
        FetchOutcome::Downloaded(_) => RowStatus::Downloaded,
        FetchOutcome::Cached(_) => RowStatus::Cached,
        FetchOutcome::Failed(_) => RowStatus::Failed,
    }
}
