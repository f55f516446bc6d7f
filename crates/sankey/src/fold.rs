//! Folding: merges the smallest foldable flows into "Other …" nodes until
//! the limits hold (and, on request, every flow below the small-flow
//! threshold).
//!
//! A foldable flow is the only link of a leaf: an input source with one
//! outflow, or a useful/loss sink with one inflow; its group is (role, the
//! node at the other end). One fold takes the smallest (value, then id)
//! foldable member of any group that can fold: a group with an "Other"
//! node and one member left, or without one and two members (the Other node
//! starts with the two smallest).
//!
//! Why this is near-linear: folding never changes which nodes are
//! foldable members of a group with a sibling. A leaf keeps its one link
//! until it is folded; a neighbour always keeps the link to its group's
//! Other node, so it never loses its last link; a node that becomes a leaf
//! (its other links all folded) has the Other node as its only neighbour,
//! whose only link is to it, so its group is a singleton that can never
//! fold. The groups and their members are therefore found once, each
//! group's members are sorted once, and the global "smallest first" order
//! is a k-way merge of the groups' sorted lists (a binary heap). Each fold
//! removes exactly one node and one link (a new Other node absorbs two
//! members), so the counts are tracked, not recounted. The result is the
//! one a scan of the whole graph per fold gives (`fold_reference`, kept as
//! the tests' oracle), in O(F log F) for F foldable flows.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use crate::cancel::Checkpoint;
use crate::model::Role;
use crate::prepare::{FoldedItem, Net, NetLink, NetNode};
use crate::{SankeyError, SankeyOptions};

/// A foldable member: its link's value, its node, its link.
#[derive(Debug, Clone, Copy)]
struct Member {
    value: f64,
    node: usize,
    link: usize,
}

#[derive(Debug)]
struct Group {
    role: Role,
    neighbour: usize,
    /// Sorted smallest first (value, then id).
    members: Vec<Member>,
    /// Members before `next` are folded.
    next: usize,
    /// The Other node and its link, once made.
    other: Option<(usize, usize)>,
}

impl Group {
    /// Whether the group can fold when only `members[..end]` may fold.
    fn can_fold(&self, end: usize) -> bool {
        let left = end.saturating_sub(self.next);
        if self.other.is_some() {
            left >= 1
        } else {
            left >= 2
        }
    }
}

/// Folds `net` to the options' limits, in place.
pub(crate) fn fold(
    net: &mut Net,
    options: &SankeyOptions,
    cp: &mut Checkpoint,
) -> Result<(), SankeyError> {
    let mut groups = find_groups(net, cp)?;
    // Rank of every member in the global (value, id) order: the heap's key.
    let mut all: Vec<(usize, usize)> = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        all.extend((0..group.members.len()).map(|m| (g, m)));
    }
    let nodes = &net.nodes;
    all.sort_by(|&(ga, ma), &(gb, mb)| {
        let (a, b) = (groups[ga].members[ma], groups[gb].members[mb]);
        by_size(nodes, a, b)
    });
    let mut rank: Vec<Vec<usize>> = groups.iter().map(|g| vec![0; g.members.len()]).collect();
    for (r, &(g, m)) in all.iter().enumerate() {
        rank[g][m] = r;
    }

    let (mut node_count, mut link_count) = net.counts();
    if options.aggregate_small_flows {
        let limit = options.small_flow_threshold * net.total_input;
        // Eligible members are a prefix of each sorted list.
        let ends: Vec<usize> = groups
            .iter()
            .map(|g| g.members.partition_point(|m| m.value < limit))
            .collect();
        let mut heap = heap_of(&groups, &rank, &ends);
        while let Some(Reverse((_, g))) = heap.pop() {
            cp.tick()?;
            fold_group(net, &mut groups[g]);
            node_count -= 1;
            link_count -= 1;
            if groups[g].can_fold(ends[g]) {
                heap.push(Reverse((rank[g][groups[g].next], g)));
            }
        }
    }
    let ends: Vec<usize> = groups.iter().map(|g| g.members.len()).collect();
    let mut heap = heap_of(&groups, &rank, &ends);
    while node_count > options.max_nodes || link_count > options.max_links {
        cp.tick()?;
        let Some(Reverse((_, g))) = heap.pop() else {
            net.warnings.push(format!(
                "limits not met: {node_count} nodes (max {}), {link_count} links (max {}) \
                 remain after folding every foldable flow",
                options.max_nodes, options.max_links
            ));
            break;
        };
        fold_group(net, &mut groups[g]);
        node_count -= 1;
        link_count -= 1;
        if groups[g].can_fold(ends[g]) {
            heap.push(Reverse((rank[g][groups[g].next], g)));
        }
    }

    // Members are listed largest first, then by id, and the label counts
    // them: done once per Other node, not at every fold.
    for group in &groups {
        if let Some((o, _)) = group.other {
            cp.tick()?;
            let node = &mut net.nodes[o];
            node.folded.sort_by(|a, b| {
                b.value_kwh
                    .total_cmp(&a.value_kwh)
                    .then_with(|| a.id.cmp(&b.id))
            });
            node.label = other_label(node.role, node.folded.len());
        }
    }
    Ok(())
}

