//! The store: the one place that owns SQL. Stages and pages go through its methods, never
//! through queries of their own, so the schema can change behind them.
//!
//! Two backends answer the same methods: SQLite (the default: `<data dir>/ips.sqlite3`, in WAL
//! mode so the report can be read while a run writes) and PostgreSQL (feature `postgres`,
//! [`Store::connect`]), for many machines. Each query is written once ([`sql`]) and runs on both;
//! the contract suite (`contract/`) runs on both. The schema is versioned ([`migrations`], one
//! list for both); opening a store migrates it forward.

mod backend;
mod datasets;
mod edits;
mod migrations;
mod results;
mod row_status;
mod runs;
pub(crate) mod sql;
mod videos;

#[cfg(test)]
mod contract;

pub use datasets::{Dataset, DatasetId, NewDataset};
pub use edits::{EditLogEntry, StaleVersion, StoredEdit, rule_files};
pub use results::{AdLine, RowOutcome, StatsLevel};
pub use row_status::{LineStatus, RowStatus};
pub use runs::{Run, RunEvent, RunId, RunStatus};
pub use videos::{QueueMessage, VideoAnalysis};

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::Connection;

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "ips.sqlite3";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[cfg(feature = "postgres")]
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] sqlx::Error),
    #[error("{0} is not available on PostgreSQL")]
    SqliteOnly(&'static str),
    #[error("{0} needs the store on PostgreSQL")]
    PostgresOnly(&'static str),
    #[error("this IPS was built without {0}")]
    NotBuiltIn(&'static str),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("{what} {id} does not exist")]
    NotFound { what: &'static str, id: i64 },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    /// Whether the database could not be reached (down, restarting, connection cut): worth
    /// waiting for, unlike a refused or failed statement. Only PostgreSQL is reached over a
    /// connection; SQLite's file is always there.
    pub fn is_unreachable(&self) -> bool {
        match self {
            #[cfg(feature = "postgres")]
            StoreError::Postgres(e) => backend::is_connection_lost(e),
            _ => false,
        }
    }
}

/// A handle on the database. Cheap to share behind an `Arc`; methods take `&self`.
pub struct Store {
    backend: Backend,
}

enum Backend {
    Sqlite(backend::SqliteBackend),
    #[cfg(feature = "postgres")]
    Postgres(backend::PostgresBackend),
}

impl Store {
    /// Opens (creating if needed) the store in `data_dir` and migrates it to the current schema.
    pub fn open(data_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(data_dir)
            .map_err(|source| StoreError::DataDir { path: data_dir.to_path_buf(), source })?;
        let conn = Connection::open(data_dir.join(DB_FILE))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Self::init(conn)
    }

    /// A private in-memory store, for tests.
    pub fn open_in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrations::migrations().to_latest(&mut conn)?;
        Ok(Self { backend: Backend::Sqlite(backend::SqliteBackend::new(conn)) })
    }

    /// The store a configuration names: PostgreSQL at `database_url` when one is given, else
    /// SQLite in `data_dir` (the default).
    pub fn open_configured(data_dir: &Path, database_url: Option<&str>) -> Result<Self> {
        match database_url.map(str::trim).filter(|url| !url.is_empty()) {
            None => Self::open(data_dir),
            #[cfg(feature = "postgres")]
            Some(url) => Self::connect(url),
            #[cfg(not(feature = "postgres"))]
            Some(_) => Err(StoreError::NotBuiltIn(
                "PostgreSQL (a database URL is set): build IPS with `--features ips-core/postgres`",
            )),
        }
    }

    /// Connects to the PostgreSQL database at `url` (`postgres://…`; `?host=/dir` for a Unix
    /// socket) and migrates it to the current schema, one process at a time.
    #[cfg(feature = "postgres")]
    pub fn connect(url: &str) -> Result<Self> {
        Ok(Self { backend: Backend::Postgres(backend::PostgresBackend::connect(url)?) })
    }

    /// Which database this store is in, for logs: `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        match &self.backend {
            Backend::Sqlite(_) => "sqlite",
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Whether the store is on PostgreSQL (where the pgmq work queue lives too).
    pub fn on_postgres(&self) -> bool {
        match &self.backend {
            Backend::Sqlite(_) => false,
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => true,
        }
    }

    /// Writes a consistent copy of the whole database to `path` (SQLite's `VACUUM INTO`), e.g.
    /// for a backup while the app runs. On PostgreSQL, use `pg_dump`.
    pub fn snapshot_to(&self, path: &Path) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(sqlite) => {
                sqlite.conn().execute("VACUUM INTO ?1", [path.to_string_lossy()])?;
                Ok(())
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => Err(StoreError::SqliteOnly("a snapshot file (use pg_dump)")),
        }
    }

    /// `f` on a connection, outside any transaction: one statement's reads are consistent.
    fn read<T>(&self, f: impl FnOnce(&mut dyn sql::Db) -> Result<T>) -> Result<T> {
        match &self.backend {
            Backend::Sqlite(sqlite) => sqlite.read(f),
            #[cfg(feature = "postgres")]
            Backend::Postgres(postgres) => postgres.read(f),
        }
    }

    /// `f` in one transaction: committed when it returns `Ok`, rolled back otherwise.
    fn write<T>(&self, f: impl FnOnce(&mut dyn sql::Db) -> Result<T>) -> Result<T> {
        match &self.backend {
            Backend::Sqlite(sqlite) => sqlite.write(f),
            #[cfg(feature = "postgres")]
            Backend::Postgres(postgres) => postgres.write(f),
        }
    }
}

/// Milliseconds since the Unix epoch: how every timestamp is stored.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}
