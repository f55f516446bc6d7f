//! POST /calculate: the runbook case, units, measured losses, strict and lenient modes.

use serde_json::{Value, json};
use thermaliq_core::CalculationMode;

use crate::helpers::{assert_error, runbook_case, spawn_app, spawn_app_with};

#[tokio::test]
async fn runbook_case_gives_90_48_percent_and_is_stored() {
    let app = spawn_app().await;
    let response = app.post("/v1/thermaliq/calculate", &runbook_case()).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    // Runbook: "Expected efficiency: (750 + 200) / (1000 + 50) = 90.48%".
    let efficiency = body["efficiency"].as_f64().unwrap();
    assert!((efficiency - 90.476).abs() < 0.001, "{efficiency}");
    assert_eq!(body["status"], "completed");
    let id = body["calculation_id"].as_str().unwrap();
    assert!(id.starts_with("CALC-") && id.len() == 31, "{id}");
    assert_eq!(location, format!("/v1/thermaliq/calculations/{id}"));
    assert_eq!(body["energy_balance"]["total_input_kwh"], 1050.0);
    assert_eq!(body["energy_balance"]["total_output_kwh"], 950.0);
    assert_eq!(body["energy_balance"]["total_losses_kwh"], 100.0);
    assert_eq!(body["data_quality"]["completeness"], 1.0);
    assert_eq!(
        body["provenance"]["engine_version"],
        thermaliq_core::ENGINE_VERSION
    );
    assert_eq!(body["provenance"]["input_hash"].as_str().unwrap().len(), 64);

    // What was acknowledged is what is stored.
    let stored: Value = app.get(&location).await.json().await.unwrap();
    assert_eq!(stored, body);
}

#[tokio::test]
async fn the_runbook_curl_without_content_type_works() {
    // `curl -d @test_calculation.json` sends application/x-www-form-urlencoded.
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/v1/thermaliq/calculate"))
        .bearer_auth(crate::helpers::ADMIN_TOKEN)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(runbook_case().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn values_in_other_units_are_converted_exactly() {
    let app = spawn_app().await;
    // 3.6 GJ = 1000 kWh (1 kWh = 3.6 MJ, SI); 1 MMBtu = 293.07107 kWh (US EIA);
    // output 0.9 MWh = 900 kWh.
    let body = app
        .calculate(&json!({
            "facility_id": "FAC-U",
            "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-02T00:00:00Z"},
            "energy_input": {"gas": {"value": 3.6, "unit": "GJ"}, "oil": {"value": 1.0, "unit": "MMBtu"}},
            "energy_output": {"steam": {"value": 0.9, "unit": "MWh"}}
        }))
        .await;
    let input = body["energy_balance"]["total_input_kwh"].as_f64().unwrap();
    assert!((input - 1293.07107).abs() < 1e-5, "{input}");
    let expected = 900.0 / 1293.07107 * 100.0;
    assert!((body["efficiency"].as_f64().unwrap() - expected).abs() < 1e-6);

    // A request-wide unit applies to plain numbers.
    let body = app
        .calculate(&json!({
            "facility_id": "FAC-U",
            "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-02T00:00:00Z"},
            "unit": "therm",
            "energy_input": {"gas": 100.0},
            "energy_output": {"hot_water": 80.0}
        }))
        .await;
    // 1 therm = 100 000 Btu(IT) = 29.307107 kWh (US EIA).
    assert!((body["energy_balance"]["total_input_kwh"].as_f64().unwrap() - 2930.7107).abs() < 1e-4);
    assert!((body["efficiency"].as_f64().unwrap() - 80.0).abs() < 1e-12);
}

fn with_losses(losses: Value) -> Value {
    json!({
        "facility_id": "FAC-L",
        "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T01:00:00Z"},
        "energy_input": {"fuel": 1000.0},
        "energy_output": {"steam": 800.0},
        "energy_losses": losses
    })
}

#[tokio::test]
async fn measured_losses_close_the_balance_within_the_threshold() {
    let app = spawn_app().await;
    // 1000 in, 800 out, 150 + 30 measured: 20 kWh = 2 % unaccounted (< 5 %).
    let body = app
        .calculate(&with_losses(json!({"flue_gas": 150.0, "radiation": 30.0})))
        .await;
    let balance = &body["energy_balance"];
    assert_eq!(balance["closure_percent"], 2.0);
    assert_eq!(balance["within_threshold"], true);
    assert_eq!(balance["unaccounted_kwh"], 20.0);
    let categories: Vec<&str> = body["loss_breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["category"].as_str().unwrap())
        .collect();
    assert_eq!(categories, ["flue_gas", "radiation", "unaccounted"]);
}

#[tokio::test]
async fn strict_mode_violations_are_calculation_errors_and_stored_as_failed() {
    let app = spawn_app().await;
    // 10 % unaccounted > 5 % threshold.
    let response = app
        .post(
            "/v1/thermaliq/calculate",
            &with_losses(json!({"flue_gas": 100.0})),
        )
        .await;
    let body = assert_error(response, 422, "CalculationError", Some("energy_losses")).await;
    let id = body["calculation_id"]
        .as_str()
        .expect("failed calculations are stored")
        .to_owned();
    let stored: Value = app
        .get(&format!("/v1/thermaliq/calculations/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["status"], "failed");
    // The efficiency it computed is kept (800 / 1000 kWh), so the runbook's
    // Scenario 9 SQL can list failed rows by efficiency (tests/api/runbook_sql.rs).
    assert_eq!(stored["efficiency"], 80.0);

    // Output above input: efficiency over 100 %.
    let mut over = crate::helpers::runbook_case();
    over["energy_output"]["steam"] = json!(2000.0);
    let response = app.post("/v1/thermaliq/calculate", &over).await;
    assert_error(response, 422, "CalculationError", Some("energy_output")).await;

    // Zero input.
    let zero = json!({
        "facility_id": "FAC-Z",
        "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T01:00:00Z"},
        "energy_input": {"fuel": 0.0},
        "energy_output": {"steam": 0.0}
    });
    let response = app.post("/v1/thermaliq/calculate", &zero).await;
    assert_error(response, 422, "CalculationError", Some("energy_input")).await;

    let metrics = app.metrics().await;
    assert_eq!(
        crate::helpers::sample(
            &metrics,
            "thermaliq_calculation_errors_by_type_total{error_type=\"CalculationError\"}"
        ),
        Some(3.0)
    );
}

#[tokio::test]
async fn lenient_mode_stores_violations_as_warnings() {
    let app = spawn_app_with(|s| s.engine.mode = CalculationMode::Lenient).await;
    let body = app
        .calculate(&with_losses(json!({"flue_gas": 100.0})))
        .await;
    assert_eq!(body["status"], "completed");
    assert_eq!(body["efficiency"], 80.0);
    assert_eq!(body["warnings"][0]["code"], "energy_balance_not_closed");
    assert_eq!(body["energy_balance"]["within_threshold"], false);
}

#[tokio::test]
async fn a_relaxed_threshold_accepts_a_wider_balance() {
    // The runbook's mitigation: ENERGY_BALANCE_THRESHOLD=0.10.
    let app = spawn_app_with(|s| s.engine.energy_balance_threshold = 0.10).await;
    let body = app
        .calculate(&with_losses(json!({"flue_gas": 100.0})))
        .await;
    assert_eq!(body["energy_balance"]["within_threshold"], true);
}
