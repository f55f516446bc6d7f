//! API tokens (hashes only), each insert audited.

use sqlx::Row;
use thermaliq_store::{AuditEntry, StoreError, TokenRecord, decode_column};

use crate::SqliteStore;
use crate::audit::insert_audit;
use crate::errors::classify;
use crate::timestamps::{format_time, parse_time};

pub(crate) async fn insert_token(
    store: &SqliteStore,
    token: &TokenRecord,
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    let mut tx = store
        .writer
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(classify)?;
    sqlx::query("INSERT INTO api_tokens (token_id, name, scope, token_hash, created_at) VALUES (?, ?, ?, ?, ?)")
        .bind(&token.token_id)
        .bind(&token.name)
        .bind(token.scope.as_str())
        .bind(&token.token_hash)
        .bind(format_time(token.created_at))
        .execute(&mut *tx)
        .await
        .map_err(classify)?;
    insert_audit(&mut tx, audit).await?;
    tx.commit().await.map_err(classify)?;
    Ok(())
}

pub(crate) async fn find_token_by_hash(
    store: &SqliteStore,
    token_hash: &str,
) -> Result<Option<TokenRecord>, StoreError> {
    let row = sqlx::query(
        "SELECT token_id, name, scope, token_hash, created_at FROM api_tokens WHERE token_hash = ?",
    )
    .bind(token_hash)
    .fetch_optional(&store.reader)
    .await
    .map_err(classify)?;
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
        created_at: parse_time(&text("created_at")?)?,
    }))
}

pub(crate) async fn count_tokens(store: &SqliteStore) -> Result<u64, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens")
        .fetch_one(&store.reader)
        .await
        .map_err(classify)?;
    Ok(u64::try_from(n).unwrap_or(0))
}
