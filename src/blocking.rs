//! A small tokio runtime owned by synchronous code that talks to async clients (sqlx, pgmq,
//! object_store): the PostgreSQL store and the pgmq queue. Their callers are plain threads (the
//! pipeline's workers), tokio's blocking threads (the web pages), and now and then async code
//! itself (the server's start-up), where blocking on a runtime, or dropping one, would panic:
//! there the work runs on a scoped thread of its own, and the runtime is shut down without
//! waiting.

use std::future::Future;

pub struct BlockingRuntime {
    /// `Some` until dropped.
    runtime: Option<tokio::runtime::Runtime>,
}

impl BlockingRuntime {
    /// One worker thread named `name`, with I/O and timers.
    pub fn new(name: &str) -> std::io::Result<Self> {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).thread_name(name).enable_all().build()?;
        Ok(Self { runtime: Some(runtime) })
    }

    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime.as_ref().expect("the runtime lives until dropped")
    }

    /// Runs `future` to its end on this runtime, from any thread.
    pub fn block_on<F: Future + Send>(&self, future: F) -> F::Output
    where
        F::Output: Send,
    {
        let runtime = self.runtime();
        if tokio::runtime::Handle::try_current().is_err() {
            return runtime.block_on(future);
        }
        std::thread::scope(|scope| {
            scope.spawn(|| runtime.block_on(future)).join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }

    /// Makes this runtime current until the guard drops: for dropping values (pooled
    /// connections) that hand work to the current runtime as they go.
    pub fn enter(&self) -> tokio::runtime::EnterGuard<'_> {
        self.runtime().enter()
    }
}

impl Drop for BlockingRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
