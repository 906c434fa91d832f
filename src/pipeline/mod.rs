//! The pipeline: the stages a run goes through, in order, each resumable.
//!
//! [`execute`] drives one run: it marks the run running, runs every stage the run has not finished
//! yet (a resumed run skips finished ones), records progress and events in the store, and leaves
//! the run succeeded, failed or cancelled. The stage logic lives in its own modules
//! ([`crate::fetch`], [`crate::frames`], [`crate::faces`], [`crate::grouping`], [`crate::stats`]);
//! the files here only connect them to the store.

mod analyse;
mod cancel;
mod edit;
mod fetch;
mod group;
mod ingest;
pub mod limits;
mod outage;
pub mod runs;
mod statistics;
mod video_worker;

pub use cancel::CancelFlag;
pub use edit::{EditDone, EditError, History, HistoryLine, edit_creators, history, redo, undo};
pub use video_worker::{VIDEO_QUEUE, VideoWorker};

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::creators::CreatorSettings;
use crate::faces::FaceSettings;
use crate::fetch::FetchSettings;
use crate::frames::SampleSettings;
use crate::similarity::SimilaritySettings;
use crate::store::{RunId, RunStatus, Store, StoreError};

/// A stage of a run, in execution order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The dataset's accepted rows enter the run: one status line per ad.
    Ingest,
    /// Each distinct URL is downloaded into the video cache (or found there).
    Fetch,
    /// Each distinct video is decoded, sampled, and searched for its best face.
    Analyse,
    /// Ads are grouped into unique videos, and videos into creators.
    Group,
    /// Per video and per creator statistics.
    Statistics,
}

impl Stage {
    pub const ALL: [Stage; 5] = [Stage::Ingest, Stage::Fetch, Stage::Analyse, Stage::Group, Stage::Statistics];
    /// Per video: work that workers on many machines can share.
    const PER_VIDEO: [Stage; 3] = [Stage::Ingest, Stage::Fetch, Stage::Analyse];
    /// Per run, once every video is analysed: one process does them ([`Store::finishing_run`]).
    const FINISHING: [Stage; 2] = [Stage::Group, Stage::Statistics];

    /// The name stored in the database and shown to the user.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Ingest => "ingest",
            Stage::Fetch => "fetch",
            Stage::Analyse => "analyse",
            Stage::Group => "group",
            Stage::Statistics => "statistics",
        }
    }
}

/// Everything a run's stages can be tuned with. Saved with the run when it starts, so a resumed
/// run keeps the settings it started with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineSettings {
    pub fetch: FetchSettings,
    pub frames: SampleSettings,
    pub faces: FaceSettings,
    pub similarity: SimilaritySettings,
    pub creators: CreatorSettings,
    /// Videos analysed in parallel; 0 means one per CPU core.
    pub workers: usize,
    /// CLIP's arithmetic, when its weights are present. Not part of an analysis's key: the two
    /// give embeddings within 0.001 in cosine of each other, so switching redoes nothing.
    pub clip_precision: crate::clip::ClipPrecision,
}

impl PipelineSettings {
    /// Videos analysed in parallel: `workers`, or one per core.
    pub fn workers(&self) -> usize {
        if self.workers > 0 { self.workers } else { std::thread::available_parallelism().map_or(2, |n| n.get()) }
    }
}

/// What stages need besides the run: the store, where files go, and the settings for new runs.
pub struct Context<'a> {
    pub store: &'a Store,
    pub data_dir: PathBuf,
    /// Where `make models` put the model files (face-api, optional CLIP).
    pub models_dir: PathBuf,
    pub settings: PipelineSettings,
    /// Where the analyse stage's video tasks go. `None` (the embedded default): a queue in
    /// memory, worked by this process's threads. `Some`: a queue shared with `ips worker`
    /// processes (pgmq, next to a store on PostgreSQL).
    pub shared_queue: Option<SharedQueue<'a>>,
}

/// A work queue other processes take video tasks from too.
#[derive(Clone, Copy)]
pub struct SharedQueue<'a> {
    pub queue: &'a dyn crate::queue::WorkQueue,
    /// This process analyses videos too (`--embedded-worker`, on by default), so one machine
    /// needs no `ips worker` of its own.
    pub embedded_worker: bool,
    /// The visibility timeout and takes this process's workers use.
    pub settings: crate::queue::QueueSettings,
    /// Where the run's files are shared with workers on other machines (`IPS_MEDIA_URL`):
    /// downloaded videos are published there, workers bring them home and publish their face
    /// crops and stills, and the run brings those home before grouping. `None`: every process
    /// shares this data directory (one machine).
    pub media: Option<&'a dyn crate::media::SharedFiles>,
}

impl Context<'_> {
    /// Where best-face crops are stored (content-addressed JPEGs).
    pub fn faces_dir(&self) -> PathBuf {
        faces_dir(&self.data_dir)
    }
}

/// `<data dir>/faces`: the face crops the report shows.
pub fn faces_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("faces")
}

/// `<data dir>/stills`: one strip of stills per analysed video.
pub fn stills_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("stills")
}

