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
    AuditEntry, CalculationQuery, CalculationRecord, CorrectedReading, FacilityRecord,
    GroupResults, IdempotencyOutcome, InsertSummary, Invalidation, JobRecord, JobStatus, NewJob,
    NewReading, ReadingQuality, ReadingRecord, Scope, Store, StoreError, TokenRecord,
    collapse_readings, corrections_audit_detail, decode_column, duplicate_calculation,
    validate_readings,
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
        status: decode_column("status", &get::<String>(row, "status")?)?,
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
        .bind(r.status.as_str())
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

/// Rows per multi-row `INSERT` of calculations (bound as arrays and `unnest`ed).
const CALCULATIONS_CHUNK: usize = 500;

/// One attempt at a group of calculations, in one transaction: the fast path
/// is one multi-row `INSERT ... ON CONFLICT (calculation_id) DO NOTHING
/// RETURNING calculation_id` per chunk (an id missing from `RETURNING` was
/// taken); if a statement fails for another reason (a constraint, a text the
/// server refuses) the transaction is rolled back and every record is
/// inserted on its own under a SAVEPOINT, so only the bad ones fail.
/// `retry`: the previous attempt may have committed (see the trait).
async fn insert_calculations_once(
    conn: &mut PgConnection,
    records: &[CalculationRecord],
    retry: bool,
) -> Result<Vec<Result<(), StoreError>>, sqlx::Error> {
    let mut results = GroupResults::new(records);
    let todo = results.pending().to_vec();

    let mut tx = conn.begin().await?;
    let mut fast = Vec::with_capacity(todo.len());
    let mut fast_failed = None;
    for chunk in todo.chunks(CALCULATIONS_CHUNK) {
        match insert_calculation_chunk(&mut tx, records, chunk).await {
            Ok(stored) => fast.extend(chunk.iter().map(|&i| (i, stored.contains(&i)))),
            Err(e) if is_statement_error(&e) => {
                fast_failed = Some(e);
                break;
            }
            Err(e) => return Err(e),
        }
    }
    if fast_failed.is_none() {
        for (i, stored) in fast {
            results.set(
                i,
                if stored {
                    Ok(())
                } else {
                    Err(duplicate_calculation(&records[i].calculation_id))
                },
            );
        }
    } else {
        tx.rollback().await?;
        tx = conn.begin().await?;
        for &i in &todo {
            let result = insert_calculation_savepoint(&mut tx, &records[i]).await?;
            results.set(i, result);
        }
    }
    if retry {
        accept_equal_rows(&mut tx, records, &todo, &mut results).await?;
    }
    tx.commit().await?;
    Ok(results.finish())
}

