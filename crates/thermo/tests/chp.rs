//! CHP: efficiencies and primary energy savings by Directive 2012/27/EU
//! Annex II with the reference values of Delegated Regulation (EU) 2015/2402.

use proptest::prelude::*;
use thermo::boiler::ProcessSpec;
use thermo::chp::{ChpResult, FuelCategory};
use thermo::exergy::DeadState;
use thermo::process::{ProcessAnalysis, analyze_process};

fn chp(json: &str) -> Result<ChpResult, thermo::ThermoError> {
    let spec: ProcessSpec = serde_json::from_str(json).unwrap();
    match analyze_process(&spec, &DeadState::default())? {
        ProcessAnalysis::Chp(r) => Ok(*r),
        other => panic!("{other:?}"),
    }
}

const ISSUE: &str = r#"{"type": "chp", "fuel": {"name": "natural_gas", "energy_kw": 10000},
  "electricity": {"net_kw": 3500}, "heat": [{"medium": "hot_water", "energy_kw": 4500}],
  "construction_year": 2018}"#;

/// The issue's request. 2015/2402 Annex I: natural gas (G10) built from
/// 2016, Ref Eη = 53.0 %; Annex II hot water, Ref Hη = 92 %. By the
/// Directive's formula: PES = 1 − 1/(45/92 + 35/53) = 13.01 % ≥ 10 %.
#[test]
fn issue_request_pes_by_the_directive() {
    let r = chp(ISSUE).unwrap();
    assert_eq!(r.electrical_efficiency_pct, 35.0);
    assert_eq!(r.thermal_efficiency_pct, 45.0);
    assert_eq!(r.total_efficiency_pct, 80.0);
    assert!((r.power_to_heat_ratio - 3500.0 / 4500.0).abs() < 1e-12);
    let re = &r.reference_efficiencies;
    assert_eq!(re.fuel_category, FuelCategory::G10);
    assert_eq!((re.electrical_pct, re.heat_pct), (53.0, 92.0));
    let pes = (1.0 - 1.0 / (45.0 / 92.0 + 35.0 / 53.0)) * 100.0;
    assert!((r.primary_energy_savings_pct - pes).abs() < 1e-9);
    assert!((r.primary_energy_savings_pct - 13.01).abs() < 0.01);
    assert!(r.high_efficiency_cogeneration && r.scale == "large");
    assert!((r.unrecovered_kw - 2000.0).abs() < 1e-9);
    let v = serde_json::to_value(&r).unwrap();
    for k in [
        "electrical_efficiency_pct",
        "thermal_efficiency_pct",
        "total_efficiency_pct",
        "primary_energy_savings_pct",
        "high_efficiency_cogeneration",
    ] {
        assert!(v.get(k).is_some(), "{k}");
    }
}

/// Delegated Regulation (EU) 2015/2402, Annex IV, application example: a
/// 100 kWe natural-gas reciprocating engine built in 2010, connected at
/// 380 V, 85 % of its electricity used on site and 15 % exported, 15 °C
/// annual average: Ref Eη = 52.5 % × (0.851 × 85 % + 0.888 × 15 %) = 45.0 %.
/// As a small-scale unit (< 1 MWe) any PES > 0 makes it high-efficiency.
#[test]
fn annex_iv_application_example() {
    let json = r#"{"type": "chp", "fuel": {"name": "natural_gas", "energy_kw": 300},
      "electricity": {"net_kw": 100, "voltage_kv": 0.38, "exported_fraction": 0.15},
      "heat": [{"medium": "hot_water", "energy_kw": 150}], "construction_year": 2010,
      "annual_average_temperature_c": 15}"#;
    let r = chp(json).unwrap();
    let re = &r.reference_efficiencies;
    assert_eq!(re.electrical_harmonised_pct, 52.5);
    assert!(
        (re.electrical_pct - 45.0).abs() < 0.05,
        "{}",
        re.electrical_pct
    );
    assert_eq!(re.climate_correction_pct_points, 0.0);
    let pes = (1.0 - 1.0 / (50.0 / 92.0 + (100.0 / 3.0) / re.electrical_pct)) * 100.0;
    assert!((r.primary_energy_savings_pct - pes).abs() < 1e-9);
    assert_eq!(r.scale, "small");
    assert_eq!(r.high_efficiency_cogeneration, pes > 0.0);
}

