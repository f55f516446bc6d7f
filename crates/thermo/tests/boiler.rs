//! Boiler, furnace and heat-exchanger analyses by both methods.

use proptest::prelude::*;
use thermo::boiler::{ProcessResult, ProcessSpec, analyze};
use thermo::exergy::DeadState;
use thermo::if97;

const ISSUE_EXAMPLE: &str = r#"{"type": "boiler",
 "fuel": {"name": "natural_gas", "mass_flow_kg_h": 800},
 "steam": {"mass_flow_kg_h": 10864, "pressure_mpa": 5.5766, "quality": 1.0},
 "feedwater": {"pressure_mpa": 0.3631, "saturated": "liquid"},
 "blowdown_pct": 3.7,
 "flue_gas": {"temperature_c": 180, "o2_pct_dry": 3.0},
 "combustion_air_temperature_c": 25,
 "surfaces": [{"area_m2": 50, "temperature_c": 60, "emissivity": 0.9, "orientation": "vertical"}]}"#;

fn run(json: &str) -> ProcessResult {
    let spec: ProcessSpec = serde_json::from_str(json).unwrap();
    analyze(&spec, &DeadState::default()).unwrap()
}

/// The issue's boiler request. Output from first principles with IF97:
/// m_fw = 10864/(1 − 0.037); output = m_s (h_g(5.5766) − h_f(0.3631))
/// + m_bd (h_f(5.5766) − h_f(0.3631)) (ASME PTC 4-2013 §5-2.1, blowdown as output).
#[test]
fn issue_example_output_and_both_methods() {
    let r = run(ISSUE_EXAMPLE);
    let hg = if97::saturated_vapour_at_pressure(5.5766)
        .unwrap()
        .enthalpy_kj_kg;
    let hbd = if97::saturated_liquid_at_pressure(5.5766)
        .unwrap()
        .enthalpy_kj_kg;
    let hfw = if97::saturated_liquid_at_pressure(0.3631)
        .unwrap()
        .enthalpy_kj_kg;
    let m_s = 10864.0 / 3600.0;
    let m_bd = m_s / (1.0 - 0.037) * 0.037;
    let out = m_s * (hg - hfw) + m_bd * (hbd - hfw);
    assert!((r.useful_output_kw - out).abs() < 1e-6 * out);
    let io = r.input_output.unwrap().efficiency_pct;
    assert!((io - out / r.input_kw * 100.0).abs() < 1e-9);
    let hl = r.heat_loss.unwrap().efficiency_pct;
    assert!((r.efficiency_difference_pct.unwrap() - (io - hl)).abs() < 1e-12);
    // 800 kg/h of a 54.1 MJ/kg gas is 12.0 MW against 6.9 MW of steam
    // output: the issue's illustrative numbers give 55.7 % input-output
    // against ~83 % heat-loss, a 27-point gap the result reports.
    assert!((55.0..57.0).contains(&io), "{io}");
    assert!((80.0..86.0).contains(&hl), "{hl}");
    let bd = r.blowdown.unwrap();
    assert!((bd.energy_kw - m_bd * (hbd - hfw)).abs() < 1e-9);
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["basis"], "hhv");
    assert!(v["losses"]["dry_flue_gas"]["pct"].as_f64().unwrap() > 0.0);
}

/// Water-side energy balance: m_fw h_fw + Q = m_s h_s + m_bd h_bd.
#[test]
fn water_side_balance_conserves_energy() {
    let r = run(ISSUE_EXAMPLE);
    let s = |name: &str| r.streams.iter().find(|s| s.name == name).unwrap().clone();
    let (st, fw, bd) = (s("steam"), s("feedwater"), s("blowdown"));
    assert!((fw.mass_flow_kg_h - st.mass_flow_kg_h - bd.mass_flow_kg_h).abs() < 1e-9);
    let lhs = fw.mass_flow_kg_h * fw.enthalpy_kj_kg / 3600.0 + r.useful_output_kw;
    let rhs =
        (st.mass_flow_kg_h * st.enthalpy_kj_kg + bd.mass_flow_kg_h * bd.enthalpy_kj_kg) / 3600.0;
    assert!((lhs - rhs).abs() < 1e-9 * rhs);
}

