//! One video analysis per work-queue task, for a worker that may serve many runs: `ips worker`
//! processes on any machine, and the server's own threads when the store is on PostgreSQL
//! (README, "Scaling out"). The task names the run; the run's saved settings say how to analyse,
//! and the analysis is stored under those settings' key, as the embedded analyse stage does.
//!
//! A task whose analysis is already stored (a late duplicate: its message came back after a
//! slow worker's timeout and both finished it) is done without analysing again, and the store
//! keeps one analysis per video and settings (an upsert on that key), so a run reads one row
//! whichever worker wrote it. A task of a cancelled run is done without analysing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::analyse::{OutputDirs, analyse_video, settings_key};
use super::{CancelFlag, PipelineError, PipelineSettings, run_settings};
use crate::clip::{ClipImageEncoder, ClipPrecision};
use crate::faceapi::FaceModels;
use crate::faces::FaceDetector;
use crate::fetch::VideoCache;
use crate::human::LivenessModels;
use crate::media::{SharedFiles, key_of};
use crate::queue::{Attempt, Delivery};
use crate::store::{QueueMessage, RunStatus, Store, StoreError};

/// The name of the pgmq queue video tasks go through.
pub const VIDEO_QUEUE: &str = "ips_videos";

/// Who archives a task's message once the work is done.
enum Finish {
    /// The queue, after the attempt (nothing written, or written on its own).
    ByQueue,
    /// This worker did, with the result; `won` is false for a late duplicate, which wrote nothing.
    Archived { won: bool },
}

/// Analyses the videos of tasks, keeping what it loaded (models, a detector per settings) for
/// the next task.
pub struct VideoWorker<'a> {
    store: &'a Store,
    data_dir: PathBuf,
    models_dir: PathBuf,
    cancel: &'a CancelFlag,
    models: Option<(Arc<FaceModels>, Arc<LivenessModels>)>,
    clip: Option<Option<Arc<ClipImageEncoder>>>,
    detectors: HashMap<String, (PipelineSettings, FaceDetector)>,
    /// The pgmq queue whose messages this worker archives itself, with its result (see
    /// [`VideoWorker::finishing_in_store`]).
    finishing: Option<String>,
    /// The media store this worker's files come from and go to (see
    /// [`VideoWorker::sharing_files`]).
    media: Option<&'a dyn SharedFiles>,
}

impl<'a> VideoWorker<'a> {
    pub fn new(store: &'a Store, data_dir: PathBuf, models_dir: PathBuf, cancel: &'a CancelFlag) -> Self {
        Self {
            store,
            data_dir,
            models_dir,
            cancel,
            models: None,
            clip: None,
            detectors: HashMap::new(),
            finishing: None,
            media: None,
        }
    }

    /// Workers on other machines than the run's: the video is brought home from the media store
    /// when this data directory lacks it, and the face crops and stills the analysis writes are
    /// published there (then kept here too, as a cache).
    pub fn sharing_files(mut self, media: Option<&'a dyn SharedFiles>) -> Self {
        self.media = media;
        self
    }

    /// When the work queue is pgmq in the store's own PostgreSQL database: each analysis is
    /// written and its message archived in one transaction, fenced on the message's read count,
    /// so a late duplicate (a worker whose timeout ran out while another took the video over)
    /// writes nothing. Otherwise (the embedded queue, SQLite) the analysis is an upsert and the
    /// queue archives the message after it.
    pub fn finishing_in_store(mut self, queue: &dyn crate::queue::WorkQueue) -> Self {
        self.finishing = queue.pgmq_name().filter(|_| self.store.on_postgres()).map(str::to_string);
        self
    }

    /// Works on one task, as [`crate::queue::work_until_empty`] wants: the video's own trouble
    /// (a corrupt file) is part of its analysis and the task is done; trouble of the worker's
    /// (a missing model, the store unreachable) fails the attempt, to be tried again.
    pub fn attempt(&mut self, delivery: &Delivery) -> Attempt {
        match self.analyse(delivery) {
            Ok(Finish::ByQueue) if self.cancel.is_cancelled() => Attempt::Stop,
            Ok(Finish::ByQueue) => Attempt::Done,
            Ok(Finish::Archived { won }) => Attempt::Finished(won),
            Err(e) => Attempt::Failed(e.to_string()),
        }
    }

