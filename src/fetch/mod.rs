//! Fetch: a video URL becomes a file in the content-addressed cache, or a precise reason why not.
//!
//! Downloads are streamed (never held whole in memory), capped in size, checked by magic bytes
//! (MP4/MOV, WebM/MKV), hashed while they arrive, and stored under their SHA-256 ([`cache`]),
//! so the same video behind two URLs is stored once. Transient failures (connection errors,
//! timeouts, 5xx, 429) are retried with exponential backoff; others fail at once. `file://` URLs
//! are read only from the configured local directory. Only public addresses are reached unless
//! `allow_hosts` says otherwise ([`guard`]), checked before connecting, on every redirect too.

mod cache;
mod container;
mod download;
mod guard;

pub use cache::VideoCache;
pub use container::Container;
pub use download::Fetcher;
pub use guard::{AddressPolicy, Refused, non_public};

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How downloads behave. Serialised in the config file as `[fetch]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FetchSettings {
    /// Downloads in flight at once.
    pub concurrency: usize,
    pub connect_timeout_secs: u64,
    /// Longest wait for the next bytes of a response.
    pub read_timeout_secs: u64,
    /// Longest time for one whole download.
    pub total_timeout_secs: u64,
    /// Largest accepted video, in MiB.
    pub max_video_mib: u64,
    /// Attempts after the first, for transient failures.
    pub retries: u32,
    /// First backoff; doubled after each failed attempt.
    pub backoff_ms: u64,
    /// The only directory `file://` URLs may point into. None: `file://` URLs are refused.
    pub local_dir: Option<PathBuf>,
    /// Hosts, addresses or networks (CIDR) that may be reached although not public (loopback,
    /// private, link-local): for local use, the demo and tests. Empty: public addresses only.
    pub allow_hosts: Vec<String>,
    /// Redirects followed at most, each checked like the first URL.
    pub max_redirects: usize,
}

impl Default for FetchSettings {
    fn default() -> Self {
        Self {
            concurrency: 4,
            connect_timeout_secs: 10,
            read_timeout_secs: 30,
            total_timeout_secs: 600,
            max_video_mib: 500,
            retries: 3,
            backoff_ms: 500,
            local_dir: None,
            allow_hosts: Vec::new(),
            max_redirects: 10,
        }
    }
}

impl FetchSettings {
    pub fn max_bytes(&self) -> u64 {
        self.max_video_mib.saturating_mul(1024 * 1024)
    }

    fn backoff(&self, attempt: u32) -> Duration {
        Duration::from_millis(self.backoff_ms.saturating_mul(1 << attempt.min(10)))
    }
}

/// A video in the cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedVideo {
    pub sha256: String,
    pub size_bytes: u64,
    pub container: Container,
}

/// How fetching one URL ended.
#[derive(Debug, Clone, PartialEq)]
pub enum FetchOutcome {
    /// Downloaded (or read from a local file) now.
    Downloaded(CachedVideo),
    /// Already in the cache from an earlier fetch of this URL; nothing was transferred.
    Cached(CachedVideo),
    Failed(FetchError),
}

impl FetchOutcome {
    pub fn video(&self) -> Option<&CachedVideo> {
        match self {
            FetchOutcome::Downloaded(v) | FetchOutcome::Cached(v) => Some(v),
            FetchOutcome::Failed(_) => None,
        }
    }
}

/// Why a URL gave no video. Messages are shown to users next to the row.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FetchError {
    #[error("HTTP {status}{}", reason.as_deref().map(|r| format!(" {r}")).unwrap_or_default())]
    Status { status: u16, reason: Option<String> },
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("timed out: {0}")]
    Timeout(String),
    #[error("transfer failed: {0}")]
    Transfer(String),
    #[error("larger than the {limit_mib} MiB limit")]
    TooLarge { limit_mib: u64 },
    #[error("the server sent an HTML page, not a video")]
    Html,
    #[error("not a video file (MP4, MOV, WebM or MKV expected{})", content_type.as_deref().map(|c| format!("; content type {c}")).unwrap_or_default())]
    NotVideo { content_type: Option<String> },
    #[error("empty response")]
    Empty,
    #[error("local file refused: {0}")]
    LocalRefused(String),
    #[error("local file unreadable: {0}")]
    LocalIo(String),
    #[error("cache write failed: {0}")]
    Cache(String),
    #[error("invalid URL: {0}")]
    BadUrl(String),
    #[error("{0}")]
    Refused(String),
    #[error("too many redirects (a redirect loop?)")]
    TooManyRedirects,
    #[error("bad fetch settings: {0}")]
    Settings(String),
}

impl FetchError {
    /// Worth another attempt: the next try may well succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Status { status, .. } => *status == 429 || (500..600).contains(status),
            FetchError::Connect(_) | FetchError::Timeout(_) | FetchError::Transfer(_) => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests;
