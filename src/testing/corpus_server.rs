//! A local HTTP server answering the corpus's URL paths (`routes.csv`) with its video files,
//! Range requests included (tower-http's `ServeFile`), and counting requests per path so tests
//! can prove what was (not) downloaded.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tower_http::services::ServeFile;

#[derive(Default)]
struct Shared {
    routes: HashMap<String, PathBuf>,
    hits: Mutex<HashMap<String, usize>>,
    /// Waited before each answer: a slow server, so a test can stop the downloads midway.
    delay: Mutex<std::time::Duration>,
}

/// Serves the corpus until dropped.
pub struct CorpusServer {
    addr: SocketAddr,
    dir: PathBuf,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl CorpusServer {
    /// Starts serving `dir` (which holds `routes.csv`) on an ephemeral port of 127.0.0.1.
    pub async fn start(dir: &Path) -> std::io::Result<Self> {
        let routes_csv = std::fs::read_to_string(dir.join("routes.csv"))?;
        let routes = routes_csv
            .lines()
            .skip(1)
            .filter_map(|line| line.split_once(','))
            .map(|(path, file)| (path.trim().to_string(), dir.join(file.trim())))
            .collect();
        let shared = Arc::new(Shared { routes, ..Shared::default() });
        let app = Router::new().fallback(serve).with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, dir: dir.to_path_buf(), shared, task })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The same URL with its scheme and host replaced by this server's.
    pub fn rewrite_url(&self, original: &str) -> String {
        match url::Url::parse(original) {
            Ok(url) => format!("{}{}", self.base_url(), &url[url::Position::BeforePath..]),
            Err(_) => original.to_string(),
        }
    }

    /// `assignment.csv` with every `Video URL` pointed at this server; other cells untouched.
    pub fn rewritten_assignment_csv(&self) -> std::io::Result<String> {
        let text = std::fs::read_to_string(self.dir.join("assignment.csv"))?;
        let mut lines = text.lines();
        let mut out = String::with_capacity(text.len());
        if let Some(header) = lines.next() {
            out.push_str(header);
            out.push('\n');
        }
        for line in lines {
            match line.rsplit_once(',') {
                Some((performance, url)) => out.push_str(&format!("{performance},{}\n", self.rewrite_url(url))),
                None => out.push_str(&format!("{line}\n")),
            }
        }
        Ok(out)
    }

    /// Makes every later answer wait `delay` first.
    pub fn set_delay(&self, delay: std::time::Duration) {
        if let Ok(mut d) = self.shared.delay.lock() {
            *d = delay;
        }
    }

    /// Requests received so far for `path` (any method, any range).
    pub fn hits(&self, path: &str) -> usize {
        self.shared.hits.lock().map(|h| h.get(path).copied().unwrap_or(0)).unwrap_or(0)
    }

    /// Requests received so far, all paths.
    pub fn total_hits(&self) -> usize {
        self.shared.hits.lock().map(|h| h.values().sum()).unwrap_or(0)
    }
}

impl Drop for CorpusServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    if let Ok(mut hits) = shared.hits.lock() {
        *hits.entry(path.clone()).or_default() += 1;
    }
    let Some(file) = shared.routes.get(&path) else {
        return (StatusCode::NOT_FOUND, "no such video").into_response();
    };
    let delay = shared.delay.lock().map(|d| *d).unwrap_or_default();
    if !delay.is_zero() {
        return half_then_pause(file, delay).await;
    }
    match tower::ServiceExt::oneshot(ServeFile::new(file), request).await {
        Ok(response) => response.map(Body::new),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// The whole file in two halves with `delay` between them: a client stopped meanwhile is left
/// holding half a video.
async fn half_then_pause(file: &Path, delay: std::time::Duration) -> Response {
    use futures_util::StreamExt;
    let bytes = match tokio::fs::read(file).await {
        Ok(bytes) => axum::body::Bytes::from(bytes),
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let length = bytes.len();
    let (head, tail) = (bytes.slice(..length / 2), bytes.slice(length / 2..));
    let first = futures_util::stream::once(async move { Ok::<_, std::io::Error>(head) });
    let second = futures_util::stream::once(async move {
        tokio::time::sleep(delay).await;
        Ok(tail)
    });
    Response::builder()
        .header("content-type", "video/mp4")
        .header("content-length", length)
        .body(Body::from_stream(first.chain(second)))
        .unwrap_or_else(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::require_corpus;

    #[tokio::test]
    async fn serves_corpus_paths_with_range_support() {
        let Some(dir) = require_corpus() else { return };
        let server = CorpusServer::start(&dir).await.unwrap();
        let url = server.rewrite_url("https://fgimagestorage.blob.core.windows.net/facebook-assets/hd-999607261342550");
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        let client = reqwest::Client::new();

        let whole = client.get(&url).send().await.unwrap();
        assert_eq!(whole.status(), 200);
        let bytes = whole.bytes().await.unwrap();
        assert_eq!(bytes.as_ref(), std::fs::read(dir.join("videos/c00.mp4")).unwrap());

        let part = client.get(&url).header("Range", "bytes=4-11").send().await.unwrap();
        assert_eq!(part.status(), 206);
        assert_eq!(part.bytes().await.unwrap().as_ref(), &bytes[4..12]);

        let missing = client.get(format!("{}/nope", server.base_url())).send().await.unwrap();
        assert_eq!(missing.status(), 404);
        assert_eq!(server.hits("/facebook-assets/hd-999607261342550"), 2);

        let csv = server.rewritten_assignment_csv().unwrap();
        assert_eq!(csv.lines().count(), 269);
        assert!(csv.lines().skip(1).all(|l| l.contains(&server.base_url())));

        server.set_delay(std::time::Duration::from_millis(300));
        let started = std::time::Instant::now();
        let slow = client.get(&url).send().await.unwrap();
        assert_eq!(slow.headers()["content-length"], bytes.len().to_string().as_str());
        assert_eq!(slow.bytes().await.unwrap(), bytes, "the same bytes, only slower");
        assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    }
}
