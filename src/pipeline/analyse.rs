//! Stage `analyse`: each distinct video of the run is decoded once per set of settings: frames
//! are sampled and fingerprinted, faces tracked (each track's best crop saved as a
//! content-addressed JPEG), and, when the CLIP weights are in `models/`, the frames embedded.
//! Videos already analysed with the same settings (by this run before a restart, or by another
//! run) are skipped, unless CLIP has been switched on since. Workers run in parallel, each with
//! its own detector; the models are loaded once and shared.

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use opencv::prelude::*;

use super::video_worker::VideoWorker;
use super::{CancelFlag, Context, PipelineError, PipelineSettings, Stage};
use crate::clip::{ClipError, ClipImageEncoder};
use crate::faceapi::FaceModels;
use crate::faces::{FaceDetector, Tracker};
use crate::fetch::VideoCache;
use crate::fingerprint::{crop_uniform_borders, fingerprint_of};
use crate::frames::{self, FramesError};
use crate::human::LivenessModels;
use crate::queue::{self, Attempt, DeadLetter, LocalQueue, QueueSettings, VideoTask, WorkQueue};
use crate::stills;
use crate::store::{RunId, VideoAnalysis};

/// What an analysis computes; bumped when that changes, so old analyses are redone.
const ANALYSIS_VERSION: u32 = 14;

/// Identifies the analysis settings, so a change of settings means a new analysis.
pub(super) fn settings_key(settings: &PipelineSettings) -> String {
    let json = serde_json::to_string(&(ANALYSIS_VERSION, &settings.frames, &settings.faces)).unwrap_or_default();
    crate::hash::sha256_hex(json.as_bytes())[..16].to_string()
}

pub(super) fn run(
    ctx: &Context<'_>,
    settings: &PipelineSettings,
    run_id: RunId,
    cancel: &CancelFlag,
) -> Result<bool, PipelineError> {
    let store = ctx.store;
    let key = settings_key(settings);
    let mut seen = HashSet::new();
    let shas: Vec<String> = store
        .row_outcomes(run_id)?
        .into_iter()
        .filter_map(|o| o.sha256)
        .filter(|sha| seen.insert(sha.clone()))
        .collect();
    let total = shas.len() as u64;
    let clip = load_clip(ctx, settings, run_id)?;
    let mut todo = Vec::new();
    for sha in &shas {
        match store.video_analysis(sha, &key)? {
            // CLIP switched on since this analysis: do it again, with embeddings.
            Some(a) if clip.is_some() && a.clip_embedding.is_none() && a.info.is_some() => todo.push(sha.as_str()),
            Some(_) => {}
            None => todo.push(sha.as_str()),
        }
    }
    let done = AtomicU64::new(total - todo.len() as u64);
    store.set_progress(run_id, Stage::Analyse.name(), done.load(Ordering::SeqCst), total)?;
    let finished = match &ctx.shared_queue {
        Some(shared) => on_shared_queue(ctx, shared, settings, run_id, &key, clip.is_some(), &todo, total, cancel)?,
        None => here(ctx, settings, run_id, &key, clip, &todo, &done, total, cancel)?,
    };
    if !finished {
        return Ok(false);
    }
    let media = ctx.shared_queue.and_then(|shared| shared.media);
    let (mut with_face, mut unreadable) = (0, 0);
    for sha in &shas {
        let Some(analysis) = store.video_analysis(sha, &key)? else { continue };
        if let Some(media) = media {
            bring_home(ctx, media, sha, &analysis)?;
        }
        with_face += usize::from(analysis.face_file.is_some());
        // Downloaded, yet not a single frame came out: the rows say so, with OpenCV's reason.
        if analysis.info.is_none() {
            let reason = analysis.error.as_deref().unwrap_or("no frame could be decoded");
            store.mark_rows_unreadable(run_id, sha, reason)?;
            unreadable += 1;
        }
    }
    let unreadable = match unreadable {
        0 => String::new(),
        n => format!("; {n} could not be read"),
    };
    store.add_event(
        run_id,
        &format!("Analysed {total} distinct videos: someone on camera in {with_face}{unreadable}"),
    )?;
    Ok(true)
}

