//! Cooperative cancellation and the input bound (issue 12): the server
//! stops a render at SANKEY_GENERATION_TIMEOUT, and a graph over the bound
//! is refused before any work, naming the limit.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sankey::{
    CHECK_EVERY, Cancel, EnergyFlows, Flow, FlowGraph, Format, MAX_INPUT_FLOWS, MAX_INPUT_NODES,
    SankeyError, SankeyOptions, Title, prepare, render, render_with,
};

/// A handle that says "stop" from its `stop_at`-th poll on, counting polls.
fn stop_at(stop_at: usize) -> (Cancel, Arc<AtomicUsize>) {
    let polls = Arc::new(AtomicUsize::new(0));
    let seen = polls.clone();
    let cancel = Cancel::from_check(move || seen.fetch_add(1, Ordering::Relaxed) + 1 >= stop_at);
    (cancel, polls)
}

#[test]
fn a_cancelled_handle_stops_before_any_work() {
    let c = Cancel::new();
    c.cancel();
    let e = render_with(
        &common::boiler(),
        &SankeyOptions::default(),
        Format::Svg,
        &c,
    )
    .unwrap_err();
    assert_eq!(
        e,
        SankeyError::Cancelled {
            stage: "validation"
        }
    );
    assert_eq!(e.code(), "cancelled");
    let past = Cancel::with_deadline(Instant::now());
    let e = render_with(
        &common::boiler(),
        &SankeyOptions::default(),
        Format::Json,
        &past,
    );
    assert!(matches!(e, Err(SankeyError::Cancelled { .. })), "{e:?}");
}

#[test]
fn a_handle_that_never_fires_gives_the_same_bytes_as_no_handle() {
    let far = Cancel::with_deadline(Instant::now() + Duration::from_secs(3600));
    for g in [common::boiler(), common::site(200, 7)] {
        for f in Format::ALL {
            let o = SankeyOptions::default();
            assert_eq!(
                render_with(&g, &o, f, &far).unwrap(),
                render(&g, &o, f).unwrap()
            );
        }
    }
}

/// Every poll is a point where the work really stops: cancelling at the
/// k-th poll, for every k, gives `Cancelled` (never a diagram, never a
/// panic), and a large graph is polled at least once per CHECK_EVERY nodes
/// or links, in every stage.
#[test]
fn every_poll_stops_the_work_and_large_graphs_are_polled_throughout() {
    let o = SankeyOptions::default();
    let large = common::fan_out(20_000, 3);
    let g = common::fan_out(2_000, 3);
    for format in Format::ALL {
        let (never, polls) = stop_at(usize::MAX);
        render_with(&large, &o, format, &never).unwrap();
        let total = polls.load(Ordering::Relaxed);
        // Validation alone walks 20,002 nodes and 20,001 flows.
        assert!(
            total >= 2 * 20_000 / CHECK_EVERY as usize,
            "{format:?}: {total} polls"
        );
        let (never, polls) = stop_at(usize::MAX);
        render_with(&g, &o, format, &never).unwrap();
        let total = polls.load(Ordering::Relaxed);
        let mut stages = std::collections::BTreeSet::new();
        for k in 1..=total {
            let (c, _) = stop_at(k);
            match render_with(&g, &o, format, &c) {
                Err(SankeyError::Cancelled { stage }) => {
                    stages.insert(stage);
                }
                other => panic!("{format:?}: cancelled at poll {k}: {other:?}"),
            }
        }
        for stage in [
            "validation",
            "cycle check",
            "folding",
            "layout",
            "rendering",
        ] {
            assert!(stages.contains(stage), "{format:?}: no poll in {stage}");
        }
    }
}

#[test]
fn cancelling_from_another_thread_stops_a_render_in_progress() {
    // The handle is cancelled by a clone once the work has polled 50 times:
    // the way the server's timeout task cancels the blocking render.
    let c = Cancel::new();
    let remote = c.clone();
    let polls = Arc::new(AtomicUsize::new(0));
    let seen = polls.clone();
    let probe = Cancel::from_check(move || {
        if seen.fetch_add(1, Ordering::Relaxed) == 50 {
            remote.cancel();
        }
        false
    });
    let g = common::fan_out(40_000, 9);
    let work = {
        let c = c.clone();
        std::thread::spawn(move || {
            // Both handles are polled: the probe, then the shared flag.
            let both = Cancel::from_check(move || probe.is_cancelled() || c.is_cancelled());
            render_with(&g, &SankeyOptions::default(), Format::Svg, &both)
        })
    };
    let r = work.join().unwrap();
    assert!(matches!(r, Err(SankeyError::Cancelled { .. })), "{r:?}");
    assert!(c.is_cancelled());
}

