//! Property tests on random two-stage flow graphs (inputs -> boiler ->
//! {losses, header -> users}).

use proptest::prelude::*;
use sankey::{Diagram, DiagramKind, Flow, FlowGraph, Node, Role, SankeyOptions, Title, prepare};

fn node(id: String, role: Role) -> Node {
    Node {
        label: id.clone(),
        id,
        role: Some(role),
    }
}

fn flow(from: &str, to: &str, v: f64) -> Flow {
    Flow {
        from: from.to_owned(),
        to: to.to_owned(),
        value_kwh: v,
        recycle: false,
    }
}

fn build(inputs: &[f64], losses: &[f64], users: &[f64]) -> FlowGraph {
    let mut nodes = vec![
        node("boiler".into(), Role::Process),
        node("header".into(), Role::Process),
    ];
    let mut flows = Vec::new();
    let header: f64 = users.iter().sum();
    for (i, v) in users.iter().enumerate() {
        nodes.push(node(format!("user{i}"), Role::Useful));
        flows.push(flow("header", &format!("user{i}"), *v));
    }
    flows.push(flow("boiler", "header", header));
    for (i, v) in losses.iter().enumerate() {
        nodes.push(node(format!("loss{i}"), Role::Loss));
        flows.push(flow("boiler", &format!("loss{i}"), *v));
    }
    // Inputs are weights: scale them to the boiler's outflow.
    let out = header + losses.iter().sum::<f64>();
    let w: f64 = inputs.iter().sum();
    for (i, v) in inputs.iter().enumerate() {
        nodes.push(node(format!("fuel{i}"), Role::Input));
        flows.push(flow(&format!("fuel{i}"), "boiler", v / w * out));
    }
    FlowGraph {
        kind: DiagramKind::Energy,
        title: Title::default(),
        nodes,
        flows,
    }
}

fn graphs() -> impl Strategy<Value = FlowGraph> {
    (
        prop::collection::vec(1.0f64..1e4, 1..6),
        prop::collection::vec(0.0f64..500.0, 0..25),
        prop::collection::vec(0.01f64..2e3, 1..120),
    )
        .prop_map(|(i, l, u)| build(&i, &l, &u))
}

fn options() -> impl Strategy<Value = SankeyOptions> {
    (8usize..60, 8usize..120, any::<bool>(), 0.0f64..0.2).prop_map(|(n, l, agg, t)| SankeyOptions {
        max_nodes: n,
        max_links: l,
        aggregate_small_flows: agg,
        small_flow_threshold: t,
        ..SankeyOptions::default()
    })
}

fn role_total(d: &Diagram, role: Role) -> f64 {
    d.links
        .iter()
        .filter(|l| d.nodes[l.target].role == role)
        .map(|l| l.value_kwh)
        .sum()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn folded_diagrams_conserve_respect_limits_and_keep_totals(g in graphs(), o in options()) {
        let d = prepare(&g, &o).unwrap();
        // Limits respected, never by failing.
        prop_assert!(d.nodes.len() <= o.max_nodes, "{} nodes > {}", d.nodes.len(), o.max_nodes);
        prop_assert!(d.links.len() <= o.max_links, "{} links > {}", d.links.len(), o.max_links);
        prop_assert!(d.warnings.is_empty());
        // Conservation at every intermediate node.
        for (v, n) in d.nodes.iter().enumerate() {
            let i: f64 = d.links.iter().filter(|l| l.target == v).map(|l| l.value_kwh).sum();
            let o: f64 = d.links.iter().filter(|l| l.source == v).map(|l| l.value_kwh).sum();
            if i > 0.0 && o > 0.0 {
                prop_assert!(close(i, o), "{}: {} in, {} out", n.id, i, o);
            }
        }
        // Folding preserves totals per role and the total input.
        let full = prepare(&g, &SankeyOptions { max_nodes: 10_000, max_links: 10_000, ..SankeyOptions::default() }).unwrap();
        prop_assert!(close(d.total_input_kwh, full.total_input_kwh));
        for role in [Role::Useful, Role::Loss, Role::Unaccounted] {
            prop_assert!(close(role_total(&d, role), role_total(&full, role)), "{:?}", role);
        }
        // Every "Other" node is the sum of what it folded.
        for n in d.nodes.iter().filter(|n| !n.folded.is_empty()) {
            prop_assert!(close(n.folded.iter().map(|f| f.value_kwh).sum(), n.value_kwh));
        }
        // Shares are of total input.
        for l in &d.links {
            prop_assert!(close(l.share * d.total_input_kwh, l.value_kwh));
        }
        // Labels inside the canvas and disjoint.
        for (k, a) in d.labels.iter().enumerate() {
            prop_assert!(a.x >= 0.0 && a.y >= 0.0 && a.x + a.width <= d.width && a.y + a.height <= d.height);
            for b in &d.labels[k + 1..] {
                prop_assert!(!a.overlaps(b), "{:?} overlaps {:?}", a.lines, b.lines);
            }
        }
    }

    #[test]
    fn output_is_deterministic(g in graphs(), o in options()) {
        let a = prepare(&g, &o).unwrap();
        let b = prepare(&g.clone(), &o.clone()).unwrap();
        prop_assert_eq!(a.to_svg(), b.to_svg());
        prop_assert_eq!(a.to_json(), b.to_json());
        prop_assert_eq!(a.to_plotly_json(), b.to_plotly_json());
    }
}
