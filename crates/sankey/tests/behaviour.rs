//! What the diagrams promise, one rule at a time.

mod common;

use sankey::{
    EnergyFlows, ExergyStreams, FlowGraph, Format, Role, SankeyError, SankeyOptions, Title,
    prepare, render,
};

fn graph(json: &str) -> FlowGraph {
    FlowGraph::from_json(json.as_bytes()).unwrap()
}

fn err(json: &str, options: &SankeyOptions) -> SankeyError {
    prepare(&graph(json), options).unwrap_err()
}

const SIMPLE: &str = r#"{"nodes":[{"id":"fuel"},{"id":"boiler"},{"id":"steam"},{"id":"flue","role":"loss"}],
  "flows":[{"from":"fuel","to":"boiler","value":1000},{"from":"boiler","to":"steam","value":850},
           {"from":"boiler","to":"flue","value":150}]}"#;

#[test]
fn roles_are_inferred_and_links_carry_value_and_share() {
    let d = prepare(&graph(SIMPLE), &SankeyOptions::default()).unwrap();
    let roles: Vec<_> = d.nodes.iter().map(|n| (n.id.as_str(), n.role)).collect();
    assert_eq!(
        roles,
        [
            ("fuel", Role::Input),
            ("boiler", Role::Process),
            ("steam", Role::Useful),
            ("flue", Role::Loss)
        ]
    );
    let steam = &d.links[1];
    assert_eq!((steam.value_kwh, steam.share), (850.0, 0.85));
    assert_eq!(steam.text, "850.0 kWh · 85.0 %");
    // Every link's value is stated by some label.
    for l in &d.links {
        assert!(
            d.labels[l.label]
                .lines
                .iter()
                .any(|t| t.contains(&sankey::fmt::kwh(l.value_kwh)))
        );
    }
    assert_eq!(d.title.efficiency_percent, Some(85.0));
}

#[test]
fn units_are_converted_to_kwh() {
    let g = graph(
        r#"{"nodes":[{"id":"a"},{"id":"b"}],"flows":[{"from":"a","to":"b","value":3.6,"unit":"GJ"}]}"#,
    );
    assert!((g.flows[0].value_kwh - 1000.0).abs() < 1e-9);
    let e = FlowGraph::from_json(
        br#"{"nodes":[{"id":"a"},{"id":"b"}],"flows":[{"from":"a","to":"b","value":1,"unit":"mwh"}]}"#,
    )
    .unwrap_err();
    assert!(
        matches!(e, SankeyError::UnknownUnit { ref flow, .. } if flow == "a -> b"),
        "{e}"
    );
}

#[test]
fn unknown_fields_are_rejected() {
    let e =
        FlowGraph::from_json(br#"{"nodes":[{"id":"a","colour":"red"}],"flows":[]}"#).unwrap_err();
    assert!(e.to_string().contains("unknown field `colour`"), "{e}");
}

#[test]
fn bad_graphs_name_the_node_or_flow_and_the_rule() {
    let o = SankeyOptions::default();
    let e = err(
        r#"{"nodes":[{"id":"a"},{"id":"a"}],"flows":[{"from":"a","to":"a","value":1}]}"#,
        &o,
    );
    assert_eq!(e.to_string(), "node 'a': id is declared more than once");
    let e = err(
        r#"{"nodes":[{"id":"a"}],"flows":[{"from":"a","to":"x","value":1}]}"#,
        &o,
    );
    assert_eq!(
        e.to_string(),
        "flow a -> x: node 'x' is not declared in \"nodes\""
    );
    let e = err(
        r#"{"nodes":[{"id":"a"},{"id":"b"}],"flows":[{"from":"a","to":"b","value":-1}]}"#,
        &o,
    );
    assert!(matches!(e, SankeyError::InvalidValue { .. }));
    assert_eq!(e.field(), "flows[a -> b]");
    let e = err(
        r#"{"nodes":[{"id":"fuel"},{"id":"boiler"},{"id":"steam"}],
            "flows":[{"from":"fuel","to":"boiler","value":1000},{"from":"boiler","to":"steam","value":800}]}"#,
        &o,
    );
    assert!(
        e.to_string().starts_with(
            "node 'boiler' does not conserve flow: 1000 kWh in, 800 kWh out (20.000 %"
        ),
        "{e}"
    );
    // Non-finite values cannot come from JSON but can from code.
    let mut g = graph(SIMPLE);
    g.flows[0].value_kwh = f64::NAN;
    assert!(matches!(
        prepare(&g, &o),
        Err(SankeyError::InvalidValue { .. })
    ));
}

