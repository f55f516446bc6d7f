//! Knowing that PostgreSQL is down, so calls fail in microseconds instead of
//! each waiting `DATABASE_POOL_TIMEOUT` (issue 12, item 16).
//!
//! A background probe owns one connection of its own, outside the pool (a
//! saturated pool is load, not an outage), and runs `SELECT 1` every
//! [`PROBE_INTERVAL`], giving up after [`PROBE_TIMEOUT`]. A refused probe,
//! or [`LATE_PROBES_TO_DOWN`] late ones in a row, mark the database down: new calls fail at once with
//! `StoreError::Unavailable`, and calls waiting for a connection or for an
//! answer are released (a write released after `COMMIT` was sent reports
//! `Unavailable`, its outcome unknown, like a lost `COMMIT`). The next probe
//! that succeeds marks it up again, so the service recovers by itself.
//! `ping` (readiness) answers from this state at once, and while the database
//! is up does one pooled round trip bounded by `PROBE_TIMEOUT`; a late one
//! wakes the probe rather than marking the database down itself.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool};
use thermaliq_store::StoreError;
use tokio::sync::{Notify, watch};

/// How often the background probe checks the database.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(500);
/// The longest a probe (connect or `SELECT 1`) may take before the database
/// counts as down. Below 1 s so that readiness answers within a second.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(800);

/// What the store knows about the database's reachability.
pub(crate) struct Health {
    down: watch::Sender<bool>,
    wake: Notify,
}

impl Health {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            down: watch::Sender::new(false),
            wake: Notify::new(),
        })
    }

    pub(crate) fn is_down(&self) -> bool {
        *self.down.borrow()
    }

    /// Records a probe's outcome, logging each transition once.
    fn set_down(&self, down: bool) {
        let was = self.down.send_replace(down);
        if was != down {
            if down {
                tracing::warn!(
                    component = "Database",
                    error_type = "DatabaseError",
                    "Connection refused: PostgreSQL did not answer the health probe; requests fail fast until it does"
                );
            } else {
                tracing::info!(component = "Database", "PostgreSQL answers again");
            }
        }
    }

    /// Asks the probe to check now (a call saw a sign of trouble).
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Resolves when the database is marked down.
    pub(crate) async fn until_down(&self) {
        let mut rx = self.down.subscribe();
        // The sender lives as long as `self`, so `wait_for` only returns on `true`.
        let _ = rx.wait_for(|down| *down).await;
    }

    /// The error a call gets while the database is known down.
    pub(crate) fn known_down() -> StoreError {
        StoreError::Unavailable(
            "PostgreSQL is not answering (health probe failed); retry shortly".to_owned(),
        )
    }
}

/// Starts the background probe (if a Tokio runtime is running); it stops
/// when the pool is closed.
/// Probes in a row that got no answer within [`PROBE_TIMEOUT`] before the
/// database counts as down (a refused connection counts at once).
pub const LATE_PROBES_TO_DOWN: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Up,
    Refused,
    Late,
}

/// The probe's `application_name`, so operators (and tests) can tell it from the pool's sessions.
pub const PROBE_APPLICATION_NAME: &str = "thermaliq-health-probe";

pub(crate) fn spawn_probe(health: Arc<Health>, pool: PgPool, options: PgConnectOptions) {
    let options = options.application_name(PROBE_APPLICATION_NAME);
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let mut conn: Option<PgConnection> = None;
        let mut late = 0u32;
        while !pool.is_closed() {
            // A killed probe session (`pg_terminate_backend`, a recycled
            // connection) is not an outage: try once more on a fresh connection.
            let attempt = async {
                if probe_once(&mut conn, &options).await.is_ok() {
                    return true;
                }
                conn = None;
                probe_once(&mut conn, &options).await.is_ok()
            };
            let verdict = match tokio::time::timeout(PROBE_TIMEOUT, attempt).await {
                Ok(true) => Verdict::Up,
                Ok(false) => Verdict::Refused,
                Err(_) => Verdict::Late,
            };
            if verdict != Verdict::Up {
                // A half-answered connection is useless: open a new one next time.
                conn = None;
            }
            // Refused is an outage at once; one late answer on a loaded machine
            // is not, two in a row are.
            late = if verdict == Verdict::Late {
                late + 1
            } else {
                0
            };
            let down = verdict == Verdict::Refused || late >= LATE_PROBES_TO_DOWN;
            health.set_down(down);
            if late > 0 && !down {
                // Check again at once rather than after the interval.
                continue;
            }
            tokio::select! {
                () = tokio::time::sleep(PROBE_INTERVAL) => {}
                () = health.wake.notified() => {}
            }
        }
        if let Some(conn) = conn {
            let _ = conn.close().await;
        }
    });
}

async fn probe_once(
    conn: &mut Option<PgConnection>,
    options: &PgConnectOptions,
) -> Result<(), sqlx::Error> {
    if conn.is_none() {
        *conn = Some(PgConnection::connect_with(options).await?);
    }
    let Some(c) = conn.as_mut() else {
        return Err(sqlx::Error::PoolClosed);
    };
    sqlx::query("SELECT 1").execute(c).await?;
    Ok(())
}
