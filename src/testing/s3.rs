//! A throwaway S3 for tests: `moto_server` on a free 127.0.0.1 port, with one bucket, killed on
//! drop. Like [`super::TempPostgres`], it fails loudly when it cannot start (`tools/setup.sh`
//! installs moto), so a test that needs it never passes by skipping.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct TempS3 {
    child: Child,
    port: u16,
}

impl TempS3 {
    /// Starts moto and creates `bucket` in it.
    pub fn start(bucket: &str) -> Result<Self, String> {
        let program = moto_server().ok_or(
            "moto_server was not found in $IPS_MOTO_SERVER, PATH or ~/.cache/ips/moto: run tools/setup.sh".to_string(),
        )?;
        // A port the system just handed out and took back: free unless raced, and then moto
        // fails to bind and the start below says so.
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{}: {e}", program.display()))?;
        let mut s3 = Self { child, port };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = s3.child.try_wait() {
                return Err(format!("moto_server exited at start ({status})"));
            }
            if started.elapsed() > Duration::from_secs(30) {
                return Err("moto_server did not listen within 30 s".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        s3.create_bucket(bucket)?;
        Ok(s3)
    }

    /// The endpoint URL, for `AWS_ENDPOINT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The options a [`crate::media::MediaStore`] needs to use it.
    pub fn options(&self) -> Vec<(&'static str, String)> {
        vec![
            ("aws_endpoint", self.endpoint()),
            ("aws_allow_http", "true".into()),
            ("aws_access_key_id", "test".into()),
            ("aws_secret_access_key", "test".into()),
            ("aws_region", "us-east-1".into()),
        ]
    }

    fn create_bucket(&self, bucket: &str) -> Result<(), String> {
        // moto takes unsigned requests; a plain HTTP PUT avoids a client dependency.
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
        let request = format!(
            "PUT /{bucket} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        );
        stream.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
        let mut response = String::new();
        stream.read_to_string(&mut response).map_err(|e| e.to_string())?;
        if response.starts_with("HTTP/1.1 200") || response.starts_with("HTTP/1.0 200") {
            Ok(())
        } else {
            Err(format!("creating bucket {bucket}: {}", response.lines().next().unwrap_or("no answer")))
        }
    }
}

impl Drop for TempS3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `$IPS_MOTO_SERVER`, else `moto_server` on PATH, else the virtualenv `tools/setup.sh` makes.
fn moto_server() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("IPS_MOTO_SERVER") {
        return Some(PathBuf::from(path));
    }
    let on_path = std::env::var_os("PATH")
        .and_then(|path| std::env::split_paths(&path).map(|d| d.join("moto_server")).find(|p| p.is_file()));
    on_path.or_else(|| {
        let home = std::env::var_os("HOME")?;
        let venv = PathBuf::from(home).join(".cache/ips/moto/bin/moto_server");
        venv.is_file().then_some(venv)
    })
}
