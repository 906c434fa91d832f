//! Stage `group`: rows → unique videos → creators, from the fetch and analyse results.

use std::collections::HashMap;

use super::{Context, PipelineError, PipelineSettings, Stage, analyse::settings_key};
use crate::creators::Constraints;
use crate::grouping::{self, AdVideo, GroupingRules, VideoFacts};
use crate::store::RunId;

pub(super) fn run(ctx: &Context<'_>, settings: &PipelineSettings, run_id: RunId) -> Result<bool, PipelineError> {
    let store = ctx.store;
    store.set_progress(run_id, Stage::Group.name(), 0, 1)?;
    let key = settings_key(settings);
    let ads: Vec<AdVideo> =
        store.row_outcomes(run_id)?.into_iter().map(|o| AdVideo { row: o.row, sha256: o.sha256 }).collect();
    let mut facts = HashMap::new();
    for sha in ads.iter().filter_map(|a| a.sha256.as_deref()) {
        if !facts.contains_key(sha) {
            let fact = store.video_analysis(sha, &key)?.map_or_else(VideoFacts::default, |a| VideoFacts {
                tracks: a.tracks,
                fingerprints: a.fingerprints,
                clip: a.clip_embedding,
            });
            facts.insert(sha.to_string(), fact);
        }
    }
    // No corrections are stored yet: the clustering runs unconstrained.
    let constraints = Constraints::default();
    let rules =
        GroupingRules { similarity: &settings.similarity, creators: &settings.creators, constraints: &constraints };
    let grouping = grouping::group(&ads, &facts, rules);
    let files = facts.len();
    let families = grouping.videos.iter().map(|v| v.hook_family).collect::<std::collections::HashSet<_>>().len();
    store.save_grouping(run_id, &grouping)?;
    store.set_progress(run_id, Stage::Group.name(), 1, 1)?;
    store.add_event(
        run_id,
        &format!(
            "{files} distinct files are {} unique videos in {families} hook families; {} creators on camera",
            grouping.videos.len(),
            grouping.creators.len()
        ),
    )?;
    Ok(true)
}
