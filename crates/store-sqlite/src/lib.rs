//! The embedded SQLite [`Store`]: one file under the data directory, WAL
//! journal, `synchronous = FULL` so that a write the caller saw succeed
//! survives a crash or a `kill -9` (and a power cut).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool};
use thermaliq_store::{
    AuditEntry, CalculationQuery, CalculationRecord, CalculationStatus, CorrectedReading,
    FacilityRecord, GroupResults, IdempotencyOutcome, InsertSummary, Invalidation, JobRecord,
    JobStatus, NewJob, NewReading, ReadingQuality, ReadingRecord, Scope, Store, StoreError,
    TokenRecord, collapse_readings, corrections_audit_detail, decode_column, duplicate_calculation,
    truncate_to_micros, validate_readings,
};
use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

/// SQLite's own text time format, always UTC, to the microsecond.
const TIME_FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:6]");

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
    writer: SqlitePool,
    reader: SqlitePool,
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

fn unavailable(err: sqlx::Error) -> StoreError {
    StoreError::Unavailable(err.to_string())
}

fn classify(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            unavailable(err)
        }
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Duplicate(db.message().to_owned())
        }
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6): another writer held the file past the busy timeout.
        sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("5" | "6" | "517")) => {
            unavailable(err)
        }
        _ => StoreError::Backend(err.to_string()),
    }
}

/// Formats a time stamp as stored (UTC).
pub fn format_time(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(TIME_FORMAT)
        .unwrap_or_else(|_| unreachable!("every UTC date formats with a fixed pattern"))
}

fn parse_time(text: &str) -> Result<OffsetDateTime, StoreError> {
    time::PrimitiveDateTime::parse(text, TIME_FORMAT)
        .map(|t| t.assume_utc())
        .map_err(|e| StoreError::Corrupt(format!("time stamp '{text}': {e}")))
}

fn calculation_from_row(row: &SqliteRow) -> Result<CalculationRecord, StoreError> {
    let text = |col: &str| {
        row.try_get::<String, _>(col)
            .map_err(|e| StoreError::Corrupt(e.to_string()))
    };
    Ok(CalculationRecord {
        calculation_id: text("calculation_id")?,
        facility_id: text("facility_id")?,
        period_start: parse_time(&text("period_start")?)?,
        period_end: parse_time(&text("period_end")?)?,
        efficiency: row
            .try_get("efficiency")
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        status: decode_column("status", &text("status")?)?,
        invalid_reason: row
            .try_get("invalid_reason")
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        recalculated_from: row
            .try_get("recalculated_from")
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        request: text("request")?,
        canonical_input: text("canonical_input")?,
        result: text("result")?,
        energy_flows: text("energy_flows")?,
        input_hash: text("input_hash")?,
        output_hash: text("output_hash")?,
        engine_version: text("engine_version")?,
        created_at: parse_time(&text("created_at")?)?,
    })
}

/// SQLite's clock now, in the stored form (SQLite keeps milliseconds; the
/// microsecond digits are zero).
const NOW: &str = "(strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')";

/// SQLite's clock now plus the modifier bound at `?N` (see [`plus`]).
macro_rules! now_plus {
    ($n:literal) => {
        concat!("(strftime('%Y-%m-%d %H:%M:%f', 'now', ?", $n, ") || '000')")
    };
}

/// A date-time modifier adding `d` (e.g. `+30.250000 seconds`). Capped at
/// about 30 years so the result stays a valid date.
fn plus(d: Duration) -> String {
    let d = d.min(Duration::from_secs(1_000_000_000));
    format!("+{}.{:06} seconds", d.as_secs(), d.subsec_micros())
}

fn new_job_id() -> String {
    format!("JOB-{}", ulid::Ulid::new())
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn job_from_row(row: &SqliteRow) -> Result<JobRecord, StoreError> {
    let text = |col: &str| row.try_get::<String, _>(col).map_err(corrupt);
    let opt = |col: &str| row.try_get::<Option<String>, _>(col).map_err(corrupt);
    let count = |col: &str| {
        row.try_get::<i64, _>(col)
            .map_err(corrupt)
            .and_then(|n| u32::try_from(n).map_err(corrupt))
    };
    let status = text("status")?;
    Ok(JobRecord {
        job_id: text("job_id")?,
        kind: text("kind")?,
        payload: text("payload")?,
        dedupe_key: opt("dedupe_key")?,
        status: JobStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("job status '{status}'")))?,
        attempts: count("attempts")?,
        max_attempts: count("max_attempts")?,
        run_after: parse_time(&text("run_after")?)?,
        lease_owner: opt("lease_owner")?,
        lease_expires_at: opt("lease_expires_at")?
            .as_deref()
            .map(parse_time)
            .transpose()?,
        result: opt("result")?,
        last_error: opt("last_error")?,
        created_at: parse_time(&text("created_at")?)?,
        updated_at: parse_time(&text("updated_at")?)?,
    })
}

