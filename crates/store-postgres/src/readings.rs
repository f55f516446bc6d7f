//! Meter readings: idempotent `unnest` inserts, audited corrections, keyset
//! pages, retention by whole partitions.

use sqlx::postgres::PgRow;
use sqlx::{Connection, PgConnection, Row};
use thermaliq_store::{
    AuditEntry, CorrectedReading, InsertSummary, NewReading, ReadingQuality, ReadingRecord,
    StoreError, collapse_readings, corrections_audit_detail, decode_column, truncate_to_micros,
    validate_readings,
};
use time::OffsetDateTime;

use crate::PostgresStore;
use crate::audit::insert_audit;
use crate::errors::corrupt;
use crate::partitions::{
    PARTITION_LOCK, create_partitions, month_start, next_month, parse_partition_name,
    partition_name, partition_of,
};
use crate::retry::{commit, with_retry};

/// Rows per multi-row `INSERT` of readings (bound as arrays and `unnest`ed).
const READINGS_CHUNK: usize = 1000;

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
        quality: decode_column("quality", quality)?,
        corrected: row.try_get(4).map_err(corrupt)?,
    })
}

pub(crate) async fn insert_readings(
    store: &PostgresStore,
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
    with_retry!(store, |conn| async {
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

pub(crate) async fn read_readings_page(
    store: &PostgresStore,
    facility_id: &str,
    from_inclusive: OffsetDateTime,
    to_inclusive: OffsetDateTime,
    after: Option<(&str, OffsetDateTime)>,
    limit: u32,
) -> Result<Vec<ReadingRecord>, StoreError> {
    let from = truncate_to_micros(from_inclusive);
    let to = truncate_to_micros(to_inclusive);
    if limit == 0 || from > to {
        return Ok(Vec::new());
    }
    let after = after.map(|(tag, ts)| (tag, truncate_to_micros(ts)));
    let rows = with_retry!(store, |conn| async {
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

pub(crate) async fn count_readings(
    store: &PostgresStore,
    facility_id: &str,
    from_inclusive: OffsetDateTime,
    to_inclusive: OffsetDateTime,
) -> Result<u64, StoreError> {
    let n: i64 = with_retry!(store, |conn| async {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM energy_readings \
             WHERE facility_id = $1 AND timestamp >= $2 AND timestamp <= $3",
        )
        .bind(facility_id)
        .bind(truncate_to_micros(from_inclusive))
        .bind(truncate_to_micros(to_inclusive))
        .fetch_one(&mut *conn)
        .await?)
    })?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(crate) async fn delete_readings_before(
    store: &PostgresStore,
    before: OffsetDateTime,
) -> Result<u64, StoreError> {
    let before = truncate_to_micros(before);
    with_retry!(store, |conn| async {
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