fn chain(flows: usize) -> FlowGraph {
    let nodes = (0..=flows)
        .map(|i| sankey::Node {
            id: format!("n{i}"),
            label: format!("n{i}"),
            role: None,
        })
        .collect();
    let flows = (0..flows)
        .map(|i| Flow {
            from: format!("n{i}"),
            to: format!("n{}", i + 1),
            value_kwh: 1.0,
            recycle: false,
        })
        .collect();
    FlowGraph {
        kind: sankey::DiagramKind::Energy,
        title: Title::default(),
        nodes,
        flows,
    }
}

#[test]
fn graphs_over_the_input_bound_are_refused_naming_the_limit() {
    assert_eq!(MAX_INPUT_FLOWS, 50_000);
    assert_eq!(MAX_INPUT_NODES, 50_001);
    let o = SankeyOptions::default();
    // At the bound: drawn (a chain cannot fold, so this also lays out
    // 50,001 nodes in 50,001 columns).
    let d = prepare(&chain(MAX_INPUT_FLOWS), &o).unwrap();
    assert_eq!(d.nodes.len(), MAX_INPUT_NODES);
    assert_eq!(d.warnings.len(), 1, "limits cannot be met by folding");
    // One over: refused before any work.
    let e = prepare(&chain(MAX_INPUT_FLOWS + 1), &o).unwrap_err();
    assert_eq!(
        e.to_string(),
        "flow graph has 50001 flows; at most 50000 are accepted (sankey::MAX_INPUT_FLOWS)"
    );
    assert_eq!((e.code(), e.field().as_str()), ("too_large", "flows"));
    let mut nodes_only = chain(10);
    nodes_only
        .nodes
        .extend((0..MAX_INPUT_NODES).map(|i| sankey::Node {
            id: format!("lonely{i}"),
            label: String::new(),
            role: None,
        }));
    let e = prepare(&nodes_only, &o).unwrap_err();
    assert_eq!(
        e,
        SankeyError::TooLarge {
            what: "nodes",
            count: MAX_INPUT_NODES + 11,
            limit: MAX_INPUT_NODES,
            constant: "sankey::MAX_INPUT_NODES"
        }
    );
}

#[test]
fn the_builders_apply_the_bound_too() {
    // from_json: 50,001 flows a -> b (parallel, so tiny to build).
    let flows = vec![r#"{"from":"a","to":"b","value":1}"#; MAX_INPUT_FLOWS + 1].join(",");
    let doc = format!(r#"{{"nodes":[{{"id":"a"}},{{"id":"b"}}],"flows":[{flows}]}}"#);
    let e = FlowGraph::from_json(doc.as_bytes()).unwrap_err();
    assert!(
        matches!(
            e,
            SankeyError::TooLarge {
                what: "flows",
                count: 50_001,
                ..
            }
        ),
        "{e}"
    );
    // A stored calculation: 1 input + n outputs + 1 loss + the residual
    // are n + 3 flows; n = 49,997 is at the bound, one more is over.
    let at = common::many_outputs_flows(MAX_INPUT_FLOWS - 3, 1);
    let g = FlowGraph::from_energy_flows(&at, &Title::default()).unwrap();
    assert_eq!(g.flows.len(), MAX_INPUT_FLOWS);
    let over = common::many_outputs_flows(MAX_INPUT_FLOWS - 2, 1);
    let e = FlowGraph::from_energy_flows(&over, &Title::default()).unwrap_err();
    assert!(
        matches!(
            e,
            SankeyError::TooLarge {
                what: "flows",
                count: 50_001,
                ..
            }
        ),
        "{e}"
    );
    let e = FlowGraph::from_energy_flows(&EnergyFlows::default(), &Title::default());
    assert!(e.is_ok(), "an empty calculation is not too large: {e:?}");
}

#[test]
fn sums_past_f64_max_are_refused_not_drawn() {
    let g = FlowGraph::from_json(
        br#"{"nodes":[{"id":"a"},{"id":"b"},{"id":"c"}],
            "flows":[{"from":"a","to":"c","value":1e308},{"from":"b","to":"c","value":1e308}]}"#,
    )
    .unwrap();
    let e = prepare(&g, &SankeyOptions::default()).unwrap_err();
    assert_eq!(e.field(), "nodes[c]", "{e}");
    let g = FlowGraph::from_json(
        br#"{"nodes":[{"id":"a"},{"id":"b"}],
            "flows":[{"from":"a","to":"b","value":1e308},{"from":"a","to":"b","value":1e308}]}"#,
    )
    .unwrap();
    let e = prepare(&g, &SankeyOptions::default()).unwrap_err();
    assert_eq!(e.field(), "flows[a -> b]", "{e}");
}
