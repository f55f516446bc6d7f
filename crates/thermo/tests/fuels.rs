//! Fuel heating values against published tables.

use thermo::combustion::stoichiometric_air_kg_per_kg;
use thermo::fuels::{FuelSpec, H_FG_25C_KJ_KG, library_fuel};

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

/// Çengel & Boles, *Thermodynamics: An Engineering Approach*, 8th ed.,
/// Table A-27 (HHV/LHV at 25 °C): methane 55 530 / 50 050 kJ/kg,
/// propane (gas) 50 330 / 46 340 kJ/kg, hydrogen 141 800 / 120 000 kJ/kg.
/// Our values come from enthalpies of formation (CODATA/JANAF/NIST), not
/// from that table; LHV from the h_fg(25 °C) correction.
#[test]
fn gas_heating_values_match_cengel_table_a27() {
    for (comp, hhv, lhv) in [
        (r#"{"ch4": 100}"#, 55_530.0, 50_050.0),
        (r#"{"C3H8": 100}"#, 50_330.0, 46_340.0),
        (r#"{"h2": 100}"#, 141_800.0, 120_000.0),
    ] {
        let spec: FuelSpec = serde_json::from_str(&format!(
            r#"{{"name": "x", "gas_composition_vol_pct": {comp}}}"#
        ))
        .unwrap();
        let f = spec.resolve("fuel").unwrap();
        assert!(
            rel(f.hhv_kj_kg, hhv) < 0.002,
            "{comp}: HHV {} vs {hhv}",
            f.hhv_kj_kg
        );
        assert!(
            rel(f.lhv_kj_kg, lhv) < 0.002,
            "{comp}: LHV {} vs {lhv}",
            f.lhv_kj_kg
        );
    }
}

/// h_fg at 25 °C: Çengel & Boles Table A-4 gives 2441.7 kJ/kg (IAPWS-95);
/// our IF97 saturation functions must agree with the constant we use.
#[test]
fn latent_heat_constant_agrees_with_if97() {
    let t = 298.15;
    let hf = thermo::if97::saturated_liquid_at_temperature(t)
        .unwrap()
        .enthalpy_kj_kg;
    let hg = thermo::if97::saturated_vapour_at_temperature(t)
        .unwrap()
        .enthalpy_kj_kg;
    assert!((hg - hf - H_FG_25C_KJ_KG).abs() < 0.5, "{}", hg - hf);
}

/// Stoichiometric air of methane from first principles: 2 mol O2 per mol
/// CH4, 2/0.20946 mol air × 28.965 g/mol / 16.043 g/mol = 17.24 kg/kg
/// (the textbook 17.2, e.g. Turns, *An Introduction to Combustion*, Ex. 2.1).
#[test]
fn methane_stoichiometric_air() {
    let spec: FuelSpec =
        serde_json::from_str(r#"{"name": "m", "gas_composition_vol_pct": {"CH4": 100}}"#).unwrap();
    let a = stoichiometric_air_kg_per_kg(&spec.resolve("fuel").unwrap());
    assert!((a - 17.24).abs() < 0.02, "{a}");
}

/// Library fuels resolve; solid/liquid HHVs fall in the published ranges of
/// B&W *Steam* 41st ed. (No. 2 oil 19 170-19 750 Btu/lb = 44.6-45.9 MJ/kg;
/// No. 6 oil 17 410-18 990 Btu/lb = 40.5-44.2 MJ/kg) and US EIA coal ranks
/// (bituminous 24-35 MJ/kg, sub-bituminous 17.4-24 MJ/kg, lignite 10-17.4 MJ/kg as received).
#[test]
fn library_heating_values_fall_in_published_ranges() {
    for (name, lo, hi) in [
        ("fuel_oil_no2", 44_600.0, 45_900.0),
        ("fuel_oil_no6", 40_500.0, 44_200.0),
        ("bituminous_coal", 24_000.0, 35_000.0),
        ("sub_bituminous_coal", 17_400.0, 24_000.0),
        ("lignite", 10_000.0, 17_400.0),
    ] {
        let f = library_fuel(name).unwrap();
        assert!((lo..=hi).contains(&f.hhv_kj_kg), "{name}: {}", f.hhv_kj_kg);
    }
}

#[test]
fn bad_compositions_name_the_field() {
    let spec: FuelSpec =
        serde_json::from_str(r#"{"name": "x", "gas_composition_vol_pct": {"ch4": 50}}"#).unwrap();
    let e = spec.resolve("fuel").unwrap_err().to_string();
    assert!(e.starts_with("fuel.gas_composition_vol_pct"), "{e}");
    let spec: FuelSpec = serde_json::from_str(
        r#"{"name": "x", "ultimate_analysis_wt_pct": {"c": 80, "h": -1, "o": 21}}"#,
    )
    .unwrap();
    let e = spec.resolve("fuel").unwrap_err().to_string();
    assert!(e.starts_with("fuel.ultimate_analysis_wt_pct.h"), "{e}");
    assert!(
        serde_json::from_str::<FuelSpec>(r#"{"name": "x", "gas_composition_vol_pct": {"xe": 1}}"#)
            .is_err()
    );
}

/// A measured HHV overrides the correlation, and the LHV follows it.
#[test]
fn measured_hhv_overrides() {
    let spec: FuelSpec = serde_json::from_str(
        r#"{"name": "coal", "ultimate_analysis_wt_pct": {"c": 60, "h": 4, "o": 8, "n": 1, "s": 1, "moisture": 16, "ash": 10}, "hhv_kj_kg": 25000}"#,
    )
    .unwrap();
    let f = spec.resolve("fuel").unwrap();
    assert_eq!(f.hhv_kj_kg, 25_000.0);
    let expected_lhv = 25_000.0 - 2441.7 * (0.04 * 8.9366 + 0.16);
    assert!((f.lhv_kj_kg - expected_lhv).abs() < 1.0, "{}", f.lhv_kj_kg);
}
