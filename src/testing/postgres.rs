//! A throwaway PostgreSQL for tests: `initdb` into a temporary directory, `pg_ctl start` on a
//! Unix socket there (no TCP port, so parallel tests never collide), stopped and deleted on drop.
//!
//! PostgreSQL refuses to run as root, and CI runs as root: then every command runs as the
//! `postgres` user (`runuser`), which owns the directory. Starting fails loudly with PostgreSQL's
//! own log: a test that needs the database never passes by skipping (`tools/setup.sh` installs
//! the Debian package).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// A running PostgreSQL cluster of its own. Its superuser is `ips`, trusted on the socket.
pub struct TempPostgres {
    dir: PathBuf,
    bin: PathBuf,
    as_user: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TempPostgresError {
    #[error(
        "PostgreSQL's server programs (initdb, pg_ctl) were not found in $IPS_PG_BINDIR, \
         /usr/lib/postgresql/*/bin or PATH: run tools/setup.sh"
    )]
    NotInstalled,
    #[error("{0}")]
    Io(String),
    #[error("`{command}` failed: {output}")]
    Command { command: String, output: String },
}

impl TempPostgres {
    /// Creates and starts a new cluster; blocks until it accepts connections.
    pub fn start() -> Result<Self, TempPostgresError> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let bin = server_bin_dir().ok_or(TempPostgresError::NotInstalled)?;
        let dir =
            std::env::temp_dir().join(format!("ips-pg-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst)));
        let io = |e: std::io::Error| TempPostgresError::Io(format!("{}: {e}", dir.display()));
        std::fs::create_dir_all(dir.join("sock")).map_err(io)?;
        let as_user = running_as_root().then(|| "postgres".to_string());
        if let Some(user) = &as_user {
            // The cluster's files must belong to the user that runs it.
            let status = Command::new("chown").arg("-R").arg(user).arg(&dir).status().map_err(io)?;
            if !status.success() {
                return Err(TempPostgresError::Io(format!("cannot give {} to {user}", dir.display())));
            }
        }
        let postgres = Self { dir, bin, as_user };
        postgres.run(
            "initdb",
            &["-D", &postgres.data(), "-U", "ips", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
        )?;
        postgres.start_server()?;
        Ok(postgres)
    }

    /// A connection URL for database `postgres` over the socket, e.g. for sqlx.
    pub fn url(&self) -> String {
        format!("postgres://ips@localhost/postgres?host={}", self.socket_dir())
    }

    /// Creates a new, empty database and returns its URL: tests sharing one server each get
    /// their own.
    pub fn create_database(&self) -> Result<String, TempPostgresError> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!("test_{}", NEXT.fetch_add(1, Ordering::SeqCst));
        let socket = self.socket_dir();
        self.run("createdb", &["-h", &socket, "-U", "ips", &name])?;
        Ok(format!("postgres://ips@localhost/{name}?host={socket}"))
    }

    /// Stops the server at once (as a crash would) and starts it again: for reconnection tests.
    pub fn restart(&self) -> Result<(), TempPostgresError> {
        self.stop_server()?;
        self.start_server()
    }

    /// Stops the server at once, as a crash; [`TempPostgres::start_again`] brings it back.
    pub fn crash(&self) -> Result<(), TempPostgresError> {
        self.stop_server()
    }

    pub fn start_again(&self) -> Result<(), TempPostgresError> {
        self.start_server()
    }

    fn start_server(&self) -> Result<(), TempPostgresError> {
        // No TCP listener; fsync off (a test database is thrown away, and only an OS crash loses
        // what was not synced). Commits stay synchronous: a restart test kills the server itself.
        let options = format!("-k {} -c listen_addresses='' -c fsync=off", self.socket_dir());
        let log = self.dir.join("server.log").to_string_lossy().into_owned();
        self.run("pg_ctl", &["-D", &self.data(), "-o", &options, "-l", &log, "-w", "-t", "60", "start"])
    }

    fn stop_server(&self) -> Result<(), TempPostgresError> {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"])
    }

    fn data(&self) -> String {
        self.dir.join("data").to_string_lossy().into_owned()
    }

    fn socket_dir(&self) -> String {
        self.dir.join("sock").to_string_lossy().into_owned()
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<(), TempPostgresError> {
        let program_path = self.bin.join(program);
        let mut command = match &self.as_user {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&program_path);
                c
            }
            None => Command::new(&program_path),
        };
        command.args(args).current_dir(&self.dir);
        let shown = format!("{program} {}", args.join(" "));
        let output = command.output().map_err(|e| TempPostgresError::Io(format!("{shown}: {e}")))?;
        if output.status.success() {
            return Ok(());
        }
        let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        Err(TempPostgresError::Command {
            command: shown,
            output: format!(
                "{}{}\n{log}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        })
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        if let Err(e) = self.stop_server() {
            eprintln!("stopping the test PostgreSQL: {e}");
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn running_as_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `$IPS_PG_BINDIR`, else Debian's newest `/usr/lib/postgresql/<major>/bin`, else PATH.
fn server_bin_dir() -> Option<PathBuf> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("IPS_PG_BINDIR").map(PathBuf::from) {
        return has_server(&dir).then_some(dir);
    }
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| has_server(bin))
        .collect();
    debian.sort();
    if let Some((_, bin)) = debian.pop() {
        return Some(bin);
    }
    std::env::split_paths(&std::env::var_os("PATH")?).find(|dir| has_server(dir))
}
