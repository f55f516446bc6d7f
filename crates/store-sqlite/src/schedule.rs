//! The scheduler's marks: per facility, the end of the last period queued.

use thermaliq_store::StoreError;
use time::OffsetDateTime;

use crate::SqliteStore;
use crate::errors::classify;
use crate::timestamps::{NOW, format_time, parse_time};

pub(crate) async fn schedule_mark_get(
    store: &SqliteStore,
    facility_id: &str,
) -> Result<Option<OffsetDateTime>, StoreError> {
    let end: Option<String> =
        sqlx::query_scalar("SELECT period_end FROM schedule_marks WHERE facility_id = ?")
            .bind(facility_id)
            .fetch_optional(&store.reader)
            .await
            .map_err(classify)?;
    end.as_deref().map(parse_time).transpose()
}

pub(crate) async fn schedule_mark_advance(
    store: &SqliteStore,
    facility_id: &str,
    end: OffsetDateTime,
) -> Result<bool, StoreError> {
    // The text form compares as the instants do (fixed width, UTC).
    let moved = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO schedule_marks (facility_id, period_end, updated_at) \
         VALUES (?1, ?2, {NOW}) \
         ON CONFLICT (facility_id) DO UPDATE \
             SET period_end = excluded.period_end, updated_at = excluded.updated_at \
             WHERE excluded.period_end > schedule_marks.period_end"
    )))
    .bind(facility_id)
    .bind(format_time(end))
    .execute(&store.writer)
    .await
    .map_err(classify)?;
    Ok(moved.rows_affected() == 1)
}
