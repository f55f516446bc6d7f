//! The PostgreSQL [`Store`] (`DATABASE_URL=postgres://...`): the same schema and
//! behaviour as the embedded SQLite store, for many replicas sharing one
//! database.
//!
//! Durability: every write is a committed transaction (single statements in
//! autocommit, multi-statement writes in an explicit transaction), so a method
//! that returns `Ok` has been committed by the server.
//!
//! Faults: errors that mean "the database is not there right now" (pool
//! timeout, closed pool, I/O, connection refused, `57P01` admin shutdown,
//! `57P02` crash shutdown, `57P03` cannot connect now, `53300` too many
//! connections, class `08` connection exceptions) are
//! [`StoreError::Unavailable`]; a connection lost under a call (e.g. its backend
//! was killed with `pg_terminate_backend`) is discarded and the call is retried
//! once on a fresh connection when that cannot apply a write twice (see
//! [`PostgresStore`]).

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{Connection, PgConnection, PgPool, Postgres, QueryBuilder, Row};
use thermaliq_store::{
    AuditEntry, CalculationQuery, CalculationRecord, IdempotencyOutcome, Invalidation, JobRecord,
    JobStatus, NewJob, Scope, Store, StoreError, TokenRecord,
};
use time::OffsetDateTime;

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

    fn pool_options(&self) -> PgPoolOptions {
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
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/db`), checks that the
    /// database answers and applies migrations.
    pub async fn connect(url: &str, settings: PoolSettings) -> Result<Self, StoreError> {
        let pool = settings
            .pool_options()
            .connect_with(connect_options(url)?)
            .await
            .map_err(classify)?;
        let store = Self { pool };
        store.migrate().await?;
        Ok(store)
    }

    /// Builds the pool without opening a connection or migrating: connections
    /// are opened by the first calls. For start-up while the database may be
    /// down, and for tests.
    pub fn connect_lazy(url: &str, settings: PoolSettings) -> Result<Self, StoreError> {
        let pool = settings
            .pool_options()
            .connect_lazy_with(connect_options(url)?);
        Ok(Self { pool })
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

    async fn acquire(&self) -> Result<PoolConnection<Postgres>, StoreError> {
        self.pool.acquire().await.map_err(classify)
    }
}

fn connect_options(url: &str) -> Result<PgConnectOptions, StoreError> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::Backend(format!("invalid DATABASE_URL: {e}")))?;
    Ok(options.application_name("thermaliq"))
}

/// SQLSTATEs meaning the server is going away or not accepting connections.
fn is_unavailable_code(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
}

fn classify(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(err.to_string()),
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Duplicate(db.message().to_owned())
        }
        sqlx::Error::Database(db) if db.code().as_deref().is_some_and(is_unavailable_code) => {
            StoreError::Unavailable(err.to_string())
        }
        _ => StoreError::Backend(err.to_string()),
    }
}

/// The connection under the call is gone (socket closed, backend terminated):
/// discard it, and the call may be retried on a fresh one.
fn is_connection_lost(err: &sqlx::Error) -> bool {
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

/// Time stamps are kept to the microsecond, truncated (as SQLite's text form does).
fn to_micros(t: OffsetDateTime) -> OffsetDateTime {
    let nanos = t.nanosecond();
    t.replace_nanosecond(nanos - nanos % 1_000)
        .unwrap_or_else(|_| unreachable!("a whole number of microseconds is a valid nanosecond"))
}

/// Why one attempt failed, and whether it may be retried on a new connection.
struct Failure {
    err: sqlx::Error,
    /// The attempt cannot have committed anything.
    nothing_committed: bool,
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
            let outcome: Result<_, Failure> = {
                let $conn: &mut PgConnection = &mut pooled;
                $body.await
            };
            match outcome {
                Ok(value) => break Ok(value),
                Err(failure) => {
                    let lost = is_connection_lost(&failure.err);
                    if lost {
                        pooled.close_on_drop();
                    }
                    drop(pooled);
                    if !(lost && failure.nothing_committed && attempt < 2) {
                        break Err(classify(failure.err));
                    }
                }
            }
        }
    }};
}

/// The columns of a [`CalculationRecord`] (the exact `energy_flows` text is
/// `energy_flows_text`), as a literal so every statement stays a `&'static str`.
macro_rules! calculation_columns {
    () => {
        "calculation_id, facility_id, period_start, period_end, efficiency, status, \
         invalid_reason, recalculated_from, energy_flows_text, request, canonical_input, \
         result, input_hash, output_hash, engine_version, created_at"
    };
}

macro_rules! insert_calculation_sql {
    ($flows:literal) => {
        concat!(
            "INSERT INTO calculations (",
            calculation_columns!(),
            ", energy_flows) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
             $14, $15, $16, ",
            $flows,
            ")"
        )
    };
}

fn calculation_from_row(row: &PgRow) -> Result<CalculationRecord, StoreError> {
    fn get<'r, T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>>(
        row: &'r PgRow,
        col: &str,
    ) -> Result<T, StoreError> {
        row.try_get(col)
            .map_err(|e| StoreError::Corrupt(e.to_string()))
    }
    Ok(CalculationRecord {
        calculation_id: get(row, "calculation_id")?,
        facility_id: get(row, "facility_id")?,
        period_start: get(row, "period_start")?,
        period_end: get(row, "period_end")?,
        efficiency: get(row, "efficiency")?,
        status: get(row, "status")?,
        invalid_reason: get(row, "invalid_reason")?,
        recalculated_from: get(row, "recalculated_from")?,
        request: get(row, "request")?,
        canonical_input: get(row, "canonical_input")?,
        result: get(row, "result")?,
        energy_flows: get(row, "energy_flows_text")?,
        input_hash: get(row, "input_hash")?,
        output_hash: get(row, "output_hash")?,
        engine_version: get(row, "engine_version")?,
        created_at: get(row, "created_at")?,
    })
}

