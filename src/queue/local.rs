//! The in-memory work queue of the single-machine default: the same contract as pgmq, so the
//! embedded runner and `ips worker` run the same worker loop.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{DeadLetter, Delivery, Result, VideoTask, WorkQueue};

#[derive(Default)]
pub struct LocalQueue {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    next_id: i64,
    /// Pending messages by id (oldest first), with when each is visible again and its takes.
    messages: BTreeMap<i64, Message>,
    dead: Vec<DeadLetter>,
}

struct Message {
    task: VideoTask,
    visible_at: Instant,
    reads: u32,
}

impl LocalQueue {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // Every change below is a single map operation: a poisoned lock holds consistent data.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl WorkQueue for LocalQueue {
    fn push(&self, tasks: &[VideoTask]) -> Result<()> {
        let mut state = self.state();
        let now = Instant::now();
        for task in tasks {
            state.next_id += 1;
            let id = state.next_id;
            state.messages.insert(id, Message { task: task.clone(), visible_at: now, reads: 0 });
        }
        Ok(())
    }

    fn take(&self, visibility: Duration) -> Result<Option<Delivery>> {
        let mut state = self.state();
        let now = Instant::now();
        let Some((&id, message)) = state.messages.iter_mut().find(|(_, m)| m.visible_at <= now) else {
            return Ok(None);
        };
        message.visible_at = now + visibility;
        message.reads += 1;
        Ok(Some(Delivery { id, reads: message.reads, task: message.task.clone() }))
    }

    fn extend(&self, delivery: &Delivery, visibility: Duration) -> Result<bool> {
        let mut state = self.state();
        let Some(message) = state.messages.get_mut(&delivery.id) else { return Ok(false) };
        message.visible_at = Instant::now() + visibility;
        Ok(true)
    }

    fn finish(&self, delivery: &Delivery) -> Result<bool> {
        Ok(self.state().messages.remove(&delivery.id).is_some())
    }

    fn give_up(&self, delivery: &Delivery, tries: u32, error: &str) -> Result<bool> {
        let mut state = self.state();
        let Some(message) = state.messages.remove(&delivery.id) else { return Ok(false) };
        state.dead.push(DeadLetter { task: message.task, reads: tries, error: error.to_string() });
        Ok(true)
    }

    fn pending(&self) -> Result<u64> {
        Ok(self.state().messages.len() as u64)
    }

    fn dead_letters(&self) -> Result<Vec<DeadLetter>> {
        Ok(self.state().dead.clone())
    }
}
