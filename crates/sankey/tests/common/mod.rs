//! Fixtures shared by the tests and the benchmarks.
#![allow(dead_code)]

use std::collections::BTreeMap;

use sankey::{EnergyFlows, FlowGraph, SankeyOptions, Title};

fn map(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

/// A gas boiler as the engine stores it: measured losses plus the engine's
/// `unaccounted` residual (1050 − 850 − 155 = 45 kWh).
pub fn boiler_flows() -> EnergyFlows {
    EnergyFlows {
        inputs: map(&[("natural_gas", 1000.0), ("electricity", 50.0)]),
        outputs: map(&[("steam", 850.0)]),
        losses: map(&[
            ("flue_gas", 120.0),
            ("radiation", 15.0),
            ("blowdown", 20.0),
            ("unaccounted", 45.0),
        ]),
    }
}

pub fn boiler_title() -> Title {
    Title {
        facility: Some("FAC-001".to_owned()),
        process: Some("Boiler".to_owned()),
        period: Some("2025-11-01 00:00 to 01:00 UTC".to_owned()),
        efficiency_percent: None,
        basis: Some("HHV".to_owned()),
    }
}

pub fn boiler() -> FlowGraph {
    FlowGraph::from_energy_flows(&boiler_flows(), &boiler_title()).unwrap()
}

/// A reheating furnace with 15 measured loss categories.
pub fn furnace() -> FlowGraph {
    let losses = [
        ("flue_gas_sensible", 1450.0),
        ("flue_gas_moisture", 380.0),
        ("wall_conduction", 260.0),
        ("door_opening_radiation", 140.0),
        ("cooling_water", 420.0),
        ("skid_pipes", 210.0),
        ("scale_formation", 55.0),
        ("hearth_storage", 90.0),
        ("opening_leakage", 35.0),
        ("incomplete_combustion", 12.0),
        ("burner_cooling_air", 28.0),
        ("conveyor_losses", 18.0),
        ("fixture_heating", 65.0),
        ("instrument_purge", 4.5),
        ("pilot_flames", 2.5),
    ];
    let flows = EnergyFlows {
        inputs: map(&[
            ("natural_gas", 9500.0),
            ("combustion_air_preheat", 600.0),
            ("exothermic_oxidation", 150.0),
        ]),
        outputs: map(&[("stock_heating", 6900.0)]),
        losses: map(&losses),
    };
    let title = Title {
        facility: Some("FAC-017".to_owned()),
        process: Some("Reheating furnace".to_owned()),
        period: Some("2025-11 (month)".to_owned()),
        efficiency_percent: None,
        basis: Some("LHV".to_owned()),
    };
    FlowGraph::from_energy_flows(&flows, &title).unwrap()
}

/// Fuel -> boiler -> header -> users, with an economiser returning heat to
/// the boiler (a declared recycle).
pub const PLANT_JSON: &str = r#"{
  "title": {"facility": "FAC-003", "process": "Steam plant", "period": "2025-11-01", "basis": "HHV"},
  "nodes": [
    {"id": "fuel", "label": "Natural gas", "role": "input"},
    {"id": "boiler", "label": "Boiler", "role": "process"},
    {"id": "economiser", "label": "Economiser", "role": "process"},
    {"id": "header", "label": "Steam header", "role": "process"},
    {"id": "stack", "label": "Stack loss", "role": "loss"},
    {"id": "radiation", "label": "Boiler radiation", "role": "loss"},
    {"id": "distribution", "label": "Distribution loss", "role": "loss"},
    {"id": "users_a", "label": "Paper machine", "role": "useful"},
    {"id": "users_b", "label": "Digester", "role": "useful"},
    {"id": "heating", "label": "Space heating", "role": "useful"}
  ],
  "flows": [
    {"from": "fuel", "to": "boiler", "value": 1.0, "unit": "MWh"},
    {"from": "boiler", "to": "header", "value": 830},
    {"from": "boiler", "to": "economiser", "value": 200},
    {"from": "boiler", "to": "radiation", "value": 30},
    {"from": "economiser", "to": "boiler", "value": 60, "recycle": true},
    {"from": "economiser", "to": "stack", "value": 140},
    {"from": "header", "to": "users_a", "value": 400},
    {"from": "header", "to": "users_b", "value": 250},
    {"from": "header", "to": "heating", "value": 120},
    {"from": "header", "to": "distribution", "value": 60}
  ]
}"#;

pub fn plant() -> FlowGraph {
    FlowGraph::from_json(PLANT_JSON.as_bytes()).unwrap()
}

pub fn circular() -> SankeyOptions {
    SankeyOptions {
        allow_circular_flows: true,
        ..SankeyOptions::default()
    }
}

/// A deterministic pseudo-random sequence (LCG), so fixtures need no RNG crate.
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Lcg {
        Lcg(seed)
    }
    /// Uniform in [0, 1).
    pub fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A site with `inputs` fuels into one boiler, `headers` steam headers,
