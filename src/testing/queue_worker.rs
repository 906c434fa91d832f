//! Worker processes on the pgmq work queue whose "analysis" is a fixed sleep: for the
//! multi-process fault test (`tests/queue_processes.rs`) and `make bench-scale`. A test or bench
//! binary calls [`run_if_worker`] first thing in `main`; [`spawn_worker`] starts the same binary
//! again in worker mode. A worker prints one line per event on stdout (`start <task> <µs since
//! the epoch>`, `done <task>`, `summary <reads of the last task>`), which its parent reads.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::queue::{Attempt, PgmqQueue, QueueSettings, work_until_empty};

/// The variable that turns a process into a simulated worker (its value: the JSON of
/// [`SimulatedWorker`]).
pub const WORKER_ENV: &str = "IPS_SIMULATED_QUEUE_WORKER";

/// What a simulated worker does.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimulatedWorker {
    pub url: String,
    pub queue: String,
    /// The fixed cost of each task.
    pub cost_ms: u64,
    pub visibility_s: u64,
    pub heartbeat_ms: u64,
    pub max_reads: u32,
    /// A task (by sha256) that always fails.
    pub poisoned: Option<String>,
}

/// Runs this process as a simulated worker when [`WORKER_ENV`] says so, then returns `true`
/// (the caller exits); `false` in a normal run.
pub fn run_if_worker() -> bool {
    let Ok(json) = std::env::var(WORKER_ENV) else { return false };
    let worker: SimulatedWorker = serde_json::from_str(&json).expect("the parent wrote a valid worker description");
    let queue = PgmqQueue::connect(&worker.url, &worker.queue).expect("the worker reaches the queue");
    let settings = QueueSettings {
        visibility: Duration::from_secs(worker.visibility_s),
        heartbeat: Duration::from_millis(worker.heartbeat_ms),
        max_reads: worker.max_reads,
    };
    let say = |line: String| {
        let mut out = std::io::stdout().lock();
        // The parent may have gone; a worker has nobody else to tell.
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    };
    let done = work_until_empty(&queue, &settings, Duration::from_millis(20), &|| false, |delivery| {
        let task = &delivery.task;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros());
        say(format!("start {} {now}", task.sha256));
        std::thread::sleep(Duration::from_millis(worker.cost_ms));
        if worker.poisoned.as_deref() == Some(task.sha256.as_str()) {
            return Attempt::Failed("this video always fails".into());
        }
        say(format!("done {}", task.sha256));
        Attempt::Done
    })
    .expect("the queue stays reachable");
    say(format!(
        "summary finished={} failed={} given_up={} lost_races={}",
        done.finished, done.failed_attempts, done.given_up, done.lost_races
    ));
    true
}

/// Starts this binary again as a simulated worker, its stdout piped to the caller.
pub fn spawn_worker(worker: &SimulatedWorker) -> std::io::Result<super::KillOnDrop> {
    let json = serde_json::to_string(worker).map_err(std::io::Error::other)?;
    Command::new(std::env::current_exe()?)
        .env(WORKER_ENV, json)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map(Into::into)
}
