//! The background job runner: one worker task executes queued runs one at a time (the pipeline
//! uses every core; two runs at once would only make both slower), on the blocking pool.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ips_app::ssr::JobControl;
use std::path::PathBuf;

use ips_core::media::SharedFiles;
use ips_core::pipeline::{self, CancelFlag, Context, PipelineSettings, SharedQueue};
use ips_core::queue::{QueueSettings, WorkQueue};
use ips_core::store::{RunId, RunStatus, Store};
use tokio::sync::mpsc;

/// What runs on PostgreSQL share with `ips worker` processes (see [`SharedQueue`]).
#[derive(Clone)]
pub struct Shared {
    pub queue: Arc<dyn WorkQueue>,
    /// This process analyses videos too.
    pub embedded_worker: bool,
    pub settings: QueueSettings,
    /// The media store (`media_url`), when workers run on other machines.
    pub media: Option<Arc<dyn SharedFiles>>,
}

pub struct JobRunner {
    store: Arc<Store>,
    data_dir: PathBuf,
    models_dir: PathBuf,
    settings: PipelineSettings,
    /// With PostgreSQL: the video queue shared with `ips worker`s and how this process uses it.
    shared: Option<Shared>,
    queue: mpsc::UnboundedSender<RunId>,
    /// Cancel flags of runs the worker has started and not finished.
    running: Mutex<HashMap<RunId, CancelFlag>>,
}

impl JobRunner {
    /// Starts the worker task. Must be called inside a tokio runtime.
    pub fn start(
        store: Arc<Store>,
        data_dir: PathBuf,
        models_dir: PathBuf,
        settings: PipelineSettings,
        shared: Option<Shared>,
    ) -> Arc<Self> {
        let (queue, mut receiver) = mpsc::unbounded_channel();
        let running = Mutex::new(HashMap::new());
        let runner = Arc::new(Self { store, data_dir, models_dir, settings, shared, queue, running });
        let worker = Arc::clone(&runner);
        tokio::spawn(async move {
            while let Some(run) = receiver.recv().await {
                worker.execute(run).await;
            }
        });
        runner
    }

    /// At start-up: marks runs the last server left running as interrupted, and queues them and
    /// any runs that were still waiting, oldest first, when `resume` is set.
    pub fn recover(&self, resume: bool) -> anyhow::Result<Vec<RunId>> {
        let interrupted = self.store.mark_interrupted_runs()?;
        if !interrupted.is_empty() {
            tracing::warn!(?interrupted, "runs were interrupted by the last shutdown");
        }
        match ips_core::fetch::VideoCache::new(&self.data_dir).remove_abandoned_parts() {
            Ok(0) => {}
            Ok(n) => tracing::info!("removed {n} partial downloads left by a process that ended mid-download"),
            Err(e) => tracing::warn!("cannot clean partial downloads: {e}"),
        }
        if !resume {
            return Ok(Vec::new());
        }
        for &run in &interrupted {
            ips_core::pipeline::runs::resume(&self.store, run)?;
        }
        let queued = self.store.runs_with_status(&[RunStatus::Queued])?;
        for &run in &queued {
            self.submit(run);
        }
        Ok(queued)
    }

    async fn execute(self: &Arc<Self>, run: RunId) {
        let flag = {
            let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
            // A run cancelled while it waited in the queue is no longer queued: skip it.
            match self.store.run(run) {
                Ok(r) if r.status == RunStatus::Queued => {}
                Ok(_) => return,
                Err(e) => {
                    tracing::error!(run, "cannot read run: {e}");
                    return;
                }
            }
            let flag = CancelFlag::new();
            running.insert(run, flag.clone());
            flag
        };
        tracing::info!(run, "run started");
        let store = Arc::clone(&self.store);
        let (data_dir, models_dir, settings) = (self.data_dir.clone(), self.models_dir.clone(), self.settings.clone());
        let shared = self.shared.clone();
        let result = tokio::task::spawn_blocking(move || {
            let shared_queue = shared.as_ref().map(|shared| SharedQueue {
                queue: shared.queue.as_ref(),
                embedded_worker: shared.embedded_worker,
                settings: shared.settings,
                media: shared.media.as_deref(),
            });
            let ctx = Context { store: &store, data_dir, models_dir, settings, shared_queue };
            pipeline::execute(&ctx, run, &flag)
        })
        .await;
        self.running.lock().unwrap_or_else(|p| p.into_inner()).remove(&run);
        match result {
            Ok(Ok(outcome)) => tracing::info!(run, ?outcome, "run ended"),
            Ok(Err(e)) => tracing::error!(run, "run failed: {e}"),
            Err(panic) => {
                tracing::error!(run, "run panicked: {panic}");
                let _ = self.store.set_run_status(run, RunStatus::Failed, Some("internal error (see the server log)"));
            }
        }
    }
}

impl JobControl for JobRunner {
    fn submit(&self, run: RunId) {
        if self.queue.send(run).is_err() {
            tracing::error!(run, "the job worker has stopped; run not started");
        }
    }

    fn cancel(&self, run: RunId) {
        let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(flag) = running.get(&run) {
            flag.cancel();
            let _ = self.store.add_event(run, "Cancel requested");
            return;
        }
        if let Err(e) = ips_core::pipeline::runs::cancel_queued(&self.store, run) {
            tracing::warn!(run, "cannot cancel run: {e}");
        }
    }
}
