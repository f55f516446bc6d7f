//! Prepare (validate, fold, lay out) and render graphs of 10, 50 and 200
//! flows. Target: under 5 ms for 50 nodes. Run: `cargo bench -p thermaliq-sankey`.
//!
//! `fan_out_*`: the issue-12 probe, `f -> b`, `b -> o0 … o9999` (and 40,000
//! outputs, the stored calculation that kept a core busy for minutes), folded
//! to the default limits. Run: `cargo bench -p thermaliq-sankey -- fan_out`.

#[path = "../tests/common/mod.rs"]
mod common;

use sankey::{Format, SankeyOptions, Title, render};

fn main() {
    divan::main();
}

#[divan::bench(args = [10, 50, 200])]
fn svg(bencher: divan::Bencher, flows: usize) {
    let g = common::site(flows, 7);
    let o = SankeyOptions::default();
    bencher.bench(|| render(divan::black_box(&g), &o, Format::Svg).unwrap());
}

#[divan::bench(args = [10, 50, 200])]
fn plotly(bencher: divan::Bencher, flows: usize) {
    let g = common::site(flows, 7);
    let o = SankeyOptions::default();
    bencher.bench(|| render(divan::black_box(&g), &o, Format::Plotly).unwrap());
}

#[divan::bench(args = [10, 50, 200])]
fn json(bencher: divan::Bencher, flows: usize) {
    let g = common::site(flows, 7);
    let o = SankeyOptions::default();
    bencher.bench(|| render(divan::black_box(&g), &o, Format::Json).unwrap());
}

/// `POST /v1/thermaliq/sankey` with `f -> b`, `b -> o0 … o{n-1}`.
#[divan::bench(args = [10_000, 40_000], sample_count = 5, sample_size = 1)]
fn fan_out_svg(bencher: divan::Bencher, outputs: usize) {
    let g = common::fan_out(outputs, 11);
    let o = SankeyOptions::default();
    bencher.bench(|| render(divan::black_box(&g), &o, Format::Svg).unwrap());
}

/// `GET …/sankey?format=json` of a stored calculation with `n` outputs
/// (builder included).
#[divan::bench(args = [10_000, 40_000], sample_count = 5, sample_size = 1)]
fn fan_out_stored_json(bencher: divan::Bencher, outputs: usize) {
    let flows = common::many_outputs_flows(outputs, 13);
    let o = SankeyOptions::default();
    bencher.bench(|| {
        let g = sankey::FlowGraph::from_energy_flows(divan::black_box(&flows), &Title::default())
            .unwrap();
        render(&g, &o, Format::Json).unwrap()
    });
}
