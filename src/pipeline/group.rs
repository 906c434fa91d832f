//! Stage `group`: rows → unique videos → creators, from the fetch and analyse results and the
//! user's corrections.

use std::collections::HashMap;

use super::{PipelineError, PipelineSettings, Stage, analyse::settings_key};
use crate::grouping::{self, AdVideo, Grouping, GroupingRules, VideoFacts};
use crate::store::{RunId, Store};

pub(super) fn run(store: &Store, settings: &PipelineSettings, run_id: RunId) -> Result<bool, PipelineError> {
    store.set_progress(run_id, Stage::Group.name(), 0, 1)?;
    let grouping = regroup(store, settings, run_id, Videos::Compare)?;
    let families = grouping.videos.iter().map(|v| v.hook_family).collect::<std::collections::HashSet<_>>().len();
    let files: usize = grouping.videos.iter().map(|v| v.sha256s.len()).sum();
    store.set_progress(run_id, Stage::Group.name(), 1, 1)?;
    store.add_event(
        run_id,
        &format!(
            "{files} distinct files are {} unique videos in {families} hook families; {} creators on camera",
            grouping.videos.len(),
            grouping.creators.len()
        ),
    )?;
    if !grouping.corrections.notes.is_empty() {
        store
            .add_event(run_id, &format!("{} of your edits do not fully hold here", grouping.corrections.notes.len()))?;
    }
    Ok(true)
}

/// Whether grouping compares the files again or keeps the run's unique videos as saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Videos {
    Compare,
    /// After an edit: only creators change.
    Keep,
}

/// The run's ads and what the analysis (with `settings`) found in each of their files: what
/// grouping works from.
pub(super) fn facts(
    store: &Store,
    settings: &PipelineSettings,
    run_id: RunId,
) -> Result<(Vec<AdVideo>, HashMap<String, VideoFacts>), PipelineError> {
    let key = settings_key(settings);
    let ads: Vec<AdVideo> =
        store.row_outcomes(run_id)?.into_iter().map(|o| AdVideo { row: o.row, sha256: o.sha256 }).collect();
    let mut facts = HashMap::new();
    for sha in ads.iter().filter_map(|a| a.sha256.as_deref()) {
        if !facts.contains_key(sha) {
            let fact = store.video_analysis(sha, &key)?.map_or_else(VideoFacts::default, |a| VideoFacts {
                tracks: a.tracks,
                fingerprints: a.fingerprints,
                keypoints: a.keypoints,
                clip: a.clip_embedding,
            });
            facts.insert(sha.to_string(), fact);
        }
    }
    Ok((ads, facts))
}

/// Groups the run's rows again with the active edits and saves the result.
pub(super) fn regroup(
    store: &Store,
    settings: &PipelineSettings,
    run_id: RunId,
    videos: Videos,
) -> Result<Grouping, PipelineError> {
    let (ads, facts) = facts(store, settings, run_id)?;
    // The sequence first: an edit landing after it makes the run look behind, never ahead.
    let seq = store.edit_seq()?;
    let edits = store.active_edits()?;
    let rules = GroupingRules { similarity: &settings.similarity, creators: &settings.creators, edits: &edits };
    let grouping = match videos {
        Videos::Compare => grouping::group(&ads, &facts, rules),
        Videos::Keep => grouping::regroup_creators(&ads, &facts, store.grouping(run_id)?.videos, rules),
    };
    store.save_grouping(run_id, &grouping)?;
    store.set_grouped_at_edit(run_id, seq)?;
    Ok(grouping)
}
