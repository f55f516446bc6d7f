//! Opening the database file: the single-writer pool and the reader pool.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use thermaliq_store::StoreError;

use crate::errors::{classify, unavailable};

/// How long a writer waits for another one before reporting "database busy".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Pool settings (`DATABASE_POOL_SIZE`, `DATABASE_POOL_TIMEOUT`).
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

/// Two pools over one file: SQLite allows one writer at a time, and writers
/// that collide wait in its busy handler with growing sleeps (long tails under
/// load). A single-connection writer pool queues writes fairly in-process
/// instead; readers, which WAL never blocks, get their own pool.
pub struct SqliteStore {
    pub(crate) writer: SqlitePool,
    pub(crate) reader: SqlitePool,
}
impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and applies migrations.
    pub async fn open(path: &Path, pool: PoolSettings) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new().filename(path);
        Self::open_with(options, pool).await
    }

    /// Opens a `sqlite://` URL (as given in `DATABASE_URL`).
    pub async fn open_url(url: &str, pool: PoolSettings) -> Result<Self, StoreError> {
        let options =
            SqliteConnectOptions::from_str(url).map_err(|e| StoreError::Backend(e.to_string()))?;
        Self::open_with(options, pool).await
    }

    async fn open_with(
        options: SqliteConnectOptions,
        pool: PoolSettings,
    ) -> Result<Self, StoreError> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(pool.acquire_timeout)
            .connect_with(options.clone())
            .await
            .map_err(unavailable)?;
        sqlx::migrate!("./migrations")
            .run(&writer)
            .await
            .map_err(|e| StoreError::Backend(format!("migration failed: {e}")))?;
        let reader = SqlitePoolOptions::new()
            .max_connections(pool.max_connections)
            .acquire_timeout(pool.acquire_timeout)
            .connect_with(options.read_only(true))
            .await
            .map_err(unavailable)?;
        Ok(Self { writer, reader })
    }
}
pub(crate) async fn ping(store: &SqliteStore) -> Result<(), StoreError> {
    sqlx::query("SELECT 1")
        .execute(&store.reader)
        .await
        .map_err(classify)?;
    sqlx::query("SELECT 1")
        .execute(&store.writer)
        .await
        .map_err(classify)?;
    Ok(())
}

pub(crate) fn connections_active(store: &SqliteStore) -> u32 {
    [&store.writer, &store.reader]
        .iter()
        .map(|pool| {
            let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX);
            pool.size().saturating_sub(idle)
        })
        .sum()
}

pub(crate) fn pool_size(store: &SqliteStore) -> u32 {
    [&store.writer, &store.reader]
        .iter()
        .map(|pool| pool.options().get_max_connections())
        .sum()
}

pub(crate) async fn close(store: &SqliteStore) {
    store.writer.close().await;
    store.reader.close().await;
}
