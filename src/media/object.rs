//! The media store on `object_store`: a local directory or an S3 bucket.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use super::{MediaError, Result, SharedFiles};

pub struct MediaStore {
    runtime: crate::blocking::BlockingRuntime,
    store: Arc<dyn ObjectStore>,
    /// Key prefix inside the bucket (`s3://bucket/prefix`), empty for none.
    prefix: String,
}

impl MediaStore {
    /// Opens the store `url` points at; `options` override the `AWS_*` variables (S3 only).
    pub fn open(url: &str, options: &[(&str, &str)]) -> Result<Self> {
        let bad = |reason: String| MediaError::Url { url: url.to_string(), reason };
        let parsed = url::Url::parse(url).map_err(|e| bad(e.to_string()))?;
        // Usable from plain threads and from async code alike, and dropped anywhere.
        let runtime = crate::blocking::BlockingRuntime::new("ips-media").map_err(|e| MediaError::Io(e.to_string()))?;
        let (store, prefix): (Arc<dyn ObjectStore>, String) = match parsed.scheme() {
            "file" => {
                let dir = parsed.to_file_path().map_err(|()| bad("not an absolute local path".into()))?;
                std::fs::create_dir_all(&dir).map_err(|e| bad(format!("{}: {e}", dir.display())))?;
                (Arc::new(object_store::local::LocalFileSystem::new_with_prefix(&dir)?), String::new())
            }
            "s3" => {
                let bucket = parsed.host_str().ok_or_else(|| bad("no bucket name".into()))?;
                let mut builder = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
                for (key, value) in options {
                    let key = key.to_ascii_lowercase().parse().map_err(|e| bad(format!("option {key}: {e}")))?;
                    builder = builder.with_config(key, *value);
                }
                (Arc::new(builder.build()?), parsed.path().trim_matches('/').to_string())
            }
            other => return Err(bad(format!("unknown scheme {other:?} (file:// or s3://)"))),
        };
        Ok(Self { runtime, store, prefix })
    }

    fn key(&self, key: &str) -> Key {
        if self.prefix.is_empty() { Key::from(key) } else { Key::from(format!("{}/{key}", self.prefix)) }
    }

    pub fn put(&self, key: &str, bytes: Vec<u8>) -> Result<()> {
        self.runtime.block_on(self.store.put(&self.key(key), PutPayload::from(bytes)))?;
        Ok(())
    }

    /// Uploads a local file (a downloaded video) under `key`.
    pub fn put_file(&self, key: &str, path: &Path) -> Result<()> {
        let bytes = std::fs::read(path).map_err(|e| MediaError::Io(format!("{}: {e}", path.display())))?;
        self.put(key, bytes)
    }

    /// Stores `bytes` under `<dir>/<sha256>.<ext>` and returns that key.
    pub fn put_content_addressed(&self, dir: &str, ext: &str, bytes: Vec<u8>) -> Result<String> {
        let key = format!("{dir}/{}.{ext}", crate::hash::sha256_hex(&bytes));
        if !self.exists(&key)? {
            self.put(&key, bytes)?;
        }
        Ok(key)
    }

    /// The object's bytes, `None` when there is no such key.
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.runtime.block_on(async {
            match self.store.get(&self.key(key)).await {
                Ok(found) => Ok(Some(found.bytes().await?.to_vec())),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e.into()),
            }
        })
    }

    pub fn exists(&self, key: &str) -> Result<bool> {
        match self.runtime.block_on(self.store.head(&self.key(key))) {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Copies an object to a local file (what OpenCV needs to decode a video); `false` when
    /// there is no such key. Written beside `path` and renamed, so a reader never sees half.
    pub fn fetch_to(&self, key: &str, path: &Path) -> Result<bool> {
        let Some(bytes) = self.get(key)? else { return Ok(false) };
        // Unique per process and call: two workers may bring the same file home at once.
        static CALLS: AtomicU64 = AtomicU64::new(0);
        let n = CALLS.fetch_add(1, Ordering::Relaxed);
        let partial = path.with_extension(format!("{}-{n}.part", std::process::id()));
        let io = |e: std::io::Error| MediaError::Io(format!("{}: {e}", path.display()));
        std::fs::write(&partial, bytes).map_err(io)?;
        std::fs::rename(&partial, path).map_err(io)?;
        Ok(true)
    }
}

impl SharedFiles for MediaStore {
    fn publish(&self, key: &str, local: &Path) -> Result<()> {
        if !self.exists(key)? {
            self.put_file(key, local)?;
        }
        Ok(())
    }

    fn bring_home(&self, key: &str, local: &Path) -> Result<bool> {
        if local.exists() {
            return Ok(true);
        }
        if let Some(dir) = local.parent() {
            std::fs::create_dir_all(dir).map_err(|e| MediaError::Io(format!("{}: {e}", dir.display())))?;
        }
        self.fetch_to(key, local)
    }
}
