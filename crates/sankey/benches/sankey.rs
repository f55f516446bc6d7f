//! Prepare (validate, fold, lay out) and render graphs of 10, 50 and 200
//! flows. Target: under 5 ms for 50 nodes. Run: `cargo bench -p thermaliq-sankey`.

#[path = "../tests/common/mod.rs"]
mod common;

use sankey::{Format, SankeyOptions, render};

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