/// Annex III: +0.1 point per °C below 15 °C for gaseous fuels only; the
/// 10-year rule (Art. 2): a unit built in 2005 assessed in 2020 uses the
/// values of a unit built in 2010; steam uses the Annex II steam column
/// (G10: 87 %); a heat-weighted Ref Hη for two media.
#[test]
fn climate_ageing_and_media() {
    let cold = chp(&ISSUE.replace(
        r#""construction_year": 2018"#,
        r#""construction_year": 2018, "annual_average_temperature_c": 5"#,
    ))
    .unwrap();
    assert!((cold.reference_efficiencies.electrical_pct - 54.0).abs() < 1e-9);
    let oil_cold = chp(&ISSUE.replace("natural_gas", "fuel_oil_no2").replace(
        r#""construction_year": 2018"#,
        r#""construction_year": 2018, "annual_average_temperature_c": 5"#,
    ))
    .unwrap();
    assert_eq!(
        oil_cold
            .reference_efficiencies
            .climate_correction_pct_points,
        0.0
    );
    assert_eq!(oil_cold.reference_efficiencies.electrical_pct, 44.2);
    let aged = chp(&ISSUE.replace(
        r#""construction_year": 2018"#,
        r#""construction_year": 2005, "assessment_year": 2020"#,
    ))
    .unwrap();
    assert_eq!(aged.reference_efficiencies.reference_year, 2010);
    assert_eq!(aged.reference_efficiencies.electrical_pct, 52.5);
    let two = chp(&ISSUE.replace(
        r#"[{"medium": "hot_water", "energy_kw": 4500}]"#,
        r#"[{"medium": "hot_water", "energy_kw": 3000}, {"medium": "steam", "energy_kw": 1500}]"#,
    ))
    .unwrap();
    let ref_h = 4500.0 / (3000.0 / 92.0 + 1500.0 / 87.0);
    assert!((two.reference_efficiencies.heat_pct - ref_h).abs() < 1e-9);
}

/// Heat from a hot-water stream by IAPWS-IF97; a figure above 100 % and a
/// user gas without a category are refused with the field named.
#[test]
fn streams_and_errors() {
    let r = chp(&ISSUE.replace(
        r#"{"medium": "hot_water", "energy_kw": 4500}"#,
        r#"{"medium": "hot_water", "mass_flow_kg_h": 100000, "supply": {"pressure_mpa": 0.6, "temperature_c": 90}, "return": {"pressure_mpa": 0.6, "temperature_c": 60}}"#,
    ))
    .unwrap();
    let h = |t: f64| {
        thermo::if97::props_pt(0.6, t + 273.15)
            .unwrap()
            .enthalpy_kj_kg
    };
    assert!((r.useful_heat_kw - 100000.0 / 3600.0 * (h(90.0) - h(60.0))).abs() < 1e-6);
    assert!(r.second_law.second_law_efficiency_pct.is_some());
    let e = chp(&ISSUE.replace("3500", "9000")).unwrap_err().to_string();
    assert!(e.starts_with("process"), "{e}");
    let e = chp(&ISSUE.replace(
        r#""name": "natural_gas""#,
        r#""name": "mine_gas", "gas_composition_vol_pct": {"ch4": 60, "n2": 40}"#,
    ))
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("process.reference_fuel"), "{e}");
}

proptest! {
    /// PES is positive exactly when the fuel is less than separate production needs.
    #[test]
    fn pes_sign_matches_fuel_saved(e in 50.0f64..4500.0, h in 50.0f64..5000.0) {
        let json = format!(r#"{{"type": "chp", "fuel": {{"name": "natural_gas", "energy_kw": 10000}},
            "electricity": {{"net_kw": {e}}}, "heat": [{{"medium": "steam", "energy_kw": {h}}}],
            "construction_year": 2016}}"#);
        let r = chp(&json).unwrap();
        prop_assert_eq!(r.primary_energy_savings_pct > 0.0, r.primary_energy_saved_kw > 0.0);
        prop_assert!((r.total_efficiency_pct - (e + h) / 100.0).abs() < 1e-9);
    }
}
