//! Meter data in, efficiency out: facilities, readings ingest and
//! calculations of a period from stored readings. Expected energies come
//! from the data generators below, not from the code under test.

use std::time::Duration;

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;

use crate::helpers::{TestApp, assert_error, spawn_app, spawn_app_with, spawn_sqlite_app_with};

pub fn facility(id: &str, schedule: &str) -> Value {
    json!({
        "facility_id": id, "name": "Boiler house", "process_type": "boiler", "time_zone": "Europe/Berlin",
        "schedule": schedule,
        "channels": [
            {"tag": "gas", "role": "input", "category": "fuel", "kind": "interval_energy", "unit": "kWh",
             "interval_minutes": 15, "stamping": "interval_end"},
            {"tag": "steam_power", "role": "output", "category": "steam", "kind": "power", "unit": "kW"}
        ]
    })
}

fn ts(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

/// One hour from `start`: gas 250 kWh per 15-minute interval (stamped at the
/// interval end) = 1000 kWh; steam a constant 800 kW sampled every minute
/// (the trapezoid rule is exact for a constant) = 800 kWh. Efficiency 80 %.
pub fn one_hour(start: OffsetDateTime, steam_minutes: i64) -> Value {
    let mut readings = Vec::new();
    for q in 1..=4 {
        readings.push(json!({"tag": "gas", "timestamp": ts(start + time::Duration::minutes(15 * q)), "value": 250.0}));
    }
    for m in 0..=steam_minutes {
        readings.push(json!({"tag": "steam_power", "timestamp": ts(start + time::Duration::minutes(m)), "value": 800.0}));
    }
    json!({"readings": readings})
}

fn period_request(id: &str, start: OffsetDateTime) -> Value {
    json!({"facility_id": id, "time_period": {"start": ts(start), "end": ts(start + time::Duration::hours(1))}})
}

async fn setup(app: &TestApp, id: &str) {
    let response = app
        .post("/v1/thermaliq/facilities", &facility(id, "none"))
        .await;
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn facilities_are_created_read_replaced_and_validated() {
    let app = spawn_app().await;
    setup(&app, "FAC-001").await;
    let again = app
        .post("/v1/thermaliq/facilities", &facility("FAC-001", "none"))
        .await;
    assert_error(again, 409, "ValidationError", Some("facility_id")).await;
    let got: Value = app
        .get("/v1/thermaliq/facilities/FAC-001")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["channels"][0]["tag"], "gas");
    let mut changed = facility("FAC-001", "daily");
    changed["name"] = json!("Boiler house 1");
    let response = app
        .client
        .put(app.url("/v1/thermaliq/facilities/FAC-001"))
        .bearer_auth(crate::helpers::ADMIN_TOKEN)
        .json(&changed)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let listed: Value = app
        .get("/v1/thermaliq/facilities")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["facilities"][0]["name"], "Boiler house 1");

    let mut bad = facility("FAC-BAD", "none");
    bad["channels"][1]["unit"] = json!("MWh");
    let response = app.post("/v1/thermaliq/facilities", &bad).await;
    assert_error(response, 400, "ValidationError", Some("channels[1].unit")).await;
    assert_error(
        app.get("/v1/thermaliq/facilities/NOPE").await,
        404,
        "NotFound",
        None,
    )
    .await;
}

#[tokio::test]
async fn readings_land_idempotently_with_row_errors() {
    let app = spawn_app().await;
    setup(&app, "FAC-001").await;
    let start = datetime!(2025-11-01 00:00 UTC);
    let batch = one_hour(start, 60);
    let first: Value = app
        .post("/v1/thermaliq/facilities/FAC-001/readings", &batch)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (first["inserted"].as_u64(), first["rejected_rows"].as_u64()),
        (Some(65), Some(0)),
        "{first}"
    );
    let again: Value = app
        .post("/v1/thermaliq/facilities/FAC-001/readings", &batch)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (again["inserted"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(65)),
        "{again}"
    );

    // CSV with two bad rows among good ones: good rows land, bad ones are named by line.
    let csv = "tag,timestamp,value,quality\n\
               gas,2025-11-02T00:15:00Z,250,good\n\
               oil,2025-11-02T00:15:00Z,1,good\n\
               gas,2025-11-02T00:30:00Z,NaN,good\n\
               gas,2025-11-02T00:45:00Z,250,uncertain\n";
    let response = app
        .client
        .post(app.url("/v1/thermaliq/facilities/FAC-001/readings"))
        .bearer_auth(crate::helpers::ADMIN_TOKEN)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["inserted"], 2, "{report}");
    let rows: Vec<u64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["row"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, [3, 4], "{report}");

    // A correction replaces the stored value (and is audited).
    let correction = json!({"readings": [{"tag": "gas", "timestamp": "2025-11-01T00:15:00Z", "value": 260.0, "correction": true}]});
    let report: Value = app
        .post("/v1/thermaliq/facilities/FAC-001/readings", &correction)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["corrected"], 1, "{report}");

    let unknown = app
        .post("/v1/thermaliq/facilities/NOPE/readings", &batch)
        .await;
    assert_error(unknown, 422, "ValidationError", Some("facility_id")).await;
}

