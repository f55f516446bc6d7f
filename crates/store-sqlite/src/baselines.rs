//! Energy baselines: insert or replace (audited), get, list by name.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use thermaliq_store::{AuditEntry, BaselineRecord, StoreError};

use crate::SqliteStore;
use crate::audit::insert_audit;
use crate::errors::{classify, corrupt};
use crate::timestamps::{format_time, parse_time};

fn baseline_from_row(row: &SqliteRow) -> Result<BaselineRecord, StoreError> {
    let text = |col: &str| row.try_get::<String, _>(col).map_err(corrupt);
    Ok(BaselineRecord {
        facility_id: text("facility_id")?,
        name: text("name")?,
        document: text("document")?,
        created_at: parse_time(&text("created_at")?)?,
        updated_at: parse_time(&text("updated_at")?)?,
    })
}

pub(crate) async fn put_baseline(
    store: &SqliteStore,
    baseline: &BaselineRecord,
    audit: &AuditEntry,
) -> Result<bool, StoreError> {
    let mut tx = store
        .writer
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(classify)?;
    let existing: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM baselines WHERE facility_id = ? AND name = ?")
            .bind(&baseline.facility_id)
            .bind(&baseline.name)
            .fetch_optional(&mut *tx)
            .await
            .map_err(classify)?;
    let created = existing.is_none();
    let sql = if created {
        "INSERT INTO baselines (facility_id, name, document, updated_at, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)"
    } else {
        "UPDATE baselines SET document = ?3, updated_at = ?4 \
         WHERE facility_id = ?1 AND name = ?2 AND ?5 IS NOT NULL"
    };
    sqlx::query(sql)
        .bind(&baseline.facility_id)
        .bind(&baseline.name)
        .bind(&baseline.document)
        .bind(format_time(baseline.updated_at))
        .bind(format_time(baseline.created_at))
        .execute(&mut *tx)
        .await
        .map_err(classify)?;
    insert_audit(&mut tx, audit).await?;
    tx.commit().await.map_err(classify)?;
    Ok(created)
}

pub(crate) async fn get_baseline(
    store: &SqliteStore,
    facility_id: &str,
    name: &str,
) -> Result<Option<BaselineRecord>, StoreError> {
    let row = sqlx::query("SELECT * FROM baselines WHERE facility_id = ? AND name = ?")
        .bind(facility_id)
        .bind(name)
        .fetch_optional(&store.reader)
        .await
        .map_err(classify)?;
    row.as_ref().map(baseline_from_row).transpose()
}

pub(crate) async fn list_baselines(
    store: &SqliteStore,
    facility_id: &str,
) -> Result<Vec<BaselineRecord>, StoreError> {
    // SQLite compares TEXT with BINARY collation: bytes, like PostgreSQL's "C".
    let rows = sqlx::query("SELECT * FROM baselines WHERE facility_id = ? ORDER BY name")
        .bind(facility_id)
        .fetch_all(&store.reader)
        .await
        .map_err(classify)?;
    rows.iter().map(baseline_from_row).collect()
}
