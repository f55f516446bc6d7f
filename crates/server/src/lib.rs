//! The `thermaliq` service: configuration, storage wiring, the HTTP API,
//! auth, metrics and logs. `main.rs` is the CLI over [`start`].

pub mod app;
pub mod auth;
pub mod config;
pub mod csv;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod import;
pub mod metrics;
pub mod report;
pub mod routes;
pub mod serve;
pub mod service;
pub mod state;
pub mod telemetry;
pub mod views;
pub mod worker;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use connectors::cache::{Cache, CacheConfig};
use thermaliq_store::{Scope, Store, StoreError};
use thermaliq_store_postgres::PostgresStore;
use thermaliq_store_sqlite::{PoolSettings, SqliteStore};
use thiserror::Error;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::Settings;
use crate::state::AppState;

/// The SQLite file name inside the data directory.
pub const SQLITE_FILE: &str = "thermaliq.db";
/// The generated bootstrap token's file name inside the data directory.
pub const ADMIN_TOKEN_FILE: &str = "admin.token";

#[derive(Debug, Error)]
pub enum StartupError {
    #[error("{0}")]
    Config(#[from] config::ConfigError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Service(#[from] service::ServiceError),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Unsupported(String),
    /// The runbook greps `Cannot bind to port` (Scenario 1).
    #[error("Cannot bind to port {port} ({address}): {source}")]
    Bind {
        port: u16,
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// The database's address does not accept connections; the runbook greps
    /// `Connection refused` (the OS error text) and needs to know which service.
    #[error("Cannot connect to the database (PostgreSQL at {target}): {source}")]
    DatabaseUnreachable {
        target: String,
        #[source]
        source: std::io::Error,
    },
}

impl StartupError {
    /// The `error_type` of the start-up failure's log line.
    pub fn error_type(&self) -> &'static str {
        match self {
            StartupError::Config(_) => "ConfigError",
            StartupError::Store(_) | StartupError::DatabaseUnreachable { .. } => "DatabaseError",
            StartupError::Bind { .. } => "BindError",
            _ => "StartupError",
        }
    }
}

/// One TCP connection to PostgreSQL's address before the pool is built: the
/// pool retries a refused connection until `DATABASE_POOL_TIMEOUT` and then
/// reports only its own timeout, which hides the cause. Sockets (`host=/…`)
/// are not probed.
async fn probe_postgres(url: &str, within: std::time::Duration) -> Result<(), StartupError> {
    // A bad URL is reported by the store itself.
    let Some(target) = thermaliq_store_postgres::tcp_address(url) else {
        return Ok(());
    };
    let connect = tokio::net::TcpStream::connect(target.clone());
    match tokio::time::timeout(within, connect).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(source)) => Err(StartupError::DatabaseUnreachable { target, source }),
        Err(_) => Err(StartupError::DatabaseUnreachable {
            target,
            source: std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer in time"),
        }),
    }
}

/// Opens the configured store: `DATABASE_URL` if set, else SQLite in the data directory.
pub async fn open_store(settings: &Settings) -> Result<Arc<dyn Store>, StartupError> {
    let pool = PoolSettings {
        max_connections: settings.database_pool_size,
        acquire_timeout: settings.database_pool_timeout,
    };
    match &settings.database_url {
        Some(url) if url.expose().starts_with("sqlite:") => {
            Ok(Arc::new(SqliteStore::open_url(url.expose(), pool).await?))
        }
        Some(url) => {
            probe_postgres(url.expose(), settings.database_pool_timeout).await?;
            let pg = thermaliq_store_postgres::PoolSettings {
                max_connections: settings.database_pool_size,
                max_overflow: settings.database_max_overflow,
                acquire_timeout: settings.database_pool_timeout,
                recycle: Some(settings.database_pool_recycle),
                pre_ping: true,
            };
            Ok(Arc::new(PostgresStore::connect(url.expose(), pg).await?))
        }
        None => {
            std::fs::create_dir_all(&settings.data_dir).map_err(|source| StartupError::Io {
                what: format!(
                    "cannot create data directory {}",
                    settings.data_dir.display()
                ),
                source,
            })?;
            let path = settings.data_dir.join(SQLITE_FILE);
            Ok(Arc::new(SqliteStore::open(&path, pool).await?))
        }
    }
}

/// The cache: Redis when `REDIS_URL` is set (an unreachable Redis at start
/// degrades to in-process caching, it does not stop the service).
pub async fn build_cache(settings: &Settings, key_prefix: &str) -> Result<Cache, StartupError> {
    let config = CacheConfig {
        redis_url: settings.redis_url.as_ref().map(|u| u.expose().to_owned()),
        key_prefix: key_prefix.to_owned(),
        compression: settings.cache_compression_enabled,
        ..CacheConfig::default()
    };
    Cache::new(config)
        .await
        .map_err(|e| StartupError::Unsupported(e.to_string()))
}

