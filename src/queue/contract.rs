//! What every [`WorkQueue`] must do, run against the in-memory queue and (with the `postgres`
//! feature) pgmq on a throwaway PostgreSQL. Visibility timeouts are whole seconds in pgmq, so
//! the timing cases wait a little over one second.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::*;

const SHORT: Duration = Duration::from_secs(1);
/// Long enough for a one-second visibility timeout to have ended.
const PAST_SHORT: Duration = Duration::from_millis(1300);
const LONG: Duration = Duration::from_secs(60);

fn tasks(n: usize) -> Vec<VideoTask> {
    (0..n).map(|i| VideoTask { run: 7, sha256: format!("{i:064x}") }).collect()
}

/// Every case, each on a fresh queue from `new_queue(name)`.
fn contract(new_queue: &dyn Fn(&str) -> Box<dyn WorkQueue>) {
    taken_in_order_and_finished_once(&*new_queue("in_order"));
    a_taken_task_comes_back_when_its_timeout_ends(&*new_queue("timeout"));
    extending_keeps_a_task_hidden(&*new_queue("extend"));
    a_late_duplicate_cannot_finish(&*new_queue("late"));
    giving_up_makes_a_dead_letter(&*new_queue("give_up"));
    a_poisoned_task_is_given_up_and_the_rest_finish(&*new_queue("poison"));
    a_dead_workers_task_is_finished_by_another(&*new_queue("dead_worker"));
    the_heartbeat_hides_a_task_while_it_is_worked_on(&*new_queue("heartbeat"));
    two_workers_finish_every_task_exactly_once(&*new_queue("two_workers"));
    a_stopped_worker_leaves_its_task_for_later(&*new_queue("stop"));
}

fn a_stopped_worker_leaves_its_task_for_later(queue: &dyn WorkQueue) {
    queue.push(&tasks(3)).unwrap();
    let settings = QueueSettings { visibility: SHORT, heartbeat: Duration::from_millis(300), max_reads: 3 };
    let mut calls = 0;
    let done = work_until_empty(queue, &settings, Duration::from_millis(20), &|| false, |_| {
        calls += 1;
        if calls == 2 { Attempt::Stop } else { Attempt::Done }
    })
    .unwrap();
    assert_eq!((done.finished, done.stopped), (1, true));
    assert_eq!(queue.pending().unwrap(), 2, "the stopped task and the untaken one remain");
    std::thread::sleep(PAST_SHORT);
    let resumed = work_until_empty(queue, &settings, Duration::from_millis(20), &|| false, |_| Attempt::Done).unwrap();
    assert_eq!((resumed.finished, resumed.stopped, resumed.given_up), (2, false, 0));

    // Told to stop from outside (a cancelled run), even while waiting on a hidden task.
    queue.push(&tasks(1)).unwrap();
    let _held = queue.take(LONG).unwrap().unwrap();
    let cancelled = std::sync::atomic::AtomicBool::new(false);
    let started = Instant::now();
    let waited = std::thread::scope(|scope| {
        let waiter = scope.spawn(|| {
            work_until_empty(
                queue,
                &settings,
                Duration::from_millis(20),
                &|| cancelled.load(std::sync::atomic::Ordering::SeqCst),
                |_| panic!("the held task stays hidden"),
            )
            .unwrap()
        });
        std::thread::sleep(Duration::from_millis(200));
        cancelled.store(true, std::sync::atomic::Ordering::SeqCst);
        waiter.join().unwrap()
    });
    assert!(waited.stopped);
    assert!(started.elapsed() < Duration::from_secs(5), "it did not wait for the timeout");
}

fn taken_in_order_and_finished_once(queue: &dyn WorkQueue) {
    queue.push(&tasks(3)).unwrap();
    assert_eq!(queue.pending().unwrap(), 3);
    let taken: Vec<Delivery> = (0..3).map(|_| queue.take(LONG).unwrap().expect("a visible task")).collect();
    assert_eq!(taken.iter().map(|d| d.task.clone()).collect::<Vec<_>>(), tasks(3), "oldest first");
    assert!(taken.iter().all(|d| d.reads == 1));
    assert_eq!(queue.take(LONG).unwrap(), None, "all three are hidden");
    assert_eq!(queue.pending().unwrap(), 3, "hidden tasks are still pending");
    for d in &taken {
        assert!(queue.finish(d).unwrap());
        assert!(!queue.finish(d).unwrap(), "a task is finished once");
    }
    assert_eq!(queue.pending().unwrap(), 0);
    assert!(!queue.extend(&taken[0], LONG).unwrap(), "a finished task cannot be extended");
}