/// The face crops and stills that a worker on another machine made for file `sha`, copied from
/// the media store into this data directory, where the report and the exports read them.
fn bring_home(
    ctx: &Context<'_>,
    media: &dyn crate::media::SharedFiles,
    sha: &str,
    analysis: &VideoAnalysis,
) -> Result<(), PipelineError> {
    let (faces, stills) = (ctx.faces_dir(), super::stills_dir(&ctx.data_dir));
    let face_files = analysis.face_file.iter().chain(analysis.tracks.iter().filter_map(|t| t.face_file.as_ref()));
    let still_files = analysis.stills_file.iter().chain(analysis.frames_file.iter());
    let files = face_files.map(|f| faces.join(f)).chain(still_files.map(|f| stills.join(f)));
    for file in files {
        let key = crate::media::key_of(&ctx.data_dir, &file)?;
        if !media.bring_home(&key, &file)? {
            return Err(PipelineError::Io(format!("{key} (of video {sha}) is not in the media store")));
        }
    }
    Ok(())
}

/// The videos analysed by this process's threads, through a work queue in memory.
#[allow(clippy::too_many_arguments)]
fn here(
    ctx: &Context<'_>,
    settings: &PipelineSettings,
    run_id: RunId,
    key: &str,
    clip: Option<Arc<ClipImageEncoder>>,
    todo: &[&str],
    done: &AtomicU64,
    total: u64,
    cancel: &CancelFlag,
) -> Result<bool, PipelineError> {
    let store = ctx.store;
    // The models are loaded (and checked) once up front: a missing model fails the stage with its
    // own message instead of failing every video.
    let (models, liveness) = if settings.faces.detector.needs_face_models() && !todo.is_empty() {
        let load_error = crate::faces::FaceError::from;
        (
            Some(Arc::new(FaceModels::load(&ctx.models_dir).map_err(load_error)?)),
            Some(Arc::new(LivenessModels::load(&ctx.models_dir).map_err(load_error)?)),
        )
    } else {
        (None, None)
    };
    if !todo.is_empty() {
        FaceDetector::new(&settings.faces, models.clone(), liveness.clone())?;
    }

    let cache = VideoCache::new(&ctx.data_dir);
    let dirs = OutputDirs { faces: ctx.faces_dir(), stills: super::stills_dir(&ctx.data_dir) };
    for dir in [&dirs.faces, &dirs.stills] {
        std::fs::create_dir_all(dir).map_err(|e| PipelineError::Io(format!("{}: {e}", dir.display())))?;
    }
    // The videos to analyse are work-queue tasks, taken by the workers through the same loop
    // `ips worker` runs on pgmq (see `crate::queue`); here the queue lives in memory.
    let queue = LocalQueue::new();
    let tasks: Vec<VideoTask> = todo.iter().map(|sha| VideoTask { run: run_id, sha256: sha.to_string() }).collect();
    queue.push(&tasks)?;
    // Set when a worker fails, so the others stop after their current video.
    let stop = CancelFlag::new();
    let stopping = || cancel.is_cancelled() || stop.is_cancelled();
    let first_error: Mutex<Option<PipelineError>> = Mutex::new(None);
    let looks: Mutex<crate::faces::Looks> = Mutex::new(Default::default());
    let workers = settings.workers().min(todo.len().max(1));
    // As many workers as cores: each keeps its face nets' products to its own thread.
    let own_thread_products = workers >= rayon::current_num_threads();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let work = || -> Result<(), PipelineError> {
                    if todo.is_empty() {
                        return Ok(());
                    }
                    if own_thread_products {
                        crate::faceapi::nn::products_on_this_thread_only();
                    }
                    let mut detector = FaceDetector::new(&settings.faces, models.clone(), liveness.clone())?;
                    let mut failure = None;
                    let mut analyse_one = |sha: &str| -> Result<(), PipelineError> {
                        let video = store
                            .video(sha)?
                            .ok_or_else(|| PipelineError::Io(format!("video {sha} is not in the index")))?;
                        let path = cache.path(sha, video.container);
                        let analysis = analyse_video(&path, settings, &mut detector, clip.as_deref(), &dirs, cancel);
                        if cancel.is_cancelled() {
                            return Ok(());
                        }
                        store.save_video_analysis(sha, &key, &analysis)?;
                        let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                        store.set_progress(run_id, Stage::Analyse.name(), n, total)?;
                        Ok(())
                    };
                    queue::work_until_empty(&queue, &QueueSettings::default(), POLL, &stopping, |delivery| {
                        let task = &delivery.task;
                        // A video's own trouble (corrupt file…) is in its analysis, not an
                        // error: an error here is the store's, and stops the stage.
                        match analyse_one(&task.sha256) {
                            Ok(()) if cancel.is_cancelled() => Attempt::Stop,
                            Ok(()) => Attempt::Done,
                            Err(e) => {
                                failure = Some(e);
                                Attempt::Stop
                            }
                        }
                    })?;
                    let mine = detector.looks();
                    let mut all = looks.lock().unwrap_or_else(|p| p.into_inner());
                    all.frames += mine.frames;
                    all.second_looks += mine.second_looks;
                    failure.map_or(Ok(()), Err)
                };
                if let Err(e) = work() {
                    stop.cancel();
                    first_error.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(e);
                }
            });
        }
    });
    if let Some(e) = first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let looks = looks.into_inner().unwrap_or_else(|p| p.into_inner());
    tracing::info!(
        frames = looks.frames,
        second_looks = looks.second_looks,
        "analyse: frames given to the face detector"
    );
    Ok(!cancel.is_cancelled())
}

