//! Facilities: insert or replace (audited), get, list by id.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use thermaliq_store::{AuditEntry, FacilityRecord, StoreError, facility_audit_detail};

use crate::SqliteStore;
use crate::audit::insert_audit;
use crate::errors::{classify, corrupt};
use crate::timestamps::{format_time, parse_time};

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

pub(crate) async fn put_facility(
    store: &SqliteStore,
    facility: &FacilityRecord,
    audit: &AuditEntry,
) -> Result<bool, StoreError> {
    let mut tx = store
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
    entry.detail = facility_audit_detail(created, &audit.detail);
    insert_audit(&mut tx, &entry).await?;
    tx.commit().await.map_err(classify)?;
    Ok(created)
}

pub(crate) async fn get_facility(
    store: &SqliteStore,
    facility_id: &str,
) -> Result<Option<FacilityRecord>, StoreError> {
    let row = sqlx::query("SELECT * FROM facilities WHERE facility_id = ?")
        .bind(facility_id)
        .fetch_optional(&store.reader)
        .await
        .map_err(classify)?;
    row.as_ref().map(facility_from_row).transpose()
}

pub(crate) async fn list_facilities(
    store: &SqliteStore,
    limit: u32,
    after_id: Option<&str>,
) -> Result<Vec<FacilityRecord>, StoreError> {
    let rows = sqlx::query(
        "SELECT * FROM facilities WHERE (?1 IS NULL OR facility_id > ?1) \
         ORDER BY facility_id LIMIT ?2",
    )
    .bind(after_id)
    .bind(i64::from(limit))
    .fetch_all(&store.reader)
    .await
    .map_err(classify)?;
    rows.iter().map(facility_from_row).collect()
}
