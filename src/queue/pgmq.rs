//! The work queue on PostgreSQL: pgmq, installed into the database from the SQL the `pgmq` crate
//! embeds (no extension to build, nothing downloaded). The dead letters are a second pgmq queue,
//! `<name>_dead`, written in the same transaction that archives the given-up message.
//!
//! The pipeline's workers are plain threads, so this type is synchronous: it owns a small tokio
//! runtime and blocks on it ([`crate::blocking`]). sqlx's pool replaces connections
//! that broke, so a restarted database costs the calls made while it was down, not the worker.

use std::time::Duration;

use pgmq::PGMQueueExt;

use super::{DeadLetter, Delivery, QueueError, Result, VideoTask, WorkQueue};

pub struct PgmqQueue {
    runtime: crate::blocking::BlockingRuntime,
    pgmq: PGMQueueExt,
    name: String,
    dead: String,
}

/// Held while installing pgmq, so processes starting together install it once.
const INSTALL_LOCK: i64 = 0x1b5_0001;

fn db(e: impl std::fmt::Display) -> QueueError {
    QueueError::Database(e.to_string())
}

impl PgmqQueue {
    /// Connects to `url`, installs (or upgrades) pgmq there if needed and creates queue `name`
    /// and its dead letters. `name`: lower-case letters, digits and `_`.
    pub fn connect(url: &str, name: &str) -> Result<Self> {
        let runtime = crate::blocking::BlockingRuntime::new("ips-queue").map_err(db)?;
        let dead = format!("{name}_dead");
        let pgmq = runtime.block_on(async {
            // sqlx reads the URL (pgmq's own parser needs a TCP port and a password).
            let options: sqlx::postgres::PgConnectOptions = url.parse().map_err(db)?;
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .map_err(db)?;
            let pgmq = PGMQueueExt::new_with_pool(pool).await;
            let mut lock = pgmq.connection.acquire().await.map_err(db)?;
            sqlx::query("SELECT pg_advisory_lock($1)").bind(INSTALL_LOCK).execute(&mut *lock).await.map_err(db)?;
            let installed = async {
                pgmq.install_sql_from_embedded().await.map_err(db)?;
                pgmq.create(name).await.map_err(db)?;
                pgmq.create(&dead).await.map_err(db)
            }
            .await;
            sqlx::query("SELECT pg_advisory_unlock($1)").bind(INSTALL_LOCK).execute(&mut *lock).await.map_err(db)?;
            installed.map(|()| pgmq)
        })?;
        Ok(Self { runtime, pgmq, name: name.to_string(), dead })
    }

    fn seconds(d: Duration) -> i32 {
        i32::try_from(d.as_secs()).unwrap_or(i32::MAX)
    }
}

impl WorkQueue for PgmqQueue {
    fn push(&self, tasks: &[VideoTask]) -> Result<()> {
        if tasks.is_empty() {
            return Ok(());
        }
        self.runtime.block_on(self.pgmq.send_batch(&self.name, tasks)).map(|_| ()).map_err(db)
    }

    fn take(&self, visibility: Duration) -> Result<Option<Delivery>> {
        let message = self
            .runtime
            .block_on(self.pgmq.read::<serde_json::Value, serde_json::Value>(&self.name, Self::seconds(visibility)))
            .map_err(db)?;
        message
            .map(|m| {
                let task = serde_json::from_value(m.message).map_err(|e| QueueError::Corrupt(e.to_string()))?;
                Ok(Delivery { id: m.msg_id, reads: u32::try_from(m.read_ct).unwrap_or(0), task })
            })
            .transpose()
    }

    fn extend(&self, delivery: &Delivery, visibility: Duration) -> Result<bool> {
        let renewed = self
            .runtime
            .block_on(self.pgmq.set_vt::<serde_json::Value, serde_json::Value>(
                &self.name,
                delivery.id,
                Self::seconds(visibility),
            ))
            .map_err(db)?;
        Ok(renewed.is_some())
    }

    fn finish(&self, delivery: &Delivery) -> Result<bool> {
        self.runtime.block_on(self.pgmq.archive(&self.name, delivery.id)).map_err(db)
    }

    fn give_up(&self, delivery: &Delivery, tries: u32, error: &str) -> Result<bool> {
        let letter = DeadLetter { task: delivery.task.clone(), reads: tries, error: error.to_string() };
        self.runtime.block_on(async {
            let mut tx = self.pgmq.connection.begin().await.map_err(db)?;
            let archived = self.pgmq.archive_with_cxn(&self.name, delivery.id, &mut *tx).await.map_err(db)?;
            if archived {
                self.pgmq.send_with_cxn(&self.dead, &letter, &mut *tx).await.map_err(db)?;
            }
            tx.commit().await.map_err(db)?;
            Ok(archived)
        })
    }

    fn pending(&self) -> Result<u64> {
        let count: i64 = self
            .runtime
            .block_on(
                sqlx::query_scalar("SELECT queue_length FROM pgmq.metrics($1)")
                    .bind(&self.name)
                    .fetch_one(&self.pgmq.connection),
            )
            .map_err(db)?;
        Ok(count.max(0) as u64)
    }

    fn pgmq_name(&self) -> Option<&str> {
        Some(&self.name)
    }

    fn dead_letters(&self) -> Result<Vec<DeadLetter>> {
        // Read without taking, straight from the queue's table: its name passed pgmq's check (letters,
        // digits, `_`) when the queue was created.
        let sql = format!("SELECT message FROM pgmq.q_{} ORDER BY msg_id", self.dead);
        let rows: Vec<serde_json::Value> = self
            .runtime
            .block_on(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pgmq.connection))
            .map_err(db)?;
        rows.into_iter().map(|v| serde_json::from_value(v).map_err(|e| QueueError::Corrupt(e.to_string()))).collect()
    }
}