/// `losses` boiler losses and the rest of `flows` as users spread over the
/// headers; every node balances exactly.
pub fn site(flows: usize, seed: u64) -> FlowGraph {
    let inputs = (flows / 40).clamp(1, 5);
    let headers = (flows / 60).clamp(1, 3);
    let losses = (flows / 10).clamp(1, 20);
    let users = flows - inputs - headers - losses;
    let mut rng = Lcg::new(seed);
    let mut nodes = vec![r#"{"id":"boiler","label":"Boiler","role":"process"}"#.to_owned()];
    let mut edges = Vec::new();
    let mut header_total = vec![0.0; headers];
    for u in 0..users {
        let h = u % headers;
        // Heavy-tailed sizes: a few big users, many small ones.
        let v = (1.0 + 400.0 * rng.next().powi(3) * 10f64.powf(rng.next())).round();
        header_total[h] += v;
        nodes.push(format!(
            r#"{{"id":"user{u}","label":"User {u}","role":"useful"}}"#
        ));
        edges.push(format!(
            r#"{{"from":"header{h}","to":"user{u}","value":{v}}}"#
        ));
    }
    let mut boiler_out = 0.0;
    for (h, total) in header_total.iter().enumerate() {
        nodes.push(format!(
            r#"{{"id":"header{h}","label":"Header {h}","role":"process"}}"#
        ));
        edges.push(format!(
            r#"{{"from":"boiler","to":"header{h}","value":{total}}}"#
        ));
        boiler_out += total;
    }
    for l in 0..losses {
        let v = (1.0 + 300.0 * rng.next().powi(2)).round();
        nodes.push(format!(
            r#"{{"id":"loss{l}","label":"Loss {l}","role":"loss"}}"#
        ));
        edges.push(format!(r#"{{"from":"boiler","to":"loss{l}","value":{v}}}"#));
        boiler_out += v;
    }
    // Inputs split the boiler's outflow; the last takes the remainder.
    let mut left = boiler_out;
    for i in 0..inputs {
        let v = if i + 1 == inputs {
            left
        } else {
            (boiler_out * 0.5f64.powi(i as i32 + 1)).round()
        };
        left -= v;
        nodes.push(format!(
            r#"{{"id":"fuel{i}","label":"Fuel {i}","role":"input"}}"#
        ));
        edges.push(format!(r#"{{"from":"fuel{i}","to":"boiler","value":{v}}}"#));
    }
    let doc = format!(
        r#"{{"title":{{"facility":"FAC-200","process":"Site","period":"2025","basis":"HHV"}},"nodes":[{}],"flows":[{}]}}"#,
        nodes.join(","),
        edges.join(",")
    );
    FlowGraph::from_json(doc.as_bytes()).unwrap()
}

/// The shape of the issue-12 probe: `f -> b`, `b -> o0 … o{outputs-1}`, one
/// input feeding a process node that fans out to `outputs` useful sinks with
/// distinct heavy-tailed values (1–4,000 kWh); `f -> b` carries their exact
/// sum (integers, so the sum is exact in f64 and every node balances).
pub fn fan_out(outputs: usize, seed: u64) -> FlowGraph {
    let mut rng = Lcg::new(seed);
    let mut nodes = vec![
        sankey::Node {
            id: "f".to_owned(),
            label: "f".to_owned(),
            role: None,
        },
        sankey::Node {
            id: "b".to_owned(),
            label: "b".to_owned(),
            role: None,
        },
    ];
    let mut flows = Vec::with_capacity(outputs + 1);
    let mut total = 0.0;
    for o in 0..outputs {
        let v = (1.0 + 4000.0 * rng.next().powi(3)).round();
        total += v;
        nodes.push(sankey::Node {
            id: format!("o{o}"),
            label: format!("o{o}"),
            role: None,
        });
        flows.push(sankey::Flow {
            from: "b".to_owned(),
            to: format!("o{o}"),
            value_kwh: v,
            recycle: false,
        });
    }
    flows.insert(
        0,
        sankey::Flow {
            from: "f".to_owned(),
            to: "b".to_owned(),
            value_kwh: total,
            recycle: false,
        },
    );
    FlowGraph {
        kind: sankey::DiagramKind::Energy,
        title: Title::default(),
        nodes,
        flows,
    }
}

/// A stored calculation with `outputs` useful outputs (the 589 KB body of
/// issue 12 had 40,000), as `energy_flows` holds it.
pub fn many_outputs_flows(outputs: usize, seed: u64) -> EnergyFlows {
    let mut rng = Lcg::new(seed);
    let mut out = BTreeMap::new();
    let mut total = 0.0;
    for o in 0..outputs {
        let v = (1.0 + 4000.0 * rng.next().powi(3)).round();
        total += v;
        out.insert(format!("output_{o:05}"), v);
    }
    EnergyFlows {
        inputs: map(&[("natural_gas", (total * 1.1f64).round())]),
        outputs: out,
        losses: map(&[("flue_gas", (total * 0.08f64).round())]),
    }
}
