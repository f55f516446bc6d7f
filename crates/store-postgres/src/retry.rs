//! Retrying a call once on a fresh connection when the one under it was
//! lost, if that cannot apply a write twice.

use sqlx::Postgres;

/// Why one attempt failed, and whether it may be retried on a new connection.
pub(crate) struct Failure {
    pub(crate) err: sqlx::Error,
    /// The attempt cannot have committed anything.
    pub(crate) nothing_committed: bool,
}

impl From<sqlx::Error> for Failure {
    fn from(err: sqlx::Error) -> Self {
        Failure {
            err,
            nothing_committed: true,
        }
    }
}

/// Runs `$body` (an async block using `$conn: &mut PgConnection`) on a pooled
/// connection; on a lost connection discards it and, if nothing can have been
/// committed, runs the body once more on a fresh connection.
macro_rules! with_retry {
    ($store:expr, |$conn:ident| $body:expr) => {{
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut pooled = $store.acquire().await?;
            let outcome: Result<_, $crate::retry::Failure> = {
                let $conn: &mut sqlx::PgConnection = &mut pooled;
                tokio::select! {
                    biased;
                    () = $store.health.until_down() => Err($crate::retry::Failure::database_down()),
                    outcome = $body => outcome,
                }
            };
            match outcome {
                Ok(value) => break Ok(value),
                Err(failure) => {
                    let lost = $crate::retry::is_connection_lost(&failure.err);
                    if lost {
                        pooled.close_on_drop();
                    }
                    drop(pooled);
                    if !(lost && failure.nothing_committed && attempt < 2) {
                        break Err($crate::errors::classify(failure.err));
                    }
                }
            }
        }
    }};
}
pub(crate) use with_retry;

impl Failure {
    /// The call was abandoned because the health probe marked the database
    /// down: counted as a lost connection (discarded), and what it did unknown.
    pub(crate) fn database_down() -> Self {
        Failure {
            err: sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "PostgreSQL is not answering (health probe failed)",
            )),
            nothing_committed: false,
        }
    }
}

/// Commits `tx`; a failure here leaves the outcome unknown, so it is never retried.
pub(crate) async fn commit(tx: sqlx::Transaction<'_, Postgres>) -> Result<(), Failure> {
    tx.commit().await.map_err(|err| Failure {
        err,
        nothing_committed: false,
    })
}

/// The connection under the call is gone (socket closed, backend terminated):
/// discard it, and the call may be retried on a fresh one.
pub(crate) fn is_connection_lost(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_) | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db
            .code()
            .as_deref()
            .is_some_and(|c| c.starts_with("08") || matches!(c, "57P01" | "57P02")),
        _ => false,
    }
}