/// SQLSTATEs of a text that is not a JSON document PostgreSQL accepts.
fn is_bad_json(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => matches!(
            db.code().as_deref(),
            Some("22P02" | "22P05" | "22032" | "22030")
        ),
        _ => false,
    }
}

async fn insert_calculation_once(
    conn: &mut PgConnection,
    r: &CalculationRecord,
    flows_as_json: bool,
) -> Result<(), sqlx::Error> {
    let sql = if flows_as_json {
        insert_calculation_sql!("$9::jsonb")
    } else {
        insert_calculation_sql!("NULL")
    };
    sqlx::query(sql)
        .bind(&r.calculation_id)
        .bind(&r.facility_id)
        .bind(to_micros(r.period_start))
        .bind(to_micros(r.period_end))
        .bind(r.efficiency)
        .bind(&r.status)
        .bind(&r.invalid_reason)
        .bind(&r.recalculated_from)
        .bind(&r.energy_flows)
        .bind(&r.request)
        .bind(&r.canonical_input)
        .bind(&r.result)
        .bind(&r.input_hash)
        .bind(&r.output_hash)
        .bind(&r.engine_version)
        .bind(to_micros(r.created_at))
        .execute(conn)
        .await?;
    Ok(())
}

async fn get_calculation_once(
    conn: &mut PgConnection,
    calculation_id: &str,
) -> Result<Option<PgRow>, sqlx::Error> {
    sqlx::query(concat!(
        "SELECT ",
        calculation_columns!(),
        " FROM calculations WHERE calculation_id = $1"
    ))
    .bind(calculation_id)
    .fetch_optional(conn)
    .await
}

async fn insert_audit(conn: &mut PgConnection, audit: &AuditEntry) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (occurred_at, actor, action, subject, detail) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(to_micros(audit.occurred_at))
    .bind(&audit.actor)
    .bind(&audit.action)
    .bind(&audit.subject)
    .bind(&audit.detail)
    .execute(conn)
    .await?;
    Ok(())
}

