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