/// One multi-row insert of `records[i]` for `i` in `chunk`; returns the
/// indices stored (the others' ids were taken).
async fn insert_calculation_chunk(
    conn: &mut PgConnection,
    records: &[CalculationRecord],
    chunk: &[usize],
) -> Result<std::collections::HashSet<usize>, sqlx::Error> {
    let rows: Vec<&CalculationRecord> = chunk.iter().map(|&i| &records[i]).collect();
    let text = |f: fn(&CalculationRecord) -> &str| rows.iter().map(|r| f(r)).collect::<Vec<_>>();
    let opt =
        |f: fn(&CalculationRecord) -> Option<&str>| rows.iter().map(|r| f(r)).collect::<Vec<_>>();
    let time = |f: fn(&CalculationRecord) -> OffsetDateTime| {
        rows.iter().map(|r| to_micros(f(r))).collect::<Vec<_>>()
    };
    let stored: Vec<String> = sqlx::query_scalar(concat!(
        "INSERT INTO calculations (",
        calculation_columns!(),
        ", energy_flows) \
         SELECT t.calculation_id, t.facility_id, t.period_start, t.period_end, t.efficiency, \
             t.status, t.invalid_reason, t.recalculated_from, t.energy_flows_text, t.request, \
             t.canonical_input, t.result, t.input_hash, t.output_hash, t.engine_version, \
             t.created_at, t.energy_flows_text::jsonb \
         FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], \
             $5::float8[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], \
             $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], \
             $16::timestamptz[]) WITH ORDINALITY \
             AS t(calculation_id, facility_id, period_start, period_end, efficiency, status, \
                  invalid_reason, recalculated_from, energy_flows_text, request, \
                  canonical_input, result, input_hash, output_hash, engine_version, \
                  created_at, ord) \
         ORDER BY t.ord \
         ON CONFLICT (calculation_id) DO NOTHING \
         RETURNING calculation_id"
    ))
    .bind(text(|r| &r.calculation_id))
    .bind(text(|r| &r.facility_id))
    .bind(time(|r| r.period_start))
    .bind(time(|r| r.period_end))
    .bind(rows.iter().map(|r| r.efficiency).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.status.as_str()).collect::<Vec<_>>())
    .bind(opt(|r| r.invalid_reason.as_deref()))
    .bind(opt(|r| r.recalculated_from.as_deref()))
    .bind(text(|r| &r.energy_flows))
    .bind(text(|r| &r.request))
    .bind(text(|r| &r.canonical_input))
    .bind(text(|r| &r.result))
    .bind(text(|r| &r.input_hash))
    .bind(text(|r| &r.output_hash))
    .bind(text(|r| &r.engine_version))
    .bind(time(|r| r.created_at))
    .fetch_all(&mut *conn)
    .await?;
    let stored: std::collections::HashSet<&str> = stored.iter().map(String::as_str).collect();
    Ok(chunk
        .iter()
        .copied()
        .filter(|&i| stored.contains(records[i].calculation_id.as_str()))
        .collect())
}

/// Inserts one record under a SAVEPOINT: a refused record is rolled back to
/// it and reported, the transaction goes on.
async fn insert_calculation_savepoint(
    conn: &mut PgConnection,
    r: &CalculationRecord,
) -> Result<Result<(), StoreError>, sqlx::Error> {
    sqlx::raw_sql("SAVEPOINT calculation_row")
        .execute(&mut *conn)
        .await?;
    let mut outcome = insert_calculation_once(conn, r, true).await;
    if matches!(&outcome, Err(e) if is_bad_json(e)) {
        sqlx::raw_sql("ROLLBACK TO SAVEPOINT calculation_row")
            .execute(&mut *conn)
            .await?;
        outcome = insert_calculation_once(conn, r, false).await;
    }
    match outcome {
        Ok(()) => {
            sqlx::raw_sql("RELEASE SAVEPOINT calculation_row")
                .execute(&mut *conn)
                .await?;
            Ok(Ok(()))
        }
        Err(e) if is_statement_error(&e) => {
            sqlx::raw_sql("ROLLBACK TO SAVEPOINT calculation_row")
                .execute(&mut *conn)
                .await?;
            Ok(Err(classify(e)))
        }
        Err(e) => Err(e),
    }
}

/// On a retry: a `Duplicate` whose stored row equals the record was stored
/// by the lost attempt, so it is `Ok`.
async fn accept_equal_rows(
    conn: &mut PgConnection,
    records: &[CalculationRecord],
    todo: &[usize],
    results: &mut GroupResults,
) -> Result<(), sqlx::Error> {
    let taken: Vec<usize> = todo
        .iter()
        .copied()
        .filter(|&i| results.is_duplicate(i))
        .collect();
    if taken.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = taken
        .iter()
        .map(|&i| records[i].calculation_id.as_str())
        .collect();
    let rows = sqlx::query(concat!(
        "SELECT ",
        calculation_columns!(),
        " FROM calculations WHERE calculation_id = ANY($1)"
    ))
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let stored: std::collections::HashMap<String, CalculationRecord> = rows
        .iter()
        .filter_map(|row| calculation_from_row(row).ok())
        .map(|r| (r.calculation_id.clone(), r))
        .collect();
    for i in taken {
        if stored
            .get(&records[i].calculation_id)
            .is_some_and(|s| same_calculation(s, &records[i]))
        {
            results.set(i, Ok(()));
        }
    }
    Ok(())
}

