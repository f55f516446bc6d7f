//! Validation, residual nodes and folding: turns a [`FlowGraph`] into the
//! network that is laid out.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{FlowGraph, Role, SURPLUS_ID, UNACCOUNTED_ID, flow_name};
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
    alive: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct NetLink {
    pub source: usize,
    pub target: usize,
    pub value: f64,
    pub recycle: bool,
    alive: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Net {
    pub nodes: Vec<NetNode>,
    pub links: Vec<NetLink>,
    pub total_input: f64,
    pub warnings: Vec<String>,
}

pub(crate) fn prepare(graph: &FlowGraph, options: &SankeyOptions) -> Result<Net, SankeyError> {
    options.validate()?;
    if graph.flows.is_empty() {
        return Err(SankeyError::Empty {
            rule: "there are no flows",
        });
    }
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, n) in graph.nodes.iter().enumerate() {
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
            Some(&i) => links[i].value += f.value_kwh,
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

    check_cycles(graph, &links, options.allow_circular_flows)?;
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
        outflow[l.source] += l.value;
        inflow[l.target] += l.value;
        out_count[l.source] += 1;
        in_count[l.target] += 1;
    }
    let total_input: f64 = links
        .iter()
        .filter(|l| !l.recycle && nodes[l.source].role == Role::Input && in_count[l.source] == 0)
        .map(|l| l.value)
        .sum();
    if total_input.is_nan() || total_input <= 0.0 {
        return Err(SankeyError::Empty {
            rule: "total input is zero: no flow leaves an input node, so shares are undefined",
        });
    }
    let mut residuals = Vec::new();
    for i in 0..n {
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
    // A residual inside the threshold is drawn, never hidden.
    for (i, diff) in residuals {
        let (id, label) = if diff > 0.0 {
            (UNACCOUNTED_ID, "Unaccounted")
        } else {
            (SURPLUS_ID, "Balance surplus")
        };
        let existing = nodes.iter().position(|x| {
            x.role == Role::Unaccounted && (x.id == id || x.id == format!("{id}_residual"))
        });
        let r = match existing {
            Some(r) => r,
            None => {
                let id = if index.contains_key(id) {
                    format!("{id}_residual")
                } else {
                    id.to_owned()
                };
                nodes.push(NetNode {
                    id,
                    label: label.to_owned(),
                    role: Role::Unaccounted,
                    folded: Vec::new(),
                    alive: true,
                });
                nodes.len() - 1
            }
        };
        let (source, target) = if diff > 0.0 { (i, r) } else { (r, i) };
        links.push(NetLink {
            source,
            target,
            value: diff.abs(),
            recycle: false,
            alive: true,
        });
    }

    let mut net = Net {
        nodes,
        links,
        total_input,
        warnings: Vec::new(),
    };
    if options.aggregate_small_flows {
        while fold_once(&mut net, Some(options.small_flow_threshold)) {}
    }
    loop {
        let (nodes, links) = net.counts();
        if nodes <= options.max_nodes && links <= options.max_links {
            break;
        }
        if !fold_once(&mut net, None) {
            net.warnings.push(format!(
                "limits not met: {nodes} nodes (max {}), {links} links (max {}) remain after \
                 folding every foldable flow",
                options.max_nodes, options.max_links
            ));
            break;
        }
    }
    net.compact();
    Ok(net)
}

/// Rejects a cycle, naming its nodes. With `allow_circular`, declared
/// recycles are left out of the search (they are drawn as return loops).
fn check_cycles(
    graph: &FlowGraph,
    links: &[NetLink],
    allow_circular: bool,
) -> Result<(), SankeyError> {
    let n = graph.nodes.len();
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    for l in links {
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
            if let Some(&w) = adj[v].get(*next) {
                *next += 1;
                match state[w] {
                    0 => {
                        state[w] = 1;
                        stack.push((w, 0));
                    }
                    1 => {
                        let from = stack.iter().position(|&(x, _)| x == w).unwrap_or(0);
                        let mut cycle: Vec<String> = stack[from..]
                            .iter()
                            .map(|&(x, _)| graph.nodes[x].id.clone())
                            .collect();
                        cycle.push(graph.nodes[w].id.clone());
                        let declared = links
                            .iter()
                            .any(|l| l.recycle && cycle_has_edge(graph, &cycle, l));
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

fn cycle_has_edge(graph: &FlowGraph, cycle: &[String], l: &NetLink) -> bool {
    cycle
        .windows(2)
        .any(|w| w[0] == graph.nodes[l.source].id && w[1] == graph.nodes[l.target].id)
}

impl Net {
    pub(crate) fn counts(&self) -> (usize, usize) {
        (
            self.nodes.iter().filter(|n| n.alive).count(),
            self.links.iter().filter(|l| l.alive).count(),
        )
    }

    fn compact(&mut self) {
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

fn other_label(role: Role, count: usize) -> String {
    let what = match role {
        Role::Input => "inputs",
        Role::Useful => "useful outputs",
        _ => "losses",
    };
    format!("Other {what} ({count})")
}

/// Folds the smallest foldable flow into its group's "Other …" node. A
/// foldable flow is the only link of a leaf: an input source with one
/// outflow, or a useful/loss sink with one inflow; its group is (role, the
/// node at the other end). `small`: only flows below this share of total
/// input. Returns false when nothing can be folded.
fn fold_once(net: &mut Net, small: Option<f64>) -> bool {
    let n = net.nodes.len();
    let mut ins: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut outs: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (li, l) in net.links.iter().enumerate().filter(|(_, l)| l.alive) {
        outs[l.source].push(li);
        ins[l.target].push(li);
    }
    // group key (role, neighbour) -> (others, plain members as (value, node, link))
    type Group = (Option<(usize, usize)>, Vec<(f64, usize, usize)>);
    let mut groups: BTreeMap<(Role, usize), Group> = BTreeMap::new();
    for (i, node) in net.nodes.iter().enumerate() {
        if !node.alive {
            continue;
        }
        let (li, neighbour) = match node.role {
            Role::Input if ins[i].is_empty() && outs[i].len() == 1 => {
                (outs[i][0], net.links[outs[i][0]].target)
            }
            Role::Useful | Role::Loss if outs[i].is_empty() && ins[i].len() == 1 => {
                (ins[i][0], net.links[ins[i][0]].source)
            }
            _ => continue,
        };
        if net.links[li].recycle {
            continue;
        }
        let entry = groups.entry((node.role, neighbour)).or_default();
        if node.folded.is_empty() {
            entry.1.push((net.links[li].value, i, li));
        } else {
            entry.0 = Some((i, li));
        }
    }
    let is_small = |v: f64| small.is_none_or(|t| v < t * net.total_input);
    let by_size = |a: &(f64, usize, usize), b: &(f64, usize, usize)| {
        a.0.total_cmp(&b.0)
            .then_with(|| net.nodes[a.1].id.cmp(&net.nodes[b.1].id))
    };
    // The best fold: the smallest member of a group that can fold.
    type Member = (f64, usize, usize);
    let mut best: Option<((Role, usize), Member)> = None;
    for (key, (other, members)) in &mut groups {
        members.sort_by(by_size);
        let eligible: Vec<_> = members.iter().filter(|m| is_small(m.0)).collect();
        let can = if other.is_some() {
            !eligible.is_empty()
        } else {
            eligible.len() >= 2
        };
        if !can {
            continue;
        }
        let cand = *eligible[0];
        if best.is_none_or(|(_, b)| by_size(&cand, &b).is_lt()) {
            best = Some((*key, cand));
        }
    }
    let Some((key, first)) = best else {
        return false;
    };
    let (other, members) = &groups[&key];
    let (other_node, other_link) = match *other {
        Some(o) => o,
        None => {
            // Start the Other node with the two smallest members.
            let second = *members
                .iter()
                .find(|m| m.1 != first.1 && is_small(m.0))
                .expect("checked: two eligible members");
            let (role, neighbour) = key;
            let id = format!("other:{}:{}", role.as_str(), net.nodes[neighbour].id);
            net.nodes.push(NetNode {
                id,
                label: String::new(),
                role,
                folded: Vec::new(),
                alive: true,
            });
            let o = net.nodes.len() - 1;
            let (source, target) = if role == Role::Input {
                (o, neighbour)
            } else {
                (neighbour, o)
            };
            net.links.push(NetLink {
                source,
                target,
                value: 0.0,
                recycle: false,
                alive: true,
            });
            let ol = net.links.len() - 1;
            absorb(net, o, ol, second);
            (o, ol)
        }
    };
    absorb(net, other_node, other_link, first);
    true
}

fn absorb(
    net: &mut Net,
    other: usize,
    other_link: usize,
    (value, node, link): (f64, usize, usize),
) {
    net.nodes[node].alive = false;
    net.links[link].alive = false;
    let item = FoldedItem {
        id: net.nodes[node].id.clone(),
        label: net.nodes[node].label.clone(),
        value_kwh: value,
    };
    net.links[other_link].value += value;
    let o = &mut net.nodes[other];
    o.folded.push(item);
    // Largest first, then by id: the same members always list the same way.
    o.folded.sort_by(|a, b| {
        b.value_kwh
            .total_cmp(&a.value_kwh)
            .then_with(|| a.id.cmp(&b.id))
    });
    o.label = other_label(o.role, o.folded.len());
}
