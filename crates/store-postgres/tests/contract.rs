//! The shared store contract (`thermaliq_store::contract`) against PostgreSQL,
//! each check on a fresh database. Skipped (with a printed notice) when
//! `DATABASE_URL` does not name a PostgreSQL server.

mod common;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use common::TestDb;
use sqlx::{Connection, Row};
use thermaliq_store::contract::Fixture;
use thermaliq_store::{AuditEntry, Store};
use thermaliq_store_postgres::{PoolSettings, PostgresStore};

struct PgFixture {
    store: Arc<PostgresStore>,
    db: TestDb,
}

#[async_trait]
impl Fixture for PgFixture {
    fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    async fn audit_log(&self) -> Vec<AuditEntry> {
        let mut conn = self.db.connect().await;
        let rows = sqlx::query(
            "SELECT occurred_at, actor, action, subject, detail FROM audit_log ORDER BY audit_id",
        )
        .fetch_all(&mut conn)
        .await
        .expect("read audit_log");
        conn.close().await.ok();
        rows.iter()
            .map(|row| AuditEntry {
                occurred_at: row.get("occurred_at"),
                actor: row.get("actor"),
                action: row.get("action"),
                subject: row.get("subject"),
                detail: row.get("detail"),
            })
            .collect()
    }

    async fn teardown(&self) {
        self.store.close().await;
        self.db.drop_database().await;
    }
}

async fn fresh() -> Option<PgFixture> {
    let db = TestDb::create("PostgreSQL contract tests").await?;
    let store = PostgresStore::connect(
        &db.url,
        PoolSettings {
            max_connections: 2,
            max_overflow: 6,
            acquire_timeout: Duration::from_secs(10),
            recycle: None,
            pre_ping: true,
        },
    )
    .await
    .expect("connect and migrate a fresh PostgreSQL store");
    Some(PgFixture {
        store: Arc::new(store),
        db,
    })
}

thermaliq_store::store_contract_tests!(fresh);
