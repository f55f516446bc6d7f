//! Convective dryer: mass and heat balance.

use proptest::prelude::*;
use thermo::boiler::ProcessSpec;
use thermo::dryer::DryerResult;
use thermo::exergy::DeadState;
use thermo::process::{ProcessAnalysis, analyze_process};
use thermo::psychrometrics::enthalpy_kj_kg_da;

fn dryer(json: &str) -> Result<DryerResult, thermo::ThermoError> {
    let spec: ProcessSpec = serde_json::from_str(json).unwrap();
    match analyze_process(&spec, &DeadState::default())? {
        ProcessAnalysis::Dryer(r) => Ok(*r),
        other => panic!("{other:?}"),
    }
}

const ISSUE: &str = r#"{"type": "dryer", "fuel": {"name": "natural_gas", "energy_kw": 400},
  "firing": "indirect",
  "product": {"wet_mass_flow_kg_h": 1000, "moisture_in_pct_wet": 50, "moisture_out_pct_wet": 10},
  "air": {"inlet": {"temperature_c": 20, "relative_humidity_pct": 50},
          "exhaust": {"temperature_c": 60, "relative_humidity_pct": 30}}}"#;

/// The issue's product: 1000 kg/h at 50 % (wet) to 10 % (wet). Dry solids
/// 500 kg/h; water evaporated 500 − 500 × 0.1/0.9 = 444.4 kg/h (the
/// moisture balance of McCabe, Smith & Harriott, *Unit Operations*, Ch. 24).
/// SEC = 400 kW × 3600 / 444.4 kg/h = 3240 kJ/kg; λ at the exhaust wet
/// bulb from IAPWS-IF97; the balance terms add up to the heat input.
#[test]
fn issue_request_balance() {
    let r = dryer(ISSUE).unwrap();
    assert!((r.water_evaporated_kg_h - 4000.0 / 9.0).abs() < 1e-9);
    assert!((r.specific_energy_consumption_kj_per_kg_water - 3240.0).abs() < 1e-9);
    let t = r.air_exhaust.wet_bulb_c + 273.15;
    let lam = thermo::if97::saturated_vapour_at_temperature(t)
        .unwrap()
        .enthalpy_kj_kg
        - thermo::if97::saturated_liquid_at_temperature(t)
            .unwrap()
            .enthalpy_kj_kg;
    assert!((r.latent_heat_kj_kg - lam).abs() < 1e-9);
    assert!(
        (r.thermal_efficiency_pct - r.water_evaporated_kg_h / 3600.0 * lam / 400.0 * 100.0).abs()
            < 1e-9
    );
    let sum = r.evaporation_heat_kw
        + r.exhaust_loss_kw
        + r.product_heating_kw
        + r.surface_loss_kw
        + r.unaccounted_kw;
    assert!((sum - r.heat_input_kw).abs() < 1e-9);
    // Air flow from the moisture balance (indirect firing: no combustion water).
    let dw = r.air_exhaust.humidity_ratio_kg_kg - r.air_inlet.humidity_ratio_kg_kg;
    assert!((r.dry_air_mass_flow_kg_h * dw - r.water_evaporated_kg_h).abs() < 1e-6);
    let v = serde_json::to_value(&r).unwrap();
    assert!(
        v.get("water_evaporated_kg_h").is_some()
            && v.get("specific_energy_consumption_kj_per_kg_water")
                .is_some()
    );
}

/// Exhaust loss by hand: m_da (h_out − h_in) − m_w (λ + 4.186 t_p,in)
/// with ASHRAE Eq. 32 enthalpies; a measured air flow gives the moisture
/// closure; direct firing adds the water of combustion to the air.
#[test]
fn exhaust_loss_air_flow_and_direct_firing() {
    let r = dryer(&ISSUE.replace(
        r#""exhaust": {"temperature_c": 60, "relative_humidity_pct": 30}}"#,
        r#""exhaust": {"temperature_c": 60, "relative_humidity_pct": 30}, "dry_air_mass_flow_kg_h": 7000}"#,
    ))
    .unwrap();
    let m_da = 7000.0 / 3600.0;
    let m_w = 4000.0 / 9.0 / 3600.0;
    let h_in = enthalpy_kj_kg_da(20.0, r.air_inlet.humidity_ratio_kg_kg);
    let h_out = enthalpy_kj_kg_da(60.0, r.air_exhaust.humidity_ratio_kg_kg);
    let expected = m_da * (h_out - h_in) - m_w * (r.latent_heat_kj_kg + 4.186 * 20.0);
    assert!((r.exhaust_loss_kw - expected).abs() < 1e-9);
    assert!(r.dry_air_flow_measured && r.moisture_balance_closure_pct.is_some());
    let direct = dryer(&ISSUE.replace(r#""firing": "indirect","#, "")).unwrap();
    assert!(direct.combustion_water_kg_h > 0.0);
    let fuel = thermo::fuels::library_fuel("natural_gas").unwrap();
    let expected_cw = 400.0 / fuel.hhv_kj_kg * fuel.water_formed_kg_per_kg() * 3600.0;
    assert!((direct.combustion_water_kg_h - expected_cw).abs() < 1e-9);
}

#[test]
fn errors_name_the_field() {
    let e = dryer(&ISSUE.replace(
        r#""moisture_out_pct_wet": 10"#,
        r#""moisture_out_pct_wet": 60"#,
    ))
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("process.product.moisture_out"), "{e}");
    let e = dryer(&ISSUE.replace(
        r#""relative_humidity_pct": 30"#,
        r#""relative_humidity_pct": 1"#,
    ))
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("process.air.exhaust"), "{e}");
}

proptest! {
    /// Wet and dry basis give the same water evaporated; the balance closes.
    #[test]
    fn wet_and_dry_basis_agree(win in 20.0f64..80.0, wout in 1.0f64..19.0) {
        let xin = win / (100.0 - win) * 100.0;
        let xout = wout / (100.0 - wout) * 100.0;
        let a = dryer(&ISSUE.replace("\"moisture_in_pct_wet\": 50", &format!("\"moisture_in_pct_wet\": {win}"))
            .replace("\"moisture_out_pct_wet\": 10", &format!("\"moisture_out_pct_wet\": {wout}"))).unwrap();
        let b = dryer(&ISSUE.replace("\"moisture_in_pct_wet\": 50", &format!("\"moisture_in_pct_dry\": {xin}"))
            .replace("\"moisture_out_pct_wet\": 10", &format!("\"moisture_out_pct_dry\": {xout}"))).unwrap();
        prop_assert!((a.water_evaporated_kg_h - b.water_evaporated_kg_h).abs() < 1e-6);
        let sum = a.evaporation_heat_kw + a.exhaust_loss_kw + a.unaccounted_kw;
        prop_assert!((sum - a.heat_input_kw).abs() < 1e-9);
    }
}
