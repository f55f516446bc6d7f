//! The targets of issue 10 (docs/PERFORMANCE.md, "Analytics"):
//! `nice -n 10 cargo bench -p thermaliq-analytics --bench analytics`
//!
//! - a baseline fit over three years of daily data with 6 candidate
//!   variables (all combinations of ≤ 4: 56 models) — target ≤ 50 ms;
//! - a year of hourly efficiency from stored calculations (8760), grouped,
//!   with rolling mean, trend and change points — target ≤ 100 ms;
//! - the Taylor uncertainty of a calculation — target ≤ 30 µs added.

use analytics::regression::{ValidityRules, Variable, search_models};
use analytics::rng::Rng;
use analytics::trend::{
    CalculationPoint, Interval, TrendSettings, aggregate_efficiency, analyze_trend,
};
use analytics::uncertainty::UncertaintySpec;
use analytics::uncertainty::engine::{InputUncertainty, Propagation, efficiency_uncertainty};
use thermaliq_core::{EngineSettings, evaluate, parse_calculation_request};
use time::Duration;
use time::macros::datetime;

fn main() {
    divan::main();
}

fn daily_dataset() -> (Vec<f64>, Vec<Variable>) {
    let mut rng = Rng::new(2026);
    let n = 1095;
    let mut cols: Vec<Vec<f64>> = (0..6).map(|_| Vec::with_capacity(n)).collect();
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let x: Vec<f64> = (0..6)
            .map(|j| 10.0 * (j as f64 + 1.0) * rng.uniform())
            .collect();
        y.push(
            9000.0 + 120.0 * x[0] + 35.0 * x[1] - 12.0 * x[2] + 200.0 * x[3] + 180.0 * rng.normal(),
        );
        for (c, v) in cols.iter_mut().zip(x) {
            c.push(v);
        }
    }
    let names = [
        "production_t",
        "hdd",
        "ambient_c",
        "shifts",
        "humidity",
        "noise",
    ];
    (
        y,
        names
            .iter()
            .zip(cols)
            .map(|(n, c)| Variable::new(*n, c))
            .collect(),
    )
}

#[divan::bench]
fn baseline_search_56_models_3y_daily(bencher: divan::Bencher) {
    let (y, vars) = daily_dataset();
    let rules = ValidityRules::default();
    bencher.bench(|| {
        let s = search_models(divan::black_box(&y), divan::black_box(&vars), 4, &rules).unwrap();
        assert_eq!(s.models.len(), 56);
        s
    });
}

#[divan::bench]
fn trend_year_hourly_with_change_points(bencher: divan::Bencher) {
    let mut rng = Rng::new(7);
    let t0 = datetime!(2025-01-01 00:00 UTC);
    let calcs: Vec<CalculationPoint> = (0..8760)
        .map(|h| {
            let eta = if h < 6000 { 0.84 } else { 0.80 } + 0.01 * rng.normal();
            CalculationPoint {
                time: t0 + Duration::hours(h),
                input_kwh: 1000.0,
                output_kwh: 1000.0 * eta,
            }
        })
        .collect();
    let settings = TrendSettings::default();
    bencher.bench(|| {
        let series = aggregate_efficiency(divan::black_box(&calcs), Interval::Hour).unwrap();
        let points: Vec<_> = series.iter().map(|i| i.point()).collect();
        analyze_trend(&points, &settings).unwrap()
    });
}

const RUNBOOK: &[u8] = br#"{"facility_id": "FAC-TEST-001",
 "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T01:00:00Z"},
 "energy_input": {"fuel": 1000.0, "electricity": 50.0},
 "energy_output": {"steam": 750.0, "electricity": 200.0}}"#;

const BOILER: &[u8] = br#"{"facility_id": "FAC-B2",
  "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T02:00:00Z"},
  "process": {"type": "boiler",
    "fuel": {"name": "natural_gas", "energy_kw": 1000},
    "steam": {"mass_flow_kg_h": 1000, "pressure_mpa": 30, "temperature_c": 426.85},
    "feedwater": {"pressure_mpa": 3, "temperature_c": 26.85},
    "blowdown_pct": 0,
    "flue_gas": {"temperature_c": 180, "o2_pct_dry": 3.0}}}"#;

fn pct(input: &str, p: f64) -> InputUncertainty {
    InputUncertainty {
        input: input.to_owned(),
        uncertainty: UncertaintySpec::RelativePct95 { uncertainty_pct: p },
    }
}

#[divan::bench]
fn evaluate_runbook_alone(bencher: divan::Bencher) {
    let input = parse_calculation_request(RUNBOOK).unwrap().input;
    let settings = EngineSettings::default();
    bencher.bench(|| evaluate(divan::black_box(&input), &settings));
}

#[divan::bench]
fn uncertainty_taylor_runbook_4_inputs(bencher: divan::Bencher) {
    let input = parse_calculation_request(RUNBOOK).unwrap().input;
    let settings = EngineSettings::default();
    let given = [
        pct("energy_input.fuel", 2.0),
        pct("energy_input.electricity", 1.0),
        pct("energy_output.steam", 2.0),
        pct("energy_output.electricity", 1.0),
    ];
    bencher.bench(|| {
        efficiency_uncertainty(
            divan::black_box(&input),
            &settings,
            &given,
            Propagation::Taylor,
        )
        .unwrap()
    });
}

#[divan::bench]
fn uncertainty_taylor_process_boiler_4_inputs(bencher: divan::Bencher) {
    let input = parse_calculation_request(BOILER).unwrap().input;
    let settings = EngineSettings::default();
    let given = [
        pct("process.fuel.energy_kw", 2.0),
        pct("process.steam.mass_flow_kg_h", 1.5),
        pct("process.flue_gas.temperature_c", 2.0),
        pct("process.flue_gas.o2_pct_dry", 5.0),
    ];
    bencher.bench(|| {
        efficiency_uncertainty(
            divan::black_box(&input),
            &settings,
            &given,
            Propagation::Taylor,
        )
        .unwrap()
    });
}

#[divan::bench]
fn evaluate_process_boiler_alone(bencher: divan::Bencher) {
    let input = parse_calculation_request(BOILER).unwrap().input;
    let settings = EngineSettings::default();
    bencher.bench(|| evaluate(divan::black_box(&input), &settings));
}
