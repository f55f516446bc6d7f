//! The engine: a parsed request evaluated and sealed under arbitrary
//! settings (what `POST /calculate` stores), then its `energy_flows` drawn
//! as the stored calculation's Sankey diagram (what `GET …/sankey` does).
//! The first bytes pick the settings, the rest is the request body.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use thermaliq_core::provenance::compute_and_seal;
use thermaliq_core::{CalculationMode, EngineSettings, parse_calculation_request};

#[derive(Debug, Arbitrary)]
struct Settings {
    lenient: bool,
    allow_negative_efficiency: bool,
    /// Index into a few thresholds a deployment could set (0–1).
    threshold: u8,
    energy_balance_check_enabled: bool,
    include_energy_losses: bool,
}

const THRESHOLDS: [f64; 5] = [0.05, 0.0, 0.01, 0.2, 1.0];

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(s) = Settings::arbitrary(&mut u) else {
        return;
    };
    let body = u.take_rest();
    let Ok(request) = parse_calculation_request(body) else {
        return;
    };
    let settings = EngineSettings {
        mode: if s.lenient {
            CalculationMode::Lenient
        } else {
            CalculationMode::Strict
        },
        allow_negative_efficiency: s.allow_negative_efficiency,
        energy_balance_threshold: THRESHOLDS[s.threshold as usize % THRESHOLDS.len()],
        energy_balance_check_enabled: s.energy_balance_check_enabled,
        include_energy_losses: s.include_energy_losses,
        ..EngineSettings::default()
    };
    let sealed = compute_and_seal(&request.input, &settings);
    // The stored documents are JSON that reads back.
    serde_json::from_str::<serde_json::Value>(&sealed.canonical_result)
        .expect("canonical result is JSON");
    // The diagram of the stored calculation, as the server builds it.
    let title = sankey::Title::default();
    if let Ok(graph) =
        sankey::FlowGraph::from_energy_flows_json(sealed.canonical_energy_flows.as_bytes(), &title)
    {
        let _ = sankey::render(
            &graph,
            &sankey::SankeyOptions::default(),
            sankey::Format::Svg,
        );
    }
});