fn by_size(nodes: &[NetNode], a: Member, b: Member) -> std::cmp::Ordering {
    a.value
        .total_cmp(&b.value)
        .then_with(|| nodes[a.node].id.cmp(&nodes[b.node].id))
}

/// The groups of foldable members, in (role, neighbour) order, each sorted.
fn find_groups(net: &Net, cp: &mut Checkpoint) -> Result<Vec<Group>, SankeyError> {
    let n = net.nodes.len();
    let mut in_count = vec![0usize; n];
    let mut out_count = vec![0usize; n];
    let mut last_in = vec![usize::MAX; n];
    let mut last_out = vec![usize::MAX; n];
    for (li, l) in net.links.iter().enumerate() {
        cp.tick()?;
        out_count[l.source] += 1;
        last_out[l.source] = li;
        in_count[l.target] += 1;
        last_in[l.target] = li;
    }
    let mut groups: BTreeMap<(Role, usize), Vec<Member>> = BTreeMap::new();
    for (i, node) in net.nodes.iter().enumerate() {
        cp.tick()?;
        let (li, neighbour) = match node.role {
            Role::Input if in_count[i] == 0 && out_count[i] == 1 => {
                (last_out[i], net.links[last_out[i]].target)
            }
            Role::Useful | Role::Loss if out_count[i] == 0 && in_count[i] == 1 => {
                (last_in[i], net.links[last_in[i]].source)
            }
            _ => continue,
        };
        if net.links[li].recycle {
            continue;
        }
        groups
            .entry((node.role, neighbour))
            .or_default()
            .push(Member {
                value: net.links[li].value,
                node: i,
                link: li,
            });
    }
    let mut out = Vec::with_capacity(groups.len());
    for ((role, neighbour), mut members) in groups {
        cp.tick()?;
        members.sort_by(|&a, &b| by_size(&net.nodes, a, b));
        out.push(Group {
            role,
            neighbour,
            members,
            next: 0,
            other: None,
        });
    }
    Ok(out)
}

fn heap_of(
    groups: &[Group],
    rank: &[Vec<usize>],
    ends: &[usize],
) -> BinaryHeap<Reverse<(usize, usize)>> {
    groups
        .iter()
        .enumerate()
        .filter(|(g, group)| group.can_fold(ends[*g]))
        .map(|(g, group)| Reverse((rank[g][group.next], g)))
        .collect()
}

/// One fold in `group`: its smallest member into the Other node, which is
/// made (holding the two smallest) on the group's first fold.
fn fold_group(net: &mut Net, group: &mut Group) {
    let first = group.members[group.next];
    let (other, other_link) = match group.other {
        Some(o) => o,
        None => {
            let second = group.members[group.next + 1];
            group.next += 1;
            let id = format!(
                "other:{}:{}",
                group.role.as_str(),
                net.nodes[group.neighbour].id
            );
            net.nodes.push(NetNode::new(id, String::new(), group.role));
            let o = net.nodes.len() - 1;
            let (source, target) = if group.role == Role::Input {
                (o, group.neighbour)
            } else {
                (group.neighbour, o)
            };
            net.links.push(NetLink::new(source, target, 0.0));
            let ol = net.links.len() - 1;
            group.other = Some((o, ol));
            // The second before the first: the Other link's value is summed
            // in the same order as one scan per fold sums it.
            absorb(net, o, ol, second);
            (o, ol)
        }
    };
    group.next += 1;
    absorb(net, other, other_link, first);
}

fn absorb(net: &mut Net, other: usize, other_link: usize, m: Member) {
    net.nodes[m.node].alive = false;
    net.links[m.link].alive = false;
    let item = FoldedItem {
        id: net.nodes[m.node].id.clone(),
        label: net.nodes[m.node].label.clone(),
        value_kwh: m.value,
    };
    net.links[other_link].value += m.value;
    net.nodes[other].folded.push(item);
}

pub(crate) fn other_label(role: Role, count: usize) -> String {
    let what = match role {
        Role::Input => "inputs",
        Role::Useful => "useful outputs",
        _ => "losses",
    };
    format!("Other {what} ({count})")
}
