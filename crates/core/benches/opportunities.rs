//! Improvement opportunities of a boiler calculation (re-analysis, six
//! measures, decimal NPV/IRR). `cargo bench -p thermaliq-core --bench opportunities`.

use divan::black_box;
use thermaliq_core::opportunities::{OpportunityParams, opportunities};
use thermaliq_core::parse_calculation_request;

fn main() {
    divan::main();
}

#[divan::bench]
fn boiler_opportunities(bencher: divan::Bencher) {
    let body = r#"{"facility_id": "FAC-B1", "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T01:00:00Z"},
        "process": {"type": "boiler", "fuel": {"name": "natural_gas", "mass_flow_kg_h": 500},
          "steam": {"mass_flow_kg_h": 8000, "pressure_mpa": 1.0, "quality": 1.0},
          "feedwater": {"pressure_mpa": 1.2, "temperature_c": 105}, "blowdown_pct": 4,
          "flue_gas": {"temperature_c": 230, "o2_pct_dry": 6.0}, "combustion_air_temperature_c": 25,
          "surfaces": [{"area_m2": 40, "temperature_c": 180, "emissivity": 0.9, "orientation": "vertical"}]}}"#;
    let input = parse_calculation_request(body.as_bytes())
        .expect("valid")
        .input;
    let params: OpportunityParams = serde_json::from_str(
        r#"{"operating_hours_per_year": 8000, "fuel_price_per_mwh": "40.00", "currency": "EUR",
            "discount_rate": "0.08", "horizon_years": 10,
            "condensate": {"current_return_pct": 40, "target_return_pct": 70}}"#,
    )
    .expect("valid params");
    bencher.bench(|| {
        opportunities(black_box(&input), black_box(&params)).map_or(0, |r| r.opportunities.len())
    });
}
