//! `Idempotency-Key` entries, on the writer connection (a begin must see the
//! latest state).

use sqlx::Row;
use thermaliq_store::{IdempotencyOutcome, StoreError, idempotency_outcome, new_owner_nonce};
use time::OffsetDateTime;

use crate::SqliteStore;
use crate::errors::{classify, corrupt};
use crate::timestamps::{NOW, format_time};

pub(crate) async fn idempotency_begin(
    store: &SqliteStore,
    key: &str,
    principal: &str,
    request_hash: &str,
) -> Result<IdempotencyOutcome, StoreError> {
    loop {
        let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO idempotency_keys (principal, idempotency_key, request_hash, owner_nonce, \
             state, created_at) VALUES (?1, ?2, ?3, ?4, 'in_progress', {NOW}) \
             ON CONFLICT (principal, idempotency_key) DO NOTHING"
        )))
        .bind(principal)
        .bind(key)
        .bind(request_hash)
        .bind(new_owner_nonce())
        .execute(&store.writer)
        .await
        .map_err(classify)?;
        if inserted.rows_affected() == 1 {
            return Ok(IdempotencyOutcome::New);
        }
        // Read on the writer: the entry may be removed meanwhile (abandon,
        // purge), and then the key is free again: take it on the next turn.
        let row = sqlx::query(
            "SELECT request_hash, state, response_status, response_body FROM idempotency_keys \
             WHERE principal = ?1 AND idempotency_key = ?2",
        )
        .bind(principal)
        .bind(key)
        .fetch_optional(&store.writer)
        .await
        .map_err(classify)?;
        if let Some(row) = row {
            return idempotency_outcome(
                request_hash,
                row.try_get("request_hash").map_err(corrupt)?,
                row.try_get("state").map_err(corrupt)?,
                row.try_get("response_status").map_err(corrupt)?,
                row.try_get("response_body").map_err(corrupt)?,
            );
        }
    }
}

pub(crate) async fn idempotency_finish(
    store: &SqliteStore,
    key: &str,
    principal: &str,
    status: u16,
    body: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE idempotency_keys SET state = 'done', response_status = ?3, \
         response_body = ?4, finished_at = COALESCE(finished_at, {NOW}) \
         WHERE principal = ?1 AND idempotency_key = ?2 AND (state = 'in_progress' \
           OR (response_status = ?3 AND response_body = ?4))"
    )))
    .bind(principal)
    .bind(key)
    .bind(i64::from(status))
    .bind(body)
    .execute(&store.writer)
    .await
    .map_err(classify)?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn idempotency_abandon(
    store: &SqliteStore,
    key: &str,
    principal: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "DELETE FROM idempotency_keys \
         WHERE principal = ?1 AND idempotency_key = ?2 AND state = 'in_progress'",
    )
    .bind(principal)
    .bind(key)
    .execute(&store.writer)
    .await
    .map_err(classify)?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn purge_idempotency_before(
    store: &SqliteStore,
    before: OffsetDateTime,
) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < ?")
        .bind(format_time(before))
        .execute(&store.writer)
        .await
        .map_err(classify)?;
    Ok(done.rows_affected())
}

pub(crate) async fn release_stale_idempotency_keys(
    store: &SqliteStore,
    before: OffsetDateTime,
) -> Result<u64, StoreError> {
    let done =
        sqlx::query("DELETE FROM idempotency_keys WHERE state = 'in_progress' AND created_at < ?")
            .bind(format_time(before))
            .execute(&store.writer)
            .await
            .map_err(classify)?;
    Ok(done.rows_affected())
}
