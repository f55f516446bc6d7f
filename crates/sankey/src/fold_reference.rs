//! The folding algorithm as first written: one scan of the whole graph per
//! fold (quadratic). Kept only as the tests' oracle for [`crate::fold`],
//! which must give the same network, node for node and bit for bit.

use std::collections::BTreeMap;

use crate::SankeyOptions;
use crate::fold::other_label;
use crate::model::Role;
use crate::prepare::{FoldedItem, Net, NetLink, NetNode};

pub(crate) fn fold(net: &mut Net, options: &SankeyOptions) {
    if options.aggregate_small_flows {
        while fold_once(net, Some(options.small_flow_threshold)) {}
    }
    loop {
        let (nodes, links) = net.counts();
        if nodes <= options.max_nodes && links <= options.max_links {
            break;
        }
        if !fold_once(net, None) {
            net.warnings.push(format!(
                "limits not met: {nodes} nodes (max {}), {links} links (max {}) remain after \
                 folding every foldable flow",
                options.max_nodes, options.max_links
            ));
            break;
        }
    }
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
            net.nodes.push(NetNode::new(id, String::new(), role));
            let o = net.nodes.len() - 1;
            let (source, target) = if role == Role::Input {
                (o, neighbour)
            } else {
                (neighbour, o)
            };
            net.links.push(NetLink::new(source, target, 0.0));
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

/// The fast fold against this one on random graphs: several process nodes
/// in a chain, each with input, useful and loss leaves (values drawn from a
/// few levels so ties are common and broken by id), direct input -> sink
/// pairs (singleton groups), residual nodes (flows left unbalanced) and,
/// sometimes, declared recycles.
#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::cancel::{Cancel, Checkpoint};
    use crate::model::{DiagramKind, Flow, FlowGraph, Node, Role, Title};
    use crate::{SankeyOptions, prepare};

    fn node(id: String, role: Option<Role>) -> Node {
        Node {
            label: format!("L {id}"),
            id,
            role,
        }
    }

    fn flow(from: &str, to: &str, value_kwh: f64, recycle: bool) -> Flow {
        Flow {
            from: from.to_owned(),
            to: to.to_owned(),
            value_kwh,
            recycle,
        }
    }

    type Stage = (Vec<u8>, Vec<u8>, Vec<u8>);

    fn graph(stages: &[Stage], pairs: &[u8], recycle: bool, declare: bool) -> FlowGraph {
        let level = |v: u8| [0.0, 1.0, 2.5, 10.0, 10.0, 40.0, 333.3, 1e3][v as usize % 8];
        let role = |r: Role| declare.then_some(r);
        let mut nodes = Vec::new();
        let mut flows = Vec::new();
        nodes.push(node("fuel".into(), Some(Role::Input)));
        flows.push(flow("fuel", "p0", 5e3, false));
        for (p, (ins, useful, losses)) in stages.iter().enumerate() {
            let id = format!("p{p}");
            nodes.push(node(id.clone(), Some(Role::Process)));
            if p + 1 < stages.len() {
                flows.push(flow(&id, &format!("p{}", p + 1), 2e3, false));
            }
            for (k, v) in ins.iter().enumerate() {
                let i = format!("in{p}_{k}");
                nodes.push(node(i.clone(), role(Role::Input)));
                flows.push(flow(&i, &id, level(*v), false));
            }
            for (k, v) in useful.iter().enumerate() {
                let u = format!("u{p}_{k}");
                nodes.push(node(u.clone(), role(Role::Useful)));
                flows.push(flow(&id, &u, level(*v), false));
            }
            for (k, v) in losses.iter().enumerate() {
                let l = format!("l{p}_{k}");
                nodes.push(node(l.clone(), Some(Role::Loss)));
                flows.push(flow(&id, &l, level(*v), false));
            }
        }
        for (k, v) in pairs.iter().enumerate() {
            let (a, b) = (format!("src{k}"), format!("dst{k}"));
            nodes.push(node(a.clone(), Some(Role::Input)));
            nodes.push(node(b.clone(), Some(Role::Useful)));
            flows.push(flow(&a, &b, level(*v) + 1.0, false));
        }
        if recycle && stages.len() > 1 {
            flows.push(flow("p1", "p0", 50.0, true));
        }
        FlowGraph {
            kind: DiagramKind::Energy,
            title: Title::default(),
            nodes,
            flows,
        }
    }

    fn stages() -> impl Strategy<Value = Vec<Stage>> {
        let leaves = || prop::collection::vec(any::<u8>(), 0..14);
        prop::collection::vec((leaves(), leaves(), leaves()), 1..4)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        #[test]
        fn the_fast_fold_gives_the_network_one_scan_per_fold_gives(
            stages in stages(),
            pairs in prop::collection::vec(any::<u8>(), 0..4),
            recycle in any::<bool>(),
            declare in any::<bool>(),
            max_nodes in 3usize..40,
            max_links in 2usize..60,
            aggregate in any::<bool>(),
            threshold in prop::sample::select(vec![0.0, 0.0005, 0.002, 0.01, 0.1]),
        ) {
            let g = graph(&stages, &pairs, recycle, declare);
            let o = SankeyOptions {
                max_nodes,
                max_links,
                aggregate_small_flows: aggregate,
                small_flow_threshold: threshold,
                validate_flows: false,
                allow_circular_flows: recycle,
                ..SankeyOptions::default()
            };
            let cancel = Cancel::new();
            let Ok(net) = prepare::unfolded(&g, &o, &mut Checkpoint::new(&cancel)) else {
                // Invalid for both (e.g. zero total input): nothing to fold.
                return Ok(());
            };
            let mut fast = net.clone();
            crate::fold::fold(&mut fast, &o, &mut Checkpoint::new(&cancel)).unwrap();
            fast.compact();
            let mut slow = net;
            super::fold(&mut slow, &o);
            slow.compact();
            prop_assert_eq!(format!("{fast:?}"), format!("{slow:?}"));
        }
    }
}
