//! The runbook's Scenario 9 SQL against the real tables, on both backends:
//! a strict-mode failure keeps the efficiency it computed, so
//! `WHERE efficiency < 0 OR efficiency > 100` lists it (status `failed`,
//! violations kept in the stored result).

use serde_json::{Value, json};

use crate::helpers::{
    TestApp, assert_error, runbook_case, spawn_postgres_app, spawn_sqlite_app_with,
};

/// The runbook's case with 1.5 times the input as output: 150 % in strict mode.
fn over_100_percent() -> Value {
    let mut body = runbook_case();
    body["facility_id"] = json!("FAC-S9");
    body["energy_output"] = json!({"steam": 1575.0});
    body
}

/// Posts one good and one impossible calculation; returns the failed one's id.
async fn store_good_and_impossible(app: &TestApp) -> (String, String) {
    let good = app.calculate(&runbook_case()).await["calculation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app
        .post("/v1/thermaliq/calculate", &over_100_percent())
        .await;
    let body = assert_error(response, 422, "CalculationError", Some("energy_output")).await;
    let failed = body["calculation_id"].as_str().unwrap().to_owned();
    // The API shows the same row: failed, its efficiency and violation kept.
    let stored: Value = app
        .get(&format!("/v1/thermaliq/calculations/{failed}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["status"], "failed", "{stored}");
    assert_eq!(stored["efficiency"], 150.0, "{stored}");
    // And /verify holds the row intact.
    let report: Value = app
        .get(&format!("/v1/thermaliq/calculations/{failed}/verify"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["verdict"], "intact", "{report}");
    (good, failed)
}

#[tokio::test]
async fn scenario_9_sql_lists_a_strict_failure_on_sqlite() {
    let app = spawn_sqlite_app_with(|_| {}).await;
    let (good, failed) = store_good_and_impossible(&app).await;
    let sql = app.sql().await;
    // docs/OPERATIONS.md's sqlite3 form of the runbook's query.
    let rows: Vec<(String, String, Option<f64>, String, String)> = sqlx::query_as(
        "SELECT calculation_id, facility_id, efficiency, status, result FROM calculations
         WHERE efficiency < 0 OR efficiency > 100 ORDER BY created_at DESC",
    )
    .fetch_all(&sql)
    .await
    .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (id, facility, efficiency, status, result) = &rows[0];
    assert_eq!(
        (id, facility.as_str(), *efficiency, status.as_str()),
        (&failed, "FAC-S9", Some(150.0), "failed")
    );
    assert!(
        result.contains("efficiency_above_100"),
        "violations kept: {result}"
    );
    // The 24-hour arm of the runbook's query lists both rows.
    let recent: Vec<(String,)> = sqlx::query_as(
        "SELECT calculation_id FROM calculations
         WHERE efficiency < 0 OR efficiency > 100 OR created_at > datetime('now', '-24 hours')
         ORDER BY created_at DESC",
    )
    .fetch_all(&sql)
    .await
    .unwrap();
    let recent: Vec<&str> = recent.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(recent, [failed.as_str(), good.as_str()]);
}

#[tokio::test]
async fn scenario_9_sql_lists_a_strict_failure_on_postgres() {
    use sqlx::Connection;
    let Some(app) = spawn_postgres_app().await else {
        return;
    };
    let (good, failed) = store_good_and_impossible(&app).await;
    let mut conn = sqlx::PgConnection::connect(app.database_url.as_deref().unwrap())
        .await
        .unwrap();
    // The runbook's query exactly as written (Scenario 9, step 2).
    let rows = sqlx::query(
        "SELECT calculation_id, facility_id, efficiency, created_at
   FROM calculations
   WHERE efficiency < 0 OR efficiency > 100
     OR created_at > NOW() - INTERVAL '24 hours'
   ORDER BY created_at DESC;",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let rows: Vec<String> = rows
        .iter()
        .map(|r| sqlx::Row::get::<String, _>(r, 0))
        .collect();
    let ids: Vec<&str> = rows.iter().map(String::as_str).collect();
    assert_eq!(ids, [failed.as_str(), good.as_str()]);
    let suspicious: Vec<(String, Option<f64>, String)> = sqlx::query_as(
        "SELECT calculation_id, efficiency, status FROM calculations
         WHERE efficiency < 0 OR efficiency > 100",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(suspicious, [(failed, Some(150.0), "failed".to_owned())]);
    let _ = conn.close().await;
}
