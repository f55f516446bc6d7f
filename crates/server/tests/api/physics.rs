//! Process calculations (`process` block), `GET /steam` and `POST /combustion`.

use serde_json::{Value, json};

use crate::helpers::{assert_error, spawn_app};

/// A boiler whose states sit on IAPWS-IF97 verification points, so the
/// expected output comes from the published tables, not from this code:
/// steam at 30 MPa, 700 K: h = 2631.49474 kJ/kg (IAPWS R7-97(2012) Table 15);
/// feedwater at 3 MPa, 300 K: h = 115.331273 kJ/kg (Table 5).
/// Output = 1000 kg/h × (2631.49474 − 115.331273) kJ/kg / 3600 s/h = 698.93430 kW;
/// metered fuel 1000 kW -> input-output efficiency 69.893430 %.
fn table_boiler() -> Value {
    json!({
        "facility_id": "FAC-B2",
        "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T02:00:00Z"},
        "process": {"type": "boiler",
            "fuel": {"name": "natural_gas", "energy_kw": 1000},
            "steam": {"mass_flow_kg_h": 1000, "pressure_mpa": 30, "temperature_c": 426.85},
            "feedwater": {"pressure_mpa": 3, "temperature_c": 26.85},
            "blowdown_pct": 0,
            "flue_gas": {"temperature_c": 180, "o2_pct_dry": 3.0}}
    })
}

#[tokio::test]
async fn a_boiler_by_measured_quantities_reports_both_methods() {
    let app = spawn_app().await;
    let body = app.calculate(&table_boiler()).await;
    let expected = 1000.0 * (2_631.494_74 - 115.331_273) / 3600.0 / 1000.0 * 100.0;
    let efficiency = body["efficiency"].as_f64().unwrap();
    assert!(
        (efficiency - expected).abs() < 1e-5,
        "{efficiency} vs {expected}"
    );
    assert_eq!(
        body["methods"]["input_output"]["efficiency_pct"],
        body["efficiency"]
    );
    let heat_loss = body["methods"]["heat_loss"]["efficiency_pct"]
        .as_f64()
        .unwrap();
    assert!(heat_loss > 70.0 && heat_loss < 95.0, "{heat_loss}");
    // Two hours at 1000 kW.
    assert!((body["energy_balance"]["total_input_kwh"].as_f64().unwrap() - 2000.0).abs() < 1e-9);
    assert_eq!(body["provenance"]["basis"], "hhv");
    assert!(
        body["second_law"]["second_law_efficiency_pct"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    let categories: Vec<&str> = body["loss_breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["category"].as_str().unwrap())
        .collect();
    assert!(
        categories.contains(&"dry_flue_gas") && categories.contains(&"unaccounted"),
        "{categories:?}"
    );

    let id = body["calculation_id"].as_str().unwrap();
    let report: Value = app
        .get(&format!("/v1/thermaliq/calculations/{id}/verify"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["verdict"], "intact", "{report}");
}

#[tokio::test]
async fn process_errors_name_the_field() {
    let app = spawn_app().await;
    let mut bad = table_boiler();
    bad["process"]["flue_gas"]["o2_pct_dry"] = json!(25.0);
    let response = app.post("/v1/thermaliq/calculate", &bad).await;
    assert_error(
        response,
        400,
        "ValidationError",
        Some("process.flue_gas.o2_pct_dry"),
    )
    .await;

    let mut unknown = table_boiler();
    unknown["process"]["steam"]["colour"] = json!("white");
    let response = app.post("/v1/thermaliq/calculate", &unknown).await;
    let body = assert_error(response, 400, "ValidationError", None).await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("colour"),
        "{body}"
    );
}

#[tokio::test]
async fn steam_look_ups_reproduce_the_iapws_tables() {
    let app = spawn_app().await;
    // IAPWS R7-97(2012) Table 5: p = 3 MPa, T = 300 K.
    let s: Value = app
        .get("/v1/thermaliq/steam?pressure_mpa=3&temperature_k=300")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["region"], 1);
    assert!((s["enthalpy_kj_kg"].as_f64().unwrap() - 115.331_273).abs() < 1e-6);
    assert!((s["specific_volume_m3_kg"].as_f64().unwrap() - 0.100_215_168e-2).abs() < 1e-11);
    // Table 35: psat(500 K) = 0.263889776e1 MPa.
    let sat: Value = app
        .get("/v1/thermaliq/steam?temperature_k=500&saturated=vapor")
        .await
        .json()
        .await
        .unwrap();
    assert!((sat["pressure_mpa"].as_f64().unwrap() - 2.638_897_76).abs() < 1e-8);
    // Bad queries name the parameter.
    let r = app.get("/v1/thermaliq/steam?pressure_mpa=3").await;
    assert_error(r, 400, "ValidationError", Some("query")).await;
    let r = app
        .get("/v1/thermaliq/steam?pressure_mpa=3&temperature_k=5000")
        .await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn combustion_losses_for_natural_gas() {
    let app = spawn_app().await;
    let input = json!({"fuel": {"name": "natural_gas"},
                       "flue_gas": {"temperature_c": 180, "o2_pct_dry": 3.0},
                       "combustion_air_temperature_c": 25});
    let response = app.post("/v1/thermaliq/combustion", &input).await;
    assert_eq!(response.status(), 200);
    let r: Value = response.json().await.unwrap();
    // US DOE Steam Tip Sheet #4 (2012), natural-gas table: 3.0 % O2 ≈ 15 % excess air.
    assert!(
        (r["excess_air_pct"].as_f64().unwrap() - 15.0).abs() < 1.0,
        "{r}"
    );
    assert_eq!(r["basis"], "hhv");
    let eff = r["combustion_efficiency_pct"].as_f64().unwrap();
    assert!(eff > 75.0 && eff < 90.0, "{eff}");

    let mut bad = input.clone();
    bad["flue_gas"]["o2_pct_dry"] = json!(-1);
    let response = app.post("/v1/thermaliq/combustion", &bad).await;
    assert_error(
        response,
        400,
        "ValidationError",
        Some("flue_gas.o2_pct_dry"),
    )
    .await;
}
