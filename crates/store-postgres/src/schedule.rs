//! The scheduler's marks: per facility, the end of the last period queued.

use thermaliq_store::{StoreError, truncate_to_micros};
use time::OffsetDateTime;

use crate::PostgresStore;
use crate::retry::with_retry;

pub(crate) async fn schedule_mark_get(
    store: &PostgresStore,
    facility_id: &str,
) -> Result<Option<OffsetDateTime>, StoreError> {
    with_retry!(store, |conn| async {
        Ok(
            sqlx::query_scalar("SELECT period_end FROM schedule_marks WHERE facility_id = $1")
                .bind(facility_id)
                .fetch_optional(&mut *conn)
                .await?,
        )
    })
}

pub(crate) async fn schedule_mark_advance(
    store: &PostgresStore,
    facility_id: &str,
    end: OffsetDateTime,
) -> Result<bool, StoreError> {
    let end = truncate_to_micros(end);
    // Idempotent (it only ever moves forward): safe to retry.
    let moved = with_retry!(store, |conn| async {
        Ok(sqlx::query(
            "INSERT INTO schedule_marks AS m (facility_id, period_end, updated_at) \
             VALUES ($1, $2, now()) \
             ON CONFLICT (facility_id) DO UPDATE \
                 SET period_end = EXCLUDED.period_end, updated_at = EXCLUDED.updated_at \
                 WHERE EXCLUDED.period_end > m.period_end",
        )
        .bind(facility_id)
        .bind(end)
        .execute(&mut *conn)
        .await?
        .rows_affected())
    })?;
    Ok(moved == 1)
}
