//! Audit log entries, written in the caller's transaction.

use thermaliq_store::{AuditEntry, StoreError};

use crate::errors::classify;
use crate::timestamps::format_time;

pub(crate) async fn insert_audit(
    conn: &mut sqlx::SqliteConnection,
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO audit_log (occurred_at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)")
        .bind(format_time(audit.occurred_at))
        .bind(&audit.actor)
        .bind(&audit.action)
        .bind(&audit.subject)
        .bind(&audit.detail)
        .execute(conn)
        .await
        .map_err(classify)?;
    Ok(())
}
