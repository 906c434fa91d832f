//! Fault injection for the crash tests: a few `fail_point!`s (the `fail` crate) mark places where
//! a test wants the process to stop for good, such as midway through writing a run's grouping.
//! Only builds with the `test-support` feature compile them in, and even those do nothing unless
//! the `FAILPOINTS` environment variable names them (e.g. `FAILPOINTS=save-grouping=sleep(60000)`).

/// Reads `FAILPOINTS` once at start-up; the configuration holds for the life of the process.
#[cfg(feature = "test-support")]
pub fn configure_from_env() {
    if std::env::var_os("FAILPOINTS").is_some() {
        tracing::warn!("fault injection is on (FAILPOINTS): this process will misbehave on purpose");
    }
    // The scenario's guard would undo the configuration when dropped; the process keeps it.
    std::mem::forget(fail::FailScenario::setup());
}

/// Release builds have no fail points to configure.
#[cfg(not(feature = "test-support"))]
pub fn configure_from_env() {}

/// The value a test gave fail point `name` (`FAILPOINTS=name=return(value)`), e.g. which video
/// to poison; `None` when it is not configured, and always in builds without `test-support`.
pub fn value_of(name: &str) -> Option<String> {
    #[cfg(feature = "test-support")]
    return fail::eval(name, |value| value).flatten();
    #[cfg(not(feature = "test-support"))]
    {
        let _ = name;
        None
    }
}

/// For tests that do something to the world while a process is at a known point (restart its
/// database mid-stage, say): while the file `<data_dir>/faults/hold-<point>` exists, the
/// process waits here (up to ten minutes). The file lives in the test's own data directory, so
/// tests running side by side never hold each other. Nothing in builds without `test-support`.
pub fn hold_while_flagged(data_dir: &std::path::Path, point: &str) {
    #[cfg(feature = "test-support")]
    {
        let flag = hold_flag(data_dir, point);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
        while flag.exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
    #[cfg(not(feature = "test-support"))]
    let _ = (data_dir, point);
}

/// The file that holds a process at `point` (see [`hold_while_flagged`]).
#[cfg(feature = "test-support")]
pub fn hold_flag(data_dir: &std::path::Path, point: &str) -> std::path::PathBuf {
    data_dir.join("faults").join(format!("hold-{point}"))
}