#[test]
fn imbalance_inside_the_threshold_is_drawn_as_unaccounted() {
    let g = graph(
        r#"{"nodes":[{"id":"fuel"},{"id":"boiler"},{"id":"steam"}],
            "flows":[{"from":"fuel","to":"boiler","value":1000},{"from":"boiler","to":"steam","value":970}]}"#,
    );
    let d = prepare(&g, &SankeyOptions::default()).unwrap();
    let un = d
        .nodes
        .iter()
        .find(|n| n.role == Role::Unaccounted)
        .unwrap();
    assert_eq!((un.id.as_str(), un.value_kwh), ("unaccounted", 30.0));
    // Unvalidated, a larger gap is still drawn, not hidden.
    let o = SankeyOptions {
        validate_flows: false,
        ..SankeyOptions::default()
    };
    let mut g2 = g.clone();
    g2.flows[1].value_kwh = 500.0;
    let d = prepare(&g2, &o).unwrap();
    assert_eq!(
        d.nodes
            .iter()
            .find(|n| n.role == Role::Unaccounted)
            .unwrap()
            .value_kwh,
        500.0
    );
}

#[test]
fn cycles_are_rejected_with_their_nodes_unless_declared_and_allowed() {
    let cyc = r#"{"nodes":[{"id":"fuel"},{"id":"boiler"},{"id":"eco"},{"id":"steam"}],
      "flows":[{"from":"fuel","to":"boiler","value":100},{"from":"boiler","to":"eco","value":30},
               {"from":"eco","to":"boiler","value":30},{"from":"boiler","to":"steam","value":100}]}"#;
    let e = err(cyc, &SankeyOptions::default());
    assert_eq!(
        e.to_string(),
        "circular flow boiler -> eco -> boiler: cycles are rejected; declare the return flow \
         \"recycle\": true and set SANKEY_ALLOW_CIRCULAR_FLOWS=true to draw it as a loop"
    );
    // Allowed but undeclared: still rejected.
    assert!(matches!(
        err(cyc, &common::circular()),
        SankeyError::Cycle { .. }
    ));
    // Declared but not allowed: rejected, saying why.
    let declared = cyc.replace(
        r#"{"from":"eco","to":"boiler","value":30}"#,
        r#"{"from":"eco","to":"boiler","value":30,"recycle":true}"#,
    );
    let e = err(&declared, &SankeyOptions::default());
    assert!(
        e.to_string().contains("SANKEY_ALLOW_CIRCULAR_FLOWS=false"),
        "{e}"
    );
    // Declared and allowed: drawn as a return loop.
    let d = prepare(&graph(&declared), &common::circular()).unwrap();
    let lp = d.links.iter().find(|l| l.recycle).unwrap();
    assert!(lp.loop_y.unwrap() > d.nodes.iter().map(|n| n.y + n.height).fold(0.0, f64::max));
    assert!(d.labels[lp.label].lines[0].starts_with("Return eco -> boiler: 30.00 kWh"));
    let e = err(
        r#"{"nodes":[{"id":"a"}],"flows":[{"from":"a","to":"a","value":1}]}"#,
        &SankeyOptions::default(),
    );
    assert!(matches!(e, SankeyError::Cycle { .. }));
}

#[test]
fn calculation_diagram_has_inputs_process_outputs_losses_and_residual() {
    let d = prepare(&common::boiler(), &SankeyOptions::default()).unwrap();
    let ids: Vec<_> = d.nodes.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "process",
            "input:electricity",
            "input:natural_gas",
            "useful:steam",
            "loss:blowdown",
            "loss:flue_gas",
            "loss:radiation",
            "unaccounted"
        ]
    );
    assert_eq!(d.total_input_kwh, 1050.0);
    let un = d.nodes.iter().find(|n| n.id == "unaccounted").unwrap();
    assert_eq!((un.role, un.value_kwh), (Role::Unaccounted, 45.0));
    assert!((d.title.efficiency_percent.unwrap() - 80.952_380_95).abs() < 1e-6);
    // Order on the page: inputs by size, useful above losses, losses by size.
    let order = |col: usize| {
        let mut v: Vec<_> = d.nodes.iter().filter(|n| n.column == col).collect();
        v.sort_by(|a, b| a.y.total_cmp(&b.y));
        v.into_iter().map(|n| n.id.as_str()).collect::<Vec<_>>()
    };
    assert_eq!(order(0), ["input:natural_gas", "input:electricity"]);
    assert_eq!(
        order(2),
        [
            "useful:steam",
            "loss:flue_gas",
            "loss:blowdown",
            "loss:radiation",
            "unaccounted"
        ]
    );
}

