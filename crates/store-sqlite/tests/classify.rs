//! SQLite's own refusals, provoked on a real database file with plain SQL,
//! are sorted the way callers rely on: the data's (`Rejected`, naming the
//! column SQLite names, or `Duplicate`) is permanent, a busy file is
//! `Unavailable` (retry), an SQL error is `Backend` (a bug).

use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Connection, SqliteConnection};
use thermaliq_store::StoreError;
use thermaliq_store_sqlite::{PoolSettings, SqliteStore, classify};

async fn migrated(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("thermaliq.db");
    let store = SqliteStore::open(
        &path,
        PoolSettings {
            max_connections: 1,
            acquire_timeout: Duration::from_secs(5),
        },
    )
    .await
    .expect("open and migrate");
    thermaliq_store::Store::close(&store).await;
    path
}

async fn connect(path: &std::path::Path, busy: Duration) -> SqliteConnection {
    SqliteConnection::connect_with(
        &SqliteConnectOptions::new()
            .filename(path)
            .foreign_keys(true)
            .busy_timeout(busy),
    )
    .await
    .expect("connect")
}

async fn refusal(conn: &mut SqliteConnection, sql: &str) -> StoreError {
    let err = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut *conn)
        .await
        .expect_err(sql);
    classify(err)
}

#[tokio::test]
async fn constraint_failures_are_rejected_naming_the_column() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = migrated(&dir).await;
    let mut conn = connect(&path, Duration::from_secs(1)).await;
    let not_null = refusal(
        &mut conn,
        "INSERT INTO api_tokens (token_id, name, scope, token_hash, created_at) \
         VALUES ('t', NULL, 'read', 'h', '2025-11-01 00:00:00.000000')",
    )
    .await;
    assert_eq!(not_null.field(), Some("name"), "{not_null:?}");
    let check = refusal(
        &mut conn,
        "INSERT INTO jobs (job_id, kind, payload, status, attempts, max_attempts, run_after, \
         created_at, updated_at) VALUES ('J', 'k', 'p', 'queued', 0, 0, 'x', 'x', 'x')",
    )
    .await;
    assert_eq!(check.field(), Some("max_attempts"), "{check:?}");
    let foreign_key = refusal(
        &mut conn,
        "INSERT INTO calculations (calculation_id, facility_id, period_start, period_end, \
         status, recalculated_from, energy_flows, request, canonical_input, result, \
         input_hash, output_hash, engine_version, created_at) VALUES ('C', 'F', 'x', 'x', \
         'completed', 'NOPE', '{}', '{}', '{}', '{}', 'h', 'h', 'v', 'x')",
    )
    .await;
    assert!(
        matches!(foreign_key, StoreError::Rejected { .. }),
        "{foreign_key:?}"
    );
    for e in [&not_null, &check, &foreign_key] {
        assert!(!e.is_transient(), "{e:?}");
    }
    sqlx::raw_sql(
        "INSERT INTO api_tokens (token_id, name, scope, token_hash, created_at) \
         VALUES ('t', 'n', 'read', 'h', 'x')",
    )
    .execute(&mut conn)
    .await
    .expect("insert");
    let unique = refusal(
        &mut conn,
        "INSERT INTO api_tokens (token_id, name, scope, token_hash, created_at) \
         VALUES ('t2', 'n', 'read', 'h', 'x')",
    )
    .await;
    assert!(matches!(unique, StoreError::Duplicate(_)), "{unique:?}");
    let sql_error = refusal(&mut conn, "SELECT no_such_column FROM api_tokens").await;
    assert!(matches!(sql_error, StoreError::Backend(_)), "{sql_error:?}");
    conn.close().await.ok();
}

#[tokio::test]
async fn a_file_held_by_another_writer_is_unavailable() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = migrated(&dir).await;
    let mut holder = connect(&path, Duration::from_secs(1)).await;
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut holder)
        .await
        .expect("take the write lock");
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            SqliteConnectOptions::new()
                .filename(&path)
                .busy_timeout(Duration::from_millis(50)),
        )
        .await
        .expect("second connection");
    let err = sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&pool)
        .await
        .expect_err("the file is locked");
    let busy = classify(err);
    assert!(
        busy.is_transient(),
        "SQLITE_BUSY is worth a retry: {busy:?}"
    );
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut holder)
        .await
        .expect("release");
    holder.close().await.ok();
    pool.close().await;
}
