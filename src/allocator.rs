//! The C allocator, told to keep freed memory for reuse.
//!
//! The face nets make each layer's output a new feature map of one to five megabytes and drop
//! the one before. glibc serves blocks that large by `mmap` at first (its threshold starts at
//! 128 KiB) and gives freed memory at the top of its heaps back to the kernel once more than
//! twice that threshold is free, so nearly every layer faulted its pages in again and had the
//! kernel zero them: 7 % of a corpus run's CPU samples were in the kernel, most of them page
//! faults and page clearing (`perf`, README, Speed). With blocks up to 32 MiB taken from the
//! heaps and up to 256 MiB of free memory kept in them, the maps reuse the same pages.

/// Sets glibc's thresholds, once per process; elsewhere (other C libraries) does nothing.
pub fn keep_freed_memory_for_reuse() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: `mallopt` only sets the allocator's parameters; it is thread-safe in glibc.
            unsafe {
                libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
                libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
            }
        });
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// Minor page faults of the calling thread so far (other tests run on other threads).
    fn thread_minor_faults() -> i64 {
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `usage` is a valid, writable `rusage`.
        assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) }, 0);
        usage.ru_minflt
    }

    /// A 4 MiB map written, then freed, ten times: with the thresholds set, the pages of the
    /// first stay in the heap and the next nine fault none of their 1,024 pages in again.
    #[test]
    fn freed_feature_maps_are_reused_without_page_faults() {
        keep_freed_memory_for_reuse();
        let map = || std::hint::black_box(vec![1.0f32; 1 << 20]);
        drop(map());
        let before = thread_minor_faults();
        for _ in 0..10 {
            drop(map());
        }
        let faults = thread_minor_faults() - before;
        assert!(faults < 100, "{faults} page faults for ten 4 MiB maps");
    }
}