/// An error of one statement that leaves the connection usable (the
/// transaction is aborted, a ROLLBACK or ROLLBACK TO SAVEPOINT recovers it).
fn is_statement_error(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => !db.code().as_deref().is_some_and(is_unavailable_code),
        _ => false,
    }
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

// ------------------------------------------------------------- readings

/// Rows per multi-row `INSERT` of readings (bound as arrays and `unnest`ed).
const READINGS_CHUNK: usize = 1000;

/// Monthly partitions are created for these years; other timestamps land in
/// the DEFAULT partition (never given a monthly partition, so the DEFAULT
/// partition never holds rows of a month that gets one).
const PARTITIONED_YEARS: std::ops::Range<i32> = 2000..2100;

/// Advisory lock key serialising partition DDL (creation, retention's drops)
/// against inserts, which take it shared.
const PARTITION_LOCK: i64 = 0x7468_6572_6d69_7101; // "thermiq" + 1

/// The monthly partition holding `t`, if its year is managed.
fn partition_of(t: OffsetDateTime) -> Option<(i32, u8)> {
    let t = t.to_offset(time::UtcOffset::UTC);
    PARTITIONED_YEARS
        .contains(&t.year())
        .then(|| (t.year(), u8::from(t.month())))
}

fn partition_name((year, month): (i32, u8)) -> String {
    format!("energy_readings_p{year:04}{month:02}")
}

/// `(year, month)` back from a partition name.
fn parse_partition_name(name: &str) -> Option<(i32, u8)> {
    let digits = name.strip_prefix("energy_readings_p")?;
    if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i32 = digits[..4].parse().ok()?;
    let month: u8 = digits[4..].parse().ok()?;
    (1..=12).contains(&month).then_some((year, month))
}

/// The first instant of the month (UTC).
fn month_start((year, month): (i32, u8)) -> OffsetDateTime {
    let month = time::Month::try_from(month).unwrap_or(time::Month::January);
    time::Date::from_calendar_date(year, month, 1)
        .unwrap_or(time::Date::MIN)
        .midnight()
        .assume_utc()
}

fn next_month((year, month): (i32, u8)) -> (i32, u8) {
    if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    }
}

/// Creates the monthly partitions named in `missing` (idempotent; under the
/// exclusive partition lock, in its own transaction).
async fn create_partitions(conn: &mut PgConnection, missing: &[String]) -> Result<(), Failure> {
    let mut tx = conn.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(PARTITION_LOCK)
        .execute(&mut *tx)
        .await?;
    for name in missing {
        let Some(month) = parse_partition_name(name) else {
            continue;
        };
        let from = month_start(month);
        let to = month_start(next_month(month));
        let fmt = time::macros::format_description!("[year]-[month]-[day] 00:00:00+00");
        let (Ok(from), Ok(to)) = (from.format(fmt), to.format(fmt)) else {
            continue;
        };
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE TABLE IF NOT EXISTS {name} PARTITION OF energy_readings \
             FOR VALUES FROM ('{from}') TO ('{to}')"
        )))
        .execute(&mut *tx)
        .await?;
    }
    commit(tx).await
}

