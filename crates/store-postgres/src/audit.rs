//! Audit log entries, written in the caller's transaction.

use sqlx::PgConnection;
use thermaliq_store::{AuditEntry, truncate_to_micros};

pub(crate) async fn insert_audit(
    conn: &mut PgConnection,
    audit: &AuditEntry,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (occurred_at, actor, action, subject, detail) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(truncate_to_micros(audit.occurred_at))
    .bind(&audit.actor)
    .bind(&audit.action)
    .bind(&audit.subject)
    .bind(&audit.detail)
    .execute(conn)
    .await?;
    Ok(())
}
