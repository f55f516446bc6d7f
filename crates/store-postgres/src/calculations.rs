//! Calculations: single inserts (retried with an equality check), reads,
//! lists and invalidation. The group commit is in `group`.

use sqlx::postgres::PgRow;
use sqlx::{Connection, PgConnection, Postgres, QueryBuilder, Row};
use thermaliq_store::{
    AuditEntry, CalculationQuery, CalculationRecord, Invalidation, StoreError, decode_column,
    invalidation_audit_detail, same_as_stored, truncate_to_micros,
};

use crate::PostgresStore;
use crate::audit::insert_audit;
use crate::errors::is_bad_json;
use crate::retry::{Failure, commit, with_retry};

/// The columns of a [`CalculationRecord`] (the exact `energy_flows` text is
/// `energy_flows_text`), as a literal so every statement stays a `&'static str`.
macro_rules! calculation_columns {
    () => {
        "calculation_id, facility_id, period_start, period_end, efficiency, status, \
         invalid_reason, recalculated_from, energy_flows_text, request, canonical_input, \
         result, input_hash, output_hash, engine_version, created_at"
    };
}
pub(crate) use calculation_columns;

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
pub(crate) fn calculation_from_row(row: &PgRow) -> Result<CalculationRecord, StoreError> {
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

pub(crate) async fn insert_calculation_once(
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
        .bind(truncate_to_micros(r.period_start))
        .bind(truncate_to_micros(r.period_end))
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
        .bind(truncate_to_micros(r.created_at))
        .execute(conn)
        .await?;
    Ok(())
}

pub(crate) async fn get_calculation_once(
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

pub(crate) async fn insert_calculation(
    store: &PostgresStore,
    r: &CalculationRecord,
) -> Result<(), StoreError> {
    let mut retried = false;
    let outcome: Result<(), StoreError> = with_retry!(store, |conn| async {
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
                    Some(Ok(stored)) => same_as_stored(&stored, r),
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

pub(crate) async fn get_calculation(
    store: &PostgresStore,
    calculation_id: &str,
) -> Result<Option<CalculationRecord>, StoreError> {
    let row = with_retry!(store, |conn| async {
        Ok(get_calculation_once(conn, calculation_id).await?)
    })?;
    row.as_ref().map(calculation_from_row).transpose()
}

pub(crate) async fn list_calculations(
    store: &PostgresStore,
    q: &CalculationQuery,
) -> Result<Vec<CalculationRecord>, StoreError> {
    let rows = with_retry!(store, |conn| async {
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
            sql.push(" AND created_at >= ")
                .push_bind(truncate_to_micros(from));
        }
        if let Some(to) = q.created_to {
            sql.push(" AND created_at < ")
                .push_bind(truncate_to_micros(to));
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

pub(crate) async fn invalidate_calculations(
    store: &PostgresStore,
    inv: &Invalidation,
    audit: &AuditEntry,
) -> Result<Vec<String>, StoreError> {
    with_retry!(store, |conn| async {
        let mut tx = conn.begin().await?;
        let mut ids: Vec<String> = sqlx::query_scalar(
            "UPDATE calculations SET status = 'invalid', invalid_reason = $1 \
             WHERE status <> 'invalid' AND ($2::text IS NULL OR facility_id = $2) \
               AND created_at >= $3 AND created_at < $4 \
             RETURNING calculation_id",
        )
        .bind(&inv.reason)
        .bind(&inv.facility_id)
        .bind(truncate_to_micros(inv.created_from))
        .bind(truncate_to_micros(inv.created_to))
        .fetch_all(&mut *tx)
        .await?;
        ids.sort();
        let mut entry = audit.clone();
        entry.detail = invalidation_audit_detail(ids.len(), &audit.detail);
        insert_audit(&mut tx, &entry).await?;
        commit(tx).await?;
        Ok(ids)
    })
}

pub(crate) async fn change_marker(store: &PostgresStore) -> Result<i64, StoreError> {
    with_retry!(store, |conn| async {
        Ok(
            sqlx::query_scalar("SELECT counter FROM calculation_changes WHERE id = 1")
                .fetch_one(&mut *conn)
                .await?,
        )
    })
}
