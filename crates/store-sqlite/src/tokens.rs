//! API tokens (hashes only): insert, find, list, revoke (each audited), and
//! the last-use mark.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use thermaliq_store::{AuditEntry, StoreError, TokenRecord, decode_column};
use time::OffsetDateTime;

use crate::SqliteStore;
use crate::audit::insert_audit;
use crate::errors::classify;
use crate::timestamps::{format_time, parse_time};

const COLUMNS: &str = "token_id, name, scope, token_hash, created_at, expires_at, last_used_at";

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
    sqlx::query(
        "INSERT INTO api_tokens (token_id, name, scope, token_hash, created_at, expires_at, last_used_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&token.token_id)
    .bind(&token.name)
    .bind(token.scope.as_str())
    .bind(&token.token_hash)
    .bind(format_time(token.created_at))
    .bind(token.expires_at.map(format_time))
    .bind(token.last_used_at.map(format_time))
    .execute(&mut *tx)
    .await
    .map_err(classify)?;
    insert_audit(&mut tx, audit).await?;
    tx.commit().await.map_err(classify)?;
    Ok(())
}

fn decode(row: &SqliteRow) -> Result<TokenRecord, StoreError> {
    let text = |col: &str| {
        row.try_get::<String, _>(col)
            .map_err(|e| StoreError::Corrupt(e.to_string()))
    };
    let optional_time = |col: &str| -> Result<Option<OffsetDateTime>, StoreError> {
        row.try_get::<Option<String>, _>(col)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?
            .as_deref()
            .map(parse_time)
            .transpose()
    };
    let scope_text = text("scope")?;
    Ok(TokenRecord {
        token_id: text("token_id")?,
        name: text("name")?,
        scope: decode_column("scope", &scope_text)?,
        token_hash: text("token_hash")?,
        created_at: parse_time(&text("created_at")?)?,
        expires_at: optional_time("expires_at")?,
        last_used_at: optional_time("last_used_at")?,
    })
}

pub(crate) async fn find_token_by_hash(
    store: &SqliteStore,
    token_hash: &str,
) -> Result<Option<TokenRecord>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM api_tokens WHERE token_hash = ?");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(token_hash)
        .fetch_optional(&store.reader)
        .await
        .map_err(classify)?;
    row.as_ref().map(decode).transpose()
}

pub(crate) async fn list_tokens(store: &SqliteStore) -> Result<Vec<TokenRecord>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM api_tokens ORDER BY name, token_id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_all(&store.reader)
        .await
        .map_err(classify)?;
    rows.iter().map(decode).collect()
}

pub(crate) async fn revoke_token(
    store: &SqliteStore,
    name: &str,
    audit: &AuditEntry,
) -> Result<bool, StoreError> {
    let mut tx = store
        .writer
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(classify)?;
    let deleted = sqlx::query("DELETE FROM api_tokens WHERE name = ?")
        .bind(name)
        .execute(&mut *tx)
        .await
        .map_err(classify)?
        .rows_affected();
    if deleted == 0 {
        tx.rollback().await.map_err(classify)?;
        return Ok(false);
    }
    insert_audit(&mut tx, audit).await?;
    tx.commit().await.map_err(classify)?;
    Ok(true)
}

pub(crate) async fn touch_token(
    store: &SqliteStore,
    token_id: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    // Times are fixed-width UTC text, so text order is time order.
    let at = format_time(at);
    sqlx::query(
        "UPDATE api_tokens SET last_used_at = ? \
         WHERE token_id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
    )
    .bind(&at)
    .bind(token_id)
    .bind(&at)
    .execute(&store.writer)
    .await
    .map_err(classify)?;
    Ok(())
}

pub(crate) async fn count_tokens(store: &SqliteStore) -> Result<u64, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens")
        .fetch_one(&store.reader)
        .await
        .map_err(classify)?;
    Ok(u64::try_from(n).unwrap_or(0))
}
