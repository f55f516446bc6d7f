//! Cached views stay true to the database (issue 12 item 15, issue 16 item 2):
//! the runbook's manual `UPDATE calculations SET status='invalid'` is seen by
//! the API within a second on both backends with caching on, and an
//! invalidation made through one replica reaches another without Redis.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{TestApp, runbook_case, spawn_app_with, spawn_sqlite_app_with};

/// The runbook's manual invalidation (scenario 9).
const MANUAL_UPDATE: &str = "UPDATE calculations SET status = 'invalid', \
     invalid_reason = 'manual: incident INC-1' WHERE calculation_id = ";

/// Polls `GET /calculations/{id}` until it says `invalid`; returns how long that took.
async fn seen_invalid_after(app: &TestApp, id: &str, since: Instant) -> Duration {
    let path = format!("/v1/thermaliq/calculations/{id}");
    loop {
        let view: Value = app.get(&path).await.json().await.unwrap();
        if view["status"] == "invalid" {
            return since.elapsed();
        }
        assert_eq!(view["status"], "completed", "{view}");
        assert!(
            since.elapsed() < Duration::from_secs(5),
            "the API still answers `completed` 5 s after the change"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Creates a calculation and reads it twice, so its view is cached.
async fn cached_calculation(app: &TestApp) -> String {
    let id = app.calculate(&runbook_case()).await["calculation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/thermaliq/calculations/{id}");
    for _ in 0..2 {
        let view: Value = app.get(&path).await.json().await.unwrap();
        assert_eq!(view["status"], "completed");
    }
    id
}

#[tokio::test]
async fn a_manual_sql_update_is_seen_within_a_second_on_sqlite() {
    let app = spawn_sqlite_app_with(|s| s.calculation_cache_ttl = Duration::from_secs(3600)).await;
    let id = cached_calculation(&app).await;
    let sql = app.sql().await;
    sqlx::query(sqlx::AssertSqlSafe(format!("{MANUAL_UPDATE}'{id}'")))
        .execute(&sql)
        .await
        .unwrap();
    let took = seen_invalid_after(&app, &id, Instant::now()).await;
    println!("SQLite: manual UPDATE seen after {took:?}");
    assert!(took <= Duration::from_secs(1), "seen after {took:?}");
}

fn postgres_url() -> Option<String> {
    let url = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"));
    if url.is_none() {
        crate::helpers::skip_or_fail("DATABASE_URL (postgres://) not set (cache coherence test)");
    }
    url
}

fn database_url_of(app: &TestApp) -> String {
    app.server()
        .state
        .settings
        .database_url
        .as_ref()
        .expect("a PostgreSQL app")
        .expose()
        .to_owned()
}

#[tokio::test]
async fn a_manual_sql_update_is_seen_within_a_second_on_postgres() {
    if postgres_url().is_none() {
        return;
    }
    // Redis too when CI provides it: the shared cache must not hide the change either.
    let app = spawn_app_with(|s| s.calculation_cache_ttl = Duration::from_secs(3600)).await;
    let id = cached_calculation(&app).await;
    use sqlx::Connection;
    let mut psql = sqlx::PgConnection::connect(&database_url_of(&app))
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("{MANUAL_UPDATE}'{id}'")))
        .execute(&mut psql)
        .await
        .unwrap();
    let took = seen_invalid_after(&app, &id, Instant::now()).await;
    println!("PostgreSQL: manual UPDATE seen after {took:?}");
    assert!(took <= Duration::from_secs(1), "seen after {took:?}");
}

/// Two replicas on one PostgreSQL and no Redis (its outage): an invalidation
/// through replica B reaches replica A's in-process cache.
#[tokio::test]
async fn an_invalidation_on_one_replica_reaches_the_other_without_redis() {
    if postgres_url().is_none() {
        return;
    }
    let a = spawn_app_with(|s| {
        s.redis_url = None;
        s.calculation_cache_ttl = Duration::from_secs(3600);
    })
    .await;
    let shared = database_url_of(&a);
    let b = spawn_app_with(|s| {
        s.redis_url = None;
        s.database_url = Some(thermaliq_server::config::Secret::new(shared.clone()));
    })
    .await;
    let id = cached_calculation(&a).await;
    let body = json!({"facility_id": "FAC-TEST-001", "from": "2000-01-01",
        "to": "2100-01-01T00:00:00Z", "reason": "invalidated on replica B"});
    let response = b.post("/v1/thermaliq/calculations/invalidate", &body).await;
    assert_eq!(response.status(), 200);
    let took = seen_invalid_after(&a, &id, Instant::now()).await;
    println!("replica A saw replica B's invalidation after {took:?}");
    assert!(took <= Duration::from_secs(1), "seen after {took:?}");
}
