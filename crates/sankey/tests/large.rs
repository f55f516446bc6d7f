//! Large graphs (issue 12): the folding limits apply before layout, so the
//! layout and the renderers only ever see a bounded diagram.

mod common;

use sankey::{Format, SankeyOptions, prepare, render};

/// The outputs' values in the order the fixture built them (o0, o1, …).
fn outputs(g: &sankey::FlowGraph) -> Vec<(String, f64)> {
    g.flows
        .iter()
        .filter(|f| f.from == "b")
        .map(|f| (f.to.clone(), f.value_kwh))
        .collect()
}

#[test]
fn node_and_link_limits_fold_ten_thousand_outputs_before_layout() {
    let n = 10_000;
    let g = common::fan_out(n, 11);
    let o = SankeyOptions::default();
    let d = prepare(&g, &o).unwrap();

    // f, b and n outputs: n + 2 nodes, n + 1 links. Each fold removes one
    // node and one link, so n + 2 - 50 folds meet max_nodes = 50, leaving
    // 47 outputs shown, one "Other" node and n + 1 - (n - 48) = 49 links.
    assert_eq!(d.nodes.len(), o.max_nodes);
    assert_eq!(d.links.len(), 49);
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);

    // Layout saw only the folded network: one node label per node, one
    // label per link not stated by a leaf (f -> b is stated by f's label;
    // every b -> output by the output's label), title, subtitle, legend.
    let node_labels = d
        .labels
        .iter()
        .filter(|l| l.kind == sankey::LabelKind::Node)
        .count();
    assert_eq!(node_labels, o.max_nodes);
    assert!(d.labels.len() <= 2 + d.nodes.len() + d.links.len() + 6);

    // The 47 largest outputs stay; the rest are in "Other useful outputs",
    // which holds their exact sum. Sorted here, independently of the crate.
    let mut by_size = outputs(&g);
    by_size.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let shown: Vec<&str> = d
        .nodes
        .iter()
        .filter(|x| x.id.starts_with('o') && x.folded.is_empty())
        .map(|x| x.id.as_str())
        .collect();
    let mut expected: Vec<&str> = by_size[..47].iter().map(|(id, _)| id.as_str()).collect();
    let mut shown_sorted = shown.clone();
    shown_sorted.sort_unstable();
    expected.sort_unstable();
    assert_eq!(shown_sorted, expected);
    let other = d.nodes.iter().find(|x| !x.folded.is_empty()).unwrap();
    assert_eq!(other.label, format!("Other useful outputs ({})", n - 47));
    assert_eq!(other.folded.len(), n - 47);
    let rest: f64 = by_size[47..].iter().map(|(_, v)| v).sum();
    assert_eq!(other.value_kwh, rest, "integer kWh: the sum is exact");
    // Listed largest first, then by id.
    let listed: Vec<(&str, f64)> = other
        .folded
        .iter()
        .map(|f| (f.id.as_str(), f.value_kwh))
        .collect();
    let want: Vec<(&str, f64)> = by_size[47..]
        .iter()
        .map(|(id, v)| (id.as_str(), *v))
        .collect();
    assert_eq!(listed, want);
}

#[test]
fn aggregate_small_flows_applies_before_layout_too() {
    let n = 2_000;
    let g = common::fan_out(n, 5);
    let total: f64 = outputs(&g).iter().map(|(_, v)| v).sum();
    let o = SankeyOptions {
        aggregate_small_flows: true,
        small_flow_threshold: 0.002,
        max_nodes: 10_000,
        max_links: 10_000,
        ..SankeyOptions::default()
    };
    let d = prepare(&g, &o).unwrap();
    let small: Vec<f64> = outputs(&g)
        .into_iter()
        .map(|(_, v)| v)
        .filter(|v| *v < 0.002 * total)
        .collect();
    assert!(small.len() > 1_000, "the fixture has many small flows");
    let other = d.nodes.iter().find(|x| !x.folded.is_empty()).unwrap();
    assert_eq!(other.folded.len(), small.len());
    assert_eq!(d.nodes.len(), 2 + (n - small.len()) + 1);
    // Every output still drawn is at or above the threshold.
    for x in d.nodes.iter().filter(|x| x.id.starts_with('o')) {
        assert!(x.value_kwh >= 0.002 * total, "{} {}", x.id, x.value_kwh);
    }
}

#[test]
fn forty_thousand_stored_outputs_render_within_the_limits() {
    let flows = common::many_outputs_flows(40_000, 13);
    let g = sankey::FlowGraph::from_energy_flows(&flows, &sankey::Title::default()).unwrap();
    let o = SankeyOptions::default();
    for format in Format::ALL {
        let r = render(&g, &o, format).unwrap();
        assert!(r.node_count <= o.max_nodes && r.link_count <= o.max_links);
    }
}
