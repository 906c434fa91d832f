//! The work queue: a run's per-video work as messages that any number of workers take, with the
//! semantics of SQS and pgmq. A taken message is hidden for a visibility timeout; a worker that
//! dies never finishes it, so it comes back when the timeout ends and another worker takes it. A
//! worker extends the timeout while it works ([`Heartbeat`]). Finishing archives the message
//! exactly once: a late duplicate learns it lost and writes nothing. A message taken more than
//! [`QueueSettings::max_reads`] times is given up: it moves to the dead letters with its last
//! error.
//!
//! Two implementations of one contract ([`WorkQueue`]): [`LocalQueue`] in memory for the
//! single-machine default, and, with the `postgres` feature, [`PgmqQueue`] on PostgreSQL's pgmq
//! for many machines. The same contract tests run against both.

mod heartbeat;
mod local;
#[cfg(feature = "postgres")]
mod pgmq;

pub use heartbeat::Heartbeat;
pub use local::LocalQueue;
#[cfg(feature = "postgres")]
pub use pgmq::PgmqQueue;

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One unit of work: analyse the content file `sha256` for run `run`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VideoTask {
    pub run: i64,
    pub sha256: String,
}

/// A task as one worker took it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The message's id in its queue.
    pub id: i64,
    /// How many times the message has been taken, this time included (1 the first time).
    pub reads: u32,
    pub task: VideoTask,
}

/// A task given up on, with why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    pub task: VideoTask,
    /// Times it was taken before it was given up.
    pub reads: u32,
    pub error: String,
}

impl DeadLetter {
    /// What the task's rows say: `failed: worker gave up after 3 tries: <last error>`.
    pub fn status_message(&self) -> String {
        format!("failed: {}", self.reason())
    }

    /// Why the task failed, as the detail of a failed row: `worker gave up after 3 tries: …`.
    pub fn reason(&self) -> String {
        format!("worker gave up after {} tries: {}", self.reads, self.error)
    }
}

/// How long a taken task stays hidden, how often a working worker renews that, and how many
/// takes a task gets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueSettings {
    pub visibility: Duration,
    /// Must be well below `visibility`: a third of it leaves two missed beats of slack.
    pub heartbeat: Duration,
    pub max_reads: u32,
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self::with_visibility(Duration::from_secs(60))
    }
}

impl QueueSettings {
    /// Tasks hidden for `visibility` once taken (how long a dead worker's task waits to come
    /// back), renewed every third of it, 3 takes each.
    pub fn with_visibility(visibility: Duration) -> Self {
        Self { visibility, heartbeat: visibility / 3, max_reads: 3 }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("work queue database error: {0}")]
    Database(String),
    #[error("a work queue message is unreadable: {0}")]
    Corrupt(String),
    #[error("this IPS was built without {0}")]
    NotBuiltIn(&'static str),
}

/// The queue shared with `ips worker` processes: pgmq's queue `name` in the PostgreSQL
/// database at `database_url`; `None` when there is none (the embedded default).
pub fn open_shared(database_url: Option<&str>, name: &str) -> Result<Option<std::sync::Arc<dyn WorkQueue>>> {
    match database_url.map(str::trim).filter(|url| !url.is_empty()) {
        None => Ok(None),
        #[cfg(feature = "postgres")]
        Some(url) => Ok(Some(std::sync::Arc::new(PgmqQueue::connect(url, name)?))),
        #[cfg(not(feature = "postgres"))]
        Some(_) => {
            let _ = name;
            Err(QueueError::NotBuiltIn("PostgreSQL: build IPS with `--features ips-core/postgres`"))
        }
    }
}

pub type Result<T, E = QueueError> = std::result::Result<T, E>;

/// What every work queue does. Methods take `&self` and may be called from several threads
/// (workers and their heartbeats).
pub trait WorkQueue: Send + Sync {
    /// Adds tasks, visible at once.
    fn push(&self, tasks: &[VideoTask]) -> Result<()>;

    /// Takes the next visible task and hides it for `visibility`; `None` when no task is
    /// visible (there may still be hidden ones: see [`WorkQueue::pending`]).
    fn take(&self, visibility: Duration) -> Result<Option<Delivery>>;

    /// Hides a taken task for `visibility` from now. `false` when the task is no longer in the
    /// queue (finished, or given up, by someone).
    fn extend(&self, delivery: &Delivery, visibility: Duration) -> Result<bool>;

    /// Archives a taken task. `true` for exactly one finisher of a task: a late duplicate (its
    /// timeout ended and another worker took and finished it) gets `false` and must not write.
    fn finish(&self, delivery: &Delivery) -> Result<bool>;

