//! `ips worker`: analyses videos from the work queue shared through PostgreSQL (pgmq), for runs
//! started by any IPS server or `ips run` on that database. Start as many as there are machines
//! (each uses all its cores); README, "Scaling out".

use std::time::Duration;

use anyhow::bail;
use ips_core::pipeline::{CancelFlag, VideoWorker};
use ips_core::queue::{Attempt, work_until_empty};

use crate::config::Config;

/// How often an idle worker looks for new tasks, and a busy one for a task given back.
const POLL: Duration = Duration::from_millis(200);

/// Works until `cancel` (or, with `until_empty`, until no task is left), on as many threads as
/// the run settings' `workers`.
pub fn run(config: &Config, until_empty: bool, cancel: &CancelFlag) -> anyhow::Result<()> {
    let Some(queue) = config.open_shared_queue()? else {
        bail!("ips worker needs the store on PostgreSQL: set IPS_DATABASE_URL (or database_url in the config file)");
    };
    let store = config.open_store()?;
    let media = config.open_media()?;
    let threads = config.pipeline.workers().max(1);
    let settings = config.queue_settings();
    tracing::info!(threads, "ips worker: taking videos from the queue");
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<()> {
                    let mut worker =
                        VideoWorker::new(&store, config.data_dir.clone(), config.models_dir.clone(), cancel)
                            .finishing_in_store(queue.as_ref())
                            .sharing_files(media.as_deref());
                    loop {
                        let stop = || cancel.is_cancelled();
                        let done = work_until_empty(queue.as_ref(), &settings, POLL, &stop, |delivery| {
                            let task = &delivery.task;
                            let attempt = worker.attempt(delivery);
                            if let Attempt::Failed(e) = &attempt {
                                tracing::warn!(run = task.run, file = %task.sha256, "ips worker: failed: {e}");
                            }
                            attempt
                        })?;
                        if done.finished + done.given_up + done.failed_attempts > 0 {
                            tracing::info!(?done, "ips worker: queue empty");
                        }
                        if until_empty || cancel.is_cancelled() {
                            return Ok(());
                        }
                        std::thread::sleep(POLL);
                    }
                })
            })
            .collect();
        workers.into_iter().try_for_each(|w| w.join().map_err(|_| anyhow::anyhow!("a worker thread panicked"))?)
    })
}