/// The videos as tasks of the shared queue (pgmq), analysed by `ips worker` processes and, when
/// `embedded_worker` is on, by this process's threads too; the stage waits until each has an
/// analysis in the store or was given up (its rows then say why).
#[allow(clippy::too_many_arguments)]
fn on_shared_queue(
    ctx: &Context<'_>,
    shared: &super::SharedQueue<'_>,
    settings: &PipelineSettings,
    run_id: RunId,
    key: &str,
    with_clip: bool,
    todo: &[&str],
    total: u64,
    cancel: &CancelFlag,
) -> Result<bool, PipelineError> {
    let store = ctx.store;
    let tasks: Vec<VideoTask> = todo.iter().map(|sha| VideoTask { run: run_id, sha256: sha.to_string() }).collect();
    if !tasks.is_empty() {
        shared.queue.push(&tasks)?;
    }
    let waited = CancelFlag::new();
    let threads = if shared.embedded_worker { settings.workers().min(todo.len()) } else { 0 };
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut worker = VideoWorker::new(store, ctx.data_dir.clone(), ctx.models_dir.clone(), cancel)
                    .finishing_in_store(shared.queue)
                    .sharing_files(shared.media);
                let stop = || cancel.is_cancelled() || waited.is_cancelled();
                if let Err(e) =
                    queue::work_until_empty(shared.queue, &shared.settings, POLL, &stop, |t| worker.attempt(t))
                {
                    tracing::warn!("analyse: this process's worker stopped: {e}");
                }
            });
        }
        let result = wait_for_workers(store, shared.queue, run_id, key, with_clip, todo, total, cancel);
        waited.cancel();
        result
    })
}

/// How often the stage looks at how far the workers have got.
const WAIT_POLL: std::time::Duration = std::time::Duration::from_millis(250);

