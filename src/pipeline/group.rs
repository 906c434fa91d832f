//! Stage `group`: rows → unique videos → creators, from the fetch and analyse results.

use std::collections::HashMap;

use super::{Context, PipelineError, PipelineSettings, Stage, analyse::settings_key};
use crate::grouping::{self, AdVideo};
use crate::store::RunId;

pub(super) fn run(
    ctx: &Context<'_>,
    settings: &PipelineSettings,
    run_id: RunId,
) -> Result<bool, PipelineError> {
    let store = ctx.store;
    store.set_progress(run_id, Stage::Group.name(), 0, 1)?;
    let key = settings_key(settings);
    let ads: Vec<AdVideo> = store
        .row_outcomes(run_id)?
        .into_iter()
        .map(|o| AdVideo {
            row: o.row,
            sha256: o.sha256,
        })
        .collect();
    let mut best_face = HashMap::new();
    for sha in ads.iter().filter_map(|a| a.sha256.as_deref()) {
        if !best_face.contains_key(sha) {
            let face = store.video_analysis(sha, &key)?.and_then(|a| a.face_file);
            best_face.insert(sha.to_string(), face);
        }
    }
    let grouping = grouping::group(&ads, &best_face);
    store.save_grouping(run_id, &grouping)?;
    store.set_progress(run_id, Stage::Group.name(), 1, 1)?;
    store.add_event(
        run_id,
        &format!(
            "{} unique videos, {} creators on camera",
            grouping.videos.len(),
            grouping.creators.len()
        ),
    )?;
    Ok(true)
}