fn a_taken_task_comes_back_when_its_timeout_ends(queue: &dyn WorkQueue) {
    queue.push(&tasks(1)).unwrap();
    let first = queue.take(SHORT).unwrap().unwrap();
    assert_eq!(queue.take(SHORT).unwrap(), None);
    std::thread::sleep(PAST_SHORT);
    let again = queue.take(LONG).unwrap().expect("visible again");
    assert_eq!((again.id, again.reads, &again.task), (first.id, 2, &first.task));
}

fn extending_keeps_a_task_hidden(queue: &dyn WorkQueue) {
    queue.push(&tasks(1)).unwrap();
    let d = queue.take(SHORT).unwrap().unwrap();
    assert!(queue.extend(&d, LONG).unwrap());
    std::thread::sleep(PAST_SHORT);
    assert_eq!(queue.take(LONG).unwrap(), None, "extended past its first timeout");
    assert!(queue.extend(&d, Duration::ZERO).unwrap());
    assert_eq!(queue.take(LONG).unwrap().map(|again| again.reads), Some(2), "visible at once after a zero extension");
}

fn a_late_duplicate_cannot_finish(queue: &dyn WorkQueue) {
    queue.push(&tasks(1)).unwrap();
    let slow = queue.take(SHORT).unwrap().unwrap();
    std::thread::sleep(PAST_SHORT);
    let fast = queue.take(LONG).unwrap().unwrap();
    assert!(queue.finish(&fast).unwrap(), "the second taker finishes");
    assert!(!queue.finish(&slow).unwrap(), "the first, late, is told it lost");
    assert!(!queue.give_up(&slow, 1, "late").unwrap());
    assert_eq!(queue.dead_letters().unwrap(), vec![]);
}

fn giving_up_makes_a_dead_letter(queue: &dyn WorkQueue) {
    queue.push(&tasks(2)).unwrap();
    let d = queue.take(LONG).unwrap().unwrap();
    assert!(queue.give_up(&d, 3, "the file is corrupt").unwrap());
    assert!(!queue.give_up(&d, 3, "again").unwrap(), "given up once");
    assert!(!queue.finish(&d).unwrap());
    let dead = queue.dead_letters().unwrap();
    assert_eq!(dead, vec![DeadLetter { task: tasks(1)[0].clone(), reads: 3, error: "the file is corrupt".into() }]);
    assert_eq!(dead[0].status_message(), "failed: worker gave up after 3 tries: the file is corrupt");
    assert_eq!(queue.pending().unwrap(), 1, "the other task is untouched");
}

fn a_poisoned_task_is_given_up_and_the_rest_finish(queue: &dyn WorkQueue) {
    queue.push(&tasks(3)).unwrap();
    let poisoned = tasks(3)[1].clone();
    let settings = QueueSettings { visibility: LONG, heartbeat: Duration::from_secs(10), max_reads: 3 };
    let mut attempts: HashMap<VideoTask, u32> = HashMap::new();
    let done = work_until_empty(queue, &settings, Duration::from_millis(50), &|| false, |delivery| {
        let task = &delivery.task;
        *attempts.entry(task.clone()).or_default() += 1;
        if *task == poisoned { Attempt::Failed("cannot decode".to_string()) } else { Attempt::Done }
    })
    .unwrap();
    assert_eq!((done.finished, done.failed_attempts, done.given_up, done.lost_races), (2, 2, 1, 0));
    assert_eq!(attempts[&poisoned], 3, "tried max_reads times, no more");
    let dead = queue.dead_letters().unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].task, poisoned);
    assert_eq!(dead[0].status_message(), "failed: worker gave up after 3 tries: cannot decode");
    assert_eq!(queue.pending().unwrap(), 0);
}

fn a_dead_workers_task_is_finished_by_another(queue: &dyn WorkQueue) {
    queue.push(&tasks(2)).unwrap();
    // A worker takes the first task and dies: it never finishes nor extends it.
    let _lost = queue.take(SHORT).unwrap().unwrap();
    let settings = QueueSettings { visibility: LONG, heartbeat: Duration::from_secs(10), max_reads: 3 };
    let mut worked = Vec::new();
    let started = Instant::now();
    let done = work_until_empty(queue, &settings, Duration::from_millis(100), &|| false, |delivery| {
        let task = &delivery.task;
        worked.push(task.clone());
        Attempt::Done
    })
    .unwrap();
    assert_eq!(done.finished, 2);
    assert_eq!(worked, vec![tasks(2)[1].clone(), tasks(2)[0].clone()], "the dead worker's task after its timeout");
    assert!(started.elapsed() >= Duration::from_millis(900), "it waited for the timeout: {:?}", started.elapsed());

    // A task whose every taker dies is given up once it comes back after max_reads takes.
    queue.push(&tasks(1)).unwrap();
    for _ in 0..2 {
        let _dies = queue.take(Duration::ZERO).unwrap().unwrap();
    }
    let two_tries = QueueSettings { max_reads: 2, ..settings };
    let done = work_until_empty(queue, &two_tries, Duration::from_millis(50), &|| false, |_| {
        panic!("never tried a third time")
    })
    .unwrap();
    assert_eq!(done.given_up, 1);
    let dead = queue.dead_letters().unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        dead[0].status_message(),
        "failed: worker gave up after 2 tries: the worker stopped before finishing (killed or crashed)"
    );
}

