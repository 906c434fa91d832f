//! Where videos, face crops and stills live when several machines share them: an object store
//! (`object_store`), a local directory by default or an S3 bucket. Keys are content-addressed
//! (`videos/<sha256>.mp4`, `faces/<sha256>.jpg`), so every write is a plain PUT to a key no one
//! else writes differently: no locking, and a repeated upload is harmless.
//!
//! `file:///abs/dir` or `s3://bucket[/prefix]`; S3's endpoint and credentials come from the
//! usual `AWS_*` variables (`AWS_ENDPOINT`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_REGION`, `AWS_ALLOW_HTTP`), or from `options` for tests. Synchronous like the store: it
//! owns a small tokio runtime ([`crate::blocking`]).

#[cfg(feature = "postgres")]
mod object;
#[cfg(feature = "postgres")]
pub use object::MediaStore;

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("media URL {url:?}: {reason}")]
    Url { url: String, reason: String },
    #[cfg(feature = "postgres")]
    #[error("media store: {0}")]
    Store(#[from] object_store::Error),
    #[error("media store: {0}")]
    Io(String),
}

pub type Result<T, E = MediaError> = std::result::Result<T, E>;

/// A run's files shared between machines through the media store: the videos, the face crops
/// and the stills, each under its path relative to the data directory (`videos/ab/<sha256>.mp4`,
/// `faces/<sha256>.jpg`), so every machine's data directory is a local cache of it.
pub trait SharedFiles: Send + Sync {
    /// Uploads the local file `local` under `key`, unless the media store has that key already
    /// (keys are content-addressed: the same key is the same bytes).
    fn publish(&self, key: &str, local: &Path) -> Result<()>;

    /// Downloads `key` to `local` unless `local` is there already (creating its directory);
    /// `false` when the media store has no such key.
    fn bring_home(&self, key: &str, local: &Path) -> Result<bool>;
}

/// The key of a file under the data directory: its relative path, `/`-separated.
pub fn key_of(data_dir: &Path, file: &Path) -> Result<String> {
    let relative = file.strip_prefix(data_dir).map_err(|_| {
        MediaError::Io(format!("{} is not under the data directory {}", file.display(), data_dir.display()))
    })?;
    let parts: Vec<String> = relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    Ok(parts.join("/"))
}

#[cfg(all(test, feature = "postgres"))]
mod tests;