fn jobs_from_rows(rows: &[SqliteRow]) -> Result<Vec<JobRecord>, StoreError> {
    rows.iter().map(job_from_row).collect()
}

/// Rows per multi-row `INSERT` of readings (7 parameters a row, far below
/// SQLite's limit of 32766 variables).
const READINGS_CHUNK: usize = 500;

/// Parses the stored form 'YYYY-MM-DD HH:MM:SS.ffffff' without the generic
/// parser (millions of readings are read per calculation).
fn parse_time_fast(text: &str) -> Result<OffsetDateTime, StoreError> {
    let b = text.as_bytes();
    let shape_ok = b.len() == 26
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.';
    if !shape_ok {
        return parse_time(text);
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let parts = (|| {
        Some((
            num(0..4)?,
            num(5..7)?,
            num(8..10)?,
            num(11..13)?,
            num(14..16)?,
            num(17..19)?,
            num(20..26)?,
        ))
    })();
    let Some((year, month, day, hour, minute, second, micro)) = parts else {
        return parse_time(text);
    };
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok());
    let date = month.and_then(|m| {
        time::Date::from_calendar_date(
            i32::try_from(year).unwrap_or(0),
            m,
            u8::try_from(day).unwrap_or(0),
        )
        .ok()
    });
    let clock = time::Time::from_hms_micro(
        u8::try_from(hour).unwrap_or(99),
        u8::try_from(minute).unwrap_or(99),
        u8::try_from(second).unwrap_or(99),
        micro,
    )
    .ok();
    match (date, clock) {
        (Some(date), Some(clock)) => Ok(time::PrimitiveDateTime::new(date, clock).assume_utc()),
        _ => parse_time(text),
    }
}

fn facility_from_row(row: &SqliteRow) -> Result<FacilityRecord, StoreError> {
    let text = |col: &str| row.try_get::<String, _>(col).map_err(corrupt);
    Ok(FacilityRecord {
        facility_id: text("facility_id")?,
        name: text("name")?,
        process_type: text("process_type")?,
        time_zone: text("time_zone")?,
        schedule: text("schedule")?,
        document: text("document")?,
        created_at: parse_time(&text("created_at")?)?,
        updated_at: parse_time(&text("updated_at")?)?,
    })
}

fn quality_of(text: &str) -> Result<ReadingQuality, StoreError> {
    ReadingQuality::parse(text)
        .ok_or_else(|| StoreError::Corrupt(format!("reading quality '{text}'")))
}

fn reading_from_row(row: &SqliteRow) -> Result<ReadingRecord, StoreError> {
    let quality: &str = row.try_get(3).map_err(corrupt)?;
    let corrected: i64 = row.try_get(4).map_err(corrupt)?;
    Ok(ReadingRecord {
        tag: row.try_get(0).map_err(corrupt)?,
        timestamp: parse_time_fast(row.try_get::<&str, _>(1).map_err(corrupt)?)?,
        value: row.try_get(2).map_err(corrupt)?,
        quality: quality_of(quality)?,
        corrected: corrected != 0,
    })
}

/// `INSERT ... VALUES (?1, ?3, ?4, ?5, ?6, ?2, 0), ... ON CONFLICT DO NOTHING`
/// for `n` rows: `?1` the facility, `?2` the ingest time, then 4 a row.
fn insert_readings_sql(n: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO energy_readings (facility_id, tag, timestamp, value, quality, ingested_at, \
         corrected) VALUES ",
    );
    for i in 0..n {
        let p = 3 + 4 * i;
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!(
            "(?1, ?{}, ?{}, ?{}, ?{}, ?2, 0)",
            p,
            p + 1,
            p + 2,
            p + 3
        ));
    }
    sql.push_str(" ON CONFLICT (facility_id, tag, timestamp) DO NOTHING");
    sql
}

/// Inserts `rows` (keys not yet stored are inserted, others left alone);
/// returns how many were inserted.
async fn insert_new_readings(
    conn: &mut sqlx::SqliteConnection,
    facility_id: &str,
    ingested_at: &str,
    rows: &[&NewReading],
) -> Result<u64, StoreError> {
    let mut inserted = 0;
    let full_sql = insert_readings_sql(READINGS_CHUNK.min(rows.len()));
    for chunk in rows.chunks(READINGS_CHUNK) {
        let sql = if chunk.len() == READINGS_CHUNK.min(rows.len()) {
            full_sql.clone()
        } else {
            insert_readings_sql(chunk.len())
        };
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(facility_id)
            .bind(ingested_at);
        for r in chunk {
            q = q
                .bind(&r.tag)
                .bind(format_time(r.timestamp))
                .bind(r.value)
                .bind(r.quality.as_str());
        }
        inserted += q
            .execute(&mut *conn)
            .await
            .map_err(classify)?
            .rows_affected();
    }
    Ok(inserted)
}

