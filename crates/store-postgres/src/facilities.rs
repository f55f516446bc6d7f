//! Facilities: insert or replace (audited), get, list by id.

use sqlx::postgres::PgRow;
use sqlx::{Connection, Postgres, Row};
use thermaliq_store::{
    AuditEntry, FacilityRecord, StoreError, facility_audit_detail, truncate_to_micros,
};

use crate::PostgresStore;
use crate::audit::insert_audit;
use crate::errors::corrupt;
use crate::retry::{commit, with_retry};

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

pub(crate) async fn put_facility(
    store: &PostgresStore,
    facility: &FacilityRecord,
    audit: &AuditEntry,
) -> Result<bool, StoreError> {
    with_retry!(store, |conn| async {
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
        .bind(truncate_to_micros(facility.created_at))
        .bind(truncate_to_micros(facility.updated_at))
        .fetch_one(&mut *tx)
        .await?;
        let mut entry = audit.clone();
        entry.detail = facility_audit_detail(created, &audit.detail);
        insert_audit(&mut tx, &entry).await?;
        commit(tx).await?;
        Ok(created)
    })
}

pub(crate) async fn get_facility(
    store: &PostgresStore,
    facility_id: &str,
) -> Result<Option<FacilityRecord>, StoreError> {
    let row = with_retry!(store, |conn| async {
        Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {FACILITY_COLUMNS} FROM facilities WHERE facility_id = $1"
        )))
        .bind(facility_id)
        .fetch_optional(&mut *conn)
        .await?)
    })?;
    row.as_ref().map(facility_from_row).transpose()
}

pub(crate) async fn list_facilities(
    store: &PostgresStore,
    limit: u32,
    after_id: Option<&str>,
) -> Result<Vec<FacilityRecord>, StoreError> {
    let rows = with_retry!(store, |conn| async {
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
