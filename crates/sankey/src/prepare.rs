//! Validation, residual nodes and folding: turns a [`FlowGraph`] into the
//! network that is laid out.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::cancel::Checkpoint;
use crate::model::{FlowGraph, Role, SURPLUS_ID, UNACCOUNTED_ID, check_size, flow_name};
use crate::{SankeyError, SankeyOptions};

/// One original flow folded into an "Other …" node.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoldedItem {
    pub id: String,
    pub label: String,
    pub value_kwh: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct NetNode {
    pub id: String,
    pub label: String,
    pub role: Role,
    pub folded: Vec<FoldedItem>,
    pub alive: bool,
}

impl NetNode {
    pub(crate) fn new(id: String, label: String, role: Role) -> NetNode {
        NetNode {
            id,
            label,
            role,
            folded: Vec::new(),
            alive: true,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct NetLink {
    pub source: usize,
    pub target: usize,
    pub value: f64,
    pub recycle: bool,
    pub alive: bool,
}

impl NetLink {
    pub(crate) fn new(source: usize, target: usize, value: f64) -> NetLink {
        NetLink {
            source,
            target,
            value,
            recycle: false,
            alive: true,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Net {
    pub nodes: Vec<NetNode>,
    pub links: Vec<NetLink>,
    pub total_input: f64,
    pub warnings: Vec<String>,
}

/// Validates and folds `graph` into the network that is laid out.
pub(crate) fn prepare(
    graph: &FlowGraph,
    options: &SankeyOptions,
    cp: &mut Checkpoint,
) -> Result<Net, SankeyError> {
    let mut net = unfolded(graph, options, cp)?;
    cp.stage("folding")?;
    crate::fold::fold(&mut net, options, cp)?;
    net.compact();
    Ok(net)
}

/// The validated network with residual nodes, before folding.
pub(crate) fn unfolded(
    graph: &FlowGraph,
    options: &SankeyOptions,
    cp: &mut Checkpoint,
) -> Result<Net, SankeyError> {
    options.validate()?;
    check_size(graph.nodes.len(), graph.flows.len())?;
    cp.stage("validation")?;
    if graph.flows.is_empty() {
        return Err(SankeyError::Empty {
            rule: "there are no flows",
        });
    }
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, n) in graph.nodes.iter().enumerate() {
        cp.tick()?;
        if n.id.is_empty() {
            return Err(SankeyError::InvalidNode {
                id: n.id.clone(),
                rule: "id must not be empty",
            });
        }
        if index.insert(n.id.as_str(), i).is_some() {
            return Err(SankeyError::InvalidNode {
                id: n.id.clone(),
                rule: "id is declared more than once",
            });
        }
    }

    // Links, with parallel flows of the same kind merged (first-seen order).
    let mut links: Vec<NetLink> = Vec::new();
    let mut seen: BTreeMap<(usize, usize, bool), usize> = BTreeMap::new();
    for f in &graph.flows {
        cp.tick()?;
        let name = flow_name(&f.from, &f.to);
        let lookup = |id: &str| {
            index
                .get(id)
                .copied()
                .ok_or_else(|| SankeyError::UnknownNode {
                    flow: name.clone(),
                    node: id.to_owned(),
                })
        };
        let (s, t) = (lookup(&f.from)?, lookup(&f.to)?);
        let rule = if !f.value_kwh.is_finite() {
            Some("must be a finite number")
        } else if f.value_kwh < 0.0 {
            Some("must be >= 0 (reverse the flow, or enter a heat credit as an input)")
        } else {
            None
        };
        if let Some(rule) = rule {
            return Err(SankeyError::InvalidValue {
                flow: name,
                value: f.value_kwh,
                rule,
            });
        }
        if s == t {
            return Err(SankeyError::Cycle {
                nodes: vec![f.from.clone(), f.to.clone()],
                rule: "a node cannot flow into itself",
            });
        }
        match seen.get(&(s, t, f.recycle)) {
            Some(&i) => {
                links[i].value += f.value_kwh;
                if !links[i].value.is_finite() {
                    return Err(SankeyError::InvalidValue {
                        flow: name,
                        value: links[i].value,
                        rule: "the sum of the parallel flows between these nodes must be finite",
                    });
                }
            }
            None => {
                seen.insert((s, t, f.recycle), links.len());
                links.push(NetLink {
                    source: s,
                    target: t,
                    value: f.value_kwh,
                    recycle: f.recycle,
                    alive: true,
                });
            }
        }
    }

    cp.stage("cycle check")?;
    check_cycles(graph, &links, options.allow_circular_flows, cp)?;
    if !options.allow_circular_flows {
        // Acyclic: a declared recycle is an ordinary flow.
        for l in &mut links {
            l.recycle = false;
        }
    }

    // Roles: declared, else inferred from the (non-recycle) topology.
    let n = graph.nodes.len();
    let mut has_in = vec![false; n];
    let mut has_out = vec![false; n];
    for l in links.iter().filter(|l| !l.recycle) {
        has_out[l.source] = true;
        has_in[l.target] = true;
    }
    let mut nodes: Vec<NetNode> = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| NetNode {
            id: node.id.clone(),
            label: node.label.clone(),
            role: node.role.unwrap_or(match (has_in[i], has_out[i]) {
                (false, _) => Role::Input,
                (true, false) => Role::Useful,
                (true, true) => Role::Process,
            }),
            folded: Vec::new(),
            alive: true,
        })
        .collect();

    // Conservation at intermediate nodes (recycles included).
    let mut inflow = vec![0.0; n];
    let mut outflow = vec![0.0; n];
    let mut in_count = vec![0usize; n];
    let mut out_count = vec![0usize; n];
    for l in &links {
        cp.tick()?;
        outflow[l.source] += l.value;
        inflow[l.target] += l.value;
        out_count[l.source] += 1;
        in_count[l.target] += 1;
    }
    // Finite flows can still sum past f64::MAX: refuse, rather than draw
    // infinite bars and NaN shares.
    if let Some(i) = (0..n).find(|&i| !(inflow[i].is_finite() && outflow[i].is_finite())) {
        return Err(SankeyError::InvalidNode {
            id: nodes[i].id.clone(),
            rule: "its total inflow or outflow is not a finite number (values too large)",
        });
    }
    let total_input: f64 = links
        .iter()
        .filter(|l| !l.recycle && nodes[l.source].role == Role::Input && in_count[l.source] == 0)
        .map(|l| l.value)
        .sum();
    if !total_input.is_finite() {
        return Err(SankeyError::InvalidValue {
            flow: "total input".to_owned(),
            value: total_input,
            rule: "the sum of the flows out of input nodes must be a finite number",
        });
    }
    if total_input <= 0.0 {
        return Err(SankeyError::Empty {
            rule: "total input is zero: no flow leaves an input node, so shares are undefined",
        });
    }
    let mut residuals = Vec::new();
    for i in 0..n {
        cp.tick()?;
        if in_count[i] == 0 || out_count[i] == 0 {
            continue;
        }
        let diff = inflow[i] - outflow[i];
        let base = if inflow[i] > 0.0 {
            inflow[i]
        } else {
            outflow[i]
        };
        if options.validate_flows && diff.abs() > options.balance_threshold * base {
            return Err(SankeyError::Unbalanced {
                node: nodes[i].id.clone(),
                inflow_kwh: inflow[i],
                outflow_kwh: outflow[i],
                imbalance_percent: diff.abs() / base * 100.0,
                threshold_percent: options.balance_threshold * 100.0,
            });
        }
        if diff.abs() > 1e-9 * total_input {
            residuals.push((i, diff));
        }
    }
    // A residual inside the threshold is drawn, never hidden. All residuals
    // of one sign share one node: the first unaccounted-role node with its
    // id (or `<id>_residual`), found once, else a new one.
    let existing = |id: &str| {
        let alt = format!("{id}_residual");
        nodes
            .iter()
            .position(|x| x.role == Role::Unaccounted && (x.id == id || x.id == alt))
    };
    let mut residual_node = [existing(UNACCOUNTED_ID), existing(SURPLUS_ID)];
    for (i, diff) in residuals {
        cp.tick()?;
        let (slot, id, label) = if diff > 0.0 {
            (0, UNACCOUNTED_ID, "Unaccounted")
        } else {
            (1, SURPLUS_ID, "Balance surplus")
        };
        let r = match residual_node[slot] {
            Some(r) => r,
            None => {
                let id = if index.contains_key(id) {
                    format!("{id}_residual")
                } else {
                    id.to_owned()
                };
                nodes.push(NetNode::new(id, label.to_owned(), Role::Unaccounted));
                residual_node[slot] = Some(nodes.len() - 1);
                nodes.len() - 1
            }
        };
        let (source, target) = if diff > 0.0 { (i, r) } else { (r, i) };
        links.push(NetLink::new(source, target, diff.abs()));
    }

    Ok(Net {
        nodes,
        links,
        total_input,
        warnings: Vec::new(),
    })
}

/// Rejects a cycle, naming its nodes. With `allow_circular`, declared
/// recycles are left out of the search (they are drawn as return loops).
fn check_cycles(
    graph: &FlowGraph,
    links: &[NetLink],
    allow_circular: bool,
    cp: &mut Checkpoint,
) -> Result<(), SankeyError> {
    let n = graph.nodes.len();
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    for l in links {
        cp.tick()?;
        if !(allow_circular && l.recycle) {
            adj[l.source].push(l.target);
        }
    }
    // 0 = unvisited, 1 = on the stack, 2 = done.
    let mut state = vec![0u8; n];
    for start in 0..n {
        if state[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            cp.tick()?;
            if let Some(&w) = adj[v].get(*next) {
                *next += 1;
                match state[w] {
                    0 => {
                        state[w] = 1;
                        stack.push((w, 0));
                    }
                    1 => {
                        let from = stack.iter().position(|&(x, _)| x == w).unwrap_or(0);
                        let mut path: Vec<usize> = stack[from..].iter().map(|&(x, _)| x).collect();
                        path.push(w);
                        // One set of the cycle's edges, not a walk of the
                        // cycle per link: a long cycle stays linear.
                        let edges: BTreeSet<(usize, usize)> =
                            path.windows(2).map(|e| (e[0], e[1])).collect();
                        let declared = links
                            .iter()
                            .any(|l| l.recycle && edges.contains(&(l.source, l.target)));
                        let cycle: Vec<String> =
                            path.iter().map(|&x| graph.nodes[x].id.clone()).collect();
                        return Err(SankeyError::Cycle {
                            nodes: cycle,
                            rule: if allow_circular {
                                "no flow of this cycle is declared \"recycle\": true"
                            } else if declared {
                                "circular flows are disabled (SANKEY_ALLOW_CIRCULAR_FLOWS=false)"
                            } else {
                                "cycles are rejected; declare the return flow \"recycle\": true \
                                 and set SANKEY_ALLOW_CIRCULAR_FLOWS=true to draw it as a loop"
                            },
                        });
                    }
                    _ => {}
                }
            } else {
                state[v] = 2;
                stack.pop();
            }
        }
    }
    Ok(())
}

impl Net {
    pub(crate) fn counts(&self) -> (usize, usize) {
        (
            self.nodes.iter().filter(|n| n.alive).count(),
            self.links.iter().filter(|l| l.alive).count(),
        )
    }

    pub(crate) fn compact(&mut self) {
        let mut new_index = vec![usize::MAX; self.nodes.len()];
        let mut k = 0;
        for (i, n) in self.nodes.iter().enumerate() {
            if n.alive {
                new_index[i] = k;
                k += 1;
            }
        }
        self.nodes.retain(|n| n.alive);
        self.links.retain(|l| l.alive);
        for l in &mut self.links {
            l.source = new_index[l.source];
            l.target = new_index[l.target];
        }
    }
}
