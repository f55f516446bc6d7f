//! Second-law quantities.

use thermo::exergy::{DeadState, fuel_chemical_exergy, heat_exergy_kw, specific_flow_exergy_kj_kg};
use thermo::fuels::library_fuel;
use thermo::if97;

/// Saturated steam at 1 MPa against a 25 °C dead state. From the steam
/// tables (Çengel & Boles Table A-5: h_g = 2777.1 kJ/kg, s_g = 6.5850
/// kJ/(kg K); Table A-4 at 25 °C: h_f = 104.83, s_f = 0.3672):
/// e = 2777.1 − 104.83 − 298.15 (6.5850 − 0.3672) = 818.4 kJ/kg.
#[test]
fn saturated_steam_exergy_matches_steam_table_arithmetic() {
    let dead = DeadState::default();
    let w0 = dead.water().unwrap();
    let st = if97::saturated_vapour_at_pressure(1.0).unwrap();
    let e = specific_flow_exergy_kj_kg(&st, &w0);
    assert!((e - 818.4).abs() < 1.0, "{e}");
    assert!(specific_flow_exergy_kj_kg(&w0, &w0).abs() < 1e-12);
}

/// Methane: standard chemical exergy 831.2 kJ/mol (Szargut et al. 1988)
/// over its LHV 802.3 kJ/mol gives φ = 1.036; Kotas (1985) quotes ≈1.04
/// for methane. Liquid fuels φ ≈ 1.06-1.07, coal ≈ 1.09-1.11 (Kotas Table).
#[test]
fn fuel_exergy_ratios() {
    let ng = fuel_chemical_exergy(&library_fuel("propane").unwrap());
    assert!((1.0..1.1).contains(&ng.phi_lhv), "{}", ng.phi_lhv);
    let spec: thermo::fuels::FuelSpec =
        serde_json::from_str(r#"{"name": "m", "gas_composition_vol_pct": {"ch4": 100}}"#).unwrap();
    let ch4 = fuel_chemical_exergy(&spec.resolve("fuel").unwrap());
    assert!((ch4.phi_lhv - 1.036).abs() < 0.005, "{}", ch4.phi_lhv);
    let oil = fuel_chemical_exergy(&library_fuel("fuel_oil_no2").unwrap());
    assert!((1.05..1.08).contains(&oil.phi_lhv), "{}", oil.phi_lhv);
    let coal = fuel_chemical_exergy(&library_fuel("bituminous_coal").unwrap());
    assert!((1.06..1.12).contains(&coal.phi_lhv), "{}", coal.phi_lhv);
}

/// Carnot factor: 100 kW at 600 K with T0 = 300 K carries 50 kW of exergy.
#[test]
fn heat_exergy_carnot() {
    let dead = DeadState {
        temperature_c: 26.85,
        pressure_kpa: 101.325,
    };
    assert!((heat_exergy_kw(100.0, 600.0, &dead) - 50.0).abs() < 1e-9);
    assert!(
        DeadState {
            temperature_c: 100.0,
            pressure_kpa: 101.325
        }
        .validate()
        .is_err()
    );
}
