//! Metrics, timeouts, concurrency and store outages.

use serde_json::Value;

use crate::helpers::{assert_error, runbook_case, sample, spawn_app};

#[tokio::test]
async fn metrics_carry_the_runbook_names_and_count() {
    let app = spawn_app().await;
    // A fresh replica: counters of every known error type are there at 0,
    // and the per-facility gauges are absent (not a false 0).
    let fresh = app.metrics().await;
    assert_eq!(
        sample(&fresh, "thermaliq_calculation_errors_total"),
        Some(0.0)
    );
    for error_type in [
        "ValidationError",
        "CalculationError",
        "DatabaseError",
        "TimeoutError",
    ] {
        assert_eq!(
            sample(
                &fresh,
                &format!(
                    "thermaliq_calculation_errors_by_type_total{{error_type=\"{error_type}\"}}"
                )
            ),
            Some(0.0),
            "{error_type}"
        );
    }
    assert_eq!(
        sample(
            &fresh,
            "thermaliq_sankey_generation_errors_total{error_type=\"timeout\"}"
        ),
        Some(0.0)
    );
    assert!(
        !fresh.contains("thermaliq_calculation_data_completeness{"),
        "{fresh}"
    );
    assert!(
        !fresh.contains("thermaliq_calculation_data_quality_score{"),
        "{fresh}"
    );
    assert!(
        fresh.contains("thermaliq_calculation_duration_seconds_bucket{le=\"15.0\"}"),
        "{fresh}"
    );

    app.calculate(&runbook_case()).await;
    let bad = app.post_raw("/v1/thermaliq/calculate", "{").await;
    assert_eq!(bad.status(), 400);
    let text = app.metrics().await;
    for name in [
        "thermaliq_calculation_requests_total",
        "thermaliq_calculation_duration_seconds_bucket",
        "thermaliq_calculation_timeouts_total",
        "thermaliq_active_calculations",
        "thermaliq_calculation_queue_depth",
        "thermaliq_database_connections_active",
        "thermaliq_database_pool_size",
    ] {
        assert!(text.contains(name), "{name} missing from:\n{text}");
    }
    assert_eq!(
        sample(&text, "thermaliq_calculation_requests_total"),
        Some(2.0)
    );
    // The runbook's ratio needs identical label sets: no labels on either.
    assert_eq!(
        sample(&text, "thermaliq_calculation_errors_total"),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "thermaliq_calculation_errors_by_type_total{error_type=\"ValidationError\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "thermaliq_calculation_duration_seconds_count"),
        Some(2.0)
    );
    assert_eq!(
        sample(
            &text,
            "thermaliq_calculation_data_completeness{facility_id=\"FAC-TEST-001\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "thermaliq_calculation_data_quality_score{facility_id=\"FAC-TEST-001\"}"
        ),
        Some(100.0)
    );
    let pool = sample(&text, "thermaliq_database_pool_size").unwrap();
    let settings_pool = f64::from(app.server().state.settings.database_pool_size);
    assert!(
        pool > settings_pool,
        "pool size {pool} counts the readers and the writer"
    );
    assert_eq!(sample(&text, "thermaliq_active_calculations"), Some(0.0));
}

/// Two hundred clients at once: every calculation is acknowledged and every
/// acknowledged calculation is in the table.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_posts_all_land() {
    let app = spawn_app().await;
    let requests = (0..200).map(|n| {
        let mut body = runbook_case();
        body["facility_id"] = serde_json::json!(format!("FAC-{n:03}"));
        let client = app.client.clone();
        let url = app.url("/v1/thermaliq/calculate");
        async move {
            let response = client
                .post(url)
                .bearer_auth(crate::helpers::ADMIN_TOKEN)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201);
            response.json::<Value>().await.unwrap()["calculation_id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    });
    let ids: Vec<String> = futures::future::join_all(requests).await;
    let listed: Value = app
        .get("/v1/thermaliq/calculations?limit=1000")
        .await
        .json()
        .await
        .unwrap();
    let stored: std::collections::HashSet<&str> = listed["calculations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["calculation_id"].as_str().unwrap())
        .collect();
    assert_eq!(stored.len(), 200);
    assert!(ids.iter().all(|id| stored.contains(id.as_str())));
    for id in ids.iter().step_by(20) {
        assert_eq!(
            app.get(&format!("/v1/thermaliq/calculations/{id}"))
                .await
                .status(),
            200
        );
    }
}

/// A writer holding the SQLite file past CALCULATION_TIMEOUT: the request
/// ends in 504 TimeoutError (counted) instead of hanging, and nothing half-done is stored.
#[tokio::test]
async fn calculation_timeout_answers_504() {
    // Fault injection by holding SQLite's write lock from a second connection.
    let app = crate::helpers::spawn_sqlite_app_with(|s| {
        s.calculation_timeout = std::time::Duration::from_millis(300)
    })
    .await;
    let sql = app.sql().await;
    let mut lock = sql.acquire().await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut *lock)
        .await
        .unwrap();

    let response = app.post("/v1/thermaliq/calculate", &runbook_case()).await;
    assert_error(response, 504, "TimeoutError", None).await;

    sqlx::query("ROLLBACK").execute(&mut *lock).await.unwrap();
    drop(lock);
    let text = app.metrics().await;
    assert_eq!(
        sample(&text, "thermaliq_calculation_timeouts_total"),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "thermaliq_calculation_errors_by_type_total{error_type=\"TimeoutError\"}"
        ),
        Some(1.0)
    );
    assert_eq!(sample(&text, "thermaliq_active_calculations"), Some(0.0));
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM calculations")
        .fetch_one(&sql)
        .await
        .unwrap();
    assert_eq!(count, 0);
    // The service recovers once the lock is gone.
    assert_eq!(
        app.post("/v1/thermaliq/calculate", &runbook_case())
            .await
            .status(),
        201
    );
}

/// The store going away: readiness turns false and requests get 503 DatabaseError,
/// without the cause (a driver message) reaching the client.
#[tokio::test]
async fn a_closed_store_is_a_database_error_not_a_hang() {
    let app = spawn_app().await;
    app.server().state.store.close().await;
    let ready = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["ready"], false);
    let response = app.post("/v1/thermaliq/calculate", &runbook_case()).await;
    let body = assert_error(response, 503, "DatabaseError", None).await;
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        !message.to_lowercase().contains("pool"),
        "driver detail leaked: {message}"
    );
    // Liveness does not depend on the store.
    assert_eq!(
        app.client
            .get(app.url("/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

/// Runbook scenario 6: cache statistics and invalidation (admin only).
#[tokio::test]
async fn cache_stats_and_invalidation_by_pattern() {
    let app = spawn_app().await;
    let id = app.calculate(&runbook_case()).await["calculation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/thermaliq/calculations/{id}");
    app.get(&path).await; // miss, then cached
    app.get(&path).await; // hit
    let stats: Value = app
        .get("/v1/thermaliq/admin/cache/stats")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (stats["hits"].as_u64(), stats["misses"].as_u64()),
        (Some(1), Some(1)),
        "{stats}"
    );
    assert_eq!(stats["hit_rate"], 0.5);

    let response = app
        .post(
            "/v1/thermaliq/admin/cache/invalidate",
            &serde_json::json!({"pattern": "calculation:*"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["removed"], 1);
    app.get(&path).await; // a miss again
    let metrics = app.metrics().await;
    assert_eq!(sample(&metrics, "thermaliq_cache_misses_total"), Some(2.0));

    let response = app
        .post(
            "/v1/thermaliq/admin/cache/invalidate",
            &serde_json::json!({"pattern": "other-app:*"}),
        )
        .await;
    assert_error(response, 400, "ValidationError", Some("pattern")).await;
    let reader = app.token(thermaliq_store::Scope::Calculate).await;
    let response = app
        .client
        .get(app.url("/v1/thermaliq/admin/cache/stats"))
        .bearer_auth(reader)
        .send()
        .await
        .unwrap();
    assert_error(response, 403, "Forbidden", None).await;

    let ready: Value = app
        .client
        .get(app.url("/ready"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["checks"]["cache"]["ok"], true, "{ready}");
}
