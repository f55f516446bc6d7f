//! API tokens (hashes only), each insert audited.

use sqlx::{Connection, Row};
use thermaliq_store::{AuditEntry, StoreError, TokenRecord, decode_column, truncate_to_micros};

use crate::PostgresStore;
use crate::audit::insert_audit;
use crate::retry::{commit, with_retry};

pub(crate) async fn insert_token(
    store: &PostgresStore,
    token: &TokenRecord,
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    with_retry!(store, |conn| async {
        let mut tx = conn.begin().await?;
        sqlx::query(
            "INSERT INTO api_tokens (token_id, name, scope, token_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&token.token_id)
        .bind(&token.name)
        .bind(token.scope.as_str())
        .bind(&token.token_hash)
        .bind(truncate_to_micros(token.created_at))
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, audit).await?;
        commit(tx).await?;
        Ok(())
    })
}

pub(crate) async fn find_token_by_hash(
    store: &PostgresStore,
    token_hash: &str,
) -> Result<Option<TokenRecord>, StoreError> {
    let row = with_retry!(store, |conn| async {
        Ok(sqlx::query(
            "SELECT token_id, name, scope, token_hash, created_at FROM api_tokens \
             WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&mut *conn)
        .await?)
    })?;
    let Some(row) = row else { return Ok(None) };
    let text = |col: &str| {
        row.try_get::<String, _>(col)
            .map_err(|e| StoreError::Corrupt(e.to_string()))
    };
    let scope_text = text("scope")?;
    Ok(Some(TokenRecord {
        token_id: text("token_id")?,
        name: text("name")?,
        scope: decode_column("scope", &scope_text)?,
        token_hash: text("token_hash")?,
        created_at: row
            .try_get("created_at")
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
    }))
}

pub(crate) async fn count_tokens(store: &PostgresStore) -> Result<u64, StoreError> {
    let n: i64 = with_retry!(store, |conn| async {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens")
            .fetch_one(&mut *conn)
            .await?)
    })?;
    Ok(u64::try_from(n).unwrap_or(0))
}
