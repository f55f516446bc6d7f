//! The issue-11 request shapes (chp, dryer, kiln) through the engine's
//! `process` block: parse, validate, evaluate.

use thermaliq_core::{EngineSettings, evaluate, parse_calculation_request};

fn body(process: &str) -> String {
    format!(
        r#"{{"facility_id": "FAC-X", "time_period": {{"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T02:00:00Z"}},
            "process": {process}}}"#
    )
}

#[test]
fn chp_request_of_the_issue() {
    let req = parse_calculation_request(body(r#"{"type": "chp", "fuel": {"name": "natural_gas", "energy_kw": 10000}, "electricity": {"net_kw": 3500}, "heat": [{"medium": "hot_water", "energy_kw": 4500}], "construction_year": 2018}"#).as_bytes()).unwrap();
    let r = evaluate(&req.input, &EngineSettings::default());
    // Two hours: 20 MWh fuel, 7 MWh electricity, 9 MWh heat (LHV basis).
    assert!((r.energy_balance.total_input_kwh - 20_000.0).abs() < 1e-9);
    assert!((r.energy_flows.outputs["electricity"] - 7_000.0).abs() < 1e-9);
    assert_eq!(r.efficiency, Some(80.0));
    let p = r.process.as_ref().unwrap();
    assert_eq!(p["process_type"], "chp");
    assert!(p["primary_energy_savings_pct"].as_f64().unwrap() > 13.0);
    assert_eq!(p["high_efficiency_cogeneration"], true);
    assert_eq!(p["reference_efficiencies"]["electrical_pct"], 53.0);
    assert!(r.second_law.as_ref().unwrap()["second_law_efficiency_pct"].is_null());
}

#[test]
fn dryer_and_kiln_requests_of_the_issue() {
    let dryer = body(
        r#"{"type": "dryer", "fuel": {"name": "natural_gas", "energy_kw": 400}, "product": {"wet_mass_flow_kg_h": 1000, "moisture_in_pct_wet": 50, "moisture_out_pct_wet": 10}, "air": {"inlet": {"temperature_c": 20, "relative_humidity_pct": 50}, "exhaust": {"temperature_c": 70, "relative_humidity_pct": 20}}}"#,
    );
    let r = evaluate(
        &parse_calculation_request(dryer.as_bytes()).unwrap().input,
        &EngineSettings::default(),
    );
    let p = r.process.as_ref().unwrap();
    assert!((p["water_evaporated_kg_h"].as_f64().unwrap() - 4000.0 / 9.0).abs() < 1e-9);
    assert!(
        (p["specific_energy_consumption_kj_per_kg_water"]
            .as_f64()
            .unwrap()
            - 3240.0)
            .abs()
            < 1e-9
    );
    // Every loss item plus the outputs is the input.
    let lost: f64 = r.loss_breakdown.iter().map(|l| l.energy_kwh).sum();
    assert!(
        (lost + r.energy_balance.total_output_kwh - r.energy_balance.total_input_kwh).abs() < 1e-6
    );

    let kiln = body(
        r#"{"type": "kiln", "fuel": {"name": "petcoke", "energy_kw": 100000}, "clinker_t_h": 100, "exit_gas": {"temperature_c": 330, "o2_pct_dry": 3}}"#,
    );
    let r = evaluate(
        &parse_calculation_request(kiln.as_bytes()).unwrap().input,
        &EngineSettings::default(),
    );
    let p = r.process.as_ref().unwrap();
    assert_eq!(p["specific_heat_consumption_gj_per_t"], 3.6);
    assert!(p["theoretical_heat_gj_per_t"].as_f64().unwrap() > 1.7);
    assert!(r.loss_breakdown.iter().any(|l| l.category == "exit_gas"));
}

#[test]
fn errors_name_the_field_under_process() {
    let bad = body(
        r#"{"type": "chp", "fuel": {"name": "natural_gas", "energy_kw": 10000}, "electricity": {"net_kw": 3500}, "heat": [], "construction_year": 2018}"#,
    );
    match parse_calculation_request(bad.as_bytes()) {
        Err(thermaliq_core::CoreError::Validation(p)) => assert_eq!(p[0].field, "process.heat"),
        other => panic!("{other:?}"),
    }
}