fn the_heartbeat_hides_a_task_while_it_is_worked_on(queue: &dyn WorkQueue) {
    queue.push(&tasks(1)).unwrap();
    let settings = QueueSettings { visibility: SHORT, heartbeat: Duration::from_millis(200), max_reads: 3 };
    let d = queue.take(settings.visibility).unwrap().unwrap();
    let seen_by_others = Mutex::new(Vec::new());
    let ((), beat) = Heartbeat::around(queue, &d, &settings, || {
        // Busy for 2.5 timeouts while another worker keeps looking.
        let until = Instant::now() + Duration::from_millis(2500);
        while Instant::now() < until {
            if let Some(other) = queue.take(settings.visibility).unwrap() {
                seen_by_others.lock().unwrap().push(other);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    assert_eq!(*seen_by_others.lock().unwrap(), vec![], "nobody else took it while it was worked on");
    assert!(beat.beats >= 8 && !beat.lost, "{beat:?}");
    assert!(queue.finish(&d).unwrap());
}

fn two_workers_finish_every_task_exactly_once(queue: &dyn WorkQueue) {
    queue.push(&tasks(20)).unwrap();
    let settings = QueueSettings { visibility: SHORT, heartbeat: Duration::from_millis(300), max_reads: 3 };
    let worked = Mutex::new(Vec::new());
    let done: Vec<WorkDone> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    work_until_empty(queue, &settings, Duration::from_millis(20), &|| false, |delivery| {
                        let task = &delivery.task;
                        // Some tasks outlast the visibility timeout: only the heartbeat keeps
                        // the other worker off them.
                        let slow = task.sha256.ends_with('3') || task.sha256.ends_with('7');
                        std::thread::sleep(Duration::from_millis(if slow { 1500 } else { 20 }));
                        worked.lock().unwrap().push(task.clone());
                        Attempt::Done
                    })
                    .unwrap()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let mut worked = worked.into_inner().unwrap();
    worked.sort_by(|a, b| a.sha256.cmp(&b.sha256));
    assert_eq!(worked, tasks(20), "every task worked on once");
    assert_eq!(done.iter().map(|d| d.finished).sum::<usize>(), 20);
    assert!(done.iter().all(|d| d.finished > 0), "both workers took part: {done:?}");
    assert!(done.iter().map(|d| d.beats).sum::<u32>() >= 4, "the slow tasks were kept hidden by beats: {done:?}");
}

#[test]
fn the_local_queue_keeps_the_contract() {
    contract(&|_| Box::new(LocalQueue::new()));
}

#[cfg(feature = "postgres")]
#[test]
fn the_pgmq_queue_keeps_the_contract() {
    let postgres = crate::testing::TempPostgres::start().expect("a throwaway PostgreSQL starts");
    let url = postgres.url();
    contract(&|name| Box::new(PgmqQueue::connect(&url, name).expect("pgmq installs and the queue is created")));
}

#[cfg(feature = "postgres")]
#[test]
fn the_pgmq_queue_survives_a_database_restart() {
    let postgres = crate::testing::TempPostgres::start().expect("a throwaway PostgreSQL starts");
    let queue = PgmqQueue::connect(&postgres.url(), "restart").unwrap();
    // Two processes installing at once install pgmq once.
    let other = PgmqQueue::connect(&postgres.url(), "restart").unwrap();
    queue.push(&tasks(2)).unwrap();
    let d = queue.take(LONG).unwrap().unwrap();
    postgres.restart().expect("the database restarts");
    // The first calls after the restart may meet a broken connection; within a few tries the
    // pool reconnects, and nothing was lost (pgmq's tables are logged).
    let pending = (0..20)
        .find_map(|_| {
            let result = other.pending();
            if result.is_err() {
                std::thread::sleep(Duration::from_millis(250));
            }
            result.ok()
        })
        .expect("the queue answers again after the restart");
    assert_eq!(pending, 2);
    assert!(queue.finish(&d).unwrap_or_else(|_| queue.finish(&d).unwrap()));
    assert_eq!(other.take(LONG).unwrap().map(|t| t.task), Some(tasks(2)[1].clone()));
}