    fn analyse(&mut self, delivery: &Delivery) -> Result<Finish, PipelineError> {
        let task = &delivery.task;
        // `FAILPOINTS=poisoned-video=return(<sha256>)`: that video always fails, for the tests
        // of dead letters (compiled in only with `test-support`).
        if crate::faults::value_of("poisoned-video").as_deref() == Some(task.sha256.as_str()) {
            return Err(PipelineError::Io("this video always fails (fault injected)".into()));
        }
        // A cancelled run's videos stay on the queue (pgmq has no "delete where"): drop them
        // here, unanalysed. Resuming the run queues what it still needs again.
        match self.store.run(task.run) {
            Ok(run) if run.status != RunStatus::Cancelled => {}
            Ok(_) | Err(StoreError::NotFound { .. }) => {
                tracing::info!(run = task.run, file = %task.sha256, "video worker: the run was cancelled (or deleted); skipped");
                return Ok(Finish::ByQueue);
            }
            Err(e) => return Err(e.into()),
        }
        let settings = run_settings(self.store, task.run)?
            .ok_or_else(|| PipelineError::Settings(format!("run {} has no settings yet", task.run)))?;
        let key = settings_key(&settings);
        let clip = self.clip(settings.clip_precision)?;
        if let Some(done) = self.store.video_analysis(&task.sha256, &key)? {
            if clip.is_none() || done.clip_embedding.is_some() || done.info.is_none() {
                tracing::info!(run = task.run, file = %task.sha256, "video worker: already analysed, skipped");
                return Ok(Finish::ByQueue);
            }
        }
        let video = self
            .store
            .video(&task.sha256)?
            .ok_or_else(|| PipelineError::Io(format!("video {} is not in the index", task.sha256)))?;
        let path = VideoCache::new(&self.data_dir).path(&task.sha256, video.container);
        let outputs = Outputs::new(&self.data_dir, self.media)?;
        if let Some(media) = self.media
            && !media.bring_home(&key_of(&self.data_dir, &path)?, &path)?
        {
            return Err(PipelineError::Io(format!("video {} is not in the media store", task.sha256)));
        }
        let dirs = outputs.dirs();
        let (cancel, store, started) = (self.cancel, self.store, std::time::Instant::now());
        let (settings, detector) = self.detector(&key, settings)?;
        let analysis = analyse_video(&path, settings, detector, clip.as_deref(), &dirs, cancel);
        if cancel.is_cancelled() {
            return Ok(Finish::ByQueue);
        }
        outputs.publish(&self.data_dir)?;
        let finish = match self.finishing.as_deref() {
            Some(queue) => {
                let message = QueueMessage { queue, id: delivery.id, reads: delivery.reads };
                let won = store.save_video_analysis_finishing(&task.sha256, &key, &analysis, &message)?;
                if !won {
                    tracing::info!(run = task.run, file = %task.sha256, "video worker: another worker finished this file first; nothing written");
                    return Ok(Finish::Archived { won });
                }
                Finish::Archived { won }
            }
            None => {
                store.save_video_analysis(&task.sha256, &key, &analysis)?;
                Finish::ByQueue
            }
        };
        let seconds = started.elapsed().as_secs_f32();
        tracing::info!(run = task.run, file = %task.sha256, seconds, "video worker: analysed");
        Ok(finish)
    }

    /// The encoder, loaded at the first video (in the precision that video's run asked).
    fn clip(&mut self, precision: ClipPrecision) -> Result<Option<Arc<ClipImageEncoder>>, PipelineError> {
        if self.clip.is_none() {
            // As the analyse stage: no weights, or unusable ones, means CLIP is off.
            let loaded =
                ClipImageEncoder::load(&self.models_dir.join(crate::clip::MODEL_DIR), precision).ok().map(Arc::new);
            self.clip = Some(loaded);
        }
        Ok(self.clip.clone().flatten())
    }