#[test]
fn zero_residual_is_still_shown_and_by_difference_is_labelled() {
    let flows = EnergyFlows {
        inputs: [("fuel".to_owned(), 1000.0)].into(),
        outputs: [("steam".to_owned(), 900.0)].into(),
        losses: [("unmeasured".to_owned(), 100.0)].into(),
    };
    let g = FlowGraph::from_energy_flows(&flows, &Title::default()).unwrap();
    let d = prepare(&g, &SankeyOptions::default()).unwrap();
    let un = d
        .nodes
        .iter()
        .find(|n| n.role == Role::Unaccounted)
        .unwrap();
    assert_eq!(
        (un.label.as_str(), un.value_kwh),
        ("Unmeasured losses (by difference)", 100.0)
    );
    let closed = EnergyFlows {
        inputs: [("fuel".to_owned(), 1000.0)].into(),
        outputs: [("steam".to_owned(), 900.0)].into(),
        losses: [("flue".to_owned(), 100.0), ("unaccounted".to_owned(), 0.0)].into(),
    };
    let d = prepare(
        &FlowGraph::from_energy_flows(&closed, &Title::default()).unwrap(),
        &SankeyOptions::default(),
    )
    .unwrap();
    let un = d
        .nodes
        .iter()
        .find(|n| n.role == Role::Unaccounted)
        .unwrap();
    assert_eq!(un.value_kwh, 0.0);
    assert_eq!(
        d.links
            .iter()
            .find(|l| d.nodes[l.target].id == "unaccounted")
            .unwrap()
            .width,
        sankey::MIN_LINK_WIDTH
    );
}

#[test]
fn over_accounted_losses_become_a_balance_surplus_input_and_credits_inputs() {
    let flows = EnergyFlows {
        inputs: [("fuel".to_owned(), 1000.0)].into(),
        outputs: [("steam".to_owned(), 850.0)].into(),
        losses: [
            ("flue_gas".to_owned(), 180.0),
            ("solar_gain".to_owned(), -20.0),
            ("unaccounted".to_owned(), -10.0),
        ]
        .into(),
    };
    let g = FlowGraph::from_energy_flows(&flows, &Title::default()).unwrap();
    let d = prepare(&g, &SankeyOptions::default()).unwrap();
    let surplus = d.nodes.iter().find(|n| n.id == "balance_surplus").unwrap();
    // 1000 + 20 credit − 850 − 180 = −10.
    assert_eq!((surplus.role, surplus.column), (Role::Unaccounted, 0));
    assert!((surplus.value_kwh - 10.0).abs() < 1e-9);
    let credit = d
        .nodes
        .iter()
        .find(|n| n.id == "credit:solar_gain")
        .unwrap();
    assert_eq!((credit.role, credit.value_kwh), (Role::Input, 20.0));
    assert_eq!(d.total_input_kwh, 1020.0);
    let bad = EnergyFlows {
        inputs: [("fuel".to_owned(), -5.0)].into(),
        ..EnergyFlows::default()
    };
    let e = FlowGraph::from_energy_flows(&bad, &Title::default()).unwrap_err();
    assert_eq!(e.field(), "flows[input.fuel]");
}

#[test]
fn energy_flows_column_json_is_accepted() {
    let json = r#"{"inputs":{"electricity":50.0,"fuel":1000.0},"losses":{"unmeasured":100.0},"outputs":{"electricity":200.0,"steam":750.0}}"#;
    let g = FlowGraph::from_energy_flows_json(json.as_bytes(), &Title::default()).unwrap();
    let d = prepare(&g, &SankeyOptions::default()).unwrap();
    // The runbook's case: 90.48 %.
    assert!((d.title.efficiency_percent.unwrap() - 90.476).abs() < 1e-3);
    assert!(d.labels[1].lines[0].contains("efficiency 90.48 %"));
}

#[test]
fn exergy_diagram_has_exergy_destroyed_node() {
    let s = ExergyStreams {
        inputs: [("natural_gas".to_owned(), 1040.0)].into(),
        products: [("steam".to_owned(), 380.0)].into(),
        losses: [("flue_gas".to_owned(), 60.0)].into(),
        destroyed_kwh: 600.0,
    };
    let g = FlowGraph::from_exergy(&s, &Title::default()).unwrap();
    let d = prepare(&g, &SankeyOptions::default()).unwrap();
    let x = d
        .nodes
        .iter()
        .find(|n| n.role == Role::ExergyDestroyed)
        .unwrap();
    assert_eq!((x.label.as_str(), x.value_kwh), ("Exergy destroyed", 600.0));
    assert!(
        d.nodes.iter().all(|n| n.role != Role::Unaccounted),
        "balance closes"
    );
    assert!(d.labels[0].lines[0].starts_with("Exergy flows (Grassmann)"));
    assert!(d.labels[1].lines[0].contains("exergy efficiency 36.54 %"));
    assert!(d.to_svg().contains("Exergy destroyed"));
}

