//! Golden outputs: SVG and Plotly for a boiler, a furnace with 15 loss
//! categories, a 3-stage plant with a recovery loop, and a 200-flow site
//! folded to the limits (plus JSON and HTML of the boiler). Every SVG must be
//! well-formed XML with real text, a declared font and no external reference.

mod common;

use sankey::{Diagram, FlowGraph, SankeyOptions, prepare};

fn check_svg(svg: &str) {
    let doc = roxmltree::Document::parse(svg).expect("SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    assert!(
        root.attribute("font-family")
            .unwrap()
            .contains("DejaVu Sans")
    );
    assert!(doc.descendants().filter(|n| n.has_tag_name("text")).count() > 3);
    for node in doc.descendants() {
        for attr in node.attributes() {
            assert!(
                !attr.name().contains("href") && !attr.value().contains("url("),
                "external reference in {:?}",
                node.tag_name()
            );
        }
        assert!(!node.has_tag_name("image") && !node.has_tag_name("script"));
    }
}

fn diagram(graph: &FlowGraph, options: &SankeyOptions) -> Diagram {
    let d = prepare(graph, options).unwrap();
    check_svg(&d.to_svg());
    assert_eq!(
        d.to_svg(),
        prepare(graph, options).unwrap().to_svg(),
        "deterministic"
    );
    d
}

#[test]
fn boiler() {
    let d = diagram(&common::boiler(), &SankeyOptions::default());
    insta::assert_snapshot!("boiler_svg", d.to_svg());
    insta::assert_snapshot!("boiler_plotly", d.to_plotly_json());
    insta::assert_snapshot!("boiler_json", d.to_json());
    insta::assert_snapshot!("boiler_html", d.to_html());
}

#[test]
fn furnace_with_15_losses() {
    let d = diagram(&common::furnace(), &SankeyOptions::default());
    assert_eq!(
        d.nodes
            .iter()
            .filter(|n| n.role == sankey::Role::Loss)
            .count(),
        15
    );
    insta::assert_snapshot!("furnace_svg", d.to_svg());
    insta::assert_snapshot!("furnace_plotly", d.to_plotly_json());
}

#[test]
fn plant_with_recovery_loop() {
    let d = diagram(&common::plant(), &common::circular());
    assert_eq!(d.links.iter().filter(|l| l.recycle).count(), 1);
    insta::assert_snapshot!("plant_svg", d.to_svg());
    insta::assert_snapshot!("plant_plotly", d.to_plotly_json());
}

#[test]
fn site_200_flows_folded() {
    let g = common::site(200, 7);
    assert_eq!(g.flows.len(), 200);
    let d = diagram(&g, &SankeyOptions::default());
    assert!(d.nodes.len() <= 50 && d.links.len() <= 100);
    assert!(d.warnings.is_empty());
    insta::assert_snapshot!("site200_svg", d.to_svg());
    insta::assert_snapshot!("site200_plotly", d.to_plotly_json());
}