    fn detector(
        &mut self,
        key: &str,
        settings: PipelineSettings,
    ) -> Result<(&PipelineSettings, &mut FaceDetector), PipelineError> {
        if !self.detectors.contains_key(key) {
            let (models, liveness) = if settings.faces.detector.needs_face_models() {
                let (models, liveness) = match &self.models {
                    Some(loaded) => loaded.clone(),
                    None => {
                        let load_error = crate::faces::FaceError::from;
                        let loaded = (
                            Arc::new(FaceModels::load(&self.models_dir).map_err(load_error)?),
                            Arc::new(LivenessModels::load(&self.models_dir).map_err(load_error)?),
                        );
                        self.models = Some(loaded.clone());
                        loaded
                    }
                };
                (Some(models), Some(liveness))
            } else {
                (None, None)
            };
            let detector = FaceDetector::new(&settings.faces, models, liveness)?;
            self.detectors.insert(key.to_string(), (settings, detector));
        }
        let (settings, detector) = self.detectors.get_mut(key).expect("inserted above");
        Ok((settings, detector))
    }
}

/// Where an analysis writes its face crops and stills. Without a media store, straight into the
/// data directory's `faces/` and `stills/`. With one, into a scratch directory of this task:
/// every file there is then published and moved into the data directory, so no file the
/// analysis wrote is missed, whatever refers to it.
struct Outputs<'a> {
    home: OutputDirs,
    /// The task's scratch directory (removed on drop) and where its files go.
    scratch: Option<(PathBuf, &'a dyn SharedFiles)>,
}

impl<'a> Outputs<'a> {
    fn new(data_dir: &Path, media: Option<&'a dyn SharedFiles>) -> Result<Self, PipelineError> {
        static TASKS: AtomicU64 = AtomicU64::new(0);
        let home = OutputDirs { faces: super::faces_dir(data_dir), stills: super::stills_dir(data_dir) };
        let scratch = media.map(|media| {
            let n = TASKS.fetch_add(1, Ordering::Relaxed);
            (data_dir.join("tmp").join(format!("analysis-{}-{n}", std::process::id())), media)
        });
        let outputs = Self { home, scratch };
        let dirs = outputs.dirs();
        for dir in [&outputs.home.faces, &outputs.home.stills, &dirs.faces, &dirs.stills] {
            std::fs::create_dir_all(dir).map_err(|e| PipelineError::Io(format!("{}: {e}", dir.display())))?;
        }
        Ok(outputs)
    }

    fn dirs(&self) -> OutputDirs {
        match &self.scratch {
            None => OutputDirs { faces: self.home.faces.clone(), stills: self.home.stills.clone() },
            Some((scratch, _)) => OutputDirs { faces: scratch.join("faces"), stills: scratch.join("stills") },
        }
    }

    /// Publishes what the analysis wrote and moves it home (a no-op without a media store).
    fn publish(&self, data_dir: &Path) -> Result<(), PipelineError> {
        let Some((_, media)) = &self.scratch else { return Ok(()) };
        let dirs = self.dirs();
        for (written, home) in [(&dirs.faces, &self.home.faces), (&dirs.stills, &self.home.stills)] {
            let io = |e: std::io::Error| PipelineError::Io(format!("{}: {e}", written.display()));
            for entry in std::fs::read_dir(written).map_err(io)? {
                let file = entry.map_err(io)?.path();
                let at_home = home.join(file.file_name().unwrap_or_default());
                media.publish(&key_of(data_dir, &at_home)?, &file)?;
                if !at_home.exists() {
                    std::fs::rename(&file, &at_home).map_err(io)?;
                }
            }
        }
        Ok(())
    }
}

impl Drop for Outputs<'_> {
    fn drop(&mut self) {
        if let Some((scratch, _)) = &self.scratch {
            let _ = std::fs::remove_dir_all(scratch);
        }
    }
}
