//! The store on PostgreSQL (sqlx), for many machines sharing one database.
//!
//! The store's methods are synchronous (stages run on plain threads; pages call them on tokio's
//! blocking threads), so this backend owns a small tokio runtime and blocks on it, statement by
//! statement, inside a connection or a transaction taken from a pool. sqlx's pool replaces a
//! connection that broke, so a restarted database costs the calls made while it was down.

use std::future::Future;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow};
use sqlx::{Row as _, TypeInfo, ValueRef};

use crate::blocking::BlockingRuntime;
use crate::store::migrations;
use crate::store::sql::{Db, Kind, Row, Value, postgres_placeholders};
use crate::store::{Result, StoreError};

/// Held while migrating, so processes starting together migrate once.
const MIGRATE_LOCK: i64 = 0x1b5_0002;

/// Whether `e` says the server could not be reached or went away (as opposed to refusing a
/// statement): the connection broke, no connection could be had in time, or the server is
/// shutting down or starting (SQLSTATE class 08, and 57P01–57P03).
pub(in crate::store) fn is_connection_lost(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => {
            db.code().is_some_and(|code| code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03"))
        }
        _ => false,
    }
}

pub(in crate::store) struct PostgresBackend {
    /// `Some` until dropped (see `Drop`).
    pool: Option<PgPool>,
    runtime: BlockingRuntime,
}

impl PostgresBackend {
    pub fn connect(url: &str) -> Result<Self> {
        let options: PgConnectOptions = url.parse()?;
        let runtime = BlockingRuntime::new("ips-store")
            .map_err(|e| StoreError::Corrupt(format!("cannot start the PostgreSQL client runtime: {e}")))?;
        let pool = runtime.block_on(
            PgPoolOptions::new().max_connections(8).acquire_timeout(Duration::from_secs(10)).connect_with(options),
        )?;
        let backend = Self { pool: Some(pool), runtime };
        backend.migrate()?;
        Ok(backend)
    }

    /// Brings the schema to the current version in one transaction, under an advisory lock.
    fn migrate(&self) -> Result<()> {
        let versions = migrations::postgres_versions();
        self.block_on(async {
            let mut tx = self.pool().begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(MIGRATE_LOCK).execute(&mut *tx).await?;
            sqlx::raw_sql("CREATE TABLE IF NOT EXISTS ips_schema_version (version BIGINT NOT NULL)")
                .execute(&mut *tx)
                .await?;
            let current: Option<i64> =
                sqlx::query_scalar("SELECT MAX(version) FROM ips_schema_version").fetch_one(&mut *tx).await?;
            let current = usize::try_from(current.unwrap_or(0)).unwrap_or(0);
            if current > versions.len() {
                return Err(StoreError::Corrupt(format!(
                    "the database is at schema version {current}, newer than this IPS knows ({}): upgrade IPS",
                    versions.len()
                )));
            }
            for (index, sql) in versions.into_iter().enumerate().skip(current) {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO ips_schema_version (version) VALUES ($1)")
                    .bind(index as i64 + 1)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    pub fn read<T>(&self, f: impl FnOnce(&mut dyn Db) -> Result<T>) -> Result<T> {
        let mut conn = self.dropped_here(self.block_on(self.pool().acquire())?);
        f(&mut PostgresDb { conn: conn.held(), backend: self })
    }

    pub fn write<T>(&self, f: impl FnOnce(&mut dyn Db) -> Result<T>) -> Result<T> {
        let mut tx = self.dropped_here(self.block_on(self.pool().begin())?);
        match f(&mut PostgresDb { conn: tx.held(), backend: self }) {
            Ok(value) => {
                self.block_on(tx.take().commit())?;
                Ok(value)
            }
            Err(e) => {
                // The error that made us roll back is the one to report.
                let _ = self.block_on(tx.take().rollback());
                Err(e)
            }
        }
    }

    /// Runs `f` holding PostgreSQL's session advisory lock `(class, id)`, taken on a connection
    /// of its own and waited for: processes calling this with one key run `f` one at a time. A
    /// connection lost meanwhile (the database restarting) loses its lock with it.
    pub fn holding_lock<T, E: From<StoreError>>(
        &self,
        class: i32,
        id: i32,
        f: impl FnOnce() -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let mut conn = self.dropped_here(self.block_on(self.pool().acquire()).map_err(StoreError::from)?);
        let lock = sqlx::query("SELECT pg_advisory_lock($1, $2)").bind(class).bind(id);
        self.block_on(lock.execute(&mut **conn.held())).map_err(StoreError::from)?;
        let result = f();
        let unlock = sqlx::query("SELECT pg_advisory_unlock($1, $2)").bind(class).bind(id);
        if let Err(e) = self.block_on(unlock.execute(&mut **conn.held())) {
            // The session is gone, and its locks with it.
            tracing::warn!("PostgreSQL: releasing advisory lock ({class}, {id}): {e}");
        }
        result
    }

    /// sqlx returns a dropped connection (or rolls back a dropped transaction) with a task on
    /// the current runtime: this one, even when a panic drops it on a thread outside it.
    fn dropped_here<T>(&self, value: T) -> OnRuntime<'_, T> {
        OnRuntime { value: Some(value), runtime: &self.runtime }
    }

    fn pool(&self) -> &PgPool {
        self.pool.as_ref().expect("the pool lives until the store is dropped")
    }

    fn block_on<F: Future + Send>(&self, future: F) -> F::Output
    where
        F::Output: Send,
    {
        self.runtime.block_on(future)
    }
}

/// Pooled connections hand work to the current runtime as they go: the pool is dropped inside
/// its own runtime, which then shuts down (see [`BlockingRuntime`]).
impl Drop for PostgresBackend {
    fn drop(&mut self) {
        let _inside = self.runtime.enter();
        self.pool.take();
    }
}

struct OnRuntime<'a, T> {
    value: Option<T>,
    runtime: &'a BlockingRuntime,
}

impl<T> OnRuntime<'_, T> {
    fn held(&mut self) -> &mut T {
        self.value.as_mut().expect("held until taken")
    }

    fn take(&mut self) -> T {
        self.value.take().expect("taken once")
    }
}

impl<T> Drop for OnRuntime<'_, T> {
    fn drop(&mut self) {
        let _inside = self.runtime.enter();
        self.value.take();
    }
}