/// Inserts rows whose keys are new (others are left alone); returns how many
/// were inserted.
async fn insert_new_readings(
    conn: &mut PgConnection,
    facility_id: &str,
    rows: &[&NewReading],
) -> Result<u64, sqlx::Error> {
    let mut inserted = 0;
    for chunk in rows.chunks(READINGS_CHUNK) {
        let (tags, stamps, values, qualities) = columns(chunk);
        inserted += sqlx::query(
            "INSERT INTO energy_readings \
                 (facility_id, tag, timestamp, value, quality, ingested_at, corrected) \
             SELECT $1, t.tag, t.ts, t.value, t.quality, now(), false \
             FROM unnest($2::text[], $3::timestamptz[], $4::float8[], $5::text[]) \
                 AS t(tag, ts, value, quality) \
             ON CONFLICT (facility_id, tag, timestamp) DO NOTHING",
        )
        .bind(facility_id)
        .bind(tags)
        .bind(stamps)
        .bind(values)
        .bind(qualities)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(inserted)
}

type Columns<'a> = (
    Vec<&'a str>,
    Vec<OffsetDateTime>,
    Vec<f64>,
    Vec<&'static str>,
);

fn columns<'a>(rows: &[&'a NewReading]) -> Columns<'a> {
    (
        rows.iter().map(|r| r.tag.as_str()).collect(),
        rows.iter().map(|r| r.timestamp).collect(),
        rows.iter().map(|r| r.value).collect(),
        rows.iter().map(|r| r.quality.as_str()).collect(),
    )
}

/// Applies corrections: inserts new keys, replaces stored readings that
/// differ; returns (inserted, corrected readings).
async fn apply_corrections(
    conn: &mut PgConnection,
    facility_id: &str,
    rows: &[&NewReading],
) -> Result<(u64, Vec<CorrectedReading>), sqlx::Error> {
    use std::collections::HashMap;
    let mut inserted = 0;
    let mut corrected = Vec::new();
    for chunk in rows.chunks(READINGS_CHUNK) {
        let (tags, stamps, values, qualities) = columns(chunk);
        // The values being replaced, for the audit entry (rows locked).
        let old_rows = sqlx::query(
            "SELECT tag, timestamp, value, quality FROM energy_readings \
             WHERE facility_id = $1 AND (tag, timestamp) IN \
                 (SELECT * FROM unnest($2::text[], $3::timestamptz[])) \
             FOR UPDATE",
        )
        .bind(facility_id)
        .bind(&tags)
        .bind(&stamps)
        .fetch_all(&mut *conn)
        .await?;
        let mut old: HashMap<(String, OffsetDateTime), (f64, ReadingQuality)> = HashMap::new();
        for row in &old_rows {
            let quality: String = row.try_get(3)?;
            if let Some(q) = ReadingQuality::parse(&quality) {
                old.insert((row.try_get(0)?, row.try_get(1)?), (row.try_get(2)?, q));
            }
        }
        let changed = sqlx::query(
            "INSERT INTO energy_readings AS r \
                 (facility_id, tag, timestamp, value, quality, ingested_at, corrected) \
             SELECT $1, t.tag, t.ts, t.value, t.quality, now(), false \
             FROM unnest($2::text[], $3::timestamptz[], $4::float8[], $5::text[]) \
                 AS t(tag, ts, value, quality) \
             ON CONFLICT (facility_id, tag, timestamp) DO UPDATE \
                 SET value = EXCLUDED.value, quality = EXCLUDED.quality, \
                     ingested_at = EXCLUDED.ingested_at, corrected = true \
                 WHERE r.value <> EXCLUDED.value OR r.quality <> EXCLUDED.quality \
             RETURNING r.tag, r.timestamp, r.value, r.quality, r.corrected",
        )
        .bind(facility_id)
        .bind(&tags)
        .bind(&stamps)
        .bind(&values)
        .bind(&qualities)
        .fetch_all(&mut *conn)
        .await?;
        for row in &changed {
            if !row.try_get::<bool, _>(4)? {
                inserted += 1;
                continue;
            }
            let tag: String = row.try_get(0)?;
            let timestamp: OffsetDateTime = row.try_get(1)?;
            let quality: String = row.try_get(3)?;
            corrected.push(CorrectedReading {
                old: old.get(&(tag.clone(), timestamp)).copied(),
                tag,
                timestamp,
                value: row.try_get(2)?,
                quality: ReadingQuality::parse(&quality).unwrap_or_default(),
            });
        }
    }
    Ok((inserted, corrected))
}

