//! The embedded backend: one SQLite connection (rusqlite) behind a mutex.

use std::sync::{Mutex, MutexGuard};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql, TransactionBehavior};

use crate::store::Result;
use crate::store::sql::{Db, Kind, Row, Value};

pub(in crate::store) struct SqliteBackend {
    conn: Mutex<Connection>,
}

impl SqliteBackend {
    pub fn new(conn: Connection) -> Self {
        Self { conn: Mutex::new(conn) }
    }

    pub fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (statements are atomic
        // and multi-statement writes use transactions), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn read<T>(&self, f: impl FnOnce(&mut dyn Db) -> Result<T>) -> Result<T> {
        f(&mut SqliteDb(&self.conn()))
    }

    /// `f` in one transaction, holding SQLite's write lock from the start (`IMMEDIATE`), so a
    /// read-then-write inside it cannot interleave with another writer.
    pub fn write<T>(&self, f: impl FnOnce(&mut dyn Db) -> Result<T>) -> Result<T> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&mut SqliteDb(&tx))?;
        tx.commit()?;
        Ok(value)
    }
}

struct SqliteDb<'a>(&'a Connection);

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null(_) => ValueRef::Null,
            Value::Int(n) => ValueRef::Integer(*n),
            Value::Real(x) => ValueRef::Real(*x),
            Value::Text(text) => ValueRef::Text(text.as_bytes()),
            Value::Blob(bytes) => ValueRef::Blob(bytes),
        }))
    }
}

fn value_of(column: ValueRef<'_>) -> rusqlite::Result<Value> {
    Ok(match column {
        // SQLite does not say a NULL's declared type; readers of a NULL do not ask.
        ValueRef::Null => Value::Null(Kind::Text),
        ValueRef::Integer(n) => Value::Int(n),
        ValueRef::Real(x) => Value::Real(x),
        ValueRef::Text(_) => Value::Text(column.as_str()?.to_owned()),
        ValueRef::Blob(bytes) => Value::Blob(bytes.to_vec()),
    })
}

impl Db for SqliteDb<'_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let changed = self.0.prepare_cached(sql)?.execute(rusqlite::params_from_iter(params))?;
        Ok(changed as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let mut stmt = self.0.prepare_cached(sql)?;
        let columns = stmt.column_count();
        let rows = stmt.query_map(rusqlite::params_from_iter(params), |row| {
            (0..columns).map(|i| value_of(row.get_ref(i)?)).collect::<rusqlite::Result<Vec<_>>>().map(Row)
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