/// The distinct facility ids of `energy_readings`, by index seeks.
const READING_FACILITIES: &str = "WITH RECURSIVE f(id) AS ( \
     SELECT MIN(facility_id) FROM energy_readings \
     UNION ALL \
     SELECT (SELECT MIN(facility_id) FROM energy_readings WHERE facility_id > f.id) \
     FROM f WHERE f.id IS NOT NULL) \
     SELECT id FROM f WHERE id IS NOT NULL";

async fn insert_audit(
    conn: &mut sqlx::SqliteConnection,
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO audit_log (occurred_at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)")
        .bind(format_time(audit.occurred_at))
        .bind(&audit.actor)
        .bind(&audit.action)
        .bind(&audit.subject)
        .bind(&audit.detail)
        .execute(conn)
        .await
        .map_err(classify)?;
    Ok(())
}

/// Records per multi-row `INSERT` of calculations (16 parameters a record,
/// far below SQLite's limit of 32766 variables).
const CALCULATIONS_CHUNK: usize = 128;

const CALCULATION_COLUMNS: &str = "calculation_id, facility_id, period_start, period_end, \
     efficiency, status, invalid_reason, recalculated_from, energy_flows, request, \
     canonical_input, result, input_hash, output_hash, engine_version, created_at";

/// `INSERT ... VALUES (16 × ?), ... ON CONFLICT (calculation_id) DO NOTHING
/// RETURNING calculation_id` for `n` records.
fn insert_calculations_sql(n: usize) -> String {
    let row = format!("({})", vec!["?"; 16].join(", "));
    format!(
        "INSERT INTO calculations ({CALCULATION_COLUMNS}) VALUES {} \
         ON CONFLICT (calculation_id) DO NOTHING RETURNING calculation_id",
        vec![row; n].join(", ")
    )
}

/// One multi-row insert of `records[i]` for `i` in `chunk` (ids distinct),
/// on the caller's transaction; returns the ids stored (the others' ids were
/// taken).
async fn insert_calculation_chunk(
    conn: &mut sqlx::SqliteConnection,
    records: &[CalculationRecord],
    chunk: &[usize],
) -> Result<std::collections::HashSet<String>, sqlx::Error> {
    let sql = insert_calculations_sql(chunk.len());
    let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
    for &i in chunk {
        let r = &records[i];
        q = q
            .bind(&r.calculation_id)
            .bind(&r.facility_id)
            .bind(format_time(r.period_start))
            .bind(format_time(r.period_end))
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
            .bind(format_time(r.created_at));
    }
    Ok(q.fetch_all(conn).await?.into_iter().collect())
}