    /// Gives a task up: archived, and kept as a dead letter with `error`. `false`, like
    /// [`WorkQueue::finish`], when someone else already finished or gave it up.
    /// `tries`: the attempts made (a task taken again after `max_reads` failed takes was tried
    /// `max_reads` times, though taken once more).
    fn give_up(&self, delivery: &Delivery, tries: u32, error: &str) -> Result<bool>;

    /// Tasks not yet finished or given up, hidden ones included.
    fn pending(&self) -> Result<u64>;

    /// Every task given up so far, oldest first.
    fn dead_letters(&self) -> Result<Vec<DeadLetter>>;

    /// The pgmq queue's name when the queue lives in PostgreSQL, so that a worker whose store
    /// is the same database can archive a message in the transaction that writes its result
    /// ([`Attempt::Finished`]); `None` for a queue elsewhere.
    fn pgmq_name(&self) -> Option<&str> {
        None
    }
}

/// How one attempt at a task went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// Done: the loop archives the message.
    Done,
    /// Done, and the work archived the message itself in the transaction that wrote its result
    /// (`Store::save_video_analysis_finishing`); `false` when it found the message no longer
    /// its own and wrote nothing (a late duplicate).
    Finished(bool),
    /// The task failed: tried again (by any worker) until its takes run out.
    Failed(String),
    /// The worker must stop (cancelled, or an error that is not the task's): the task is left
    /// as it is and comes back when its visibility timeout ends.
    Stop,
}

/// A worker's loop: takes tasks and runs `work` on each delivery (under a [`Heartbeat`]) until no task is
/// left, `work` says stop, or `stop()` is true (checked before each take), waiting `poll` while
/// the only tasks left are hidden (taken by someone else). A task whose last allowed take
/// fails, or that comes back more than `max_reads` times because the workers taking it died, is
/// given up. A failed attempt is made visible again at once. A queue call that fails (the
/// database restarting) is tried again for up to one visibility timeout before the loop gives
/// up with that error.
pub fn work_until_empty(
    queue: &dyn WorkQueue,
    settings: &QueueSettings,
    poll: Duration,
    stop: &dyn Fn() -> bool,
    mut work: impl FnMut(&Delivery) -> Attempt,
) -> Result<WorkDone> {
    let mut done = WorkDone::default();
    loop {
        if stop() {
            done.stopped = true;
            return Ok(done);
        }
        let Some(delivery) = patiently(settings, || queue.take(settings.visibility))? else {
            if patiently(settings, || queue.pending())? == 0 {
                return Ok(done);
            }
            std::thread::sleep(poll);
            continue;
        };
        if delivery.reads > settings.max_reads {
            let error = "the worker stopped before finishing (killed or crashed)";
            done.given_up += usize::from(patiently(settings, || queue.give_up(&delivery, settings.max_reads, error))?);
            continue;
        }
        let (attempt, beat) = Heartbeat::around(queue, &delivery, settings, || work(&delivery));
        done.beats += beat.beats;
        match attempt {
            Attempt::Done if patiently(settings, || queue.finish(&delivery))? => done.finished += 1,
            Attempt::Done | Attempt::Finished(false) => done.lost_races += 1,
            Attempt::Finished(true) => done.finished += 1,
            Attempt::Failed(e) if delivery.reads >= settings.max_reads => {
                done.given_up += usize::from(patiently(settings, || queue.give_up(&delivery, delivery.reads, &e))?);
            }
            Attempt::Failed(_) => {
                done.failed_attempts += 1;
                patiently(settings, || queue.extend(&delivery, Duration::ZERO))?;
            }
            Attempt::Stop => {
                done.stopped = true;
                return Ok(done);
            }
        }
    }
}

/// Calls `call` until it succeeds or one visibility timeout has passed, waiting longer between
/// tries (0.1 s doubling up to 2 s): long enough for a database restart, short enough that a
/// worker cut off for good says so.
fn patiently<T>(settings: &QueueSettings, mut call: impl FnMut() -> Result<T>) -> Result<T> {
    let deadline = std::time::Instant::now() + settings.visibility;
    let mut wait = Duration::from_millis(100);
    loop {
        match call() {
            Ok(value) => return Ok(value),
            Err(e) if std::time::Instant::now() + wait > deadline => return Err(e),
            Err(e) => {
                tracing::warn!("work queue: {e}; trying again in {wait:?}");
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_secs(2));
            }
        }
    }
}

/// What [`work_until_empty`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkDone {
    pub finished: usize,
    pub failed_attempts: usize,
    pub given_up: usize,
    /// Tasks this worker completed after another had already finished them.
    pub lost_races: usize,
    /// Visibility extensions made while working.
    pub beats: u32,
    /// The work said stop before the queue was empty.
    pub stopped: bool,
}

#[cfg(test)]
mod contract;
