//! Keeps a taken task hidden while a worker works on it: a thread of its own renews the
//! visibility timeout every `heartbeat`, so CPU-bound work (which may occupy every core and
//! never yields) cannot starve it. It stops when the work ends.

use std::sync::mpsc;

use super::{Delivery, QueueSettings, WorkQueue};

/// What the heartbeat did while the work ran.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Heartbeat {
    /// Renewals made.
    pub beats: u32,
    /// A renewal found the task gone (someone else finished or gave it up).
    pub lost: bool,
}

impl Heartbeat {
    /// Runs `work` while renewing `delivery`'s visibility every `settings.heartbeat`.
    pub fn around<T>(
        queue: &dyn WorkQueue,
        delivery: &Delivery,
        settings: &QueueSettings,
        work: impl FnOnce() -> T,
    ) -> (T, Heartbeat) {
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::scope(|scope| {
            let beat = scope.spawn(move || {
                let mut done = Heartbeat::default();
                // Disconnected (the work ended) wakes it at once; a timeout means beat again.
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(settings.heartbeat) {
                    match queue.extend(delivery, settings.visibility) {
                        Ok(true) => done.beats += 1,
                        Ok(false) => {
                            done.lost = true;
                            break;
                        }
                        // The database may be restarting: try again at the next beat, while
                        // the visibility timeout still covers the work.
                        Err(e) => tracing::warn!("work queue heartbeat: {e}"),
                    }
                }
                done
            });
            let result = work();
            drop(stop);
            let done = beat.join().unwrap_or_default();
            (result, done)
        })
    }
}