#[test]
fn limits_are_met_by_folding_into_other_never_by_failing() {
    let g = common::site(200, 11);
    let o = SankeyOptions {
        max_nodes: 20,
        max_links: 25,
        ..SankeyOptions::default()
    };
    let d = prepare(&g, &o).unwrap();
    assert!(
        d.nodes.len() <= 20 && d.links.len() <= 25,
        "{} {}",
        d.nodes.len(),
        d.links.len()
    );
    let other = d
        .nodes
        .iter()
        .find(|n| n.label.starts_with("Other useful outputs"))
        .unwrap();
    let folded: f64 = other.folded.iter().map(|f| f.value_kwh).sum();
    assert!((folded - other.value_kwh).abs() < 1e-6);
    assert!(other.label.ends_with(&format!("({})", other.folded.len())));
}

#[test]
fn small_flows_are_aggregated_on_request() {
    let d = prepare(
        &common::furnace(),
        &SankeyOptions {
            aggregate_small_flows: true,
            ..SankeyOptions::default()
        },
    )
    .unwrap();
    let other = d
        .nodes
        .iter()
        .find(|n| n.id == "other:loss:process")
        .unwrap();
    // Below 1 % of 10 250 kWh: 90, 65, 55, 35, 28, 18, 12, 4.5, 2.5.
    assert_eq!(other.folded.len(), 9);
    assert_eq!(other.label, "Other losses (9)");
    assert!(
        d.nodes
            .iter()
            .all(|n| n.folded.is_empty() || n.id == other.id)
    );
    // Unaccounted is never folded.
    assert!(d.nodes.iter().any(|n| n.role == Role::Unaccounted));
}

#[test]
fn small_flows_keep_a_visible_width_and_state_their_true_value() {
    let g = graph(
        r#"{"nodes":[{"id":"fuel"},{"id":"boiler"},{"id":"steam"},{"id":"purge","role":"loss"}],
            "flows":[{"from":"fuel","to":"boiler","value":100000},{"from":"boiler","to":"steam","value":99999.9877},
                     {"from":"boiler","to":"purge","value":0.0123}]}"#,
    );
    let d = prepare(&g, &SankeyOptions::default()).unwrap();
    let purge = d
        .links
        .iter()
        .find(|l| d.nodes[l.target].id == "purge")
        .unwrap();
    assert_eq!(purge.width, sankey::MIN_LINK_WIDTH);
    assert_eq!(d.labels[purge.label].lines[1], "0.0123 kWh · 0.000012 %");
}

#[test]
fn options_are_checked() {
    let o = SankeyOptions {
        small_flow_threshold: 1.5,
        ..SankeyOptions::default()
    };
    let e = prepare(&graph(SIMPLE), &o).unwrap_err();
    assert_eq!(e.field(), "small_flow_threshold");
    let o: SankeyOptions = serde_json::from_str(r#"{"max_nodes": 10}"#).unwrap();
    assert_eq!((o.max_nodes, o.max_links), (10, 100));
}

#[test]
fn every_format_renders_with_its_content_type() {
    for f in Format::ALL {
        let r = render(&common::boiler(), &SankeyOptions::default(), f).unwrap();
        assert_eq!(Format::parse(f.as_str()).unwrap(), f);
        assert_eq!((r.node_count, r.link_count), (8, 7));
        assert!(!r.body.is_empty());
        match f {
            Format::Svg => assert_eq!(r.content_type, "image/svg+xml"),
            Format::Html => {
                assert!(r.body.starts_with("<!DOCTYPE html>"));
                assert!(!r.body.contains("http://") || r.body.matches("http://").count() == 1);
                assert!(!r.body.contains("https://") && !r.body.contains("<script"));
            }
            Format::Json | Format::Plotly => {
                let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
                if f == Format::Plotly {
                    assert_eq!(v["data"][0]["type"], "sankey");
                    assert_eq!(v["data"][0]["link"]["value"].as_array().unwrap().len(), 7);
                } else {
                    assert_eq!(v["nodes"].as_array().unwrap().len(), 8);
                    assert_eq!(
                        v["links"][0]["share"].as_f64().unwrap() * 1050.0,
                        v["links"][0]["value_kwh"].as_f64().unwrap()
                    );
                }
            }
        }
    }
    assert!(matches!(
        Format::parse("png"),
        Err(SankeyError::UnknownFormat { .. })
    ));
}
