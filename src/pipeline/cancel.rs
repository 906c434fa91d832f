use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Asks a running pipeline to stop at the next safe point (between batches of work). Cloning
/// shares the flag, so the job runner keeps one clone and the pipeline another.
#[derive(Debug, Clone, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