/// Where uploaded files wait, by content hash, for their column mapping.
pub fn uploads_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("uploads")
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the run's saved settings are unreadable: {0}")]
    Settings(String),
    #[error(transparent)]
    Faces(#[from] crate::faces::FaceError),
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    #[error(transparent)]
    Stats(#[from] crate::stats::StatsError),
    #[error("{0}")]
    Io(String),
    #[error(transparent)]
    Queue(#[from] crate::queue::QueueError),
    #[error(transparent)]
    Media(#[from] crate::media::MediaError),
}

/// How [`execute`] left the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    Cancelled,
}

/// Runs (or resumes) a run to its end. A stage error fails the run and is returned; the run's
/// status in the store always says how it ended. A database that goes away mid-run (PostgreSQL
/// restarting) is waited for, and the run resumed from its stage (see [`outage`]).
pub fn execute(ctx: &Context<'_>, run_id: RunId, cancel: &CancelFlag) -> Result<Outcome, PipelineError> {
    let stages = || outage::through_outages(ctx.store, run_id, || execute_stages(ctx, run_id, cancel));
    let result = stages().and_then(|outcome| match outcome {
        // Succeeded is set together with catching up on edits made meanwhile.
        Outcome::Succeeded => edit::finish_run(ctx.store, run_id).map(|_| outcome),
        Outcome::Cancelled => Ok(outcome),
    });
    let (status, error) = match &result {
        Ok(Outcome::Succeeded) => return result,
        Ok(Outcome::Cancelled) => (RunStatus::Cancelled, None),
        Err(e) => (RunStatus::Failed, Some(e.to_string())),
    };
    ctx.store.set_run_status(run_id, status, error.as_deref())?;
    result
}

/// The settings run `run_id` runs (or ran) with, once chosen: at its start, or when it was
/// created with its own.
pub fn run_settings(store: &Store, run_id: RunId) -> Result<Option<PipelineSettings>, PipelineError> {
    store
        .run_settings(run_id)?
        .map(|saved| serde_json::from_str(&saved).map_err(|e| PipelineError::Settings(e.to_string())))
        .transpose()
}

/// Gives a run not yet started its own settings (a re-run with other settings).
pub fn set_run_settings(store: &Store, run_id: RunId, settings: &PipelineSettings) -> Result<(), PipelineError> {
    let json = serde_json::to_string(settings).map_err(|e| PipelineError::Settings(e.to_string()))?;
    Ok(store.set_run_settings(run_id, &json)?)
}

/// The key a video's analysis is stored under for these settings (frames and faces).
pub fn analysis_key(settings: &PipelineSettings) -> String {
    analyse::settings_key(settings)
}

/// A run's ads and what the analysis found in each of their files, as the group stage sees
/// them: for measuring groupings with other settings without analysing again.
pub fn run_facts(
    store: &Store,
    run_id: RunId,
) -> Result<
    (Vec<crate::grouping::AdVideo>, std::collections::HashMap<String, crate::grouping::VideoFacts>),
    PipelineError,
> {
    let settings =
        run_settings(store, run_id)?.ok_or_else(|| PipelineError::Settings("the run has not started".into()))?;
    group::facts(store, &settings, run_id)
}

/// The face tracks of every file of a finished (or grouped) run, with the analysis settings it
/// ran with, keyed by content hash. For the report's face gallery and face map.
pub fn run_tracks(
    store: &Store,
    run_id: RunId,
) -> Result<std::collections::HashMap<String, Vec<crate::faces::FaceTrack>>, PipelineError> {
    let Some(settings) = run_settings(store, run_id)? else { return Ok(Default::default()) };
    let key = analyse::settings_key(&settings);
    let mut tracks = std::collections::HashMap::new();
    for outcome in store.row_outcomes(run_id)? {
        let Some(sha) = outcome.sha256 else { continue };
        if tracks.contains_key(&sha) {
            continue;
        }
        let found = store.video_analysis(&sha, &key)?.map(|a| a.tracks).unwrap_or_default();
        tracks.insert(sha, found);
    }
    Ok(tracks)
}

fn execute_stages(ctx: &Context<'_>, run_id: RunId, cancel: &CancelFlag) -> Result<Outcome, PipelineError> {
    let store = ctx.store;
    let run = store.run(run_id)?;
    let settings = match run_settings(store, run_id)? {
        Some(saved) => saved,
        None => {
            set_run_settings(store, run_id, &ctx.settings)?;
            ctx.settings.clone()
        }
    };
    store.set_run_status(run_id, RunStatus::Running, None)?;
    let stages = |stages: &[Stage]| -> Result<Outcome, PipelineError> {
        for &stage in stages {
            if cancel.is_cancelled() {
                return Ok(Outcome::Cancelled);
            }
            if store.is_stage_done(run_id, stage.name())? {
                store.add_event(run_id, &format!("Stage {}: already done, skipped", stage.name()))?;
                continue;
            }
            let started = std::time::Instant::now();
            store.add_event(run_id, &format!("Stage {}: started", stage.name()))?;
            crate::faults::hold_while_flagged(&ctx.data_dir, &format!("stage-{}", stage.name()));
            let finished = match stage {
                Stage::Ingest => ingest::run(store, run_id, run.dataset_id, cancel)?,
                Stage::Fetch => fetch::run(ctx, &settings, run_id, run.dataset_id, cancel)?,
                Stage::Analyse => analyse::run(ctx, &settings, run_id, cancel)?,
                Stage::Group => group::run(store, &settings, run_id)?,
                Stage::Statistics => statistics::run(store, run_id, run.dataset_id)?,
            };
            if !finished {
                return Ok(Outcome::Cancelled);
            }
            store.mark_stage_done(run_id, stage.name())?;
            let took = human_duration(started.elapsed());
            store.add_event(run_id, &format!("Stage {}: done in {took}", stage.name()))?;
        }
        Ok(Outcome::Succeeded)
    };
    match stages(&Stage::PER_VIDEO)? {
        Outcome::Succeeded => store.finishing_run(run_id, || stages(&Stage::FINISHING)),
        cancelled => Ok(cancelled),
    }
}

fn human_duration(d: std::time::Duration) -> String {
    if d.as_secs() >= 1 { format!("{:.1} s", d.as_secs_f64()) } else { format!("{} ms", d.as_millis()) }
}

#[cfg(test)]
mod tests;