fn reading_from_row(row: &PgRow) -> Result<ReadingRecord, StoreError> {
    let quality: &str = row.try_get(3).map_err(corrupt)?;
    Ok(ReadingRecord {
        tag: row.try_get(0).map_err(corrupt)?,
        timestamp: row.try_get(1).map_err(corrupt)?,
        value: row.try_get(2).map_err(corrupt)?,
        quality: ReadingQuality::parse(quality)
            .ok_or_else(|| StoreError::Corrupt(format!("reading quality '{quality}'")))?,
        corrected: row.try_get(4).map_err(corrupt)?,
    })
}

fn facility_from_row(row: &PgRow) -> Result<FacilityRecord, StoreError> {
    fn get<'r, T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>>(
        row: &'r PgRow,
        col: &str,
    ) -> Result<T, StoreError> {
        row.try_get(col).map_err(corrupt)
    }
    Ok(FacilityRecord {
        facility_id: get(row, "facility_id")?,
        name: get(row, "name")?,
        process_type: get(row, "process_type")?,
        time_zone: get(row, "time_zone")?,
        schedule: get(row, "schedule")?,
        document: get(row, "document")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

const FACILITY_COLUMNS: &str =
    "facility_id, name, process_type, time_zone, schedule, document, created_at, updated_at";

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

    async fn insert_calculations(
        &self,
        records: &[CalculationRecord],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut pooled = self.acquire().await?;
            match insert_calculations_once(&mut pooled, records, attempt > 1).await {
                Ok(results) => break Ok(results),
                Err(err) => {
                    let lost = is_connection_lost(&err);
                    if lost {
                        pooled.close_on_drop();
                    }
                    drop(pooled);
                    // Retried also after a lost COMMIT: the retry counts rows
                    // equal to its records as stored (see the trait).
                    if !(lost && attempt < 2) {
                        break Err(classify(err));
                    }
                }
            }
        }
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
                sql.push(" AND status = ").push_bind(status.as_str());
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

    async fn put_facility(
        &self,
        facility: &FacilityRecord,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        with_retry!(self, |conn| async {
            let mut tx = conn.begin().await?;
            let created: bool = sqlx::query_scalar(
                "INSERT INTO facilities (facility_id, name, process_type, time_zone, schedule, \
                     document, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (facility_id) DO UPDATE SET name = EXCLUDED.name, \
                     process_type = EXCLUDED.process_type, time_zone = EXCLUDED.time_zone, \
                     schedule = EXCLUDED.schedule, document = EXCLUDED.document, \
                     updated_at = EXCLUDED.updated_at \
                 RETURNING (xmax = 0)",
            )
            .bind(&facility.facility_id)
            .bind(&facility.name)
            .bind(&facility.process_type)
            .bind(&facility.time_zone)
            .bind(&facility.schedule)
            .bind(&facility.document)
            .bind(to_micros(facility.created_at))
            .bind(to_micros(facility.updated_at))
            .fetch_one(&mut *tx)
            .await?;
            let mut entry = audit.clone();
            entry.detail = format!("{{\"created\":{created},\"detail\":{}}}", audit.detail);
            insert_audit(&mut tx, &entry).await?;
            commit(tx).await?;
            Ok(created)
        })
    }

    async fn get_facility(&self, facility_id: &str) -> Result<Option<FacilityRecord>, StoreError> {
        let row = with_retry!(self, |conn| async {
            Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {FACILITY_COLUMNS} FROM facilities WHERE facility_id = $1"
            )))
            .bind(facility_id)
            .fetch_optional(&mut *conn)
            .await?)
        })?;
        row.as_ref().map(facility_from_row).transpose()
    }

    async fn list_facilities(
        &self,
        limit: u32,
        after_id: Option<&str>,
    ) -> Result<Vec<FacilityRecord>, StoreError> {
        let rows = with_retry!(self, |conn| async {
            Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {FACILITY_COLUMNS} FROM facilities \
                 WHERE ($1::text IS NULL OR facility_id > $1) ORDER BY facility_id LIMIT $2"
            )))
            .bind(after_id)
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await?)
        })?;
        rows.iter().map(facility_from_row).collect()
    }

    async fn insert_readings(
        &self,
        facility_id: &str,
        rows: &[NewReading],
        audit: Option<&AuditEntry>,
    ) -> Result<InsertSummary, StoreError> {
        validate_readings(facility_id, rows, audit)?;
        let (kept, repeats) = collapse_readings(rows);
        if kept.is_empty() {
            return Ok(InsertSummary {
                duplicates: repeats,
                ..InsertSummary::default()
            });
        }
        let mut months: Vec<String> = kept
            .iter()
            .filter_map(|r| partition_of(r.timestamp))
            .map(partition_name)
            .collect();
        months.sort();
        months.dedup();
        let plain: Vec<&NewReading> = kept.iter().filter(|r| !r.correction).collect();
        let fixes: Vec<&NewReading> = kept.iter().filter(|r| r.correction).collect();
        with_retry!(self, |conn| async {
            loop {
                let mut tx = conn.begin().await?;
                // Shared: partitions checked here are not dropped before commit.
                sqlx::query("SELECT pg_advisory_xact_lock_shared($1)")
                    .bind(PARTITION_LOCK)
                    .execute(&mut *tx)
                    .await?;
                let missing: Vec<String> = sqlx::query_scalar(
                    "SELECT n FROM unnest($1::text[]) AS n WHERE to_regclass(n) IS NULL",
                )
                .bind(&months)
                .fetch_all(&mut *tx)
                .await?;
                if !missing.is_empty() {
                    tx.rollback().await?;
                    create_partitions(&mut *conn, &missing).await?;
                    continue;
                }
                let mut summary = InsertSummary {
                    duplicates: repeats,
                    ..InsertSummary::default()
                };
                let inserted = insert_new_readings(&mut tx, facility_id, &plain).await?;
                summary.inserted += inserted;
                summary.duplicates += plain.len() as u64 - inserted;
                let (inserted, corrected) = apply_corrections(&mut tx, facility_id, &fixes).await?;
                summary.inserted += inserted;
                summary.corrected = corrected.len() as u64;
                summary.duplicates += fixes.len() as u64 - inserted - summary.corrected;
                if let (Some(audit), false) = (audit, corrected.is_empty()) {
                    let mut entry = audit.clone();
                    entry.detail =
                        corrections_audit_detail(&corrected, summary.corrected, &audit.detail);
                    insert_audit(&mut tx, &entry).await?;
                }
                commit(tx).await?;
                break Ok(summary);
            }
        })
    }

    async fn read_readings_page(
        &self,
        facility_id: &str,
        from_inclusive: OffsetDateTime,
        to_inclusive: OffsetDateTime,
        after: Option<(&str, OffsetDateTime)>,
        limit: u32,
    ) -> Result<Vec<ReadingRecord>, StoreError> {
        let from = to_micros(from_inclusive);
        let to = to_micros(to_inclusive);
        if limit == 0 || from > to {
            return Ok(Vec::new());
        }
        let after = after.map(|(tag, ts)| (tag, to_micros(ts)));
        let rows = with_retry!(self, |conn| async {
            let mut out: Vec<PgRow> = Vec::new();
            // Tag by tag: the primary key (facility_id, tag, timestamp) seeks
            // to the window within a tag, and to the next tag.
            let (mut tag, mut after_ts) = match after {
                Some((tag, ts)) => (Some(tag.to_owned()), Some(ts)),
                None => (
                    sqlx::query_scalar(
                        "SELECT tag FROM energy_readings WHERE facility_id = $1 \
                         ORDER BY tag LIMIT 1",
                    )
                    .bind(facility_id)
                    .fetch_optional(&mut *conn)
                    .await?,
                    None,
                ),
            };
            while let Some(current) = tag.take() {
                let remaining = limit as usize - out.len();
                let rows = sqlx::query(
                    "SELECT tag, timestamp, value, quality, corrected FROM energy_readings \
                     WHERE facility_id = $1 AND tag = $2 AND timestamp >= $3 \
                       AND timestamp <= $4 AND ($5::timestamptz IS NULL OR timestamp > $5) \
                     ORDER BY timestamp LIMIT $6",
                )
                .bind(facility_id)
                .bind(&current)
                .bind(from)
                .bind(to)
                .bind(after_ts.take())
                .bind(remaining as i64)
                .fetch_all(&mut *conn)
                .await?;
                let full = rows.len() == remaining;
                out.extend(rows);
                if full {
                    break;
                }
                tag = sqlx::query_scalar(
                    "SELECT tag FROM energy_readings WHERE facility_id = $1 AND tag > $2 \
                     ORDER BY tag LIMIT 1",
                )
                .bind(facility_id)
                .bind(&current)
                .fetch_optional(&mut *conn)
                .await?;
            }
            Ok(out)
        })?;
        rows.iter().map(reading_from_row).collect()
    }

    async fn count_readings(
        &self,
        facility_id: &str,
        from_inclusive: OffsetDateTime,
        to_inclusive: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let n: i64 = with_retry!(self, |conn| async {
            Ok(sqlx::query_scalar(
                "SELECT COUNT(*) FROM energy_readings \
                 WHERE facility_id = $1 AND timestamp >= $2 AND timestamp <= $3",
            )
            .bind(facility_id)
            .bind(to_micros(from_inclusive))
            .bind(to_micros(to_inclusive))
            .fetch_one(&mut *conn)
            .await?)
        })?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn delete_readings_before(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        let before = to_micros(before);
        with_retry!(self, |conn| async {
            let mut tx = conn.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(PARTITION_LOCK)
                .execute(&mut *tx)
                .await?;
            let partitions: Vec<String> = sqlx::query_scalar(
                "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
                 WHERE i.inhparent = 'energy_readings'::regclass",
            )
            .fetch_all(&mut *tx)
            .await?;
            let mut deleted: u64 = 0;
            for name in partitions {
                let Some(month) = parse_partition_name(&name) else {
                    continue;
                };
                if month_start(next_month(month)) > before {
                    continue;
                }
                // Entirely older than the cut-off: count, then drop it whole.
                let n: i64 =
                    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {name}")))
                        .fetch_one(&mut *tx)
                        .await?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP TABLE {name}")))
                    .execute(&mut *tx)
                    .await?;
                deleted += u64::try_from(n).unwrap_or(0);
            }
            deleted += sqlx::query("DELETE FROM energy_readings WHERE timestamp < $1")
                .bind(before)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            commit(tx).await?;
            Ok(deleted)
        })
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
    fn monthly_partitions_cover_utc_months_of_managed_years() {
        use time::macros::datetime;
        assert_eq!(
            partition_of(datetime!(2025-11-30 23:59:59.999999 UTC)),
            Some((2025, 11))
        );
        assert_eq!(
            partition_of(datetime!(2025-12-01 00:30:00 +01:00)),
            Some((2025, 11)),
            "months are UTC months"
        );
        assert_eq!(partition_of(datetime!(1999-12-31 23:59:59 UTC)), None);
        assert_eq!(partition_of(datetime!(2100-01-01 00:00:00 UTC)), None);
        assert_eq!(partition_name((2025, 1)), "energy_readings_p202501");
        assert_eq!(
            parse_partition_name("energy_readings_p202501"),
            Some((2025, 1))
        );
        assert_eq!(parse_partition_name("energy_readings_default"), None);
        assert_eq!(parse_partition_name("energy_readings_p202513"), None);
        assert_eq!(next_month((2025, 12)), (2026, 1));
        assert_eq!(month_start((2026, 1)), datetime!(2026-01-01 00:00:00 UTC));
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