/// SQLite result codes after which the transaction is still active with the
/// failed statement's changes backed out: SQLITE_CONSTRAINT (19, with every
/// extended code: unique, primary key, check, foreign key, not null),
/// SQLITE_TOOBIG (18) and SQLITE_MISMATCH (20).
fn fails_only_its_statement(err: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = err else {
        return false;
    };
    db.code()
        .and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|code| matches!(code & 0xff, 18..=20))
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map_err(classify)?;
        sqlx::query("SELECT 1")
            .execute(&self.writer)
            .await
            .map_err(classify)?;
        Ok(())
    }

    fn connections_active(&self) -> u32 {
        [&self.writer, &self.reader]
            .iter()
            .map(|pool| {
                let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX);
                pool.size().saturating_sub(idle)
            })
            .sum()
    }

    async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }

    async fn insert_calculation(&self, r: &CalculationRecord) -> Result<(), StoreError> {
        let mut results = self.insert_calculations(std::slice::from_ref(r)).await?;
        results
            .pop()
            .unwrap_or_else(|| Err(StoreError::Backend("no result for the record".into())))
    }

    async fn insert_calculations(
        &self,
        records: &[CalculationRecord],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let mut results = GroupResults::new(records);
        let pending = results.pending().to_vec();
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(classify)?;
        for chunk in pending.chunks(CALCULATIONS_CHUNK) {
            match insert_calculation_chunk(&mut tx, records, chunk).await {
                Ok(stored) => {
                    for &i in chunk {
                        let id = &records[i].calculation_id;
                        results.set(
                            i,
                            if stored.contains(id.as_str()) {
                                Ok(())
                            } else {
                                Err(duplicate_calculation(id))
                            },
                        );
                    }
                }
                // A constraint failure aborts only its own statement: "changes
                // caused by prior SQL statements within the same transaction
                // are preserved and the transaction remains active"
                // (https://www.sqlite.org/lang_conflict.html, ABORT, the
                // default). So the chunk is retried record by record, and only
                // the bad records fail.
                Err(e) if fails_only_its_statement(&e) => {
                    for &i in chunk {
                        let id = &records[i].calculation_id;
                        match insert_calculation_chunk(&mut tx, records, &[i]).await {
                            Ok(stored) if stored.contains(id.as_str()) => results.set(i, Ok(())),
                            Ok(_) => results.set(i, Err(duplicate_calculation(id))),
                            Err(e) if fails_only_its_statement(&e) => {
                                results.set(i, Err(classify(e)))
                            }
                            Err(e) => return Err(classify(e)),
                        }
                    }
                }
                // Anything else (I/O, busy, full disk) may have rolled the
                // transaction back: dropping `tx` rolls back what is left.
                Err(e) => return Err(classify(e)),
            }
        }
        tx.commit().await.map_err(classify)?;
        Ok(results.finish())
    }

    async fn get_calculation(
        &self,
        calculation_id: &str,
    ) -> Result<Option<CalculationRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM calculations WHERE calculation_id = ?")
            .bind(calculation_id)
            .fetch_optional(&self.reader)
            .await
            .map_err(classify)?;
        row.as_ref().map(calculation_from_row).transpose()
    }

    async fn list_calculations(
        &self,
        q: &CalculationQuery,
    ) -> Result<Vec<CalculationRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM calculations \
             WHERE (?1 IS NULL OR facility_id = ?1) \
               AND (?2 IS NULL OR status = ?2) \
               AND (?3 IS NULL OR created_at >= ?3) \
               AND (?4 IS NULL OR created_at < ?4) \
               AND (?5 IS NULL OR calculation_id < ?5) \
             ORDER BY calculation_id DESC LIMIT ?6",
        )
        .bind(&q.facility_id)
        .bind(q.status.map(CalculationStatus::as_str))
        .bind(q.created_from.map(format_time))
        .bind(q.created_to.map(format_time))
        .bind(&q.before_id)
        .bind(i64::from(q.limit))
        .fetch_all(&self.reader)
        .await
        .map_err(classify)?;
        rows.iter().map(calculation_from_row).collect()
    }

    async fn invalidate_calculations(
        &self,
        inv: &Invalidation,
        audit: &AuditEntry,
    ) -> Result<Vec<String>, StoreError> {
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(classify)?;
        let rows = sqlx::query(
            "UPDATE calculations SET status = 'invalid', invalid_reason = ?1 \
             WHERE status <> 'invalid' AND (?2 IS NULL OR facility_id = ?2) \
               AND created_at >= ?3 AND created_at < ?4 \
             RETURNING calculation_id",
        )
        .bind(&inv.reason)
        .bind(&inv.facility_id)
        .bind(format_time(inv.created_from))
        .bind(format_time(inv.created_to))
        .fetch_all(&mut *tx)
        .await
        .map_err(classify)?;
        let mut ids: Vec<String> = rows
            .iter()
            .map(|r| {
                r.try_get::<String, _>(0)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect::<Result<_, _>>()?;
        ids.sort();
        let mut entry = audit.clone();
        entry.detail = format!("{{\"count\":{},\"detail\":{}}}", ids.len(), audit.detail);
        insert_audit(&mut tx, &entry).await?;
        tx.commit().await.map_err(classify)?;
        Ok(ids)
    }

    async fn insert_token(
        &self,
        token: &TokenRecord,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(classify)?;
        sqlx::query("INSERT INTO api_tokens (token_id, name, scope, token_hash, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(&token.token_id)
            .bind(&token.name)
            .bind(token.scope.as_str())
            .bind(&token.token_hash)
            .bind(format_time(token.created_at))
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(classify)?;
        Ok(())
    }

    async fn find_token_by_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<TokenRecord>, StoreError> {
        let row = sqlx::query("SELECT token_id, name, scope, token_hash, created_at FROM api_tokens WHERE token_hash = ?")
            .bind(token_hash)
            .fetch_optional(&self.reader)
            .await
            .map_err(classify)?;
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
            created_at: parse_time(&text("created_at")?)?,
        }))
    }

    async fn count_tokens(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens")
            .fetch_one(&self.reader)
            .await
            .map_err(classify)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn put_facility(
        &self,
        facility: &FacilityRecord,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(classify)?;
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM facilities WHERE facility_id = ?")
                .bind(&facility.facility_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(classify)?;
        let created = existing.is_none();
        let sql = if created {
            "INSERT INTO facilities (facility_id, name, process_type, time_zone, schedule, \
             document, updated_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        } else {
            "UPDATE facilities SET name = ?2, process_type = ?3, time_zone = ?4, schedule = ?5, \
             document = ?6, updated_at = ?7 WHERE facility_id = ?1 AND ?8 IS NOT NULL"
        };
        sqlx::query(sql)
            .bind(&facility.facility_id)
            .bind(&facility.name)
            .bind(&facility.process_type)
            .bind(&facility.time_zone)
            .bind(&facility.schedule)
            .bind(&facility.document)
            .bind(format_time(facility.updated_at))
            .bind(format_time(facility.created_at))
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        let mut entry = audit.clone();
        entry.detail = format!("{{\"created\":{created},\"detail\":{}}}", audit.detail);
        insert_audit(&mut tx, &entry).await?;
        tx.commit().await.map_err(classify)?;
        Ok(created)
    }

    async fn get_facility(&self, facility_id: &str) -> Result<Option<FacilityRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM facilities WHERE facility_id = ?")
            .bind(facility_id)
            .fetch_optional(&self.reader)
            .await
            .map_err(classify)?;
        row.as_ref().map(facility_from_row).transpose()
    }

    async fn list_facilities(
        &self,
        limit: u32,
        after_id: Option<&str>,
    ) -> Result<Vec<FacilityRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM facilities WHERE (?1 IS NULL OR facility_id > ?1) \
             ORDER BY facility_id LIMIT ?2",
        )
        .bind(after_id)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(classify)?;
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
        let mut summary = InsertSummary {
            duplicates: repeats,
            ..InsertSummary::default()
        };
        if kept.is_empty() {
            return Ok(summary);
        }
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(classify)?;
        let ingested_at: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {NOW}")))
            .fetch_one(&mut *tx)
            .await
            .map_err(classify)?;
        let plain: Vec<&NewReading> = kept.iter().filter(|r| !r.correction).collect();
        let inserted = insert_new_readings(&mut tx, facility_id, &ingested_at, &plain).await?;
        summary.inserted += inserted;
        summary.duplicates += plain.len() as u64 - inserted;

        // Corrections (rare): one look-up each, under the writer's lock.
        let mut fresh: Vec<&NewReading> = Vec::new();
        let mut corrected: Vec<CorrectedReading> = Vec::new();
        for r in kept.iter().filter(|r| r.correction) {
            let ts = format_time(r.timestamp);
            let old = sqlx::query(
                "SELECT value, quality FROM energy_readings \
                 WHERE facility_id = ?1 AND tag = ?2 AND timestamp = ?3",
            )
            .bind(facility_id)
            .bind(&r.tag)
            .bind(&ts)
            .fetch_optional(&mut *tx)
            .await
            .map_err(classify)?;
            let Some(old) = old else {
                fresh.push(r);
                continue;
            };
            let old_value: f64 = old.try_get(0).map_err(corrupt)?;
            let old_quality = quality_of(old.try_get::<&str, _>(1).map_err(corrupt)?)?;
            if old_value == r.value && old_quality == r.quality {
                summary.duplicates += 1;
                continue;
            }
            sqlx::query(
                "UPDATE energy_readings SET value = ?4, quality = ?5, ingested_at = ?6, \
                 corrected = 1 WHERE facility_id = ?1 AND tag = ?2 AND timestamp = ?3",
            )
            .bind(facility_id)
            .bind(&r.tag)
            .bind(&ts)
            .bind(r.value)
            .bind(r.quality.as_str())
            .bind(&ingested_at)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
            summary.corrected += 1;
            corrected.push(CorrectedReading {
                tag: r.tag.clone(),
                timestamp: r.timestamp,
                old: Some((old_value, old_quality)),
                value: r.value,
                quality: r.quality,
            });
        }
        let inserted = insert_new_readings(&mut tx, facility_id, &ingested_at, &fresh).await?;
        summary.inserted += inserted;
        summary.duplicates += fresh.len() as u64 - inserted;
        if let (Some(audit), false) = (audit, corrected.is_empty()) {
            let mut entry = audit.clone();
            entry.detail = corrections_audit_detail(&corrected, summary.corrected, &audit.detail);
            insert_audit(&mut tx, &entry).await?;
        }
        tx.commit().await.map_err(classify)?;
        Ok(summary)
    }

    async fn read_readings_page(
        &self,
        facility_id: &str,
        from_inclusive: OffsetDateTime,
        to_inclusive: OffsetDateTime,
        after: Option<(&str, OffsetDateTime)>,
        limit: u32,
    ) -> Result<Vec<ReadingRecord>, StoreError> {
        let from = format_time(truncate_to_micros(from_inclusive));
        let to = format_time(truncate_to_micros(to_inclusive));
        let mut out: Vec<ReadingRecord> = Vec::new();
        if limit == 0 || from > to {
            return Ok(out);
        }
        let mut conn = self.reader.acquire().await.map_err(classify)?;
        // Tag by tag: within a tag the (facility_id, tag, timestamp) key gives
        // a seek to the window; the next tag is one seek further.
        let (mut tag, mut after_ts) = match after {
            Some((tag, ts)) => (
                Some(tag.to_owned()),
                Some(format_time(truncate_to_micros(ts))),
            ),
            None => {
                let first: Option<String> = sqlx::query_scalar(
                    "SELECT tag FROM energy_readings WHERE facility_id = ? ORDER BY tag LIMIT 1",
                )
                .bind(facility_id)
                .fetch_optional(&mut *conn)
                .await
                .map_err(classify)?;
                (first, None)
            }
        };
        while let Some(current) = tag.take() {
            let remaining = limit as usize - out.len();
            let rows = sqlx::query(
                "SELECT tag, timestamp, value, quality, corrected FROM energy_readings \
                 WHERE facility_id = ?1 AND tag = ?2 AND timestamp >= ?3 AND timestamp <= ?4 \
                   AND (?5 IS NULL OR timestamp > ?5) \
                 ORDER BY timestamp LIMIT ?6",
            )
            .bind(facility_id)
            .bind(&current)
            .bind(&from)
            .bind(&to)
            .bind(after_ts.take())
            .bind(remaining as i64)
            .fetch_all(&mut *conn)
            .await
            .map_err(classify)?;
            for row in &rows {
                out.push(reading_from_row(row)?);
            }
            if rows.len() == remaining {
                break;
            }
            tag = sqlx::query_scalar(
                "SELECT tag FROM energy_readings WHERE facility_id = ?1 AND tag > ?2 \
                 ORDER BY tag LIMIT 1",
            )
            .bind(facility_id)
            .bind(&current)
            .fetch_optional(&mut *conn)
            .await
            .map_err(classify)?;
        }
        Ok(out)
    }

    async fn count_readings(
        &self,
        facility_id: &str,
        from_inclusive: OffsetDateTime,
        to_inclusive: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM energy_readings \
             WHERE facility_id = ?1 AND timestamp >= ?2 AND timestamp <= ?3",
        )
        .bind(facility_id)
        .bind(format_time(truncate_to_micros(from_inclusive)))
        .bind(format_time(truncate_to_micros(to_inclusive)))
        .fetch_one(&self.reader)
        .await
        .map_err(classify)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn delete_readings_before(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        let cut = format_time(truncate_to_micros(before));
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(classify)?;
        let facilities: Vec<String> = sqlx::query_scalar(READING_FACILITIES)
            .fetch_all(&mut *tx)
            .await
            .map_err(classify)?;
        let mut deleted = 0;
        for facility_id in &facilities {
            deleted += sqlx::query(
                "DELETE FROM energy_readings WHERE facility_id = ?1 AND timestamp < ?2",
            )
            .bind(facility_id)
            .bind(&cut)
            .execute(&mut *tx)
            .await
            .map_err(classify)?
            .rows_affected();
        }
        tx.commit().await.map_err(classify)?;
        Ok(deleted)
    }

    async fn enqueue_job(&self, job: &NewJob) -> Result<JobRecord, StoreError> {
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(classify)?;
        if let Some(key) = &job.dedupe_key {
            let existing = sqlx::query("SELECT * FROM jobs WHERE dedupe_key = ?")
                .bind(key)
                .fetch_optional(&mut *tx)
                .await
                .map_err(classify)?;
            if let Some(row) = existing {
                let record = job_from_row(&row)?;
                tx.commit().await.map_err(classify)?;
                return Ok(record);
            }
        }
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO jobs (job_id, kind, payload, dedupe_key, status, attempts, max_attempts, \
             run_after, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, 'queued', 0, ?5, ?6, {NOW}, {NOW}) RETURNING *"
        )))
        .bind(new_job_id())
        .bind(&job.kind)
        .bind(&job.payload)
        .bind(&job.dedupe_key)
        .bind(i64::from(job.max_attempts))
        .bind(format_time(job.run_after))
        .fetch_one(&mut *tx)
        .await
        .map_err(classify)?;
        let record = job_from_row(&row)?;
        tx.commit().await.map_err(classify)?;
        Ok(record)
    }

    async fn claim_jobs(
        &self,
        worker_id: &str,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<JobRecord>, StoreError> {
        // One writer connection: the transaction alone makes claims exclusive.
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(classify)?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE jobs SET status = 'dead', lease_expires_at = NULL, updated_at = {NOW}, \
             last_error = 'lease of ' || lease_owner || ' expired on attempt ' || attempts \
                          || ' of ' || max_attempts \
             WHERE status = 'running' AND lease_expires_at <= {NOW} AND attempts >= max_attempts"
        )))
        .execute(&mut *tx)
        .await
        .map_err(classify)?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE jobs SET status = 'running', lease_owner = ?1, \
             lease_expires_at = {lease_end}, attempts = attempts + 1, updated_at = {NOW} \
             WHERE job_id IN (SELECT job_id FROM jobs \
                 WHERE (status = 'queued' AND run_after <= {NOW}) \
                    OR (status = 'running' AND lease_expires_at <= {NOW}) \
                 ORDER BY run_after, job_id LIMIT ?3) \
             RETURNING *",
            lease_end = now_plus!("2"),
        )))
        .bind(worker_id)
        .bind(plus(lease))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(classify)?;
        let mut jobs = jobs_from_rows(&rows)?;
        tx.commit().await.map_err(classify)?;
        jobs.sort_by(|a, b| (a.run_after, &a.job_id).cmp(&(b.run_after, &b.job_id)));
        Ok(jobs)
    }

    async fn heartbeat_job(
        &self,
        job_id: &str,
        worker_id: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE jobs SET lease_expires_at = {lease_end}, updated_at = {NOW} \
             WHERE job_id = ?1 AND status = 'running' AND lease_owner = ?3",
            lease_end = now_plus!("2"),
        )))
        .bind(job_id)
        .bind(plus(lease))
        .bind(worker_id)
        .execute(&self.writer)
        .await
        .map_err(classify)?;
        Ok(done.rows_affected() == 1)
    }

    async fn complete_job(
        &self,
        job_id: &str,
        worker_id: &str,
        result: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(classify)?;
        let updated = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE jobs SET status = 'done', result = ?3, lease_expires_at = NULL, \
             updated_at = {NOW} \
             WHERE job_id = ?1 AND status = 'running' AND lease_owner = ?2"
        )))
        .bind(job_id)
        .bind(worker_id)
        .bind(result)
        .execute(&mut *tx)
        .await
        .map_err(classify)?;
        let ok = if updated.rows_affected() == 1 {
            true
        } else {
            // Repeated completion by the owner, with the same result.
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM jobs WHERE job_id = ?1 AND status = 'done' \
                 AND lease_owner = ?2 AND result = ?3",
            )
            .bind(job_id)
            .bind(worker_id)
            .bind(result)
            .fetch_one(&mut *tx)
            .await
            .map_err(classify)?;
            n == 1
        };
        tx.commit().await.map_err(classify)?;
        Ok(ok)
    }

    async fn fail_job(
        &self,
        job_id: &str,
        worker_id: &str,
        error: &str,
        retry_in: Duration,
    ) -> Result<Option<JobRecord>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE jobs SET last_error = ?3, lease_expires_at = NULL, updated_at = {NOW}, \
             status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END, \
             lease_owner = CASE WHEN attempts >= max_attempts THEN lease_owner ELSE NULL END, \
             run_after = CASE WHEN attempts >= max_attempts THEN run_after ELSE {retry_at} END \
             WHERE job_id = ?1 AND status = 'running' AND lease_owner = ?2 \
             RETURNING *",
            retry_at = now_plus!("4"),
        )))
        .bind(job_id)
        .bind(worker_id)
        .bind(error)
        .bind(plus(retry_in))
        .fetch_optional(&self.writer)
        .await
        .map_err(classify)?;
        row.as_ref().map(job_from_row).transpose()
    }

    async fn get_job(&self, job_id: &str) -> Result<Option<JobRecord>, StoreError> {
        let row = sqlx::query("SELECT * FROM jobs WHERE job_id = ?")
            .bind(job_id)
            .fetch_optional(&self.reader)
            .await
            .map_err(classify)?;
        row.as_ref().map(job_from_row).transpose()
    }

    async fn queue_depth(&self) -> Result<u64, StoreError> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')")
                .fetch_one(&self.reader)
                .await
                .map_err(classify)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn list_jobs(
        &self,
        status: Option<JobStatus>,
        limit: u32,
    ) -> Result<Vec<JobRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM jobs WHERE (?1 IS NULL OR status = ?1) \
             ORDER BY created_at DESC, job_id DESC LIMIT ?2",
        )
        .bind(status.map(JobStatus::as_str))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(classify)?;
        jobs_from_rows(&rows)
    }

    async fn idempotency_begin(
        &self,
        key: &str,
        principal: &str,
        request_hash: &str,
    ) -> Result<IdempotencyOutcome, StoreError> {
        let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO idempotency_keys (principal, idempotency_key, request_hash, owner_nonce, \
             state, created_at) VALUES (?1, ?2, ?3, ?4, 'in_progress', {NOW}) \
             ON CONFLICT (principal, idempotency_key) DO NOTHING"
        )))
        .bind(principal)
        .bind(key)
        .bind(request_hash)
        .bind(ulid::Ulid::new().to_string())
        .execute(&self.writer)
        .await
        .map_err(classify)?;
        if inserted.rows_affected() == 1 {
            return Ok(IdempotencyOutcome::New);
        }
        // Read on the writer: the entry may be removed meanwhile (abandon,
        // purge), and then the key is free again.
        let row = sqlx::query(
            "SELECT request_hash, state, response_status, response_body FROM idempotency_keys \
             WHERE principal = ?1 AND idempotency_key = ?2",
        )
        .bind(principal)
        .bind(key)
        .fetch_optional(&self.writer)
        .await
        .map_err(classify)?;
        match row {
            None => self.idempotency_begin(key, principal, request_hash).await,
            Some(row) => idempotency_outcome(
                request_hash,
                row.try_get("request_hash").map_err(corrupt)?,
                row.try_get("state").map_err(corrupt)?,
                row.try_get("response_status").map_err(corrupt)?,
                row.try_get("response_body").map_err(corrupt)?,
            ),
        }
    }

    async fn idempotency_finish(
        &self,
        key: &str,
        principal: &str,
        status: u16,
        body: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE idempotency_keys SET state = 'done', response_status = ?3, \
             response_body = ?4, finished_at = COALESCE(finished_at, {NOW}) \
             WHERE principal = ?1 AND idempotency_key = ?2 AND (state = 'in_progress' \
               OR (response_status = ?3 AND response_body = ?4))"
        )))
        .bind(principal)
        .bind(key)
        .bind(i64::from(status))
        .bind(body)
        .execute(&self.writer)
        .await
        .map_err(classify)?;
        Ok(done.rows_affected() == 1)
    }

    async fn idempotency_abandon(&self, key: &str, principal: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "DELETE FROM idempotency_keys \
             WHERE principal = ?1 AND idempotency_key = ?2 AND state = 'in_progress'",
        )
        .bind(principal)
        .bind(key)
        .execute(&self.writer)
        .await
        .map_err(classify)?;
        Ok(done.rows_affected() == 1)
    }

    async fn purge_idempotency_before(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < ?")
            .bind(format_time(before))
            .execute(&self.writer)
            .await
            .map_err(classify)?;
        Ok(done.rows_affected())
    }

    async fn release_stale_idempotency_keys(
        &self,
        before: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM idempotency_keys WHERE state = 'in_progress' AND created_at < ?",
        )
        .bind(format_time(before))
        .execute(&self.writer)
        .await
        .map_err(classify)?;
        Ok(done.rows_affected())
    }
}

