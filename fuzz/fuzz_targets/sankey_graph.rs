//! Sankey graphs: arbitrary graphs built, validated, folded, laid out and
//! rendered in every format, from three doors: a structured graph (ids from
//! a small set, so flows mostly name declared nodes; arbitrary options), the
//! raw JSON body of `POST /v1/thermaliq/sankey`, and a stored calculation's
//! `energy_flows` JSON. Besides
//! "no panic", it checks what the crate promises for every input: the
//! limits hold unless a warning says why, SVG is well-formed XML with no
//! markup from the graph, Plotly and JSON are JSON, the output is
//! deterministic, and a cancelled render stops with `Cancelled` or (if it
//! finished first) gives the same bytes.
#![no_main]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use sankey::{
    Cancel, DiagramKind, Flow, FlowGraph, Format, Node, Role, SankeyError, SankeyOptions, Title,
    prepare, render, render_with,
};

#[derive(Debug, Arbitrary)]
struct FuzzNode {
    id: u8,
    label: String,
    role: Option<u8>,
}

#[derive(Debug, Arbitrary)]
struct FuzzFlow {
    from: u8,
    to: u8,
    value: f64,
    recycle: bool,
}

#[derive(Debug, Arbitrary)]
struct FuzzOptions {
    max_nodes: u16,
    max_links: u16,
    aggregate_small_flows: bool,
    small_flow_threshold: f64,
    validate_flows: bool,
    allow_circular_flows: bool,
    balance_threshold: f64,
}

#[derive(Debug, Arbitrary)]
struct Structured {
    exergy: bool,
    title: Option<(Option<String>, Option<String>, Option<f64>)>,
    nodes: Vec<FuzzNode>,
    flows: Vec<FuzzFlow>,
    options: FuzzOptions,
}

const ROLES: [Role; 6] = Role::ALL;

/// Ids from a small set, a few of them the crate's own reserved ids.
fn id(k: u8) -> String {
    match k % 24 {
        20 => "unaccounted".to_owned(),
        21 => "unaccounted_residual".to_owned(),
        22 => "balance_surplus".to_owned(),
        23 => "other:useful:n1".to_owned(),
        k => format!("n{k}"),
    }
}

fn structured(st: Structured) -> (FlowGraph, SankeyOptions) {
    let o = &st.options;
    let options = SankeyOptions {
        max_nodes: o.max_nodes as usize,
        max_links: o.max_links as usize,
        aggregate_small_flows: o.aggregate_small_flows,
        small_flow_threshold: o.small_flow_threshold,
        validate_flows: o.validate_flows,
        allow_circular_flows: o.allow_circular_flows,
        balance_threshold: o.balance_threshold,
    };
    let graph = FlowGraph {
        kind: if st.exergy {
            DiagramKind::Exergy
        } else {
            DiagramKind::Energy
        },
        title: st
            .title
            .map(|(facility, process, efficiency_percent)| Title {
                facility,
                process,
                efficiency_percent,
                ..Title::default()
            })
            .unwrap_or_default(),
        nodes: st
            .nodes
            .into_iter()
            .map(|n| Node {
                id: id(n.id),
                label: n.label,
                role: n.role.map(|r| ROLES[r as usize % ROLES.len()]),
            })
            .collect(),
        flows: st
            .flows
            .into_iter()
            .map(|f| Flow {
                from: id(f.from),
                to: id(f.to),
                value_kwh: f.value,
                recycle: f.recycle,
            })
            .collect(),
    };
    (graph, options)
}

/// Options for the JSON doors, from one byte: the service defaults with
/// small-flow aggregation, flow validation and circular flows switched by
/// its bits, and tight limits so folding always has work.
fn byte_options(b: u8) -> SankeyOptions {
    SankeyOptions {
        max_nodes: [50, 3, 5, 12][(b >> 4) as usize % 4],
        max_links: [100, 2, 4, 11][(b >> 6) as usize % 4],
        aggregate_small_flows: b & 1 != 0,
        validate_flows: b & 2 == 0,
        allow_circular_flows: b & 4 != 0,
        small_flow_threshold: if b & 8 != 0 { 0.1 } else { 0.01 },
        ..SankeyOptions::default()
    }
}

/// `data[0]` picks the door (structured, `POST /sankey` JSON, stored
/// `energy_flows` JSON), `data[1]` the options of the JSON doors, `data[2]`
/// the poll to cancel at (0: never); the rest is the input.
fn case(data: &[u8]) -> Option<(FlowGraph, SankeyOptions, u8)> {
    let [door, opts, cancel_at, rest @ ..] = data else {
        return None;
    };
    let (graph, options) = match door % 3 {
        0 => structured(Structured::arbitrary(&mut Unstructured::new(rest)).ok()?),
        1 => (FlowGraph::from_json(rest).ok()?, byte_options(*opts)),
        _ => (
            FlowGraph::from_energy_flows_json(rest, &Title::default()).ok()?,
            byte_options(*opts),
        ),
    };
    Some((graph, options, *cancel_at))
}

fn check_svg(svg: &str) {
    let doc = roxmltree::Document::parse(svg).expect("SVG is well-formed XML");
    for n in doc.descendants().filter(|n| n.is_element()) {
        let tag = n.tag_name().name();
        assert!(
            ["svg", "title", "rect", "g", "path", "text", "tspan"].contains(&tag),
            "element <{tag}> in the SVG"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((g, o, cancel_at)) = case(data) else {
        return;
    };
    let d = match prepare(&g, &o) {
        Ok(d) => d,
        Err(e) => {
            // Every error names a stable code; the message is printable.
            assert!(!e.code().is_empty());
            let _ = (e.to_string(), e.field());
            return;
        }
    };
    if d.warnings.is_empty() {
        assert!(
            d.nodes.len() <= o.max_nodes,
            "{} > max_nodes",
            d.nodes.len()
        );
        assert!(
            d.links.len() <= o.max_links,
            "{} > max_links",
            d.links.len()
        );
    }
    for l in &d.links {
        assert!(l.source < d.nodes.len() && l.target < d.nodes.len());
        assert!(l.label < d.labels.len());
    }
    let svg = d.to_svg();
    check_svg(&svg);
    serde_json::from_str::<serde_json::Value>(&d.to_json()).expect("JSON output parses");
    serde_json::from_str::<serde_json::Value>(&d.to_plotly_json()).expect("Plotly output parses");
    let _ = d.to_html();
    assert_eq!(prepare(&g, &o).unwrap().to_svg(), svg, "deterministic");

    if cancel_at > 0 {
        let polls = Arc::new(AtomicU32::new(0));
        let seen = polls.clone();
        let at = u32::from(cancel_at);
        let cancel = Cancel::from_check(move || seen.fetch_add(1, Ordering::Relaxed) + 1 >= at);
        for format in Format::ALL {
            polls.store(0, Ordering::Relaxed);
            match render_with(&g, &o, format, &cancel) {
                Ok(r) => assert_eq!(r, render(&g, &o, format).unwrap()),
                Err(SankeyError::Cancelled { .. }) => {}
                Err(e) => panic!("cancelled render failed otherwise: {e}"),
            }
        }
    }
});