/// A duration as microseconds for `$n * interval '1 microsecond'`, capped at
/// about 30 years so `now() + ...` stays a valid time stamp.
fn micros(d: Duration) -> i64 {
    let d = d.min(Duration::from_secs(1_000_000_000));
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

fn new_job_id() -> String {
    format!("JOB-{}", ulid::Ulid::new())
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn job_from_row(row: &PgRow) -> Result<JobRecord, StoreError> {
    fn get<'r, T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>>(
        row: &'r PgRow,
        col: &str,
    ) -> Result<T, StoreError> {
        row.try_get(col).map_err(corrupt)
    }
    let count = |col: &str| get::<i32>(row, col).and_then(|n| u32::try_from(n).map_err(corrupt));
    let status: String = get(row, "status")?;
    Ok(JobRecord {
        job_id: get(row, "job_id")?,
        kind: get(row, "kind")?,
        payload: get(row, "payload")?,
        dedupe_key: get(row, "dedupe_key")?,
        status: JobStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("job status '{status}'")))?,
        attempts: count("attempts")?,
        max_attempts: count("max_attempts")?,
        run_after: get(row, "run_after")?,
        lease_owner: get(row, "lease_owner")?,
        lease_expires_at: get(row, "lease_expires_at")?,
        result: get(row, "result")?,
        last_error: get(row, "last_error")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

/// The outcome of `idempotency_begin` for an entry that exists.
fn idempotency_outcome(
    request_hash: &str,
    stored_hash: String,
    state: String,
    status: Option<i32>,
    body: Option<String>,
) -> Result<IdempotencyOutcome, StoreError> {
    if stored_hash != request_hash {
        return Ok(IdempotencyOutcome::Mismatch);
    }
    match (state.as_str(), status, body) {
        ("in_progress", _, _) => Ok(IdempotencyOutcome::InProgress),
        ("done", Some(status), Some(body)) => Ok(IdempotencyOutcome::Replay {
            status: u16::try_from(status).map_err(corrupt)?,
            body,
        }),
        _ => Err(StoreError::Corrupt(format!(
            "idempotency key in state '{state}'"
        ))),
    }
}

/// What `idempotency_begin` saw, before interpretation.
enum BeginSeen {
    Taken,
    Existing {
        hash: String,
        state: String,
        status: Option<i32>,
        body: Option<String>,
    },
}

/// Commits `tx`; a failure here leaves the outcome unknown, so it is never retried.
async fn commit(tx: sqlx::Transaction<'_, Postgres>) -> Result<(), Failure> {
    tx.commit().await.map_err(|err| Failure {
        err,
        nothing_committed: false,
    })
}

#[async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> Result<(), StoreError> {
        with_retry!(self, |conn| async {
            sqlx::query("SELECT 1").execute(&mut *conn).await?;
            Ok(())
        })
    }

    fn connections_active(&self) -> u32 {
        let idle = u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX);
        self.pool.size().saturating_sub(idle)
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    async fn insert_calculation(&self, r: &CalculationRecord) -> Result<(), StoreError> {
        let mut retried = false;
        let outcome: Result<(), StoreError> = with_retry!(self, |conn| async {
            let first = !std::mem::replace(&mut retried, true);
            let inserted = match insert_calculation_once(conn, r, true).await {
                Err(e) if is_bad_json(&e) => insert_calculation_once(conn, r, false).await,
                other => other,
            };
            match inserted {
                Err(sqlx::Error::Database(db)) if !first && db.is_unique_violation() => {
                    // The lost first attempt may have committed: the same row is success.
                    let existing = get_calculation_once(conn, &r.calculation_id).await?;
                    let same = match existing.as_ref().map(calculation_from_row) {
                        Some(Ok(stored)) => same_calculation(&stored, r),
                        _ => false,
                    };
                    if same {
                        Ok(())
                    } else {
                        Err(Failure::from(sqlx::Error::Database(db)))
                    }
                }
                other => other.map_err(Failure::from),
            }
        });
        outcome
    }

    async fn get_calculation(
        &self,
        calculation_id: &str,
    ) -> Result<Option<CalculationRecord>, StoreError> {
        let row = with_retry!(self, |conn| async {
            Ok(get_calculation_once(conn, calculation_id).await?)
        })?;
        row.as_ref().map(calculation_from_row).transpose()
    }

    async fn list_calculations(
        &self,
        q: &CalculationQuery,
    ) -> Result<Vec<CalculationRecord>, StoreError> {
        let rows = with_retry!(self, |conn| async {
            let mut sql = QueryBuilder::<Postgres>::new(concat!(
                "SELECT ",
                calculation_columns!(),
                " FROM calculations WHERE TRUE"
            ));
            if let Some(facility) = &q.facility_id {
                sql.push(" AND facility_id = ").push_bind(facility);
            }
            if let Some(status) = &q.status {
                sql.push(" AND status = ").push_bind(status);
            }
            if let Some(from) = q.created_from {
                sql.push(" AND created_at >= ").push_bind(to_micros(from));
            }
            if let Some(to) = q.created_to {
                sql.push(" AND created_at < ").push_bind(to_micros(to));
            }
            if let Some(before) = &q.before_id {
                sql.push(" AND calculation_id < ").push_bind(before);
            }
            sql.push(" ORDER BY calculation_id DESC LIMIT ")
                .push_bind(i64::from(q.limit));
            Ok(sql.build().fetch_all(&mut *conn).await?)
        })?;
        rows.iter().map(calculation_from_row).collect()
    }

    async fn invalidate_calculations(
        &self,
        inv: &Invalidation,
        audit: &AuditEntry,
    ) -> Result<Vec<String>, StoreError> {
        with_retry!(self, |conn| async {
            let mut tx = conn.begin().await?;
            let mut ids: Vec<String> = sqlx::query_scalar(
                "UPDATE calculations SET status = 'invalid', invalid_reason = $1 \
                 WHERE status <> 'invalid' AND ($2::text IS NULL OR facility_id = $2) \
                   AND created_at >= $3 AND created_at < $4 \
                 RETURNING calculation_id",
            )
            .bind(&inv.reason)
            .bind(&inv.facility_id)
            .bind(to_micros(inv.created_from))
            .bind(to_micros(inv.created_to))
            .fetch_all(&mut *tx)
            .await?;
            ids.sort();
            let mut entry = audit.clone();
            entry.detail = format!("{{\"count\":{},\"detail\":{}}}", ids.len(), audit.detail);
            insert_audit(&mut tx, &entry).await?;
            commit(tx).await?;
            Ok(ids)
        })
    }

    async fn insert_token(
        &self,
        token: &TokenRecord,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        with_retry!(self, |conn| async {
            let mut tx = conn.begin().await?;
            sqlx::query(
                "INSERT INTO api_tokens (token_id, name, scope, token_hash, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&token.token_id)
            .bind(&token.name)
            .bind(token.scope.as_str())
            .bind(&token.token_hash)
            .bind(to_micros(token.created_at))
            .execute(&mut *tx)
            .await?;
            insert_audit(&mut tx, audit).await?;
            commit(tx).await?;
            Ok(())
        })
    }

    async fn find_token_by_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<TokenRecord>, StoreError> {
        let row = with_retry!(self, |conn| async {
            Ok(sqlx::query(
                "SELECT token_id, name, scope, token_hash, created_at FROM api_tokens \
                 WHERE token_hash = $1",
            )
            .bind(token_hash)
            .fetch_optional(&mut *conn)
            .await?)
        })?;
        let Some(row) = row else { return Ok(None) };
        let text = |col: &str| {
            row.try_get::<String, _>(col)
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        };
        let scope_text = text("scope")?;
        Ok(Some(TokenRecord {
            token_id: text("token_id")?,
            name: text("name")?,
            scope: Scope::parse(&scope_text)
                .ok_or_else(|| StoreError::Corrupt(format!("scope '{scope_text}'")))?,
            token_hash: text("token_hash")?,
            created_at: row
                .try_get("created_at")
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        }))
    }

    async fn count_tokens(&self) -> Result<u64, StoreError> {
        let n: i64 = with_retry!(self, |conn| async {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens")
                .fetch_one(&mut *conn)
                .await?)
        })?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn enqueue_job(&self, job: &NewJob) -> Result<JobRecord, StoreError> {
        // The id is chosen once: a retry after a lost connection finds the
        // row its first attempt may have committed, instead of a second job.
        let job_id = new_job_id();
        let row = with_retry!(self, |conn| async {
            let inserted = sqlx::query(
                "INSERT INTO jobs (job_id, kind, payload, dedupe_key, status, attempts, \
                 max_attempts, run_after, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, now(), now()) \
                 ON CONFLICT DO NOTHING RETURNING *",
            )
            .bind(&job_id)
            .bind(&job.kind)
            .bind(&job.payload)
            .bind(&job.dedupe_key)
            .bind(i64::from(job.max_attempts))
            .bind(to_micros(job.run_after))
            .fetch_optional(&mut *conn)
            .await?;
            if inserted.is_some() {
                return Ok(inserted);
            }
            Ok(sqlx::query(
                "SELECT * FROM jobs WHERE job_id = $1 OR dedupe_key = $2 \
                 ORDER BY job_id = $1 DESC LIMIT 1",
            )
            .bind(&job_id)
            .bind(&job.dedupe_key)
            .fetch_optional(&mut *conn)
            .await?)
        })?;
        let row = row.ok_or_else(|| {
            StoreError::Backend("enqueue found neither its job nor the deduplicated one".into())
        })?;
        job_from_row(&row)
    }

    async fn claim_jobs(
        &self,
        worker_id: &str,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<JobRecord>, StoreError> {
        let rows = with_retry!(self, |conn| async {
            let mut tx = conn.begin().await?;
            sqlx::query(
                "UPDATE jobs SET status = 'dead', lease_expires_at = NULL, updated_at = now(), \
                 last_error = 'lease of ' || lease_owner || ' expired on attempt ' || attempts \
                              || ' of ' || max_attempts \
                 WHERE job_id IN (SELECT job_id FROM jobs WHERE status = 'running' \
                     AND lease_expires_at <= now() AND attempts >= max_attempts \
                     FOR UPDATE SKIP LOCKED)",
            )
            .execute(&mut *tx)
            .await?;
            let rows = sqlx::query(
                "WITH candidates AS ( \
                     SELECT job_id FROM jobs \
                     WHERE (status = 'queued' AND run_after <= now()) \
                        OR (status = 'running' AND lease_expires_at <= now()) \
                     ORDER BY run_after, job_id \
                     LIMIT $3 \
                     FOR UPDATE SKIP LOCKED) \
                 UPDATE jobs SET status = 'running', lease_owner = $1, \
                     lease_expires_at = now() + $2 * interval '1 microsecond', \
                     attempts = jobs.attempts + 1, updated_at = now() \
                 FROM candidates WHERE jobs.job_id = candidates.job_id \
                 RETURNING jobs.*",
            )
            .bind(worker_id)
            .bind(micros(lease))
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
            commit(tx).await?;
            Ok(rows)
        })?;
        let mut jobs = rows
            .iter()
            .map(job_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        jobs.sort_by(|a, b| (a.run_after, &a.job_id).cmp(&(b.run_after, &b.job_id)));
        Ok(jobs)
    }

    async fn heartbeat_job(
        &self,
        job_id: &str,
        worker_id: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        // Idempotent: safe to retry after a lost connection.
        let n = with_retry!(self, |conn| async {
            Ok(sqlx::query(
                "UPDATE jobs SET lease_expires_at = now() + $3 * interval '1 microsecond', \
                 updated_at = now() \
                 WHERE job_id = $1 AND status = 'running' AND lease_owner = $2",
            )
            .bind(job_id)
            .bind(worker_id)
            .bind(micros(lease))
            .execute(&mut *conn)
            .await?
            .rows_affected())
        })?;
        Ok(n == 1)
    }

    async fn complete_job(
        &self,
        job_id: &str,
        worker_id: &str,
        result: &str,
    ) -> Result<bool, StoreError> {
        with_retry!(self, |conn| async {
            let mut tx = conn.begin().await?;
            let updated = sqlx::query(
                "UPDATE jobs SET status = 'done', result = $3, lease_expires_at = NULL, \
                 updated_at = now() \
                 WHERE job_id = $1 AND status = 'running' AND lease_owner = $2",
            )
            .bind(job_id)
            .bind(worker_id)
            .bind(result)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let ok = if updated == 1 {
                true
            } else {
                // Repeated completion by the owner (e.g. after a lost COMMIT).
                sqlx::query_scalar::<_, bool>(
                    "SELECT EXISTS (SELECT 1 FROM jobs WHERE job_id = $1 AND status = 'done' \
                     AND lease_owner = $2 AND result = $3)",
                )
                .bind(job_id)
                .bind(worker_id)
                .bind(result)
                .fetch_one(&mut *tx)
                .await?
            };
            commit(tx).await?;
            Ok(ok)
        })
    }

    async fn fail_job(
        &self,
        job_id: &str,
        worker_id: &str,
        error: &str,
        retry_in: Duration,
    ) -> Result<Option<JobRecord>, StoreError> {
        let row = with_retry!(self, |conn| async {
            let mut tx = conn.begin().await?;
            let row = sqlx::query(
                "UPDATE jobs SET last_error = $3, lease_expires_at = NULL, updated_at = now(), \
                 status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END, \
                 lease_owner = CASE WHEN attempts >= max_attempts THEN lease_owner END, \
                 run_after = CASE WHEN attempts >= max_attempts THEN run_after \
                     ELSE now() + $4 * interval '1 microsecond' END \
                 WHERE job_id = $1 AND status = 'running' AND lease_owner = $2 \
                 RETURNING *",
            )
            .bind(job_id)
            .bind(worker_id)
            .bind(error)
            .bind(micros(retry_in))
            .fetch_optional(&mut *tx)
            .await?;
            commit(tx).await?;
            Ok(row)
        })?;
        row.as_ref().map(job_from_row).transpose()
    }

    async fn get_job(&self, job_id: &str) -> Result<Option<JobRecord>, StoreError> {
        let row = with_retry!(self, |conn| async {
            Ok(sqlx::query("SELECT * FROM jobs WHERE job_id = $1")
                .bind(job_id)
                .fetch_optional(&mut *conn)
                .await?)
        })?;
        row.as_ref().map(job_from_row).transpose()
    }

    async fn queue_depth(&self) -> Result<u64, StoreError> {
        let n: i64 = with_retry!(self, |conn| async {
            Ok(sqlx::query_scalar(
                "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')",
            )
            .fetch_one(&mut *conn)
            .await?)
        })?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn list_jobs(
        &self,
        status: Option<JobStatus>,
        limit: u32,
    ) -> Result<Vec<JobRecord>, StoreError> {
        let rows = with_retry!(self, |conn| async {
            Ok(sqlx::query(
                "SELECT * FROM jobs WHERE ($1::text IS NULL OR status = $1) \
                 ORDER BY created_at DESC, job_id DESC LIMIT $2",
            )
            .bind(status.map(JobStatus::as_str))
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await?)
        })?;
        rows.iter().map(job_from_row).collect()
    }

    async fn idempotency_begin(
        &self,
        key: &str,
        principal: &str,
        request_hash: &str,
    ) -> Result<IdempotencyOutcome, StoreError> {
        // Chosen once: a retry after a lost connection recognises the entry
        // its first attempt committed as its own.
        let nonce = ulid::Ulid::new().to_string();
        let seen = with_retry!(self, |conn| async {
            loop {
                let inserted = sqlx::query(
                    "INSERT INTO idempotency_keys (principal, idempotency_key, request_hash, \
                     owner_nonce, state, created_at) \
                     VALUES ($1, $2, $3, $4, 'in_progress', now()) \
                     ON CONFLICT (principal, idempotency_key) DO NOTHING",
                )
                .bind(principal)
                .bind(key)
                .bind(request_hash)
                .bind(&nonce)
                .execute(&mut *conn)
                .await?
                .rows_affected();
                if inserted == 1 {
                    break Ok(BeginSeen::Taken);
                }
                let row = sqlx::query(
                    "SELECT request_hash, state, response_status, response_body, owner_nonce \
                     FROM idempotency_keys WHERE principal = $1 AND idempotency_key = $2",
                )
                .bind(principal)
                .bind(key)
                .fetch_optional(&mut *conn)
                .await?;
                // Gone meanwhile (abandoned, purged): try to take it again.
                let Some(row) = row else { continue };
                let owner: String = row.try_get("owner_nonce")?;
                if owner == nonce {
                    break Ok(BeginSeen::Taken);
                }
                break Ok(BeginSeen::Existing {
                    hash: row.try_get("request_hash")?,
                    state: row.try_get("state")?,
                    status: row.try_get("response_status")?,
                    body: row.try_get("response_body")?,
                });
            }
        })?;
        match seen {
            BeginSeen::Taken => Ok(IdempotencyOutcome::New),
            BeginSeen::Existing {
                hash,
                state,
                status,
                body,
            } => idempotency_outcome(request_hash, hash, state, status, body),
        }
    }

    async fn idempotency_finish(
        &self,
        key: &str,
        principal: &str,
        status: u16,
        body: &str,
    ) -> Result<bool, StoreError> {
        // Idempotent (an identical finish matches again): safe to retry.
        let n = with_retry!(self, |conn| async {
            Ok(sqlx::query(
                "UPDATE idempotency_keys SET state = 'done', response_status = $3, \
                 response_body = $4, finished_at = COALESCE(finished_at, now()) \
                 WHERE principal = $1 AND idempotency_key = $2 AND (state = 'in_progress' \
                   OR (response_status = $3 AND response_body = $4))",
            )
            .bind(principal)
            .bind(key)
            .bind(i32::from(status))
            .bind(body)
            .execute(&mut *conn)
            .await?
            .rows_affected())
        })?;
        Ok(n == 1)
    }

    async fn idempotency_abandon(&self, key: &str, principal: &str) -> Result<bool, StoreError> {
        let n = with_retry!(self, |conn| async {
            Ok(sqlx::query(
                "DELETE FROM idempotency_keys \
                 WHERE principal = $1 AND idempotency_key = $2 AND state = 'in_progress'",
            )
            .bind(principal)
            .bind(key)
            .execute(&mut *conn)
            .await?
            .rows_affected())
        })?;
        Ok(n == 1)
    }

    async fn purge_idempotency_before(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        with_retry!(self, |conn| async {
            Ok(
                sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                    .bind(to_micros(before))
                    .execute(&mut *conn)
                    .await?
                    .rows_affected(),
            )
        })
    }

    async fn release_stale_idempotency_keys(
        &self,
        before: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        with_retry!(self, |conn| async {
            Ok(sqlx::query(
                "DELETE FROM idempotency_keys WHERE state = 'in_progress' AND created_at < $1",
            )
            .bind(to_micros(before))
            .execute(&mut *conn)
            .await?
            .rows_affected())
        })
    }
}

/// Equality as stored: time stamps to the microsecond, efficiency bit for bit.
fn same_calculation(stored: &CalculationRecord, r: &CalculationRecord) -> bool {
    let mut wanted = r.clone();
    wanted.period_start = to_micros(r.period_start);
    wanted.period_end = to_micros(r.period_end);
    wanted.created_at = to_micros(r.created_at);
    let bits = |e: Option<f64>| e.map(f64::to_bits);
    bits(stored.efficiency) == bits(wanted.efficiency)
        && CalculationRecord {
            efficiency: None,
            ..stored.clone()
        } == CalculationRecord {
            efficiency: None,
            ..wanted
        }
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

    #[test]
    fn truncates_to_the_microsecond_downwards() {
        let t = time::macros::datetime!(1999-12-31 23:59:59.999_999_999 UTC);
        assert_eq!(
            to_micros(t),
            time::macros::datetime!(1999-12-31 23:59:59.999_999 UTC)
        );
    }

    #[test]
    fn classifies_pool_errors_as_unavailable() {
        assert!(matches!(
            classify(sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            classify(sqlx::Error::PoolClosed),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            classify(sqlx::Error::Io(
                std::io::ErrorKind::ConnectionRefused.into()
            )),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            classify(sqlx::Error::RowNotFound),
            StoreError::Backend(_)
        ));
        assert!(is_unavailable_code("57P01"));
        assert!(is_unavailable_code("57P03"));
        assert!(is_unavailable_code("08006"));
        assert!(!is_unavailable_code("23505"));
    }
}
