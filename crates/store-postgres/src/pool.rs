//! The connection pool (sized like the runbook's SQLAlchemy `QueuePool`),
//! connecting and migrating.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};
use thermaliq_store::StoreError;

use crate::errors::classify;
use crate::health::{Health, PROBE_TIMEOUT, spawn_probe};
use crate::retry::with_retry;

/// Connection-pool settings, from the runbook's environment variables.
///
/// The pool behaves like SQLAlchemy's `QueuePool`, which the runbook's
/// settings come from:
///
/// * `DATABASE_POOL_SIZE` → [`max_connections`](Self::max_connections): the
///   connections kept open (the pool's `min_connections`).
/// * `DATABASE_MAX_OVERFLOW` → [`max_overflow`](Self::max_overflow): extra
///   connections opened under load. The pool never holds more than
///   `max_connections + max_overflow` (the pool's `max_connections`); the
///   overflow is closed again after sqlx's idle timeout (10 minutes).
/// * `DATABASE_POOL_TIMEOUT` → [`acquire_timeout`](Self::acquire_timeout): how
///   long a call waits for a connection (including opening one while the
///   database is down) before failing with [`StoreError::Unavailable`].
/// * `DATABASE_POOL_RECYCLE` → [`recycle`](Self::recycle): a connection older
///   than this is closed and replaced (`None`: never).
/// * [`pre_ping`](Self::pre_ping): test an idle connection with a round trip
///   before handing it out, so connections the server dropped (restart,
///   `pg_terminate_backend`) are replaced instead of failing a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// `DATABASE_POOL_SIZE`: connections kept open.
    pub max_connections: u32,
    /// `DATABASE_MAX_OVERFLOW`: connections allowed above the pool size under load.
    pub max_overflow: u32,
    /// `DATABASE_POOL_TIMEOUT`.
    pub acquire_timeout: Duration,
    /// `DATABASE_POOL_RECYCLE`: maximum lifetime of a connection.
    pub recycle: Option<Duration>,
    /// Ping idle connections before use.
    pub pre_ping: bool,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            max_overflow: 10,
            acquire_timeout: Duration::from_secs(30),
            recycle: Some(Duration::from_secs(3600)),
            pre_ping: true,
        }
    }
}

impl PoolSettings {
    /// The pool's `(min_connections, max_connections)`: `(size, size + overflow)`.
    pub fn bounds(&self) -> (u32, u32) {
        let size = self.max_connections.max(1);
        (size, size.saturating_add(self.max_overflow))
    }

    pub(crate) fn pool_options(&self) -> PgPoolOptions {
        let (min, max) = self.bounds();
        PgPoolOptions::new()
            .min_connections(min)
            .max_connections(max)
            .acquire_timeout(self.acquire_timeout)
            .max_lifetime(self.recycle)
            .test_before_acquire(self.pre_ping)
    }
}

