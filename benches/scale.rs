//! `make bench-scale`: the pgmq work queue's own overhead across worker processes. 2,000 queued
//! tasks whose work is a fixed sleep, taken by N = 1, 2, 4, 8 worker processes (this binary in
//! worker mode) on a throwaway PostgreSQL. Prints tasks per second and the p95 of each task's
//! queue overhead (the gap between a worker's consecutive task starts, minus the sleep: take,
//! heartbeat, finish). Sleeping workers use no CPU, so N above the core count still measures
//! the queue, not the machine. Env: `IPS_SCALE_TASKS` (2000), `IPS_SCALE_COST_MS` (20).

use std::time::{Duration, Instant};

use ips_core::queue::{PgmqQueue, VideoTask, WorkQueue};
use ips_core::testing::TempPostgres;
use ips_core::testing::queue_worker::{SimulatedWorker, run_if_worker, spawn_worker};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    if run_if_worker() {
        return;
    }
    let tasks = env_or("IPS_SCALE_TASKS", 2000) as usize;
    let cost_ms = env_or("IPS_SCALE_COST_MS", 20);
    let postgres = TempPostgres::start().expect("a throwaway PostgreSQL starts");
    println!(
        "{tasks} tasks of {cost_ms} ms each; {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| workers | wall (s) | tasks/s | ideal tasks/s | efficiency | p95 overhead per task (ms) |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
    for workers in [1usize, 2, 4, 8] {
        let name = format!("scale_{workers}");
        let queue = PgmqQueue::connect(&postgres.url(), &name).expect("the queue is created");
        let all: Vec<VideoTask> = (0..tasks).map(|i| VideoTask { run: 1, sha256: format!("t{i}") }).collect();
        for chunk in all.chunks(500) {
            queue.push(chunk).expect("tasks are queued");
        }
        let worker = SimulatedWorker {
            url: postgres.url(),
            queue: name,
            cost_ms,
            visibility_s: 30,
            heartbeat_ms: 10_000,
            max_reads: 3,
            poisoned: None,
        };
        let started = Instant::now();
        let children: Vec<_> = (0..workers).map(|_| spawn_worker(&worker).expect("a worker starts")).collect();
        let mut overheads_us: Vec<i128> = Vec::new();
        let mut finished = 0;
        for child in children {
            let output = child.into_inner().wait_with_output().expect("the worker ran");
            assert!(output.status.success());
            let text = String::from_utf8_lossy(&output.stdout);
            let starts: Vec<i128> =
                text.lines().filter_map(|l| l.strip_prefix("start ")?.split(' ').nth(1)?.parse().ok()).collect();
            finished += text.lines().filter(|l| l.starts_with("done ")).count();
            overheads_us.extend(starts.windows(2).map(|w| w[1] - w[0] - cost_ms as i128 * 1000));
        }
        let wall = started.elapsed();
        assert_eq!(finished, tasks, "every task finished once");
        assert_eq!(queue.pending().unwrap(), 0);
        overheads_us.sort();
        let p95 = overheads_us.get(overheads_us.len() * 95 / 100).copied().unwrap_or(0) as f64 / 1000.0;
        let rate = tasks as f64 / wall.as_secs_f64();
        let ideal = workers as f64 * 1000.0 / cost_ms as f64;
        println!(
            "| {workers} | {:.1} | {rate:.1} | {ideal:.0} | {:.0} % | {p95:.1} |",
            wall.as_secs_f64(),
            100.0 * rate / ideal
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
