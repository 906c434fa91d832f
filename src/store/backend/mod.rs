//! The two databases the store runs on, each behind `read` (a connection) and `write` (one
//! transaction) over [`crate::store::sql::Db`].

#[cfg(feature = "postgres")]
mod postgres;
mod sqlite;

#[cfg(feature = "postgres")]
pub(super) use postgres::{PostgresBackend, is_connection_lost};
pub(super) use sqlite::SqliteBackend;
