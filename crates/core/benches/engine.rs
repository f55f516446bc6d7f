//! The bare engine: parse + validate, evaluate, and seal (canonical JSON + SHA-256).
//! `cargo bench -p thermaliq-core --bench engine`

use thermaliq_core::provenance::compute_and_seal;
use thermaliq_core::{EngineSettings, evaluate, parse_calculation_request};

const RUNBOOK_CASE: &[u8] = br#"{"facility_id": "FAC-TEST-001",
 "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T01:00:00Z"},
 "energy_input": {"fuel": 1000.0, "electricity": 50.0},
 "energy_output": {"steam": 750.0, "electricity": 200.0}}"#;

const WITH_LOSSES_AND_UNITS: &[u8] = br#"{"facility_id": "FAC-B",
 "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-02T00:00:00Z"},
 "energy_input": {"gas": {"value": 36.0, "unit": "GJ"}, "oil": {"value": 3.0, "unit": "MMBtu"}, "power": 120.0},
 "energy_output": {"steam": 8200.0, "hot_water": 900.0},
 "energy_losses": {"dry_flue_gas": 1100.0, "moisture": 420.0, "radiation": 90.0, "blowdown": 150.0, "convection": 35.0}}"#;

fn main() {
    divan::main();
}

fn case(name: &str) -> &'static [u8] {
    match name {
        "runbook" => RUNBOOK_CASE,
        _ => WITH_LOSSES_AND_UNITS,
    }
}

#[divan::bench(args = ["runbook", "losses+units"])]
fn parse_and_validate(name: &str) {
    divan::black_box(parse_calculation_request(divan::black_box(case(name))).unwrap());
}

#[divan::bench(args = ["runbook", "losses+units"])]
fn evaluate_only(bencher: divan::Bencher, name: &str) {
    let input = parse_calculation_request(case(name)).unwrap().input;
    let settings = EngineSettings::default();
    bencher.bench(|| evaluate(divan::black_box(&input), &settings));
}

#[divan::bench(args = ["runbook", "losses+units"])]
fn full_engine_call(name: &str) {
    let req = parse_calculation_request(divan::black_box(case(name))).unwrap();
    divan::black_box(compute_and_seal(&req.input, &EngineSettings::default()));
}

#[divan::bench(args = ["runbook", "losses+units"])]
fn seal_parts_canonical_input(bencher: divan::Bencher, name: &str) {
    let req = parse_calculation_request(case(name)).unwrap();
    bencher.bench(|| thermaliq_core::provenance::canonical_json(divan::black_box(&req.input)));
}

#[divan::bench(args = ["runbook", "losses+units"])]
fn seal_parts_canonical_result(bencher: divan::Bencher, name: &str) {
    let req = parse_calculation_request(case(name)).unwrap();
    let result = evaluate(&req.input, &EngineSettings::default());
    bencher.bench(|| thermaliq_core::provenance::canonical_json(divan::black_box(&result)));
}

#[divan::bench]
fn seal_parts_sha256_4k(bencher: divan::Bencher) {
    let data = vec![b'x'; 4096];
    bencher.bench(|| thermaliq_core::provenance::sha256_hex(divan::black_box(&data)));
}

#[divan::bench(args = ["runbook"])]
fn seal_parts_plain_serde_json(bencher: divan::Bencher, name: &str) {
    let req = parse_calculation_request(case(name)).unwrap();
    let result = evaluate(&req.input, &EngineSettings::default());
    bencher.bench(|| serde_json::to_vec(divan::black_box(&result)).unwrap());
}
