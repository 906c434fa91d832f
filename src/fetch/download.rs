//! The download itself: HTTP(S) with reqwest, or a local file, into the cache.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::container::looks_like_html;
use super::guard::{AddressPolicy, GuardedResolver, refused_in};
use super::{CachedVideo, Container, FetchError, FetchOutcome, FetchSettings, VideoCache};

pub struct Fetcher {
    client: reqwest::Client,
    settings: FetchSettings,
    cache: VideoCache,
    policy: Arc<AddressPolicy>,
}

/// Error a redirect policy gives for too many hops (turned into `FetchError::TooManyRedirects`).
#[derive(Debug, thiserror::Error)]
#[error("too many redirects")]
struct TooManyRedirects;

impl Fetcher {
    pub fn new(settings: FetchSettings, cache: VideoCache) -> Result<Self, FetchError> {
        let policy = Arc::new(AddressPolicy::new(&settings.allow_hosts).map_err(FetchError::Settings)?);
        let redirect_policy = {
            let (policy, max) = (Arc::clone(&policy), settings.max_redirects);
            // Every hop's IP literal is checked here, before it is requested; host names are
            // checked by the resolver when the hop connects.
            reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > max {
                    return attempt.error(TooManyRedirects);
                }
                match policy.check_url(attempt.url()) {
                    Ok(()) => attempt.follow(),
                    Err(refused) => attempt.error(refused),
                }
            })
        };
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver { policy: Arc::clone(&policy) }))
            .redirect(redirect_policy)
            // A proxy would resolve names itself, past the guard.
            .no_proxy()
            .connect_timeout(Duration::from_secs(settings.connect_timeout_secs))
            .read_timeout(Duration::from_secs(settings.read_timeout_secs))
            .timeout(Duration::from_secs(settings.total_timeout_secs))
            .user_agent(concat!("IPS/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::Connect(e.to_string()))?;
        Ok(Self { client, settings, cache, policy })
    }

    pub fn cache(&self) -> &VideoCache {
        &self.cache
    }

    /// Fetches one URL into the cache, retrying transient failures with exponential backoff.
    pub async fn fetch(&self, url: &str) -> FetchOutcome {
        let parsed = match url::Url::parse(url) {
            Ok(u) => u,
            Err(url::ParseError::RelativeUrlWithoutBase) if !url.contains("://") => {
                let local = self.read_local(std::path::Path::new(url)).await;
                return local.map_or_else(FetchOutcome::Failed, FetchOutcome::Downloaded);
            }
            Err(e) => return FetchOutcome::Failed(FetchError::BadUrl(e.to_string())),
        };
        if parsed.scheme() == "file" {
            let Ok(path) = parsed.to_file_path() else {
                return FetchOutcome::Failed(FetchError::BadUrl("not a local path".into()));
            };
            let local = self.read_local(&path).await;
            return local.map_or_else(FetchOutcome::Failed, FetchOutcome::Downloaded);
        }
        let mut attempt = 0;
        loop {
            match self.download(&parsed).await {
                Ok(video) => return FetchOutcome::Downloaded(video),
                Err(e) if e.is_transient() && attempt < self.settings.retries => {
                    tracing::debug!(url, attempt, "transient fetch failure, retrying: {e}");
                    tokio::time::sleep(self.settings.backoff(attempt)).await;
                    attempt += 1;
                }
                Err(e) => return FetchOutcome::Failed(e),
            }
        }
    }

    async fn download(&self, url: &url::Url) -> Result<CachedVideo, FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::BadUrl(format!("{} URLs are not fetched (http and https only)", url.scheme())));
        }
        self.policy.check_url(url).map_err(|r| FetchError::Refused(r.to_string()))?;
        let mut response = self.client.get(url.clone()).send().await.map_err(map_reqwest)?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status {
                status: status.as_u16(),
                reason: status.canonical_reason().map(str::to_string),
            });
        }
        let limit = self.settings.max_bytes();
        let too_large = FetchError::TooLarge { limit_mib: self.settings.max_video_mib };
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(too_large);
        }
        let content_type =
            response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);

        let temp = self.cache.temp_path().map_err(|e| FetchError::Cache(e.to_string()))?;
        let result = async {
            let mut file = tokio::fs::File::create(&temp).await.map_err(|e| FetchError::Cache(e.to_string()))?;
            let mut hasher = Sha256::new();
            let mut head = Vec::with_capacity(Container::SNIFF_LEN);
            let mut container = None;
            let mut size = 0u64;
            while let Some(chunk) = response.chunk().await.map_err(map_reqwest)? {
                size += chunk.len() as u64;
                if size > limit {
                    return Err(too_large.clone());
                }
                if container.is_none() {
                    let wanted = Container::SNIFF_LEN - head.len();
                    head.extend_from_slice(&chunk[..chunk.len().min(wanted)]);
                    if head.len() >= Container::SNIFF_LEN {
                        container = Some(sniff(&head, &content_type)?);
                    }
                }
                hasher.update(&chunk);
                file.write_all(&chunk).await.map_err(|e| FetchError::Cache(e.to_string()))?;
            }
            file.flush().await.map_err(|e| FetchError::Cache(e.to_string()))?;
            if size == 0 {
                return Err(FetchError::Empty);
            }
            let container = match container {
                Some(c) => c,
                None => sniff(&head, &content_type)?,
            };
            Ok((hex::encode(hasher.finalize()), size, container))
        }
        .await;
        match result {
            Ok((sha256, size_bytes, container)) => {
                self.cache.commit(&temp, &sha256, container).map_err(|e| FetchError::Cache(e.to_string()))?;
                Ok(CachedVideo { sha256, size_bytes, container })
            }
            Err(e) => {
                let _ = std::fs::remove_file(&temp);
                Err(e)
            }
        }
    }

    /// A local file (a `file://` URL, or a path relative to `local_dir`), allowed only inside
    /// `local_dir`, copied into the cache.
    async fn read_local(&self, path: &Path) -> Result<CachedVideo, FetchError> {
        let Some(root) = &self.settings.local_dir else {
            return Err(FetchError::LocalRefused("local files are not enabled (set pipeline.fetch.local_dir)".into()));
        };
        let (root, path) = (root.clone(), root.join(path));
        let cache = self.cache.clone();
        let limit = self.settings.max_bytes();
        let limit_mib = self.settings.max_video_mib;
        tokio::task::spawn_blocking(move || copy_local(&root, &path, &cache, limit, limit_mib))
            .await
            .map_err(|e| FetchError::LocalIo(e.to_string()))?
    }
}

