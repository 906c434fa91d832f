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