#[allow(clippy::too_many_arguments)]
fn wait_for_workers(
    store: &crate::store::Store,
    queue: &dyn WorkQueue,
    run_id: RunId,
    key: &str,
    with_clip: bool,
    todo: &[&str],
    total: u64,
    cancel: &CancelFlag,
) -> Result<bool, PipelineError> {
    let todo: HashSet<&str> = todo.iter().copied().collect();
    // When the database is unreachable (restarting), keep waiting as the workers do.
    let mut unreachable_since: Option<std::time::Instant> = None;
    loop {
        if cancel.is_cancelled() {
            return Ok(false);
        }
        let poll = || -> Result<bool, PipelineError> {
            let analysed = store.count_analysed(run_id, key, with_clip)?;
            let given_up: Vec<DeadLetter> = queue
                .dead_letters()?
                .into_iter()
                .filter(|d| d.task.run == run_id && todo.contains(d.task.sha256.as_str()))
                .collect();
            let accounted = analysed + given_up.len() as u64;
            store.set_progress(run_id, Stage::Analyse.name(), accounted.min(total), total)?;
            if accounted < total {
                return Ok(false);
            }
            for dead in &given_up {
                store.mark_rows_failed(run_id, &dead.task.sha256, &dead.reason())?;
            }
            Ok(true)
        };
        match poll() {
            Ok(true) => return Ok(true),
            Ok(false) => unreachable_since = None,
            Err(e)
                if unreachable_since.get_or_insert_with(std::time::Instant::now).elapsed() < super::outage::OUTAGE =>
            {
                tracing::warn!("analyse: waiting for the database: {e}");
            }
            Err(e) => return Err(e),
        }
        std::thread::sleep(WAIT_POLL);
    }
}

/// The CLIP encoder when its weights are in `models/`; otherwise the run says CLIP is off (a
/// broken checkpoint is said too, without failing the run: CLIP is optional).
fn load_clip(
    ctx: &Context<'_>,
    settings: &PipelineSettings,
    run_id: RunId,
) -> Result<Option<Arc<ClipImageEncoder>>, PipelineError> {
    match ClipImageEncoder::load(&ctx.models_dir.join(crate::clip::MODEL_DIR), settings.clip_precision) {
        Ok(encoder) => {
            let precision = match encoder.precision() {
                crate::clip::tower::Precision::F32 => "f32",
                crate::clip::tower::Precision::Bf16 => "bf16",
            };
            ctx.store
                .add_event(run_id, &format!("CLIP is on ({precision}): videos get embeddings and similar creatives"))?;
            Ok(Some(Arc::new(encoder)))
        }
        Err(ClipError::Missing(_)) => {
            ctx.store
                .add_event(run_id, "CLIP is off (no weights in models/clip-vit-base-patch32): no similar creatives")?;
            Ok(None)
        }
        Err(e) => {
            tracing::warn!("CLIP unusable: {e}");
            ctx.store.add_event(run_id, &format!("CLIP is off: {e}"))?;
            Ok(None)
        }
    }
}

/// Consecutive sampled frames further apart than this (fingerprint distance) are different shots:
/// unrelated frames are 0.25–0.40 apart, frames of one shot a second apart much closer.
const SHOT_CHANGE: f32 = 0.3;

/// How often an idle worker looks for a task another worker gave back.
const POLL: std::time::Duration = std::time::Duration::from_millis(50);

/// Frames embedded per CLIP batch (the benchmark size).
const CLIP_BATCH: usize = 32;