/// Heat-loss efficiency = 100 − Σ losses + credits; the same fuel input by
/// meter gives the same input-output efficiency; without any fuel flow the
/// input is implied and only the heat-loss method is reported.
#[test]
fn heat_loss_identity_meter_and_implied_input() {
    let r = run(ISSUE_EXAMPLE);
    let l = r.losses;
    let sum = l.dry_flue_gas.pct
        + l.moisture.pct
        + l.unburned.pct
        + l.radiation.pct
        + l.convection.pct
        + l.blowdown.pct
        + l.unaccounted.pct;
    assert!((r.heat_loss.unwrap().efficiency_pct - (100.0 - sum + r.credits.pct)).abs() < 1e-9);
    let metered = run(&ISSUE_EXAMPLE.replace(
        r#""mass_flow_kg_h": 800"#,
        &format!(r#""energy_kw": {}"#, r.input_kw),
    ));
    assert!(
        (metered.input_output.unwrap().efficiency_pct - r.input_output.unwrap().efficiency_pct)
            .abs()
            < 1e-9
    );
    let implied = run(&ISSUE_EXAMPLE.replace(r#", "mass_flow_kg_h": 800"#, ""));
    assert!(implied.input_output.is_none() && !implied.input_measured);
    let hl = implied.heat_loss.unwrap().efficiency_pct;
    assert!((implied.useful_output_kw / implied.input_kw * 100.0 - hl).abs() < 1e-9);
}

/// Blowdown as a loss moves its energy from output to the loss list: the
/// input-output efficiency drops by exactly the blowdown share.
#[test]
fn blowdown_as_loss() {
    let out = run(ISSUE_EXAMPLE);
    let loss = run(&ISSUE_EXAMPLE.replace(
        r#""blowdown_pct": 3.7,"#,
        r#""blowdown_pct": 3.7, "blowdown_treatment": "loss","#,
    ));
    let d = out.input_output.unwrap().efficiency_pct - loss.input_output.unwrap().efficiency_pct;
    assert!((d - out.blowdown.unwrap().pct_of_input).abs() < 1e-9);
    assert!((loss.losses.blowdown.pct - out.blowdown.unwrap().pct_of_input).abs() < 1e-9);
}

#[test]
fn errors_name_the_field() {
    let bad = ISSUE_EXAMPLE.replace(
        r#""quality": 1.0"#,
        r#""quality": 1.0, "temperature_c": 300"#,
    );
    let spec: ProcessSpec = serde_json::from_str(&bad).unwrap();
    let e = analyze(&spec, &DeadState::default())
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("process.steam"), "{e}");
    let bad = ISSUE_EXAMPLE.replace(r#""blowdown_pct": 3.7"#, r#""blowdown_pct": 75"#);
    let e = analyze(&serde_json::from_str(&bad).unwrap(), &DeadState::default())
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("process.blowdown_pct"), "{e}");
    assert!(
        serde_json::from_str::<ProcessSpec>(
            &ISSUE_EXAMPLE.replace(r#""blowdown_pct""#, r#""blowdown_percent""#)
        )
        .is_err()
    );
    assert!(serde_json::from_str::<ProcessSpec>(r#"{"type": "kiln"}"#).is_err());
}

/// Furnace with a constant-cp load: useful = m cp ΔT; `heater` is an alias.
#[test]
fn furnace_and_heater() {
    let json = r#"{"type": "heater", "fuel": {"name": "natural_gas", "mass_flow_kg_h": 100},
        "load": {"mass_flow_kg_h": 20000, "specific_heat_kj_kg_k": 2.5, "inlet_temperature_c": 150, "outlet_temperature_c": 220},
        "flue_gas": {"temperature_c": 350, "o2_pct_dry": 3.0}, "combustion_air_temperature_c": 25,
        "openings": [{"area_m2": 0.05, "furnace_temperature_c": 900}]}"#;
    let r = run(json);
    assert!((r.useful_output_kw - 20000.0 / 3600.0 * 2.5 * 70.0).abs() < 1e-9);
    assert!(r.losses.radiation_from_openings.kw > 0.0);
    assert!(
        r.second_law.second_law_efficiency_pct.unwrap() > 0.0
            && r.second_law.second_law_efficiency_pct.unwrap()
                < r.input_output.unwrap().efficiency_pct
    );
}

/// Water-to-water exchanger: hot 10 t/h 90 → 70 °C, cold 12 t/h 20 → 36 °C
/// at 0.3 MPa; duties from IF97, loss = difference, ε = Q_cold / Q_max.
#[test]
fn heat_exchanger_duties_and_effectiveness() {
    let json = r#"{"type": "heat_exchanger",
        "hot": {"mass_flow_kg_h": 10000, "inlet": {"pressure_mpa": 0.3, "temperature_c": 90}, "outlet": {"pressure_mpa": 0.3, "temperature_c": 70}},
        "cold": {"mass_flow_kg_h": 12000, "inlet": {"pressure_mpa": 0.3, "temperature_c": 20}, "outlet": {"pressure_mpa": 0.3, "temperature_c": 36}}}"#;
    let r = run(json);
    let h = |t: f64| if97::props_pt(0.3, t + 273.15).unwrap().enthalpy_kj_kg;
    let q_hot = 10000.0 / 3600.0 * (h(90.0) - h(70.0));
    let q_cold = 12000.0 / 3600.0 * (h(36.0) - h(20.0));
    assert!((r.input_kw - q_hot).abs() < 1e-9 && (r.useful_output_kw - q_cold).abs() < 1e-9);
    assert!((r.losses.total.kw - (q_hot - q_cold)).abs() < 1e-9);
    let q_max = 10000.0 / 3600.0 * (h(90.0) - h(20.0));
    assert!((r.effectiveness.unwrap() - q_cold / q_max).abs() < 1e-9);
    assert!(r.second_law.second_law_efficiency_pct.unwrap() < 100.0);
}

fn boiler_with(t_gas: f64, o2: f64) -> ProcessResult {
    run(&ISSUE_EXAMPLE
        .replace(
            r#""temperature_c": 180"#,
            &format!(r#""temperature_c": {t_gas}"#),
        )
        .replace(r#""o2_pct_dry": 3.0"#, &format!(r#""o2_pct_dry": {o2}"#)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Heat-loss efficiency falls as stack temperature or excess air rises;
    /// losses are never negative.
    #[test]
    fn boiler_heat_loss_monotone(t in 60.0f64..400.0, dt in 1.0f64..80.0, o2 in 0.5f64..10.0, d in 0.1f64..3.0) {
        let base = boiler_with(t, o2);
        let hot = boiler_with(t + dt, o2);
        let lean = boiler_with(t, o2 + d);
        let e = |r: &ProcessResult| r.heat_loss.unwrap().efficiency_pct;
        prop_assert!(e(&hot) < e(&base));
        prop_assert!(e(&lean) < e(&base));
        let l = base.losses;
        for v in [l.dry_flue_gas, l.moisture, l.unburned, l.radiation, l.convection, l.blowdown, l.unaccounted] {
            prop_assert!(v.kw >= 0.0 && v.pct >= 0.0);
        }
    }
}
