//! The content-addressed video cache: `<data dir>/videos/<first two hex>/<sha256>.<ext>`.
//! A file is written under a temporary name and renamed once complete and hashed, so a crash
//! never leaves a truncated file under a real name.

use std::path::{Path, PathBuf};

use super::Container;

#[derive(Debug, Clone)]
pub struct VideoCache {
    root: PathBuf,
}

impl VideoCache {
    pub fn new(data_dir: &Path) -> Self {
        Self { root: data_dir.join("videos") }
    }

    pub fn path(&self, sha256: &str, container: Container) -> PathBuf {
        let shard = sha256.get(..2).unwrap_or("00");
        self.root.join(shard).join(format!("{sha256}.{}", container.extension()))
    }

    pub fn contains(&self, sha256: &str, container: Container) -> bool {
        self.path(sha256, container).is_file()
    }

    /// A fresh temporary file path inside the cache (same filesystem, so rename is atomic).
    pub fn temp_path(&self) -> std::io::Result<PathBuf> {
        let dir = self.root.join("tmp");
        std::fs::create_dir_all(&dir)?;
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(dir.join(format!("{}-{n}.part", std::process::id())))
    }

    /// Deletes partial downloads left by processes that no longer run (killed mid-download); a
    /// live process's files (this one's, or another server's or CLI's on the same data
    /// directory) are kept. Returns how many were deleted.
    pub fn remove_abandoned_parts(&self) -> std::io::Result<usize> {
        let entries = match std::fs::read_dir(self.root.join("tmp")) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let mut removed = 0;
        for entry in entries {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let Some(pid) = name.strip_suffix(".part").and_then(|n| n.split_once('-')).map(|(pid, _)| pid) else {
                continue;
            };
            if !process_is_alive(pid) {
                std::fs::remove_file(&path)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Moves a complete temporary file to its content address.
    pub fn commit(&self, temp: &Path, sha256: &str, container: Container) -> std::io::Result<PathBuf> {
        let dest = self.path(sha256, container);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if dest.is_file() {
            std::fs::remove_file(temp)?;
        } else {
            std::fs::rename(temp, &dest)?;
        }
        Ok(dest)
    }
}

/// Whether a process with this id runs on this machine. Where that cannot be told (no `/proc`),
/// every process counts as alive, so nothing is deleted.
fn process_is_alive(pid: &str) -> bool {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return true;
    }
    pid.parse::<u32>().is_ok_and(|pid| pid == std::process::id() || proc.join(pid.to_string()).exists())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abandoned_partial_downloads_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let cache = VideoCache::new(dir.path());
        let ours = cache.temp_path().unwrap();
        std::fs::write(&ours, b"half a video").unwrap();
        // Beyond the kernel's pid_max (4,194,304): no process can have it.
        let dead = ours.with_file_name("4999999-7.part");
        std::fs::write(&dead, b"half a video").unwrap();
        let other = ours.with_file_name("notes.txt");
        std::fs::write(&other, b"not ours to judge").unwrap();

        assert_eq!(cache.remove_abandoned_parts().unwrap(), 1);
        assert!(ours.exists(), "this process's download is still going");
        assert!(!dead.exists(), "the dead process's part is gone");
        assert!(other.exists(), "files not named like parts are left alone");
        assert_eq!(VideoCache::new(&dir.path().join("none")).remove_abandoned_parts().unwrap(), 0);
    }
}
