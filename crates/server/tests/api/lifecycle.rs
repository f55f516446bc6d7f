//! Recalculate, invalidate and verify, including the runbook's own SQL.

use serde_json::{Value, json};
use sqlx::Row;

use crate::helpers::{assert_error, runbook_case, spawn_app};

async fn verify(app: &crate::helpers::TestApp, id: &str) -> Value {
    let response = app
        .get(&format!("/v1/thermaliq/calculations/{id}/verify"))
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn recalculate_makes_a_new_calculation_naming_the_original() {
    let app = spawn_app().await;
    let original = app.calculate(&runbook_case()).await;
    let id = original["calculation_id"].as_str().unwrap();
    // The runbook sends this without a Content-Type header.
    let response = app
        .post_raw(
            "/v1/thermaliq/recalculate",
            format!("{{\"original_calculation_id\": \"{id}\"}}"),
        )
        .await;
    assert_eq!(response.status(), 201);
    let again: Value = response.json().await.unwrap();
    assert_ne!(again["calculation_id"], original["calculation_id"]);
    assert_eq!(again["recalculated_from"], id);
    assert_eq!(again["efficiency"], original["efficiency"]);
    assert_eq!(
        again["provenance"]["input_hash"],
        original["provenance"]["input_hash"]
    );

    let missing = app
        .post(
            "/v1/thermaliq/recalculate",
            &json!({"original_calculation_id": "CALC-NOPE"}),
        )
        .await;
    assert_error(missing, 404, "NotFound", None).await;
    let empty = app.post("/v1/thermaliq/recalculate", &json!({})).await;
    assert_error(
        empty,
        400,
        "ValidationError",
        Some("original_calculation_id"),
    )
    .await;
    let extra = app
        .post(
            "/v1/thermaliq/recalculate",
            &json!({"original_calculation_id": id, "force": true}),
        )
        .await;
    assert_error(extra, 400, "ValidationError", Some("force")).await;
}

#[tokio::test]
async fn invalidate_marks_a_range_and_returns_the_ids() {
    let app = spawn_app().await;
    let a = app.calculate(&runbook_case()).await;
    let mut other = runbook_case();
    other["facility_id"] = json!("FAC-OTHER");
    let b = app.calculate(&other).await;

    let body = json!({"facility_id": "FAC-TEST-001", "from": "2000-01-01", "to": "2100-01-01T00:00:00Z",
                      "reason": "Calculation formula error - see incident INC-12345"});
    let response = app
        .post("/v1/thermaliq/calculations/invalidate", &body)
        .await;
    assert_eq!(response.status(), 200);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["invalidated"], 1);
    assert_eq!(result["calculation_ids"], json!([a["calculation_id"]]));

    let stored: Value = app
        .get(&format!(
            "/v1/thermaliq/calculations/{}",
            a["calculation_id"].as_str().unwrap()
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["status"], "invalid");
    assert_eq!(
        stored["invalid_reason"],
        "Calculation formula error - see incident INC-12345"
    );
    let untouched: Value = app
        .get(&format!(
            "/v1/thermaliq/calculations/{}",
            b["calculation_id"].as_str().unwrap()
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(untouched["status"], "completed");

    // Invalidating again finds nothing new.
    let result: Value = app
        .post("/v1/thermaliq/calculations/invalidate", &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(result["invalidated"], 0);

    // An invalidated calculation is still intact: invalidation is legitimate.
    let report = verify(&app, a["calculation_id"].as_str().unwrap()).await;
    assert_eq!(report["verdict"], "intact", "{report}");
}

#[tokio::test]
async fn invalidate_validates_its_request() {
    let app = spawn_app().await;
    let path = "/v1/thermaliq/calculations/invalidate";
    let r = app
        .post(
            path,
            &json!({"from": "2025-11-02", "to": "2025-11-01", "reason": "x"}),
        )
        .await;
    assert_error(r, 400, "ValidationError", Some("to")).await;
    let r = app
        .post(path, &json!({"from": "2025-11-01", "to": "2025-11-02"}))
        .await;
    assert_error(r, 400, "ValidationError", Some("reason")).await;
    let r = app
        .post(path, &json!({"to": "2025-11-02", "reason": "x"}))
        .await;
    assert_error(r, 400, "ValidationError", Some("from")).await;
    let r = app
        .post(
            path,
            &json!({"from": "last week", "to": "2025-11-02", "reason": "x"}),
        )
        .await;
    assert_error(r, 400, "ValidationError", Some("from")).await;
}

/// GL-009 runbook scenario 9: the operator's SQL runs unchanged on the
/// SQLite store, and `/verify` tells a legitimate UPDATE from tampering.
#[tokio::test]
async fn runbook_sql_runs_and_verify_detects_tampering() {
    // The operator's sqlite3 view of the embedded store (PostgreSQL's psql
    // view is tested in crates/store-postgres).
    let app = crate::helpers::spawn_sqlite_app_with(|_| {}).await;
    let body = app.calculate(&runbook_case()).await;
    let id = body["calculation_id"].as_str().unwrap().to_owned();
    let report = verify(&app, &id).await;
    assert_eq!(report["verdict"], "intact", "{report}");
    assert_eq!(report["reproducible"], true);

    let sql = app.sql().await;
    // Scenario 9 step 2 (its NOW() - INTERVAL clause is PostgreSQL's; the date literal form runs anywhere).
    let rows = sqlx::query(
        "SELECT calculation_id, facility_id, efficiency, created_at
         FROM calculations
         WHERE efficiency < 0 OR efficiency > 100
           OR created_at >= '2025-11-01'
         ORDER BY created_at DESC;",
    )
    .fetch_all(&sql)
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get::<String, _>("calculation_id"), id);
    // Scenario 10: SELECT energy_flows ... gives JSON.
    let flows: String =
        sqlx::query_scalar("SELECT energy_flows FROM calculations WHERE calculation_id = ?")
            .bind(&id)
            .fetch_one(&sql)
            .await
            .unwrap();
    let flows: Value = serde_json::from_str(&flows).unwrap();
    assert_eq!(flows["inputs"]["fuel"], 1000.0);
    // Scenario 9 sub-procedure D, verbatim but for the dates.
    sqlx::query(
        "UPDATE calculations
         SET status='invalid',
             invalid_reason='Calculation formula error - see incident INC-12345'
         WHERE created_at >= '2025-11-01'
           AND created_at < '2999-11-26';",
    )
    .execute(&sql)
    .await
    .unwrap();
    assert_eq!(verify(&app, &id).await["verdict"], "intact");

    // Someone "fixes" the number behind the service's back.
    sqlx::query("UPDATE calculations SET efficiency = 95.0 WHERE calculation_id = ?")
        .bind(&id)
        .execute(&sql)
        .await
        .unwrap();
    let report = verify(&app, &id).await;
    assert_eq!(report["verdict"], "tampered", "{report}");
    assert_eq!(report["columns_match"], false);

    // Or edits the stored input itself.
    let other = app.calculate(&runbook_case()).await;
    let other_id = other["calculation_id"].as_str().unwrap();
    sqlx::query("UPDATE calculations SET canonical_input = replace(canonical_input, '1000.0', '1100.0') WHERE calculation_id = ?")
        .bind(other_id)
        .execute(&sql)
        .await
        .unwrap();
    let report = verify(&app, other_id).await;
    assert_eq!(report["verdict"], "tampered", "{report}");
    assert_eq!(report["input_hash_matches"], false);
}
