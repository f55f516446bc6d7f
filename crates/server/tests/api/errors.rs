//! Every class of bad input gets a 4xx JSON error naming the field and the rule.

use serde_json::{Value, json};

use crate::helpers::{assert_error, runbook_case, spawn_app};

const CALCULATE: &str = "/v1/thermaliq/calculate";

fn case_with(mutate: impl FnOnce(&mut Value)) -> Value {
    let mut body = runbook_case();
    mutate(&mut body);
    body
}

#[tokio::test]
async fn validation_errors_name_the_field() {
    let app = spawn_app().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "unknown field",
            case_with(|b| b["colour"] = json!("red")),
            "colour",
        ),
        (
            "missing facility",
            case_with(|b| {
                b.as_object_mut()
                    .unwrap()
                    .remove("facility_id")
                    .map(drop)
                    .unwrap()
            }),
            "facility_id",
        ),
        (
            "end before start",
            case_with(|b| b["time_period"]["end"] = json!("2025-10-31T00:00:00Z")),
            "time_period.end",
        ),
        (
            "end equal to start",
            case_with(|b| b["time_period"]["end"] = b["time_period"]["start"].clone()),
            "time_period.end",
        ),
        (
            "bad timestamp",
            case_with(|b| b["time_period"]["start"] = json!("01/11/2025")),
            "time_period.start",
        ),
        (
            "negative value",
            case_with(|b| b["energy_input"]["fuel"] = json!(-1.0)),
            "energy_input.fuel",
        ),
        (
            "negative value with unit",
            case_with(|b| b["energy_output"]["steam"] = json!({"value": -2, "unit": "GJ"})),
            "energy_output.steam.value",
        ),
        (
            "string value",
            case_with(|b| b["energy_input"]["fuel"] = json!("1000")),
            "energy_input.fuel",
        ),
        (
            "null value",
            case_with(|b| b["energy_input"]["fuel"] = Value::Null),
            "energy_input.fuel",
        ),
        (
            "unknown unit",
            case_with(|b| b["energy_input"]["fuel"] = json!({"value": 1, "unit": "kWhr"})),
            "energy_input.fuel.unit",
        ),
        (
            "unknown request unit",
            case_with(|b| b["unit"] = json!("calories")),
            "unit",
        ),
        (
            "no input energy",
            case_with(|b| b["energy_input"] = json!({})),
            "energy_input",
        ),
        (
            "missing output",
            case_with(|b| {
                b.as_object_mut()
                    .unwrap()
                    .remove("energy_output")
                    .map(drop)
                    .unwrap()
            }),
            "energy_output",
        ),
        (
            "bad facility id",
            case_with(|b| b["facility_id"] = json!("FAC 001; DROP TABLE")),
            "facility_id",
        ),
        (
            "process block",
            case_with(|b| b["process"] = json!({"type": "boiler"})),
            "process",
        ),
    ];
    for (name, body, field) in cases {
        let response = app.post(CALCULATE, &body).await;
        println!("case: {name}");
        assert_error(response, 400, "ValidationError", Some(field)).await;
    }
}

/// Without energies or a process block the period is computed from stored
/// readings, which needs the facility's configuration.
#[tokio::test]
async fn a_period_of_an_unconfigured_facility_names_it() {
    let app = spawn_app().await;
    let body = json!({"facility_id": "FAC-1", "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T01:00:00Z"}});
    let response = app.post(CALCULATE, &body).await;
    assert_error(response, 422, "ValidationError", Some("facility_id")).await;
}

#[tokio::test]
async fn malformed_json_and_non_finite_numbers() {
    let app = spawn_app().await;
    let response = app.post_raw(CALCULATE, "{\"facility_id\": \"F\", ").await;
    assert_error(response, 400, "ValidationError", Some("body")).await;
    let response = app.post_raw(CALCULATE, "").await;
    assert_error(response, 400, "ValidationError", Some("body")).await;
    // Python's json.dumps(float('nan')) writes a bare NaN token: not JSON.
    let text = runbook_case().to_string().replace("1000.0", "NaN");
    let response = app.post_raw(CALCULATE, text).await;
    assert_error(response, 400, "ValidationError", Some("body")).await;
    // A literal beyond f64 is refused where it stands.
    let text = runbook_case().to_string().replace("1000.0", "1e999");
    let response = app.post_raw(CALCULATE, text).await;
    assert_error(response, 400, "ValidationError", Some("energy_input.fuel")).await;
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_refused() {
    let app = spawn_app().await;
    let padding = "x".repeat(1024 * 1024);
    let text = format!("{{\"facility_id\": \"{padding}\"}}");
    let response = app.post_raw(CALCULATE, text).await;
    assert_error(response, 413, "ValidationError", Some("body")).await;
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let app = spawn_app().await;
    assert_error(
        app.get("/v1/thermaliq/nothing").await,
        404,
        "NotFound",
        None,
    )
    .await;
    assert_error(
        app.get(CALCULATE).await,
        405,
        "ValidationError",
        Some("method"),
    )
    .await;
    let missing = app
        .get("/v1/thermaliq/calculations/CALC-DOESNOTEXIST")
        .await;
    assert_error(missing, 404, "NotFound", None).await;
}

/// A huge offending value is not echoed back whole (nor logged whole), and a
/// request refused before its body was read says the connection closes.
#[tokio::test]
async fn huge_values_are_clipped_and_early_refusals_close_the_connection() {
    let app = crate::helpers::spawn_app().await;
    let mut body = crate::helpers::runbook_case();
    body["energy_input"] = serde_json::json!({"x".repeat(600_000): 1.0});
    let response = app.post("/v1/thermaliq/calculate", &body).await;
    assert_eq!(response.status(), 400);
    let text = response.text().await.unwrap();
    assert!(text.len() < 4_000, "{} bytes echoed", text.len());
    assert!(
        text.contains("characters, cut"),
        "{}",
        &text[..text.len().min(500)]
    );

    let refused = app
        .client
        .post(app.url("/v1/thermaliq/calculate"))
        .json(&crate::helpers::runbook_case())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(
        refused
            .headers()
            .get("connection")
            .map(|v| v.to_str().unwrap()),
        Some("close")
    );
}
