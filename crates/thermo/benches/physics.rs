//! Combustion and whole-process analyses.
//! `cargo bench -p thermaliq-thermo --bench physics`.

use divan::black_box;
use thermo::boiler::{ProcessSpec, analyze};
use thermo::combustion::{CombustionInput, analyze_combustion};
use thermo::exergy::DeadState;

fn main() {
    divan::main();
}

fn combustion_input() -> CombustionInput {
    serde_json::from_str(
        r#"{"fuel": {"name": "natural_gas"}, "flue_gas": {"temperature_c": 180, "o2_pct_dry": 3.0, "co_ppm": 50},
            "combustion_air_temperature_c": 25}"#,
    )
    .expect("valid combustion input")
}

fn boiler_spec() -> ProcessSpec {
    serde_json::from_str(
        r#"{"type": "boiler",
            "fuel": {"name": "natural_gas", "mass_flow_kg_h": 800},
            "steam": {"mass_flow_kg_h": 10864, "pressure_mpa": 5.5766, "quality": 1.0},
            "feedwater": {"pressure_mpa": 0.3631, "saturated": "liquid"},
            "blowdown_pct": 3.7,
            "flue_gas": {"temperature_c": 180, "o2_pct_dry": 3.0},
            "combustion_air_temperature_c": 25,
            "surfaces": [{"area_m2": 50, "temperature_c": 60, "emissivity": 0.9, "orientation": "vertical"}]}"#,
    )
    .expect("valid boiler spec")
}

/// Library natural gas, O2 and CO given: balance, losses, credits.
#[divan::bench]
fn combustion_natural_gas(bencher: divan::Bencher) {
    let input = combustion_input();
    bencher.bench(|| {
        analyze_combustion(black_box(&input)).map_or(0.0, |r| r.combustion_efficiency_pct)
    });
}

/// The issue's boiler example: fuel resolution, combustion, IF97 states,
/// one surface, both methods and the second law.
#[divan::bench]
fn boiler_full_analysis(bencher: divan::Bencher) {
    let spec = boiler_spec();
    let dead = DeadState::default();
    bencher
        .bench(|| analyze(black_box(&spec), black_box(&dead)).map_or(0.0, |r| r.useful_output_kw));
}

/// Deserialising the boiler request as the HTTP layer does, then analysing it.
#[divan::bench]
fn boiler_parse_and_analyze() -> f64 {
    let spec = boiler_spec();
    analyze(&spec, &DeadState::default()).map_or(0.0, |r| r.useful_output_kw)
}

fn process(json: &str) -> ProcessSpec {
    serde_json::from_str(json).expect("valid process spec")
}

/// The issue-11 CHP request: fuel category, reference values, PES.
#[divan::bench]
fn chp_analysis(bencher: divan::Bencher) {
    let spec = process(
        r#"{"type": "chp", "fuel": {"name": "natural_gas", "energy_kw": 10000}, "electricity": {"net_kw": 3500, "voltage_kv": 10, "exported_fraction": 0.5},
            "heat": [{"medium": "hot_water", "mass_flow_kg_h": 100000, "supply": {"pressure_mpa": 0.6, "temperature_c": 90}, "return": {"pressure_mpa": 0.6, "temperature_c": 60}}],
            "construction_year": 2018, "annual_average_temperature_c": 10}"#,
    );
    let dead = DeadState::default();
    bencher.bench(|| thermo::process::analyze_process(black_box(&spec), black_box(&dead)).is_ok());
}

/// A direct-fired dryer: psychrometrics of two air states (wet bulb, dew
/// point by bisection), IF97 latent heat, one surface.
#[divan::bench]
fn dryer_analysis(bencher: divan::Bencher) {
    let spec = process(
        r#"{"type": "dryer", "fuel": {"name": "natural_gas", "energy_kw": 400},
            "product": {"wet_mass_flow_kg_h": 1000, "moisture_in_pct_wet": 50, "moisture_out_pct_wet": 10},
            "air": {"inlet": {"temperature_c": 20, "relative_humidity_pct": 50}, "exhaust": {"temperature_c": 70, "relative_humidity_pct": 20}},
            "surfaces": [{"area_m2": 30, "temperature_c": 60, "emissivity": 0.9, "orientation": "vertical"}]}"#,
    );
    let dead = DeadState::default();
    bencher.bench(|| thermo::process::analyze_process(black_box(&spec), black_box(&dead)).is_ok());
}

/// A cement kiln with exit gas (three combustion balances), cooler, shell.
#[divan::bench]
fn kiln_analysis(bencher: divan::Bencher) {
    let spec = process(
        r#"{"type": "kiln", "fuel": {"name": "petcoke", "energy_kw": 100000}, "clinker_t_h": 100,
            "clinker_oxides_pct": {"cao": 66.0, "sio2": 21.5, "al2o3": 5.2, "fe2o3": 3.2, "mgo": 1.8},
            "raw_meal": {"moisture_pct": 1.0}, "exit_gas": {"temperature_c": 330, "o2_pct_dry": 3.0},
            "cooler_exhaust": {"temperature_c": 250, "air_mass_flow_kg_h": 120000}, "product_exit_temperature_c": 110,
            "surfaces": [{"area_m2": 2500, "temperature_c": 280, "emissivity": 0.85, "orientation": "cylinder", "diameter_m": 4.6}]}"#,
    );
    let dead = DeadState::default();
    bencher.bench(|| thermo::process::analyze_process(black_box(&spec), black_box(&dead)).is_ok());
}