/// The PostgreSQL store.
///
/// Retry policy after a lost connection (the connection is always discarded):
/// reads are retried once; `insert_calculation` is retried once and, if the
/// retry finds the id taken by a row equal to the record, reports success (the
/// first attempt committed before the connection died); transactional writes
/// (`invalidate_calculations`, `insert_token`) are retried once only if the
/// connection was lost before `COMMIT` was sent, since until then the server
/// rolls the transaction back. A lost `COMMIT` is reported as
/// [`StoreError::Unavailable`] (its outcome is unknown).
pub struct PostgresStore {
    pub(crate) pool: PgPool,
    pub(crate) health: Arc<Health>,
}
impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/db`), checks that the
    /// database answers and applies migrations.
    pub async fn connect(url: &str, settings: PoolSettings) -> Result<Self, StoreError> {
        let options = connect_options(url)?;
        let pool = settings
            .pool_options()
            .connect_with(options.clone())
            .await
            .map_err(classify)?;
        let store = Self::with_probe(pool, options);
        store.migrate().await?;
        Ok(store)
    }

    /// Builds the pool without opening a connection or migrating: connections
    /// are opened by the first calls. For start-up while the database may be
    /// down, and for tests.
    pub fn connect_lazy(url: &str, settings: PoolSettings) -> Result<Self, StoreError> {
        let options = connect_options(url)?;
        let pool = settings.pool_options().connect_lazy_with(options.clone());
        Ok(Self::with_probe(pool, options))
    }

    /// The store over `pool`, with the background health probe started
    /// (see [`crate::health`]).
    fn with_probe(pool: PgPool, options: PgConnectOptions) -> Self {
        let health = Health::new();
        spawn_probe(health.clone(), pool.clone(), options);
        Self { pool, health }
    }

    /// Applies pending migrations (`thermaliq migrate`; also done by
    /// [`connect`](Self::connect)). Safe to run from several replicas at once:
    /// sqlx serialises migrators with an advisory lock.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::migrate!("./migrations")
            .run(&self.pool)
            .await
            .map_err(|e| match e {
                sqlx::migrate::MigrateError::Execute(inner)
                | sqlx::migrate::MigrateError::ExecuteMigration(inner, _) => classify(inner),
                other => StoreError::Backend(format!("migration failed: {other}")),
            })
    }

    /// The underlying pool (for metrics and for other tables kept in the same database).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// A pooled connection; at once `Unavailable` while the database is known
    /// down, and a wait for one is cut short when it goes down.
    pub(crate) async fn acquire(&self) -> Result<PoolConnection<Postgres>, StoreError> {
        if self.health.is_down() {
            return Err(Health::known_down());
        }
        tokio::select! {
            biased;
            () = self.health.until_down() => Err(Health::known_down()),
            acquired = self.pool.acquire() => acquired.map_err(|err| {
                self.health.wake();
                classify(err)
            }),
        }
    }
}
/// `host:port` of a `DATABASE_URL` that connects over TCP; `None` for a Unix
/// socket (`host=/run/postgresql`) or a URL that does not parse.
pub fn tcp_address(url: &str) -> Option<String> {
    let options = url.parse::<PgConnectOptions>().ok()?;
    let host = options.get_host();
    (!host.starts_with('/')).then(|| format!("{host}:{}", options.get_port()))
}

fn connect_options(url: &str) -> Result<PgConnectOptions, StoreError> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::Backend(format!("invalid DATABASE_URL: {e}")))?;
    Ok(options.application_name("thermaliq"))
}

/// Readiness: at once from the probe's verdict while the database is known
/// down, else one pooled round trip bounded by [`PROBE_TIMEOUT`].
pub(crate) async fn ping(store: &PostgresStore) -> Result<(), StoreError> {
    if store.health.is_down() {
        return Err(Health::known_down());
    }
    let round_trip = async {
        with_retry!(store, |conn| async {
            sqlx::query("SELECT 1").execute(&mut *conn).await?;
            Ok(())
        })
    };
    match tokio::time::timeout(PROBE_TIMEOUT, round_trip).await {
        Ok(outcome) => outcome,
        Err(_) => {
            // A busy pool is not an outage: let the probe's own connection decide.
            store.health.wake();
            Err(StoreError::Unavailable(format!(
                "PostgreSQL did not answer within {} ms",
                PROBE_TIMEOUT.as_millis()
            )))
        }
    }
}

pub(crate) fn connections_active(store: &PostgresStore) -> u32 {
    let idle = u32::try_from(store.pool.num_idle()).unwrap_or(u32::MAX);
    store.pool.size().saturating_sub(idle)
}

pub(crate) fn pool_size(store: &PostgresStore) -> u32 {
    store.pool.options().get_max_connections()
}

pub(crate) async fn close(store: &PostgresStore) {
    store.pool.close().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_bounds_are_size_and_size_plus_overflow() {
        let settings = PoolSettings {
            max_connections: 50,
            max_overflow: 20,
            ..PoolSettings::default()
        };
        assert_eq!(settings.bounds(), (50, 70));
        let options = settings.pool_options();
        assert_eq!(options.get_min_connections(), 50);
        assert_eq!(options.get_max_connections(), 70);
        assert!(options.get_test_before_acquire());
        assert_eq!(options.get_max_lifetime(), Some(Duration::from_secs(3600)));
    }
}
