//! API tokens (hashes only): insert, find, list, revoke (each audited), and
//! the last-use mark.

use sqlx::postgres::PgRow;
use sqlx::{Connection, Row};
use thermaliq_store::{AuditEntry, StoreError, TokenRecord, decode_column, truncate_to_micros};
use time::OffsetDateTime;

use crate::PostgresStore;
use crate::audit::insert_audit;
use crate::retry::{commit, with_retry};

const SELECT: &str = "SELECT token_id, name, scope, token_hash, created_at, expires_at, \
                      last_used_at FROM api_tokens";

pub(crate) async fn insert_token(
    store: &PostgresStore,
    token: &TokenRecord,
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    with_retry!(store, |conn| async {
        let mut tx = conn.begin().await?;
        sqlx::query(
            "INSERT INTO api_tokens (token_id, name, scope, token_hash, created_at, expires_at, \
             last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&token.token_id)
        .bind(&token.name)
        .bind(token.scope.as_str())
        .bind(&token.token_hash)
        .bind(truncate_to_micros(token.created_at))
        .bind(token.expires_at.map(truncate_to_micros))
        .bind(token.last_used_at.map(truncate_to_micros))
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, audit).await?;
        commit(tx).await?;
        Ok(())
    })
}

fn decode(row: &PgRow) -> Result<TokenRecord, StoreError> {
    let corrupt = |e: sqlx::Error| StoreError::Corrupt(e.to_string());
    let text = |col: &str| row.try_get::<String, _>(col).map_err(corrupt);
    let scope_text = text("scope")?;
    Ok(TokenRecord {
        token_id: text("token_id")?,
        name: text("name")?,
        scope: decode_column("scope", &scope_text)?,
        token_hash: text("token_hash")?,
        created_at: row.try_get("created_at").map_err(corrupt)?,
        expires_at: row.try_get("expires_at").map_err(corrupt)?,
        last_used_at: row.try_get("last_used_at").map_err(corrupt)?,
    })
}

pub(crate) async fn find_token_by_hash(
    store: &PostgresStore,
    token_hash: &str,
) -> Result<Option<TokenRecord>, StoreError> {
    let row = with_retry!(store, |conn| async {
        Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE token_hash = $1"
        )))
        .bind(token_hash)
        .fetch_optional(&mut *conn)
        .await?)
    })?;
    row.as_ref().map(decode).transpose()
}

pub(crate) async fn list_tokens(store: &PostgresStore) -> Result<Vec<TokenRecord>, StoreError> {
    let rows = with_retry!(store, |conn| async {
        Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} ORDER BY name COLLATE \"C\", token_id"
        )))
        .fetch_all(&mut *conn)
        .await?)
    })?;
    rows.iter().map(decode).collect()
}

pub(crate) async fn revoke_token(
    store: &PostgresStore,
    name: &str,
    audit: &AuditEntry,
) -> Result<bool, StoreError> {
    with_retry!(store, |conn| async {
        let mut tx = conn.begin().await?;
        let deleted = sqlx::query("DELETE FROM api_tokens WHERE name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if deleted == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        insert_audit(&mut tx, audit).await?;
        commit(tx).await?;
        Ok(true)
    })
}

pub(crate) async fn touch_token(
    store: &PostgresStore,
    token_id: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let at = truncate_to_micros(at);
    with_retry!(store, |conn| async {
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1 \
             WHERE token_id = $2 AND (last_used_at IS NULL OR last_used_at < $1)",
        )
        .bind(at)
        .bind(token_id)
        .execute(&mut *conn)
        .await?;
        Ok(())
    })
}

pub(crate) async fn count_tokens(store: &PostgresStore) -> Result<u64, StoreError> {
    let n: i64 = with_retry!(store, |conn| async {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens")
            .fetch_one(&mut *conn)
            .await?)
    })?;
    Ok(u64::try_from(n).unwrap_or(0))
}
