//! The pgmq work queue across real worker processes (this binary started again in worker mode,
//! each "analysis" a fixed sleep): a worker killed with SIGKILL mid-task, a poisoned task, and the
//! database restarted under running workers. No test harness: `main` is either a worker or the
//! test, so the children are plain processes the test can kill.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use ips_core::queue::{PgmqQueue, VideoTask, WorkQueue};
use ips_core::testing::queue_worker::{SimulatedWorker, run_if_worker, spawn_worker};
use ips_core::testing::{KillOnDrop, TempPostgres};

fn main() {
    if run_if_worker() {
        return;
    }
    let postgres = TempPostgres::start().expect("a throwaway PostgreSQL starts (tools/setup.sh installs it)");
    a_killed_workers_task_is_finished_by_another_and_a_poisoned_one_given_up(&postgres);
    println!("test a_killed_workers_task_is_finished_by_another_and_a_poisoned_one_given_up ... ok");
    workers_outlive_a_database_restart(&postgres);
    println!("test workers_outlive_a_database_restart ... ok");
    println!("\ntest result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out");
}

fn tasks(n: usize) -> Vec<VideoTask> {
    (0..n).map(|i| VideoTask { run: 1, sha256: format!("video{i:02}") }).collect()
}

fn worker(postgres: &TempPostgres, queue: &str, cost_ms: u64) -> SimulatedWorker {
    SimulatedWorker {
        url: postgres.url(),
        queue: queue.into(),
        cost_ms,
        visibility_s: 2,
        heartbeat_ms: 400,
        max_reads: 3,
        poisoned: None,
    }
}

/// Reads a worker's lines until it exits: how many times it finished each task, and its summary.
fn finished_by(child: KillOnDrop) -> (HashMap<String, u32>, String) {
    let output = child.into_inner().wait_with_output().expect("the worker ran");
    assert!(output.status.success(), "worker failed: {:?}", output.status);
    let mut done = HashMap::new();
    let mut summary = String::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        if let Some(task) = line.strip_prefix("done ") {
            *done.entry(task.to_string()).or_default() += 1;
        } else if let Some(s) = line.strip_prefix("summary ") {
            summary = s.to_string();
        }
    }
    (done, summary)
}

fn merged(parts: &[&HashMap<String, u32>]) -> HashMap<String, u32> {
    let mut all = HashMap::new();
    for part in parts {
        for (task, n) in *part {
            *all.entry(task.clone()).or_default() += n;
        }
    }
    all
}

fn a_killed_workers_task_is_finished_by_another_and_a_poisoned_one_given_up(postgres: &TempPostgres) {
    let queue = PgmqQueue::connect(&postgres.url(), "kill_test").unwrap();
    queue.push(&tasks(6)).unwrap();

    // A slow worker takes the first task; it is killed (SIGKILL) while working on it.
    let mut doomed = spawn_worker(&worker(postgres, "kill_test", 60_000)).unwrap();
    let mut lines = BufReader::new(doomed.stdout.take().unwrap()).lines();
    let first = lines.next().expect("the doomed worker starts a task").unwrap();
    assert!(first.starts_with("start video00 "), "{first}");
    doomed.kill().unwrap();
    doomed.wait().unwrap();
    let killed_at = Instant::now();

    let poisoned = SimulatedWorker { poisoned: Some("video03".into()), ..worker(postgres, "kill_test", 50) };
    let b = spawn_worker(&poisoned).unwrap();
    let c = spawn_worker(&poisoned).unwrap();
    let ((done_b, summary_b), (done_c, summary_c)) = (finished_by(b), finished_by(c));
    let done = merged(&[&done_b, &done_c]);
    let expected: HashMap<String, u32> =
        ["video00", "video01", "video02", "video04", "video05"].iter().map(|t| (t.to_string(), 1)).collect();
    assert_eq!(done, expected, "every good task finished exactly once ({summary_b}; {summary_c})");
    assert!(killed_at.elapsed() >= Duration::from_millis(1500), "the killed worker's task waited for its timeout");
    assert_eq!(queue.pending().unwrap(), 0);
    let dead = queue.dead_letters().unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].task.sha256, "video03");
    assert_eq!(dead[0].status_message(), "failed: worker gave up after 3 tries: this video always fails");
}

fn workers_outlive_a_database_restart(postgres: &TempPostgres) {
    let queue = PgmqQueue::connect(&postgres.url(), "restart_test").unwrap();
    queue.push(&tasks(30)).unwrap();
    let slow = worker(postgres, "restart_test", 150);
    let workers: Vec<KillOnDrop> = (0..2).map(|_| spawn_worker(&slow).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(1000));
    postgres.restart().expect("the database restarts");
    let results: Vec<(HashMap<String, u32>, String)> = workers.into_iter().map(finished_by).collect();
    let done = merged(&results.iter().map(|(d, _)| d).collect::<Vec<_>>());
    assert_eq!(done.len(), 30, "every task finished: {results:?}");
    // A task whose finish was cut off by the restart may be done twice (its message came back),
    // but it is archived once: the queue is empty and nothing was given up.
    let again = PgmqQueue::connect(&postgres.url(), "restart_test").unwrap();
    assert_eq!(again.pending().unwrap(), 0);
    assert_eq!(again.dead_letters().unwrap(), vec![]);
}
