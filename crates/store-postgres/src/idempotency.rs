//! `Idempotency-Key` entries.

use sqlx::Row;
use thermaliq_store::{
    IdempotencyOutcome, StoreError, idempotency_outcome, new_owner_nonce, truncate_to_micros,
};
use time::OffsetDateTime;

use crate::PostgresStore;
use crate::retry::with_retry;

/// What `idempotency_begin` saw, before interpretation.
enum BeginSeen {
    Taken,
    Existing {
        hash: String,
        state: String,
        status: Option<i32>,
        body: Option<String>,
    },
}

pub(crate) async fn idempotency_begin(
    store: &PostgresStore,
    key: &str,
    principal: &str,
    request_hash: &str,
) -> Result<IdempotencyOutcome, StoreError> {
    // Chosen once: a retry after a lost connection recognises the entry
    // its first attempt committed as its own.
    let nonce = new_owner_nonce();
    let seen = with_retry!(store, |conn| async {
        loop {
            let inserted = sqlx::query(
                "INSERT INTO idempotency_keys (principal, idempotency_key, request_hash, \
                 owner_nonce, state, created_at) \
                 VALUES ($1, $2, $3, $4, 'in_progress', now()) \
                 ON CONFLICT (principal, idempotency_key) DO NOTHING",
            )
            .bind(principal)
            .bind(key)
            .bind(request_hash)
            .bind(&nonce)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if inserted == 1 {
                break Ok(BeginSeen::Taken);
            }
            let row = sqlx::query(
                "SELECT request_hash, state, response_status, response_body, owner_nonce \
                 FROM idempotency_keys WHERE principal = $1 AND idempotency_key = $2",
            )
            .bind(principal)
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?;
            // Gone meanwhile (abandoned, purged): try to take it again.
            let Some(row) = row else { continue };
            let owner: String = row.try_get("owner_nonce")?;
            if owner == nonce {
                break Ok(BeginSeen::Taken);
            }
            break Ok(BeginSeen::Existing {
                hash: row.try_get("request_hash")?,
                state: row.try_get("state")?,
                status: row.try_get("response_status")?,
                body: row.try_get("response_body")?,
            });
        }
    })?;
    match seen {
        BeginSeen::Taken => Ok(IdempotencyOutcome::New),
        BeginSeen::Existing {
            hash,
            state,
            status,
            body,
        } => idempotency_outcome(request_hash, &hash, &state, status.map(i64::from), body),
    }
}

pub(crate) async fn idempotency_finish(
    store: &PostgresStore,
    key: &str,
    principal: &str,
    status: u16,
    body: &str,
) -> Result<bool, StoreError> {
    // Idempotent (an identical finish matches again): safe to retry.
    let n = with_retry!(store, |conn| async {
        Ok(sqlx::query(
            "UPDATE idempotency_keys SET state = 'done', response_status = $3, \
             response_body = $4, finished_at = COALESCE(finished_at, now()) \
             WHERE principal = $1 AND idempotency_key = $2 AND (state = 'in_progress' \
               OR (response_status = $3 AND response_body = $4))",
        )
        .bind(principal)
        .bind(key)
        .bind(i32::from(status))
        .bind(body)
        .execute(&mut *conn)
        .await?
        .rows_affected())
    })?;
    Ok(n == 1)
}

pub(crate) async fn idempotency_abandon(
    store: &PostgresStore,
    key: &str,
    principal: &str,
) -> Result<bool, StoreError> {
    let n = with_retry!(store, |conn| async {
        Ok(sqlx::query(
            "DELETE FROM idempotency_keys \
             WHERE principal = $1 AND idempotency_key = $2 AND state = 'in_progress'",
        )
        .bind(principal)
        .bind(key)
        .execute(&mut *conn)
        .await?
        .rows_affected())
    })?;
    Ok(n == 1)
}

pub(crate) async fn purge_idempotency_before(
    store: &PostgresStore,
    before: OffsetDateTime,
) -> Result<u64, StoreError> {
    with_retry!(store, |conn| async {
        Ok(
            sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                .bind(truncate_to_micros(before))
                .execute(&mut *conn)
                .await?
                .rows_affected(),
        )
    })
}

pub(crate) async fn release_stale_idempotency_keys(
    store: &PostgresStore,
    before: OffsetDateTime,
) -> Result<u64, StoreError> {
    with_retry!(store, |conn| async {
        Ok(sqlx::query(
            "DELETE FROM idempotency_keys WHERE state = 'in_progress' AND created_at < $1",
        )
        .bind(truncate_to_micros(before))
        .execute(&mut *conn)
        .await?
        .rows_affected())
    })
}
