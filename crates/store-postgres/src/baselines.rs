//! Energy baselines: insert or replace (audited), get, list by name.

use sqlx::postgres::PgRow;
use sqlx::{Connection, Postgres, Row};
use thermaliq_store::{AuditEntry, BaselineRecord, StoreError, truncate_to_micros};

use crate::PostgresStore;
use crate::audit::insert_audit;
use crate::errors::corrupt;
use crate::retry::{commit, with_retry};

fn baseline_from_row(row: &PgRow) -> Result<BaselineRecord, StoreError> {
    fn get<'r, T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>>(
        row: &'r PgRow,
        col: &str,
    ) -> Result<T, StoreError> {
        row.try_get(col).map_err(corrupt)
    }
    Ok(BaselineRecord {
        facility_id: get(row, "facility_id")?,
        name: get(row, "name")?,
        document: get(row, "document")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

const BASELINE_COLUMNS: &str = "facility_id, name, document, created_at, updated_at";

pub(crate) async fn put_baseline(
    store: &PostgresStore,
    baseline: &BaselineRecord,
    audit: &AuditEntry,
) -> Result<bool, StoreError> {
    with_retry!(store, |conn| async {
        let mut tx = conn.begin().await?;
        let created: bool = sqlx::query_scalar(
            "INSERT INTO baselines (facility_id, name, document, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (facility_id, name) DO UPDATE SET document = EXCLUDED.document, \
                 updated_at = EXCLUDED.updated_at \
             RETURNING (xmax = 0)",
        )
        .bind(&baseline.facility_id)
        .bind(&baseline.name)
        .bind(&baseline.document)
        .bind(truncate_to_micros(baseline.created_at))
        .bind(truncate_to_micros(baseline.updated_at))
        .fetch_one(&mut *tx)
        .await?;
        insert_audit(&mut tx, audit).await?;
        commit(tx).await?;
        Ok(created)
    })
}

pub(crate) async fn get_baseline(
    store: &PostgresStore,
    facility_id: &str,
    name: &str,
) -> Result<Option<BaselineRecord>, StoreError> {
    let row = with_retry!(store, |conn| async {
        Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {BASELINE_COLUMNS} FROM baselines WHERE facility_id = $1 AND name = $2"
        )))
        .bind(facility_id)
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?)
    })?;
    row.as_ref().map(baseline_from_row).transpose()
}

pub(crate) async fn list_baselines(
    store: &PostgresStore,
    facility_id: &str,
) -> Result<Vec<BaselineRecord>, StoreError> {
    let rows = with_retry!(store, |conn| async {
        Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {BASELINE_COLUMNS} FROM baselines WHERE facility_id = $1 ORDER BY name"
        )))
        .bind(facility_id)
        .fetch_all(&mut *conn)
        .await?)
    })?;
    rows.iter().map(baseline_from_row).collect()
}
