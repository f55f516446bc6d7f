//! The shared store contract (`thermaliq_store::contract`) against SQLite: each
//! check runs on its own fresh database file.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use thermaliq_store::contract::Fixture;
use thermaliq_store::{AuditEntry, Store};
use thermaliq_store_sqlite::{PoolSettings, SqliteStore};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

const TIME_FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:6]");

struct SqliteFixture {
    store: Arc<SqliteStore>,
    path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

#[async_trait]
impl Fixture for SqliteFixture {
    fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    async fn audit_log(&self) -> Vec<AuditEntry> {
        // A separate read-only pool: the audit log as the file holds it.
        let options = SqliteConnectOptions::new()
            .filename(&self.path)
            .read_only(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .expect("open the file read-only");
        let rows = sqlx::query(
            "SELECT occurred_at, actor, action, subject, detail FROM audit_log ORDER BY audit_id",
        )
        .fetch_all(&pool)
        .await
        .expect("read audit_log");
        pool.close().await;
        rows.iter()
            .map(|row| AuditEntry {
                occurred_at: time::PrimitiveDateTime::parse(
                    &row.get::<String, _>("occurred_at"),
                    TIME_FORMAT,
                )
                .expect("stored time stamp")
                .assume_utc(),
                actor: row.get("actor"),
                action: row.get("action"),
                subject: row.get("subject"),
                detail: row.get("detail"),
            })
            .collect()
    }
}

async fn fresh() -> Option<SqliteFixture> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("thermaliq.db");
    let store = SqliteStore::open(
        &path,
        PoolSettings {
            max_connections: 4,
            acquire_timeout: Duration::from_secs(10),
        },
    )
    .await
    .expect("open a fresh SQLite store");
    Some(SqliteFixture {
        store: Arc::new(store),
        path,
        _dir: dir,
    })
}

thermaliq_store::store_contract_tests!(fresh);