/// The outcome for an existing entry.
fn idempotency_outcome(
    request_hash: &str,
    stored_hash: String,
    state: String,
    status: Option<i64>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_time_parser_agrees_with_the_generic_one() {
        for text in [
            "2025-11-01 00:00:00.000000",
            "2025-11-01 23:59:59.999999",
            "0001-01-01 00:00:00.000001",
            "9999-12-31 23:59:59.999999",
            "2024-02-29 12:34:56.123456",
        ] {
            assert_eq!(parse_time_fast(text).ok(), parse_time(text).ok(), "{text}");
            assert_eq!(format_time(parse_time_fast(text).expect("parses")), text);
        }
        for bad in [
            "2025-02-30 00:00:00.000000",
            "2025-11-01 24:00:00.000000",
            "2025-11-01T00:00:00.000000",
            "2025-11-01 00:00:00",
            "2025-1a-01 00:00:00.000000",
        ] {
            assert!(
                matches!(parse_time_fast(bad), Err(StoreError::Corrupt(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn insert_sql_numbers_parameters_per_row() {
        assert_eq!(
            insert_readings_sql(2),
            "INSERT INTO energy_readings (facility_id, tag, timestamp, value, quality, \
             ingested_at, corrected) VALUES (?1, ?3, ?4, ?5, ?6, ?2, 0), \
             (?1, ?7, ?8, ?9, ?10, ?2, 0) ON CONFLICT (facility_id, tag, timestamp) DO NOTHING"
        );
    }
}
