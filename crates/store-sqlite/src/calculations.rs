//! Calculations: the group commit, reads, lists and invalidation.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use thermaliq_store::{
    AuditEntry, CalculationQuery, CalculationRecord, CalculationStatus, GroupResults, Invalidation,
    StoreError, decode_column, duplicate_calculation, invalidation_audit_detail,
};

use crate::SqliteStore;
use crate::audit::insert_audit;
use crate::errors::{classify, fails_only_its_statement, is_foreign_key_violation};
use crate::timestamps::{format_time, parse_time};

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

pub(crate) async fn insert_calculation(
    store: &SqliteStore,
    r: &CalculationRecord,
) -> Result<(), StoreError> {
    let mut results = insert_calculations(store, std::slice::from_ref(r)).await?;
    results
        .pop()
        .unwrap_or_else(|| Err(StoreError::Backend("no result for the record".into())))
}

pub(crate) async fn insert_calculations(
    store: &SqliteStore,
    records: &[CalculationRecord],
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    if records.is_empty() {
        return Ok(Vec::new());
    }
    let mut results = GroupResults::new(records);
    let pending = results.pending().to_vec();
    let mut tx = store
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
                            results.set(i, Err(refused_record(e)))
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

pub(crate) async fn get_calculation(
    store: &SqliteStore,
    calculation_id: &str,
) -> Result<Option<CalculationRecord>, StoreError> {
    let row = sqlx::query("SELECT * FROM calculations WHERE calculation_id = ?")
        .bind(calculation_id)
        .fetch_optional(&store.reader)
        .await
        .map_err(classify)?;
    row.as_ref().map(calculation_from_row).transpose()
}

pub(crate) async fn list_calculations(
    store: &SqliteStore,
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
    .fetch_all(&store.reader)
    .await
    .map_err(classify)?;
    rows.iter().map(calculation_from_row).collect()
}

pub(crate) async fn invalidate_calculations(
    store: &SqliteStore,
    inv: &Invalidation,
    audit: &AuditEntry,
) -> Result<Vec<String>, StoreError> {
    let mut tx = store
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
    entry.detail = invalidation_audit_detail(ids.len(), &audit.detail);
    insert_audit(&mut tx, &entry).await?;
    tx.commit().await.map_err(classify)?;
    Ok(ids)
}

/// A record's constraint failure; the only foreign key of `calculations` is
/// `recalculated_from` (SQLite's message does not say which).
fn refused_record(err: sqlx::Error) -> StoreError {
    let foreign_key = is_foreign_key_violation(&err);
    let refused = classify(err);
    if foreign_key {
        refused.for_field("recalculated_from")
    } else {
        refused
    }
}

pub(crate) async fn change_marker(store: &SqliteStore) -> Result<i64, StoreError> {
    sqlx::query_scalar("SELECT counter FROM calculation_changes WHERE id = 1")
        .fetch_one(&store.reader)
        .await
        .map_err(classify)
}
