//! The process types of issue 11 through the API, and improvement
//! opportunities of a stored calculation.

use serde_json::{Value, json};

use crate::helpers::{assert_error, spawn_app};

fn period() -> Value {
    json!({"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T01:00:00Z"})
}

/// The issue's own CHP request: 10 MW of gas, 3.5 MW net electricity, 4.5 MW heat.
#[tokio::test]
async fn a_chp_request_reports_its_efficiencies_and_primary_energy_savings() {
    let app = spawn_app().await;
    let body = json!({"facility_id": "FAC-CHP", "time_period": period(),
        "process": {"type": "chp", "fuel": {"name": "natural_gas", "energy_kw": 10000},
                    "electricity": {"net_kw": 3500}, "heat": [{"medium": "hot_water", "energy_kw": 4500}],
                    "construction_year": 2018}});
    let response = app.post("/v1/thermaliq/calculate", &body).await;
    let status = response.status();
    let out: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{out}");
    // 3500/10000 and 4500/10000 by definition (Directive 2012/27/EU Annex II).
    let text = out.to_string();
    assert!(
        text.contains("\"electrical_efficiency_pct\":35.0"),
        "{text}"
    );
    assert!(text.contains("\"thermal_efficiency_pct\":45.0"), "{text}");
    assert!(text.contains("high_efficiency_cogeneration"), "{text}");
    assert!(
        (out["efficiency"].as_f64().unwrap() - 80.0).abs() < 1e-9,
        "{out}"
    );
}

#[tokio::test]
async fn opportunities_of_a_boiler_calculation_are_appraised_in_decimal_money() {
    let app = spawn_app().await;
    let body = json!({"facility_id": "FAC-B", "time_period": period(),
        "process": {"type": "boiler", "fuel": {"name": "natural_gas", "energy_kw": 1000},
                    "steam": {"mass_flow_kg_h": 1000, "pressure_mpa": 1.0, "temperature_c": 250},
                    "feedwater": {"pressure_mpa": 1.2, "temperature_c": 105},
                    "blowdown_pct": 5,
                    "flue_gas": {"temperature_c": 260, "o2_pct_dry": 7.0}}});
    let created = app.calculate(&body).await;
    let id = created["calculation_id"].as_str().unwrap();
    let path = format!(
        "/v1/thermaliq/calculations/{id}/opportunities?fuel_price_per_mwh=45.50&currency=EUR&operating_hours_per_year=6000"
    );
    let response = app.get(&path).await;
    let status = response.status();
    let report: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{report}");
    let text = report.to_string();
    assert!(text.contains("EUR"), "{text}");
    // Flue gas at 260 °C and 7 % O2 leaves room for air trim and an economizer.
    assert!(
        text.contains("excess_air") && text.contains("economizer"),
        "{text}"
    );

    let missing = app
        .get(&format!("/v1/thermaliq/calculations/{id}/opportunities"))
        .await;
    assert_error(missing, 400, "ValidationError", Some("fuel_price_per_mwh")).await;
    let bad = app
        .get(&format!(
            "/v1/thermaliq/calculations/{id}/opportunities?fuel_price_per_mwh=-1&horizon_years=99"
        ))
        .await;
    let body = assert_error(bad, 400, "ValidationError", Some("horizon_years")).await;
    assert!(body.to_string().contains("fuel_price_per_mwh"), "{body}");
    let unknown = app
        .get("/v1/thermaliq/calculations/CALC-NONE/opportunities?fuel_price_per_mwh=40")
        .await;
    assert_eq!(unknown.status(), 404);
}