struct PostgresDb<'a> {
    conn: &'a mut PgConnection,
    backend: &'a PostgresBackend,
}

fn bound<'q>(sql: &str, params: &'q [Value]) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    let mut query = sqlx::query(sqlx::AssertSqlSafe(postgres_placeholders(sql)));
    for value in params {
        query = match value {
            Value::Null(Kind::Int) => query.bind(None::<i64>),
            Value::Null(Kind::Real) => query.bind(None::<f64>),
            Value::Null(Kind::Text) => query.bind(None::<&str>),
            Value::Null(Kind::Blob) => query.bind(None::<&[u8]>),
            Value::Int(n) => query.bind(*n),
            Value::Real(x) => query.bind(*x),
            Value::Text(text) => query.bind(text.as_str()),
            Value::Blob(bytes) => query.bind(bytes.as_slice()),
        };
    }
    query
}

fn value_of(row: &PgRow, index: usize) -> Result<Value> {
    let raw = row.try_get_raw(index)?;
    if raw.is_null() {
        return Ok(Value::Null(Kind::Text));
    }
    let type_name = raw.type_info().name().to_owned();
    Ok(match type_name.as_str() {
        "INT8" => Value::Int(row.try_get::<i64, _>(index)?),
        "INT4" => Value::Int(row.try_get::<i32, _>(index)?.into()),
        "INT2" => Value::Int(row.try_get::<i16, _>(index)?.into()),
        "BOOL" => Value::Int(row.try_get::<bool, _>(index)?.into()),
        "FLOAT8" => Value::Real(row.try_get::<f64, _>(index)?),
        "FLOAT4" => Value::Real(row.try_get::<f32, _>(index)?.into()),
        "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" => Value::Text(row.try_get(index)?),
        "BYTEA" => Value::Blob(row.try_get(index)?),
        other => {
            return Err(StoreError::Corrupt(format!(
                "column {index} is of PostgreSQL type {other}, which the store does not read (cast it)"
            )));
        }
    })
}

impl Db for PostgresDb<'_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let done = self.backend.block_on(bound(sql, params).execute(&mut *self.conn))?;
        Ok(done.rows_affected())
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let rows = self.backend.block_on(bound(sql, params).fetch_all(&mut *self.conn))?;
        rows.iter()
            .map(|row| (0..row.len()).map(|index| value_of(row, index)).collect::<Result<Vec<_>>>().map(Row))
            .collect()
    }
}
