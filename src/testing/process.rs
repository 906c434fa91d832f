//! A child process a test started, killed when the test ends — also when it ends by panicking.
//! Without this, a failed assertion leaves the server or worker running, and a process that
//! inherited the test's stderr keeps CI's output open until CI's time limit.

use std::ops::{Deref, DerefMut};
use std::process::Child;

/// Always `Some` until [`KillOnDrop::into_inner`] takes the child out.
pub struct KillOnDrop(Option<Child>);

impl KillOnDrop {
    pub fn new(child: Child) -> Self {
        Self(Some(child))
    }

    /// The child, no longer killed on drop (for a test that waits for it to exit by itself).
    pub fn into_inner(mut self) -> Child {
        self.0.take().expect("the child is taken only here")
    }
}

impl From<Child> for KillOnDrop {
    fn from(child: Child) -> Self {
        Self::new(child)
    }
}

impl Deref for KillOnDrop {
    type Target = Child;
    fn deref(&self) -> &Child {
        self.0.as_ref().expect("the child is taken only by into_inner, which consumes the guard")
    }
}

impl DerefMut for KillOnDrop {
    fn deref_mut(&mut self) -> &mut Child {
        self.0.as_mut().expect("the child is taken only by into_inner, which consumes the guard")
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        // Already exited (or already killed and reaped): nothing to do.
        if let Some(child) = self.0.as_mut()
            && let Ok(None) = child.try_wait()
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn a_child_still_running_is_killed_when_the_guard_drops() {
        let guard = KillOnDrop::new(Command::new("sleep").arg("600").spawn().unwrap());
        let pid = guard.id();
        drop(guard);
        // The process is gone (reaped too): /proc has no entry for it.
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists(), "sleep {pid} still runs");
    }

    #[test]
    fn a_child_released_from_the_guard_keeps_running() {
        let guard = KillOnDrop::new(Command::new("sleep").arg("600").spawn().unwrap());
        let mut child = guard.into_inner();
        assert_eq!(child.try_wait().unwrap(), None, "still running after the guard is gone");
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
