//! The physics gaps found in review (issue 11 §5), each with the test that
//! would have caught it.

use proptest::prelude::*;
use thermo::boiler::{ProcessSpec, analyze};
use thermo::combustion::{
    CombustionConditions, CombustionInput, FlueGasSpec, analyze_combustion, combustion_of,
    water_vapour_sensible_kj_kg,
};
use thermo::exergy::{DeadState, fuel_chemical_exergy, fuel_chemical_exergy_at};
use thermo::fuels::{FuelKind, FuelSpec, GasComposition, library_fuel};
use thermo::radiation_estimate::{KW_PER_MBTU_H, abma_full_load_pct};

fn gas(json: &str) -> thermo::fuels::Fuel {
    let spec: FuelSpec = serde_json::from_str(&format!(
        r#"{{"name": "g", "gas_composition_vol_pct": {json}}}"#
    ))
    .unwrap();
    spec.resolve("fuel").unwrap()
}

/// Molar mass of a resolved gas, g/mol, from its mass fractions of C.
fn molar_mass_from_carbon(f: &thermo::fuels::Fuel, carbon_atoms_per_mol: f64) -> f64 {
    carbon_atoms_per_mol * thermo::fuels::M_C / f.mass_fractions.c
}

/// ISO 6976: water vapour in a fuel gas is inert. The molar calorific
/// values of a wet gas are those of its dry part times (1 − x_H2O), gross
/// and net alike: the vapour does not lower the net value by a latent heat.
#[test]
fn water_vapour_in_a_gas_is_inert_in_both_heating_values() {
    let dry = gas(r#"{"ch4": 100}"#);
    let wet = gas(r#"{"ch4": 95, "h2o": 5}"#);
    let m_dry = molar_mass_from_carbon(&dry, 1.0);
    let m_wet = molar_mass_from_carbon(&wet, 0.95);
    let molar = |hv: f64, m: f64| hv * m / 1000.0;
    assert!(
        (molar(wet.hhv_kj_kg, m_wet) - 0.95 * molar(dry.hhv_kj_kg, m_dry)).abs() < 1e-6,
        "HHV"
    );
    assert!(
        (molar(wet.lhv_kj_kg, m_wet) - 0.95 * molar(dry.lhv_kj_kg, m_dry)).abs() < 1e-6,
        "LHV {} vs {}",
        molar(wet.lhv_kj_kg, m_wet),
        0.95 * molar(dry.lhv_kj_kg, m_dry)
    );
    assert_eq!(wet.mass_fractions.moisture, 0.0);
    assert!(wet.mass_fractions.vapour > 0.0);
}

/// The vapour leaves with its sensible heat only (it entered as vapour).
#[test]
fn water_vapour_of_a_gas_loses_sensible_heat_only() {
    let wet = gas(r#"{"ch4": 95, "h2o": 5}"#);
    let flue = FlueGasSpec {
        temperature_c: 200.0,
        o2_pct_dry: Some(3.0),
        ..Default::default()
    };
    let cond = CombustionConditions {
        combustion_air_temperature_c: 25.0,
        ..Default::default()
    };
    let r = combustion_of(&wet, &flue, &cond).unwrap();
    let expected = wet.mass_fractions.vapour * water_vapour_sensible_kj_kg(473.15, 298.15);
    assert!(
        (r.losses_kj_per_kg_fuel.fuel_moisture - expected).abs() < 1e-9,
        "{} vs {expected}",
        r.losses_kj_per_kg_fuel.fuel_moisture
    );
}

/// ISO 6976:1995 Table 3, ideal gross molar calorific values at 25 °C:
/// ethylene 1411.18, propylene 2058.02, n-pentane 3535.77, n-hexane
/// 4194.95 kJ/mol. Ours come from NIST WebBook enthalpies of formation.
#[test]
fn olefins_and_c5_plus_match_iso_6976() {
    for (json, atoms_c, iso) in [
        (r#"{"C2H4": 100}"#, 2.0, 1411.18),
        (r#"{"c3h6": 100}"#, 3.0, 2058.02),
        (r#"{"c5_plus": 100}"#, 5.0, 3535.77),
        (r#"{"C6H14": 100}"#, 6.0, 4194.95),
    ] {
        let f = gas(json);
        let molar = f.hhv_kj_kg * molar_mass_from_carbon(&f, atoms_c) / 1000.0;
        assert!(
            ((molar - iso) / iso).abs() < 5e-4,
            "{json}: {molar} vs {iso}"
        );
    }
    // A composition without the new components serialises as before.
    let c = GasComposition {
        ch4: 100.0,
        ..Default::default()
    };
    let v = serde_json::to_value(c).unwrap();
    assert!(v.get("c2h4").is_none() && v.get("ch4").is_some());
}

/// An ultimate analysis can be a liquid fuel: liquid specific heat
/// (1.88 kJ/(kg K), Perry's) and the liquid chemical-exergy correlation,
/// the same as the library's diesel of identical analysis.
#[test]
fn ultimate_analysis_can_be_liquid() {
    let analysis = r#""ultimate_analysis_wt_pct": {"c": 86.5, "h": 13.4985, "s": 0.0015}"#;
    let liquid: FuelSpec = serde_json::from_str(&format!(
        r#"{{"name": "d", {analysis}, "state": "liquid"}}"#
    ))
    .unwrap();
    let liquid = liquid.resolve("fuel").unwrap();
    let solid: FuelSpec = serde_json::from_str(&format!(r#"{{"name": "d", {analysis}}}"#)).unwrap();
    let solid = solid.resolve("fuel").unwrap();
    let diesel = library_fuel("diesel").unwrap();
    assert_eq!(liquid.kind, FuelKind::Liquid);
    assert_eq!(solid.kind, FuelKind::Solid);
    assert!((liquid.specific_heat_kj_kg_k - 1.88).abs() < 1e-12);
    let (el, ed) = (fuel_chemical_exergy(&liquid), fuel_chemical_exergy(&diesel));
    assert!((el.exergy_kj_kg - ed.exergy_kj_kg).abs() < 1e-9);
    assert!(el.method.starts_with("liquid"));
    // Kotas (1985) Table D: φ of liquid hydrocarbons ≈ 1.06-1.07.
    assert!((1.05..1.08).contains(&el.phi_lhv), "{}", el.phi_lhv);
    let gas_with_state: FuelSpec =
        serde_json::from_str(r#"{"name": "natural_gas", "state": "liquid"}"#).unwrap();
    let e = gas_with_state.resolve("fuel").unwrap_err().to_string();
    assert!(e.starts_with("fuel.state"), "{e}");
}

/// `/combustion` refuses an ambient temperature it would not use.
#[test]
fn combustion_refuses_an_unused_ambient_temperature() {
    let input: CombustionInput = serde_json::from_str(
        r#"{"fuel": {"name": "natural_gas"}, "flue_gas": {"temperature_c": 180, "o2_pct_dry": 3},
            "ambient_temperature_c": 10}"#,
    )
    .unwrap();
    let e = analyze_combustion(&input).unwrap_err().to_string();
    assert!(e.starts_with("ambient_temperature_c"), "{e}");
}

const BOILER_NO_SURFACES: &str = r#"{"type": "boiler",
 "fuel": {"name": "natural_gas", "mass_flow_kg_h": 800},
 "steam": {"mass_flow_kg_h": 10864, "pressure_mpa": 5.5766, "quality": 1.0},
 "feedwater": {"pressure_mpa": 0.3631, "saturated": "liquid"},
 "flue_gas": {"temperature_c": 180, "o2_pct_dry": 3.0}}"#;

fn run(json: &str) -> thermo::boiler::ProcessResult {
    let spec: ProcessSpec = serde_json::from_str(json).unwrap();
    analyze(&spec, &DeadState::default()).unwrap()
}

/// ABMA Standard Radiation Loss Chart (water-cooled walls, full load):
/// 1.8 % of input at 10 MBtu/h, 0.3 % at 500 MBtu/h output; at half load
/// the loss in kW stays, so its share doubles.
#[test]
fn boiler_without_surfaces_gets_the_abma_estimate() {
    assert!((abma_full_load_pct(10.0) - 1.8).abs() < 1e-9);
    assert!((abma_full_load_pct(500.0) - 0.3).abs() < 1e-9);
    let r = run(BOILER_NO_SURFACES);
    let est = r.radiation_loss_estimate.unwrap();
    assert!(est.estimated);
    let mbtu = r.useful_output_kw / KW_PER_MBTU_H;
    assert!((est.rated_output_mbtu_h - mbtu).abs() < 1e-9);
    assert!((r.losses.radiation.pct - est.pct_of_input).abs() < 1e-12);
    assert!(r.losses.radiation.pct > 0.3 && r.losses.radiation.pct < 1.8);
    // Heat-loss identity with the estimate included.
    let l = r.losses;
    let sum = l.dry_flue_gas.pct + l.moisture.pct + l.unburned.pct + l.radiation.pct;
    assert!((r.heat_loss.unwrap().efficiency_pct - (100.0 - sum + r.credits.pct)).abs() < 1e-9);
    let half = run(&BOILER_NO_SURFACES.replace(
        r#""type": "boiler","#,
        &format!(
            r#""type": "boiler", "rated_output_kw": {},"#,
            2.0 * r.useful_output_kw
        ),
    ));
    let e2 = half.radiation_loss_estimate.unwrap();
    assert!((e2.load_fraction - 0.5).abs() < 1e-12);
    assert!((e2.pct_of_input - 2.0 * abma_full_load_pct(2.0 * mbtu)).abs() < 1e-9);
    // With a measured surface there is no estimate.
    let measured = run(&BOILER_NO_SURFACES.replace(
        r#""flue_gas""#,
        r#""surfaces": [{"area_m2": 50, "temperature_c": 60, "emissivity": 0.9, "orientation": "vertical"}], "flue_gas""#,
    ));
    assert!(measured.radiation_loss_estimate.is_none());
    let v = serde_json::to_value(&measured).unwrap();
    assert!(v.get("radiation_loss_estimate").is_none());
}

/// A metered fuel energy without a flue-gas analysis: input-output alone.
#[test]
fn boiler_with_metered_fuel_and_no_flue_gas() {
    let json = r#"{"type": "boiler", "fuel": {"name": "natural_gas", "energy_kw": 8000},
        "steam": {"mass_flow_kg_h": 10000, "pressure_mpa": 1.0, "quality": 1.0},
        "feedwater": {"pressure_mpa": 1.2, "temperature_c": 105}}"#;
    let r = run(json);
    let hs = thermo::if97::saturated_vapour_at_pressure(1.0)
        .unwrap()
        .enthalpy_kj_kg;
    let hfw = thermo::if97::props_pt(1.2, 378.15).unwrap().enthalpy_kj_kg;
    let out = 10000.0 / 3600.0 * (hs - hfw);
    assert!((r.input_output.unwrap().efficiency_pct - out / 8000.0 * 100.0).abs() < 1e-9);
    assert!(r.heat_loss.is_none() && r.combustion.is_none());
    assert!((r.losses.total.kw - (8000.0 - out)).abs() < 1e-9);
    assert!(r.second_law.second_law_efficiency_pct.unwrap() > 0.0);
    let none = json.replace(r#", "energy_kw": 8000"#, "");
    let spec: ProcessSpec = serde_json::from_str(&none).unwrap();
    let e = analyze(&spec, &DeadState::default())
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("process.fuel"), "{e}");
}

/// Undefined second-law efficiency is `null`, not 0.
#[test]
fn undefined_second_law_efficiency_is_null() {
    let r = run(
        r#"{"type": "furnace", "fuel": {"name": "natural_gas", "mass_flow_kg_h": 100},
        "load": {"duty_kw": 900}, "flue_gas": {"temperature_c": 350, "o2_pct_dry": 3.0}}"#,
    );
    assert_eq!(r.second_law.second_law_efficiency_pct, None);
    let v = serde_json::to_value(&r.second_law).unwrap();
    assert!(v["second_law_efficiency_pct"].is_null());
}

/// The mixing term of a gas's chemical exergy uses the configured T0:
/// Δε = R (T0a − T0b) Σ xᵢ ln xᵢ / M (Kotas 1985, Eq. 2.41).
#[test]
fn gas_chemical_exergy_uses_the_dead_state() {
    let f = gas(r#"{"ch4": 90, "n2": 10}"#);
    let cold = DeadState {
        temperature_c: 5.0,
        pressure_kpa: 101.325,
    };
    let d = fuel_chemical_exergy_at(&f, &cold).exergy_kj_kg
        - fuel_chemical_exergy_at(&f, &DeadState::default()).exergy_kj_kg;
    let m = 0.9 * 16.043 + 0.1 * 28.014;
    let sum = 0.9_f64 * 0.9_f64.ln() + 0.1_f64 * 0.1_f64.ln();
    let expected = 8.314_462_618e-3 * (278.15 - 298.15) * sum / m * 1000.0;
    assert!((d - expected).abs() < 0.05, "{d} vs {expected}");
}

/// Szargut's solid-fuel terms: sulfur (ε_S − NCV_S), liquid-water moisture.
/// ε_S = 609.6 kJ/mol (Szargut et al. 1988), NCV_S = 296.81 kJ/mol (CODATA)
/// over 32.06 g/mol → 9756 kJ/kg (Kotas quotes 9417 in his older environment).
#[test]
fn solid_fuel_exergy_has_sulfur_and_moisture_terms() {
    let k = thermo::exergy::sulfur_exergy_excess_kj_kg();
    assert!(((609.6 - 296.81) / 32.06 * 1000.0 - k).abs() < 1e-9);
    assert!(((k - 9417.0) / 9417.0).abs() < 0.04);
    let spec = |s: f64| -> thermo::fuels::Fuel {
        let f: FuelSpec = serde_json::from_str(&format!(
            r#"{{"name": "c", "ultimate_analysis_wt_pct": {{"c": 70, "h": 5, "o": 8, "n": 1, "s": {s}, "moisture": 8, "ash": {}}}, "hhv_kj_kg": 28000}}"#,
            8.0 - s
        ))
        .unwrap();
        f.resolve("fuel").unwrap()
    };
    let (a, b) = (spec(0.0), spec(3.0));
    let (ea, eb) = (fuel_chemical_exergy(&a), fuel_chemical_exergy(&b));
    // Same HHV and h/c, o/c, n/c: φ and LHV are equal, so the difference is the sulfur term.
    assert!((a.lhv_kj_kg - b.lhv_kj_kg).abs() < 1e-9);
    assert!((eb.exergy_kj_kg - ea.exergy_kj_kg - 0.03 * k).abs() < 1e-6);
}

proptest! {
    /// Any vapour share: molar LHV scales with the dry share (ISO 6976 inertness).
    #[test]
    fn vapour_share_scales_molar_lhv(x in 0.0f64..30.0, c2 in 0.0f64..10.0) {
        let dry = gas(&format!(r#"{{"ch4": {}, "c2h6": {c2}}}"#, 100.0 - c2));
        let wet_ch4 = (100.0 - c2) * (1.0 - x / 100.0);
        let wet_c2 = c2 * (1.0 - x / 100.0);
        let wet = gas(&format!(r#"{{"ch4": {wet_ch4}, "c2h6": {wet_c2}, "h2o": {x}}}"#));
        let c_dry = (100.0 - c2) / 100.0 + 2.0 * c2 / 100.0;
        let m_dry = molar_mass_from_carbon(&dry, c_dry);
        let m_wet = molar_mass_from_carbon(&wet, c_dry * (1.0 - x / 100.0));
        let lhs = wet.lhv_kj_kg * m_wet;
        let rhs = (1.0 - x / 100.0) * dry.lhv_kj_kg * m_dry;
        prop_assert!((lhs - rhs).abs() < 1e-6 * rhs);
    }
}
