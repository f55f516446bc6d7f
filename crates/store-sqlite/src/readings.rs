//! Meter readings: idempotent multi-row inserts, audited corrections, keyset
//! pages, retention.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use thermaliq_store::{
    AuditEntry, CorrectedReading, InsertSummary, NewReading, ReadingQuality, ReadingRecord,
    StoreError, collapse_readings, corrections_audit_detail, decode_column, truncate_to_micros,
    validate_readings,
};
use time::OffsetDateTime;

use crate::SqliteStore;
use crate::audit::insert_audit;
use crate::errors::{classify, corrupt};
use crate::timestamps::{NOW, format_time, parse_time_fast};

/// Rows per multi-row `INSERT` of readings (7 parameters a row, far below
/// SQLite's limit of 32766 variables).
const READINGS_CHUNK: usize = 500;

fn quality_of(text: &str) -> Result<ReadingQuality, StoreError> {
    decode_column("quality", text)
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

pub(crate) async fn insert_readings(
    store: &SqliteStore,
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
    let mut tx = store
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

pub(crate) async fn read_readings_page(
    store: &SqliteStore,
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
    let mut conn = store.reader.acquire().await.map_err(classify)?;
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

pub(crate) async fn count_readings(
    store: &SqliteStore,
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
    .fetch_one(&store.reader)
    .await
    .map_err(classify)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(crate) async fn delete_readings_before(
    store: &SqliteStore,
    before: OffsetDateTime,
) -> Result<u64, StoreError> {
    let cut = format_time(truncate_to_micros(before));
    let mut tx = store
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
        deleted +=
            sqlx::query("DELETE FROM energy_readings WHERE facility_id = ?1 AND timestamp < ?2")
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

#[cfg(test)]
mod tests {
    use super::*;

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