/// Samples one video, fingerprints its frames, tracks its faces (saving each track's best crop),
/// embeds its frames with CLIP when given, and saves a strip of stills. Failures (corrupt video…) become the analysis's `error`, not a failed run.
pub fn analyse_video(
    path: &Path,
    settings: &PipelineSettings,
    detector: &mut FaceDetector,
    clip: Option<&ClipImageEncoder>,
    dirs: &OutputDirs,
    cancel: &CancelFlag,
) -> VideoAnalysis {
    let mut tracker = Tracker::new(&settings.faces);
    detector.new_video();
    let every = settings.faces.detect_every.max(1) as u64;
    let mut sampled_frames = 0u64;
    let mut fingerprints = Vec::new();
    let mut keypoints = crate::keypoints::VideoKeypoints::default();
    let mut thumbnails = Vec::new();
    // Frames for CLIP (at most ~30 sampled frames of ≤ 640 px: a few tens of MB).
    let mut clip_frames = Vec::new();
    let sampled = frames::sample(path, &settings.frames, |frame| {
        if cancel.is_cancelled() {
            return Err(FramesError::Stopped("cancelled".into()));
        }
        let content = crop_uniform_borders(&frame.image)?;
        let print = fingerprint_of(&frame.image, content, frame.time_s)?;
        if fingerprints.last().is_some_and(|last: &crate::fingerprint::FrameHash| last.distance(&print) > SHOT_CHANGE) {
            tracker.shot_changed();
        }
        fingerprints.push(print);
        keypoints.plain.push(crate::keypoints::extract(&frame.image, content)?);
        keypoints.squeezed.push(crate::keypoints::extract_squeezed(&frame.image, content)?);
        thumbnails.push(stills::thumbnail(&frame.image)?);
        if clip.is_some() {
            clip_frames.push(frame.image.try_clone()?);
        }
        sampled_frames += 1;
        if !(sampled_frames - 1).is_multiple_of(every) {
            return Ok(());
        }
        let detections = detector.detect(&frame.image).map_err(|e| FramesError::Stopped(e.to_string()))?;
        tracker.push(&frame, &detections).map_err(|e| FramesError::Stopped(e.to_string()))
    });
    let (tracks, faces) = tracker.finish();
    let mut analysis = VideoAnalysis {
        info: None,
        faces,
        face_file: None,
        face_score: None,
        face_time_s: None,
        error: None,
        fingerprints,
        stills_file: None,
        tracks: Vec::new(),
        clip_embedding: None,
        keypoints,
        frames_file: None,
    };
    match sampled {
        Ok(info) => analysis.info = Some(info),
        Err(e) => {
            analysis.error = Some(e.to_string());
            return analysis;
        }
    }
    if let Some(encoder) = clip {
        let mut embeddings = Vec::with_capacity(clip_frames.len());
        for batch in clip_frames.chunks(CLIP_BATCH) {
            match encoder.embed(batch) {
                Ok(rows) => embeddings.extend(rows),
                Err(e) => {
                    analysis.error.get_or_insert(format!("CLIP: {e}"));
                    break;
                }
            }
        }
        analysis.clip_embedding = crate::clip::mean_embedding(&embeddings);
    }
    for crop in tracks {
        let mut track = crop.track;
        match stills::save_content_addressed_jpeg(&crop.image, &dirs.faces) {
            Ok(name) => track.face_file = Some(name),
            Err(e) => {
                analysis.error.get_or_insert(e);
            }
        }
        // The video's face: its most present on-camera person.
        if analysis.face_file.is_none() && track.on_camera() && track.face_file.is_some() {
            analysis.face_file = track.face_file.clone();
            analysis.face_score = Some(track.quality);
            analysis.face_time_s = Some(track.best_time_s);
        }
        analysis.tracks.push(track);
    }
    match stills::sheet(&thumbnails).map_err(|e| e.to_string()) {
        Ok(Some(sheet)) => match stills::save_content_addressed_jpeg(&sheet, &dirs.stills) {
            Ok(name) => analysis.frames_file = Some(name),
            Err(e) => {
                analysis.error.get_or_insert(e);
            }
        },
        Ok(None) => {}
        Err(e) => {
            analysis.error.get_or_insert(e);
        }
    }
    match stills::strip(&thumbnails).map_err(|e| e.to_string()) {
        Ok(Some(strip)) => match stills::save_content_addressed_jpeg(&strip, &dirs.stills) {
            Ok(name) => analysis.stills_file = Some(name),
            Err(e) => {
                analysis.error.get_or_insert(e);
            }
        },
        Ok(None) => {}
        Err(e) => {
            analysis.error.get_or_insert(e);
        }
    }
    analysis
}

/// Where the analysis writes its images.
pub struct OutputDirs {
    pub faces: std::path::PathBuf,
    pub stills: std::path::PathBuf,
}