/// On an empty store, registers the first admin token (DESIGN.md §4): the
/// one in `THERMALIQ_BOOTSTRAP_TOKEN`, else a generated one written to
/// `<data dir>/admin.token` with mode 0600. Returns the file written, if any.
pub async fn bootstrap_admin_token(
    store: &dyn Store,
    settings: &Settings,
) -> Result<Option<PathBuf>, StartupError> {
    if store.count_tokens().await? > 0 {
        if settings.bootstrap_token.is_some() {
            tracing::info!("THERMALIQ_BOOTSTRAP_TOKEN ignored: the store already has tokens");
        }
        return Ok(None);
    }
    if let Some(token) = &settings.bootstrap_token {
        let registered = auth::register_token(
            store,
            token.expose(),
            "bootstrap-admin",
            Scope::Admin,
            "bootstrap",
        )
        .await;
        match registered {
            Ok(_) => {
                tracing::info!("Bootstrap admin token registered from THERMALIQ_BOOTSTRAP_TOKEN")
            }
            // Another replica starting at the same moment registered it first
            // (the name is taken: names are unique).
            Err(service::ServiceError::Invalid(p)) if p.iter().any(|p| p.field == "name") => {}
            Err(err) => return Err(err.into()),
        }
        return Ok(None);
    }
    let token = auth::generate_token().map_err(|e| StartupError::Io {
        what: "cannot read random bytes for the bootstrap token".to_owned(),
        source: std::io::Error::other(e.to_string()),
    })?;
    std::fs::create_dir_all(&settings.data_dir).map_err(|source| StartupError::Io {
        what: format!(
            "cannot create data directory {}",
            settings.data_dir.display()
        ),
        source,
    })?;
    let path = settings.data_dir.join(ADMIN_TOKEN_FILE);
    write_secret_file(&path, &token).map_err(|source| StartupError::Io {
        what: format!("cannot write {}", path.display()),
        source,
    })?;
    if let Err(err) =
        auth::register_token(store, &token, "bootstrap-admin", Scope::Admin, "bootstrap").await
    {
        let _ = std::fs::remove_file(&path);
        return Err(err.into());
    }
    tracing::info!(
        path = %path.display(),
        "Bootstrap admin token generated and written to this file (mode 0600); it is shown nowhere else"
    );
    Ok(Some(path))
}

/// Writes `secret` to `path`, readable by the owner only, and syncs it.
fn write_secret_file(path: &std::path::Path, secret: &str) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // `mode` applies only when the file is created; an older file is narrowed too.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(secret.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

/// A server accepting connections.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
    worker_stop: tokio::sync::watch::Sender<bool>,
    worker: Option<JoinHandle<()>>,
}

impl RunningServer {
    /// Stops accepting, lets in-flight requests finish, then closes the store.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let _ = self.shutdown.send(());
        let _ = self.worker_stop.send(true);
        let served = self.task.await.map_err(std::io::Error::other)?;
        if let Some(worker) = self.worker {
            // Jobs in hand finish; unclaimed ones stay queued for other replicas.
            let _ = worker.await;
        }
        self.state.store.close().await;
        served
    }
}

/// Opens the store, bootstraps the admin token, binds and starts serving.
pub async fn start(settings: Settings) -> Result<RunningServer, StartupError> {
    start_with_cache_prefix(settings, "").await
}

/// [`start`] with every cache key under `key_prefix` (tests share one Redis).
pub async fn start_with_cache_prefix(
    settings: Settings,
    key_prefix: &str,
) -> Result<RunningServer, StartupError> {
    let store = open_store(&settings).await?;
    let cache = build_cache(&settings, key_prefix).await?;
    if let Err(reason) = cache.probe().await {
        // Not fatal (the in-process cache serves), but named: the runbook
        // reads `Connection refused` as "database or Redis unavailable".
        tracing::warn!(
            component = "CacheRedis",
            error_type = "CacheError",
            error_message = reason.as_str(),
            "Cannot connect to Redis: {reason}; serving from the in-process cache"
        );
    }
    bootstrap_admin_token(store.as_ref(), &settings).await?;
    let listener = tokio::net::TcpListener::bind(settings.bind)
        .await
        .map_err(|source| StartupError::Bind {
            port: settings.bind.port(),
            address: settings.bind,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartupError::Io {
        what: "cannot read the bound address".to_owned(),
        source,
    })?;
    let state = AppState::new(store, settings, cache);
    let router = app::router(state.clone());
    let (shutdown, signal) = oneshot::channel::<()>();
    let limits = serve::Limits {
        header_read_timeout: state.settings.http_header_read_timeout,
        max_connections: state.settings.http_max_connections,
    };
    let task = tokio::spawn(serve::serve(listener, router, limits, async move {
        let _ = signal.await;
    }));
    let (worker_stop, stop) = tokio::sync::watch::channel(false);
    let worker = state
        .settings
        .worker_enabled
        .then(|| worker::spawn(state.clone(), stop));
    tracing::info!(
        address = %addr,
        backend = state.store.backend(),
        cache = state.cache.status().backend,
        "ThermalIQ listening"
    );
    Ok(RunningServer {
        addr,
        state,
        shutdown,
        task,
        worker_stop,
        worker,
    })
}
