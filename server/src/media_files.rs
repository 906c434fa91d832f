//! Face crops and stills served from the media store (`media_url`): a server that did not run a
//! run (another server on the same database, or a fresh machine) brings the files its pages name
//! home from the media store on first request, then serves them from its data directory.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ips_core::media::{SharedFiles, key_of};

/// Face crops and stills are content-addressed: a name never changes content, so browsers may
/// keep them.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Where one kind of file lives: `<data dir>/<kind>/<name>`, key `<kind>/<name>`.
#[derive(Clone)]
pub struct MediaFiles {
    pub media: Arc<dyn SharedFiles>,
    pub data_dir: PathBuf,
    /// `faces` or `stills`.
    pub kind: &'static str,
}

impl MediaFiles {
    /// The file `name`, from this data directory or else from the media store.
    pub async fn serve(self, name: String) -> Response {
        // Names are content hashes with an extension: nothing else (no `..`, no `/`) is a file.
        let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
        if name.is_empty() || name.starts_with('.') || !name.chars().all(plain) {
            return (StatusCode::NOT_FOUND, "no such file").into_response();
        }
        let local = self.data_dir.join(self.kind).join(&name);
        let fetched = tokio::task::spawn_blocking({
            let local = local.clone();
            move || -> Result<bool, String> {
                let key = key_of(&self.data_dir, &local).map_err(|e| e.to_string())?;
                self.media.bring_home(&key, &local).map_err(|e| e.to_string())
            }
        })
        .await;
        match fetched {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => return (StatusCode::NOT_FOUND, "no such file").into_response(),
            Ok(Err(e)) => {
                tracing::warn!(file = %local.display(), "media store: {e}");
                return (StatusCode::BAD_GATEWAY, "the media store did not answer").into_response();
            }
            Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
        }
        match tokio::fs::read(&local).await {
            Ok(bytes) => {
                let mut response = Body::from(bytes).into_response();
                let headers = response.headers_mut();
                headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&name)));
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
                response
            }
            Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
        }
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().map(str::to_ascii_lowercase).as_deref() {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        _ => "application/octet-stream",
    }
}

#[cfg(all(test, feature = "postgres"))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_missing_here_is_brought_from_the_media_store_and_served() {
        let dir = tempfile::tempdir().unwrap();
        let store_dir = dir.path().join("media");
        let media = ips_core::media::MediaStore::open(&format!("file://{}", store_dir.display()), &[]).unwrap();
        // Usable inside async code too (it blocks on a runtime of its own).
        let key = media.put_content_addressed("faces", "jpg", b"\xff\xd8 a face \xff\xd9".to_vec()).unwrap();
        let name = key.strip_prefix("faces/").unwrap().to_string();
        let data_dir = dir.path().join("server-data");
        let files = MediaFiles { media: Arc::new(media), data_dir: data_dir.clone(), kind: "faces" };

        let response = files.clone().serve(name.clone()).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "image/jpeg");
        let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        assert_eq!(&body[..], b"\xff\xd8 a face \xff\xd9");
        assert!(data_dir.join("faces").join(&name).is_file(), "kept at home for next time");

        for bad in ["missing.jpg", "../media/faces/x.jpg", ".hidden", ""] {
            let response = files.clone().serve(bad.to_string()).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{bad}");
        }
    }
}