fn copy_local(
    root: &Path,
    path: &Path,
    cache: &VideoCache,
    limit: u64,
    limit_mib: u64,
) -> Result<CachedVideo, FetchError> {
    let root = root.canonicalize().map_err(|e| FetchError::LocalIo(format!("{}: {e}", root.display())))?;
    let path = path.canonicalize().map_err(|e| FetchError::LocalIo(format!("{}: {e}", path.display())))?;
    if !path.starts_with(&root) {
        return Err(FetchError::LocalRefused(format!("{} is outside {}", path.display(), root.display())));
    }
    let bytes = std::fs::read(&path).map_err(|e| FetchError::LocalIo(e.to_string()))?;
    if bytes.is_empty() {
        return Err(FetchError::Empty);
    }
    if bytes.len() as u64 > limit {
        return Err(FetchError::TooLarge { limit_mib });
    }
    let container = sniff(&bytes[..bytes.len().min(Container::SNIFF_LEN)], &None)?;
    let sha256 = crate::hash::sha256_hex(&bytes);
    let temp = cache.temp_path().map_err(|e| FetchError::Cache(e.to_string()))?;
    std::fs::write(&temp, &bytes).map_err(|e| FetchError::Cache(e.to_string()))?;
    cache.commit(&temp, &sha256, container).map_err(|e| FetchError::Cache(e.to_string()))?;
    Ok(CachedVideo { sha256, size_bytes: bytes.len() as u64, container })
}

fn sniff(head: &[u8], content_type: &Option<String>) -> Result<Container, FetchError> {
    if let Some(container) = Container::sniff(head) {
        return Ok(container);
    }
    let html_type = content_type.as_deref().is_some_and(|c| c.to_ascii_lowercase().starts_with("text/html"));
    if html_type || looks_like_html(head) {
        return Err(FetchError::Html);
    }
    Err(FetchError::NotVideo { content_type: content_type.clone() })
}

fn map_reqwest(e: reqwest::Error) -> FetchError {
    if let Some(refused) = refused_in(&e) {
        return FetchError::Refused(refused.to_string());
    }
    if has_source::<TooManyRedirects>(&e) {
        return FetchError::TooManyRedirects;
    }
    let detail = std::error::Error::source(&e).map_or_else(|| e.to_string(), |s| s.to_string());
    if e.is_timeout() {
        FetchError::Timeout(detail)
    } else if e.is_connect() {
        FetchError::Connect(detail)
    } else {
        FetchError::Transfer(detail)
    }
}

fn has_source<E: std::error::Error + 'static>(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.is::<E>() {
            return true;
        }
        current = e.source();
    }
    false
}