#[tokio::test]
async fn a_period_is_computed_from_stored_readings() {
    let app = spawn_app().await;
    setup(&app, "FAC-001").await;
    let start = datetime!(2025-11-01 00:00 UTC);
    app.post(
        "/v1/thermaliq/facilities/FAC-001/readings",
        &one_hour(start, 60),
    )
    .await;
    let body = app.calculate(&period_request("FAC-001", start)).await;
    assert!(
        (body["efficiency"].as_f64().unwrap() - 80.0).abs() < 1e-9,
        "{body}"
    );
    assert!((body["energy_balance"]["total_input_kwh"].as_f64().unwrap() - 1000.0).abs() < 1e-9);
    assert_eq!(body["data_quality"]["completeness"], 1.0, "{body}");
    assert_eq!(body["data_quality"]["data_point_count"], 65);
    let channels = body["data_quality"]["channels"]
        .as_array()
        .expect("per-channel quality");
    assert_eq!(channels.len(), 2);
    assert!(
        channels.iter().all(|c| c["completeness"] == 1.0),
        "{channels:?}"
    );
    assert_eq!(body["data_quality"]["stale_channels"], json!([]));
    assert!(
        body["provenance"]["formulas"]
            .as_array()
            .unwrap()
            .contains(&json!("meter_data_aggregation"))
    );
    // The stored input reproduces: /verify re-runs the engine on it.
    let id = body["calculation_id"].as_str().unwrap();
    let report: Value = app
        .get(&format!("/v1/thermaliq/calculations/{id}/verify"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["verdict"], "intact", "{report}");

    let metrics = app.metrics().await;
    assert_eq!(
        crate::helpers::sample(
            &metrics,
            "thermaliq_calculation_data_completeness{facility_id=\"FAC-001\"}"
        ),
        Some(1.0)
    );

    let missing = app
        .post(
            "/v1/thermaliq/calculate",
            &period_request("FAC-NONE", start),
        )
        .await;
    assert_error(missing, 422, "ValidationError", Some("facility_id")).await;
}

#[tokio::test]
async fn incomplete_data_fails_in_strict_mode_naming_the_channel() {
    let app = spawn_app().await;
    setup(&app, "FAC-002").await;
    let start = datetime!(2025-11-01 00:00 UTC);
    // Steam metered for the first 30 minutes only: completeness 0.5 < 0.95.
    app.post(
        "/v1/thermaliq/facilities/FAC-002/readings",
        &one_hour(start, 30),
    )
    .await;
    let response = app
        .post("/v1/thermaliq/calculate", &period_request("FAC-002", start))
        .await;
    let body = assert_error(response, 422, "CalculationError", Some("data_quality")).await;
    let detail = body["error"]["details"][0]["problem"].as_str().unwrap();
    assert!(
        detail.contains("steam_power") && !detail.contains("gas"),
        "{detail}"
    );

    let lenient =
        spawn_app_with(|s| s.engine.mode = thermaliq_core::CalculationMode::Lenient).await;
    setup(&lenient, "FAC-002").await;
    lenient
        .post(
            "/v1/thermaliq/facilities/FAC-002/readings",
            &one_hour(start, 30),
        )
        .await;
    let body = lenient.calculate(&period_request("FAC-002", start)).await;
    assert!(
        body["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["code"] == "data_incomplete"),
        "{body}"
    );
    assert_eq!(
        body["data_quality"]["completeness"]
            .as_f64()
            .map(|c| c < 0.95),
        Some(true)
    );
}

#[tokio::test]
async fn too_many_data_points_is_a_clear_422_unless_chunking() {
    let app = spawn_app_with(|s| s.readings.max_data_points_per_calculation = 10).await;
    setup(&app, "FAC-001").await;
    let start = datetime!(2025-11-01 00:00 UTC);
    app.post(
        "/v1/thermaliq/facilities/FAC-001/readings",
        &one_hour(start, 60),
    )
    .await;
    let response = app
        .post("/v1/thermaliq/calculate", &period_request("FAC-001", start))
        .await;
    let body = assert_error(response, 422, "CalculationError", Some("time_period")).await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("MAX_DATA_POINTS_PER_CALCULATION")
    );

    // Chunking: streamed in chunks of 7 readings, same answer as one fetch.
    let chunked = spawn_app_with(|s| {
        s.readings.max_data_points_per_calculation = 10;
        s.readings.enable_calculation_chunking = true;
        s.readings.calculation_chunk_size = 7;
    })
    .await;
    setup(&chunked, "FAC-001").await;
    chunked
        .post(
            "/v1/thermaliq/facilities/FAC-001/readings",
            &one_hour(start, 60),
        )
        .await;
    let body = chunked.calculate(&period_request("FAC-001", start)).await;
    assert!((body["efficiency"].as_f64().unwrap() - 80.0).abs() < 1e-9);
}

/// Monitor mode: every closed hourly period of the catch-up window is computed
/// once, and a later scheduler pass adds none twice.
#[tokio::test]
async fn scheduled_facilities_are_computed_once_per_period() {
    let app = spawn_app_with(|s| {
        s.readings.schedule_catchup_days = 1;
        s.readings.scheduler_interval = Duration::from_millis(200);
        s.engine.mode = thermaliq_core::CalculationMode::Lenient;
    })
    .await;
    app.post("/v1/thermaliq/facilities", &facility("FAC-S", "hourly"))
        .await;
    let mut counts = Vec::new();
    for _ in 0..200 {
        let page: Value = app
            .get("/v1/thermaliq/calculations?facility_id=FAC-S&limit=1000")
            .await
            .json()
            .await
            .unwrap();
        counts.push(page["count"].as_u64().unwrap());
        if counts.len() > 10
            && counts[counts.len() - 10..]
                .iter()
                .all(|c| *c == counts[counts.len() - 1])
            && counts[counts.len() - 1] >= 23
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let last = *counts.last().unwrap();
    // Whole clock hours inside the last 24 h: 23 (24 only when "now" sits on
    // an hour boundary, or one more if an hour closed while the test ran).
    assert!((23..=25).contains(&last), "{counts:?}");
    let page: Value = app
        .get("/v1/thermaliq/calculations?facility_id=FAC-S&limit=1000")
        .await
        .json()
        .await
        .unwrap();
    let mut starts: Vec<&str> = page["calculations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["period_start"].as_str().unwrap())
        .collect();
    let n = starts.len();
    starts.sort();
    starts.dedup();
    assert_eq!(starts.len(), n, "a period was computed twice");
}

/// The runbook's SQL on energy_readings and facility_configurations, in sqlite3 terms.
#[tokio::test]
async fn runbook_sql_selects_the_readings_of_a_day() {
    let app = spawn_sqlite_app_with(|_| {}).await;
    setup(&app, "FAC-001").await;
    app.post(
        "/v1/thermaliq/facilities/FAC-001/readings",
        &one_hour(datetime!(2025-11-01 23:00 UTC), 60),
    )
    .await;
    let sql = app.sql().await;
    let rows: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT * FROM energy_readings WHERE facility_id = 'FAC-001' \
         AND timestamp >= '2025-11-01' AND timestamp < '2025-11-02')",
    )
    .fetch_one(&sql)
    .await
    .unwrap();
    // 23:00..23:59 steam (60 samples) + gas at 23:15, 23:30, 23:45; 00:00 readings fall on the 2nd.
    assert_eq!(rows, 63);
    let facilities: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM facility_configurations")
        .fetch_one(&sql)
        .await
        .unwrap();
    assert_eq!(facilities, 1);
}

/// docs/examples: the runbook's verification request (facility and period
/// only) computed from the example meter data gives the runbook's 90.48 %.
#[tokio::test]
async fn the_documented_example_reproduces_the_runbook_case() {
    let app = spawn_app().await;
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples");
    let facility = std::fs::read(examples.join("FAC-TEST-001.facility.json")).unwrap();
    let response = app.post_raw("/v1/thermaliq/facilities", facility).await;
    assert_eq!(response.status(), 201);
    let csv = std::fs::read(examples.join("FAC-TEST-001.readings.csv")).unwrap();
    let response = app
        .client
        .post(app.url("/v1/thermaliq/facilities/FAC-TEST-001/readings"))
        .bearer_auth(crate::helpers::ADMIN_TOKEN)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["rejected_rows"], 0, "{report}");
    // The runbook's Phase 5 request, verbatim.
    let body = app
        .calculate(&json!({"facility_id": "FAC-TEST-001",
                           "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T01:00:00Z"}}))
        .await;
    let efficiency = body["efficiency"].as_f64().unwrap();
    assert!((efficiency - 90.476).abs() < 0.001, "{efficiency}");
}
