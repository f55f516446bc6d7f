//! The group commit: every acknowledged calculation is durable, also when
//! the server is killed (SIGKILL) in the middle of concurrent load; a row the
//! store refuses fails alone; batches report per item; rows written by the
//! previous layout still verify.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use thermaliq_store::Store;

use crate::helpers::{ADMIN_TOKEN, runbook_case, spawn_app, spawn_app_with};
use crate::process::Process;

/// 16 clients post as fast as they can; the server is SIGKILLed mid-load.
/// After a restart, every calculation that got its 201 is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_calculation_survives_sigkill_under_concurrent_load() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Process::start(dir.path(), &[("THERMALIQ_LOG", "warn")]);
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (client, base, acknowledged) =
            (client.clone(), server.base.clone(), acknowledged.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let sent = client
                    .post(format!("{base}/v1/thermaliq/calculate"))
                    .bearer_auth(ADMIN_TOKEN)
                    .json(&runbook_case())
                    .send()
                    .await;
                let Ok(response) = sent else { break };
                if response.status() != 201 {
                    continue;
                }
                let Ok(body) = response.json::<Value>().await else {
                    break;
                };
                let id = body["calculation_id"].as_str().unwrap().to_owned();
                acknowledged.lock().unwrap().push(id);
            }
        }));
    }
    // Let load build up until a good number of commits were grouped.
    for _ in 0..200 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if acknowledged.lock().unwrap().len() >= 400 {
            break;
        }
    }
    server.child.kill().unwrap(); // SIGKILL while requests are in flight
    server.child.wait().unwrap();
    for task in tasks {
        let _ = task.await;
    }
    let ids = acknowledged.lock().unwrap().clone();
    assert!(
        ids.len() >= 50,
        "load too light: {} acknowledged",
        ids.len()
    );

    let restarted = Process::start(dir.path(), &[("THERMALIQ_LOG", "warn")]);
    let store = thermaliq_store_sqlite::SqliteStore::open(
        &dir.path().join("thermaliq.db"),
        thermaliq_store_sqlite::PoolSettings {
            max_connections: 2,
            acquire_timeout: Duration::from_secs(5),
        },
    )
    .await
    .unwrap();
    let mut missing = Vec::new();
    for id in &ids {
        if store.get_calculation(id).await.unwrap().is_none() {
            missing.push(id.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged calculations lost: {:?}",
        missing.len(),
        ids.len(),
        &missing[..missing.len().min(5)]
    );
    drop(restarted);
}

/// Two rows with the same id in one group: the store refuses the second; the
/// first and the rows around them are stored and acknowledged.
#[tokio::test]
async fn a_refused_row_does_not_fail_its_neighbours_in_the_group() {
    let app = spawn_app().await;
    let state = &app.server().state;
    let body = runbook_case().to_string();
    let mut records = Vec::new();
    for n in 0..5 {
        let req = thermaliq_core::parse_calculation_request(body.as_bytes()).unwrap();
        let sealed = thermaliq_core::provenance::compute_and_seal(
            &req.input,
            &thermaliq_core::EngineSettings::default(),
        );
        // Rows 1 and 3 share an id: the second of them is the refused one.
        let id = match n {
            1 | 3 => "CALC-GROUPDUPLICATE".to_owned(),
            _ => format!("CALC-GROUP{n}"),
        };
        records.push(thermaliq_store::CalculationRecord {
            calculation_id: id,
            facility_id: "FAC-G".to_owned(),
            period_start: req.input.time_period.start,
            period_end: req.input.time_period.end,
            efficiency: sealed.result.efficiency,
            status: "completed".parse().unwrap(),
            invalid_reason: None,
            recalculated_from: None,
            request: body.clone(),
            canonical_input: sealed.canonical_input.clone(),
            result: sealed.canonical_result.clone(),
            energy_flows: sealed.canonical_energy_flows.clone(),
            input_hash: sealed.input_hash.clone(),
            output_hash: sealed.output_hash.clone(),
            engine_version: thermaliq_core::ENGINE_VERSION.to_owned(),
            created_at: time::OffsetDateTime::now_utc()
                .replace_nanosecond(0)
                .unwrap(),
        });
    }
    let outcomes = state.writer.store_all(records).await;
    let failed: Vec<usize> = outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| o.is_err())
        .map(|(n, _)| n)
        .collect();
    assert_eq!(failed, [3], "{outcomes:?}");
    assert!(matches!(
        outcomes[3],
        Err(thermaliq_store::StoreError::Duplicate(_))
    ));
    for id in [
        "CALC-GROUP0",
        "CALC-GROUPDUPLICATE",
        "CALC-GROUP2",
        "CALC-GROUP4",
    ] {
        let response = app.get(&format!("/v1/thermaliq/calculations/{id}")).await;
        assert_eq!(response.status(), 200, "{id}");
        let verify: Value = app
            .get(&format!("/v1/thermaliq/calculations/{id}/verify"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(verify["verdict"], "intact", "{verify}");
    }
}

/// Mixed items: results in request order, each stored one verifiable, each
/// refused one with the error object an error response would carry.
#[tokio::test]
async fn a_batch_reports_each_item_in_order() {
    let app = spawn_app().await;
    let mut lossy = runbook_case();
    lossy["energy_output"]["steam"] = json!(2000.0); // 209 %: strict mode refuses it
    let mut bad = runbook_case();
    bad["energy_input"]["fuel"] = json!(-1.0);
    let body = json!({"calculations": [runbook_case(), bad, lossy, {"facility_id": "FAC-X"}, runbook_case()]});
    let response = app.post("/v1/thermaliq/calculate/batch", &body).await;
    assert_eq!(response.status(), 201);
    let out: Value = response.json().await.unwrap();
    let results = out["results"].as_array().unwrap();
    assert_eq!(results.len(), 5, "{out}");
    for (n, item) in results.iter().enumerate() {
        assert_eq!(item["index"], n, "{out}");
    }
    assert_eq!(results[0]["status"], "completed");
    assert!((results[0]["efficiency"].as_f64().unwrap() - 90.476_190_476).abs() < 1e-6);
    assert_eq!(results[1]["error"]["type"], "ValidationError");
    assert_eq!(
        results[1]["error"]["details"][0]["field"],
        "energy_input.fuel"
    );
    // A strict-mode failure is stored (as failed) and names its id.
    assert_eq!(results[2]["error"]["type"], "CalculationError");
    let failed_id = results[2]["error"]["calculation_id"].as_str().unwrap();
    let stored: Value = app
        .get(&format!("/v1/thermaliq/calculations/{failed_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["status"], "failed");
    assert_eq!(results[3]["error"]["type"], "ValidationError");
    assert_eq!(
        (out["count"].clone(), out["failed"].clone()),
        (json!(5), json!(3))
    );
    let ids: HashSet<&str> = [0, 4]
        .iter()
        .map(|n| results[*n]["calculation_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    for id in ids {
        let verify: Value = app
            .get(&format!("/v1/thermaliq/calculations/{id}/verify"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(verify["verdict"], "intact", "{verify}");
    }
    let metrics = app.metrics().await;
    let requests = crate::helpers::sample(&metrics, "thermaliq_calculation_requests_total");
    assert_eq!(requests, Some(5.0), "counted per item");
}

#[tokio::test]
async fn a_batch_is_bounded_and_validated_as_a_whole() {
    let app = spawn_app_with(|s| s.calculation_batch_max = 3).await;
    let four =
        json!({"calculations": [runbook_case(), runbook_case(), runbook_case(), runbook_case()]});
    let response = app.post("/v1/thermaliq/calculate/batch", &four).await;
    let body =
        crate::helpers::assert_error(response, 400, "ValidationError", Some("calculations")).await;
    assert!(body.to_string().contains("CALCULATION_BATCH_MAX"), "{body}");
    for bad in [
        json!({}),
        json!({"calculations": []}),
        json!({"calculations": 5}),
        json!({"items": []}),
    ] {
        let response = app.post("/v1/thermaliq/calculate/batch", &bad).await;
        assert_eq!(response.status(), 400, "{bad}");
    }
    // Idempotency-Key: the same batch sent twice stores once.
    let two = json!({"calculations": [runbook_case(), runbook_case()]});
    let send = || {
        app.client
            .post(app.url("/v1/thermaliq/calculate/batch"))
            .bearer_auth(ADMIN_TOKEN)
            .header("Idempotency-Key", "batch-1")
            .json(&two)
            .send()
    };
    let first: Value = send().await.unwrap().json().await.unwrap();
    let again: Value = send().await.unwrap().json().await.unwrap();
    assert_eq!(first, again);
}

/// A row exactly as the previous layout (schema 1, before the service
/// layer) wrote it, inserted into today's store: `/verify` says intact.
#[tokio::test]
async fn a_row_written_by_the_previous_layout_still_verifies() {
    let app = spawn_app().await;
    let rows: Vec<Value> =
        serde_json::from_str(include_str!("../../../core/tests/data/rows_schema_v1.json")).unwrap();
    for (n, row) in rows.iter().enumerate() {
        let text = |k: &str| row[k].as_str().unwrap().to_owned();
        let record = thermaliq_store::CalculationRecord {
            calculation_id: format!("CALC-SCHEMA1ROW{n}"),
            facility_id: "FAC-OLD".to_owned(),
            period_start: time::macros::datetime!(2025-11-01 00:00 UTC),
            period_end: time::macros::datetime!(2025-11-01 01:00 UTC),
            efficiency: row["efficiency"].as_f64(),
            status: text("status").parse().unwrap(),
            invalid_reason: None,
            recalculated_from: None,
            request: text("request"),
            canonical_input: text("canonical_input"),
            result: text("result"),
            energy_flows: text("energy_flows"),
            input_hash: text("input_hash"),
            output_hash: text("output_hash"),
            engine_version: text("engine_version"),
            created_at: time::macros::datetime!(2025-11-01 01:00 UTC),
        };
        app.server()
            .state
            .store
            .insert_calculation(&record)
            .await
            .unwrap();
        let verify: Value = app
            .get(&format!(
                "/v1/thermaliq/calculations/CALC-SCHEMA1ROW{n}/verify"
            ))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(verify["intact"], true, "{verify}");
        // Inline rows reproduce; the boiler row's physics changed in engine 0.2.0.
        let inline = !row["request"].as_str().unwrap().contains("\"process\"");
        assert_eq!(verify["reproducible"], inline, "{verify}");
    }
}
