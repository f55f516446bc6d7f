//! Work that outlives a request: async calculations, batch recalculation,
//! job status, and Idempotency-Key.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, TestApp, assert_error, runbook_case, sample, spawn_app};

/// Polls a job until it is done (or dead), with a generous bound.
async fn wait_for_job(app: &TestApp, url: &str) -> Value {
    for _ in 0..400 {
        let job: Value = app.get(url).await.json().await.unwrap();
        if job["status"] == "done" || job["status"] == "dead" {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("job {url} did not finish");
}

#[tokio::test]
async fn an_async_calculation_is_queued_then_stored() {
    let app = spawn_app().await;
    let response = app
        .post("/v1/thermaliq/calculate?async=true", &runbook_case())
        .await;
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let accepted: Value = response.json().await.unwrap();
    assert_eq!(accepted["status_url"], location.as_str());
    assert!(accepted["job_id"].as_str().unwrap().starts_with("JOB-"));

    let job = wait_for_job(&app, &location).await;
    assert_eq!(job["status"], "done", "{job}");
    let calculation: Value = app
        .get(job["calculation_url"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert!((calculation["efficiency"].as_f64().unwrap() - 90.476).abs() < 0.001);

    // Bad input is refused at once, not queued.
    let mut bad = runbook_case();
    bad["energy_input"]["fuel"] = json!(-5);
    let response = app.post("/v1/thermaliq/calculate?async=true", &bad).await;
    assert_error(response, 400, "ValidationError", Some("energy_input.fuel")).await;
    assert_error(
        app.post("/v1/thermaliq/calculate?async=maybe", &runbook_case())
            .await,
        400,
        "ValidationError",
        Some("async"),
    )
    .await;
    assert_error(
        app.get("/v1/thermaliq/jobs/JOB-NOPE").await,
        404,
        "NotFound",
        None,
    )
    .await;
}

#[tokio::test]
async fn a_batch_recalculates_a_range_once_each() {
    let app = spawn_app().await;
    let mut originals = Vec::new();
    for _ in 0..5 {
        originals.push(
            app.calculate(&runbook_case()).await["calculation_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let batch = json!({"from": "2000-01-01", "to": "2100-01-01", "invalidate_reason": "formula error, INC-12345"});
    let response = app.post("/v1/thermaliq/recalculate/batch", &batch).await;
    assert_eq!(response.status(), 202);
    let url = response.headers()["location"].to_str().unwrap().to_owned();
    let job = wait_for_job(&app, &url).await;
    assert_eq!(job["result"]["recalculations"], 5, "{job}");

    // Wait for the five recalculations, then check each original has exactly one.
    let mut recalculated = Vec::new();
    for _ in 0..400 {
        let page: Value = app
            .get("/v1/thermaliq/calculations?status=completed&limit=100")
            .await
            .json()
            .await
            .unwrap();
        recalculated = page["calculations"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["recalculated_from"].as_str().map(str::to_owned))
            .collect();
        if recalculated.len() >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    recalculated.sort();
    originals.sort();
    assert_eq!(recalculated, originals);
    let invalid: Value = app
        .get("/v1/thermaliq/calculations?status=invalid")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(invalid["count"], 5);
    let metrics = app.metrics().await;
    assert_eq!(
        sample(&metrics, "thermaliq_calculation_queue_depth"),
        Some(0.0)
    );

    let calc_token = app.token(thermaliq_store::Scope::Calculate).await;
    let response = app
        .post_as(&calc_token, "/v1/thermaliq/recalculate/batch", &batch)
        .await;
    assert_error(response, 403, "Forbidden", None).await;
    let response = app
        .post(
            "/v1/thermaliq/recalculate/batch",
            &json!({"from": "2025-11-02", "to": "2025-11-01"}),
        )
        .await;
    assert_error(response, 400, "ValidationError", Some("to")).await;
}

#[tokio::test]
async fn idempotency_keys_replay_the_first_answer() {
    let app = spawn_app().await;
    let post = |key: &'static str, body: Value| {
        let client = app.client.clone();
        let url = app.url("/v1/thermaliq/calculate");
        async move {
            client
                .post(url)
                .bearer_auth(ADMIN_TOKEN)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let first = post("retry-42", runbook_case()).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = post("retry-42", runbook_case()).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["calculation_id"], first["calculation_id"]);
    let listed: Value = app
        .get("/v1/thermaliq/calculations")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["count"], 1,
        "a retry must not store a second calculation"
    );

    let mut other = runbook_case();
    other["facility_id"] = json!("FAC-OTHER");
    let response = post("retry-42", other).await;
    assert_error(response, 422, "ValidationError", Some("Idempotency-Key")).await;

    // Errors are not recorded: the key stays usable.
    let mut bad = runbook_case();
    bad["energy_input"]["fuel"] = json!(-1);
    assert_eq!(post("retry-43", bad).await.status(), 400);
    assert_eq!(post("retry-43", runbook_case()).await.status(), 201);
}
