//! Layout: columns, node and link geometry, and label boxes that never
//! overlap. Text is measured with a fixed per-character estimate
//! ([`CHAR_WIDTH_EM`]) that is wider than DejaVu Sans, the declared font.

use serde::Serialize;

use crate::SankeyError;
use crate::cancel::Checkpoint;
use crate::fmt;
use crate::model::{DiagramKind, Role, Title};
use crate::prepare::{FoldedItem, Net};

/// Body text size in px.
pub const FONT_SIZE: f64 = 12.0;
/// Title size in px (bold).
pub const TITLE_FONT_SIZE: f64 = 16.0;
/// Estimated advance of one character, in em, for body text.
pub const CHAR_WIDTH_EM: f64 = 0.64;
/// Estimated advance of one character, in em, for the bold title.
pub const TITLE_CHAR_WIDTH_EM: f64 = 0.72;
pub const LINE_HEIGHT: f64 = 15.0;
pub const TITLE_LINE_HEIGHT: f64 = 20.0;
pub const MARGIN: f64 = 16.0;
pub const BAR_WIDTH: f64 = 14.0;
/// A link never gets thinner than this, however small its value.
pub const MIN_LINK_WIDTH: f64 = 2.0;
const NODE_GAP: f64 = 10.0;
const LABEL_PAD: f64 = 6.0;
const LANE_GAP: f64 = 16.0;
const MIN_COLUMN_GAP: f64 = 90.0;
/// Height given to the largest column's flows.
const PLOT_HEIGHT: f64 = 360.0;
const SWATCH: f64 = 12.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelKind {
    Title,
    Subtitle,
    Node,
    Link,
    Legend,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// A text label and the box it is guaranteed to fit in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelBox {
    pub kind: LabelKind,
    pub lines: Vec<String>,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub anchor: Anchor,
    /// Index of the node (kind `node`) or link (kind `link`) it labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<usize>,
}

impl LabelBox {
    /// Whether two boxes share any area.
    pub fn overlaps(&self, other: &LabelBox) -> bool {
        self.x < other.x + other.width
            && other.x < self.x + self.width
            && self.y < other.y + other.height
            && other.y < self.y + self.height
    }

    /// The x where text is anchored.
    pub fn anchor_x(&self) -> f64 {
        match self.anchor {
            Anchor::Start => self.x,
            Anchor::Middle => self.x + self.width / 2.0,
            Anchor::End => self.x + self.width,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiagramNode {
    pub id: String,
    pub label: String,
    pub role: Role,
    /// max(inflow, outflow) in kWh.
    pub value_kwh: f64,
    /// value ÷ total input.
    pub share: f64,
    pub column: usize,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub folded: Vec<FoldedItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiagramLink {
    pub source: usize,
    pub target: usize,
    pub value_kwh: f64,
    pub share: f64,
    /// `"150.0 kWh · 14.3 %"`.
    pub text: String,
    /// Drawn as a return loop under the diagram.
    pub recycle: bool,
    /// Drawn width in px (at least [`MIN_LINK_WIDTH`]).
    pub width: f64,
    /// Top of the band where it leaves the source and enters the target.
    pub y0: f64,
    pub y1: f64,
    /// The role whose colour the link takes.
    pub colour_role: Role,
    /// Index of the label stating its value: a link label, or the label of
    /// the leaf node it is the only link of.
    pub label: usize,
    /// SVG path data.
    pub path: String,
    /// For recycle loops: the y of the loop's bottom run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loop_y: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LegendEntry {
    pub role: Role,
    pub x: f64,
    pub y: f64,
}

/// A validated, folded and laid-out diagram: what every renderer draws.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagram {
    pub kind: DiagramKind,
    pub title: Title,
    pub total_input_kwh: f64,
    pub width: f64,
    pub height: f64,
    pub nodes: Vec<DiagramNode>,
    pub links: Vec<DiagramLink>,
    pub labels: Vec<LabelBox>,
    pub legend: Vec<LegendEntry>,
    pub warnings: Vec<String>,
}

pub fn text_width(s: &str, font_size: f64, em: f64) -> f64 {
    s.chars().count() as f64 * font_size * em
}

fn body_width(lines: &[String]) -> f64 {
    lines
        .iter()
        .map(|l| text_width(l, FONT_SIZE, CHAR_WIDTH_EM))
        .fold(0.0, f64::max)
}

fn rank(role: Role) -> u8 {
    match role {
        Role::Input => 0,
        Role::Process => 1,
        Role::Useful => 2,
        Role::Loss => 3,
        Role::Unaccounted => 4,
        Role::ExergyDestroyed => 5,
    }
}

/// The y of a horizontal cubic link band's top edge at `x`.
fn bezier_y(x0: f64, y0: f64, x1: f64, y1: f64, x: f64) -> f64 {
    if x1 <= x0 {
        return y0;
    }
    let target = ((x - x0) / (x1 - x0)).clamp(0.0, 1.0);
    // x(t)/d = 1.5 t (1 - t) + t^3 is increasing on [0, 1]: bisect.
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..30 {
        let t = (lo + hi) / 2.0;
        if 1.5 * t * (1.0 - t) + t * t * t < target {
            lo = t;
        } else {
            hi = t;
        }
    }
    let t = (lo + hi) / 2.0;
    let u = 1.0 - t;
    y0 * (u * u * u + 3.0 * u * u * t) + y1 * (3.0 * u * t * t + t * t * t)
}

pub(crate) fn title_lines(kind: DiagramKind, title: &Title) -> (String, String) {
    let mut main = match kind {
        DiagramKind::Energy => "Energy flows".to_owned(),
        DiagramKind::Exergy => "Exergy flows (Grassmann)".to_owned(),
    };
    if let Some(f) = &title.facility {
        main.push_str(" - ");
        main.push_str(f);
    }
    if let Some(p) = &title.process {
        main.push_str(" · ");
        main.push_str(p);
    }
    let mut parts = Vec::new();
    if let Some(p) = &title.period {
        parts.push(p.clone());
    }
    if let Some(e) = title.efficiency_percent {
        let what = match kind {
            DiagramKind::Energy => "efficiency",
            DiagramKind::Exergy => "exergy efficiency",
        };
        parts.push(format!("{what} {e:.2} %"));
    }
    parts.push(format!(
        "basis {}",
        title.basis.as_deref().unwrap_or("as metered")
    ));
    parts.push("values in kWh, % of total input".to_owned());
    (main, parts.join(" · "))
}

/// Lays out the folded network. Every step is linear in nodes + links (up
/// to the sorts): links are bucketed by column, and a node's first parent is
/// found once per node, not once per comparison.
pub(crate) fn layout(
    net: Net,
    kind: DiagramKind,
    title: &Title,
    cp: &mut Checkpoint,
) -> Result<Diagram, SankeyError> {
    cp.stage("layout")?;
    let n = net.nodes.len();
    let total = net.total_input;
    let links = &net.links;

    // Columns: longest path over forward links; sources pulled next to their
    // first consumer.
    let mut ins: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut outs: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, l) in links.iter().enumerate() {
        cp.tick()?;
        outs[l.source].push(i);
        ins[l.target].push(i);
    }
    let forward_in = |v: usize| ins[v].iter().filter(|&&l| !links[l].recycle).count();
    let mut indeg: Vec<usize> = (0..n).map(forward_in).collect();
    let mut order: Vec<usize> = (0..n).filter(|&v| indeg[v] == 0).collect();
    let mut col = vec![0usize; n];
    let mut head = 0;
    while head < order.len() {
        cp.tick()?;
        let v = order[head];
        head += 1;
        for &l in &outs[v] {
            if links[l].recycle {
                continue;
            }
            let t = links[l].target;
            col[t] = col[t].max(col[v] + 1);
            indeg[t] -= 1;
            if indeg[t] == 0 {
                order.push(t);
            }
        }
    }
    for v in 0..n {
        cp.tick()?;
        if forward_in(v) == 0 {
            let first_consumer = outs[v]
                .iter()
                .filter(|&&l| !links[l].recycle)
                .map(|&l| col[links[l].target])
                .min();
            if let Some(c) = first_consumer {
                col[v] = c.saturating_sub(1);
            }
        }
    }
    let columns = col.iter().copied().max().unwrap_or(0) + 1;

    // Values, scale, widths.
    let mut inflow = vec![0.0; n];
    let mut outflow = vec![0.0; n];
    for l in links {
        outflow[l.source] += l.value;
        inflow[l.target] += l.value;
    }
    let value: Vec<f64> = (0..n).map(|v| f64::max(inflow[v], outflow[v])).collect();
    let mut col_value = vec![0.0; columns];
    for v in 0..n {
        col_value[col[v]] += value[v];
    }
    let max_col = col_value.iter().copied().fold(0.0, f64::max);
    let scale = if max_col > 0.0 {
        PLOT_HEIGHT / max_col
    } else {
        0.0
    };
    let width: Vec<f64> = links
        .iter()
        .map(|l| f64::max(l.value * scale, MIN_LINK_WIDTH))
        .collect();
    let height: Vec<f64> = (0..n)
        .map(|v| {
            let i: f64 = ins[v].iter().map(|&l| width[l]).sum();
            let o: f64 = outs[v].iter().map(|&l| width[l]).sum();
            i.max(o).max(MIN_LINK_WIDTH)
        })
        .collect();

    // Stable order within a column.
    let mut by_col: Vec<Vec<usize>> = vec![Vec::new(); columns];
    for v in 0..n {
        by_col[col[v]].push(v);
    }
    // Column by column, so a node can sort under its parent: role first
    // (inputs, process, useful above losses, unaccounted), then grouped by
    // the position of its first parent (fewer crossings), "Other …" last,
    // then largest first, then id.
    let mut position = vec![usize::MAX; n];
    let mut next_position = 0usize;
    let mut parent = vec![0usize; n];
    for c in &mut by_col {
        // Parents sit in earlier columns, whose positions are final.
        for &v in c.iter() {
            cp.tick()?;
            parent[v] = ins[v]
                .iter()
                .filter(|&&l| !links[l].recycle)
                .map(|&l| position[links[l].source])
                .min()
                .unwrap_or(0);
        }
        let parent = |v: usize| parent[v];
        c.sort_by(|&a, &b| {
            let (na, nb) = (&net.nodes[a], &net.nodes[b]);
            rank(na.role)
                .cmp(&rank(nb.role))
                .then_with(|| parent(a).cmp(&parent(b)))
                .then_with(|| (!na.folded.is_empty()).cmp(&!nb.folded.is_empty()))
                .then_with(|| value[b].total_cmp(&value[a]))
                .then_with(|| na.id.cmp(&nb.id))
        });
        for &v in c.iter() {
            position[v] = next_position;
            next_position += 1;
        }
    }

    // Which links a leaf node's label states.
    let is_loop = |l: usize| links[l].recycle && col[links[l].target] <= col[links[l].source];
    let covered_by = |l: usize| -> Option<usize> {
        if is_loop(l) {
            return None;
        }
        let (s, t) = (links[l].source, links[l].target);
        if outs[t].is_empty() && ins[t].len() == 1 {
            Some(t)
        } else if ins[s].is_empty() && outs[s].len() == 1 {
            Some(s)
        } else {
            None
        }
    };
    let link_text: Vec<String> = links
        .iter()
        .map(|l| {
            format!(
                "{} kWh · {}",
                fmt::kwh(l.value),
                fmt::percent(l.value / total)
            )
        })
        .collect();
    let node_lines: Vec<Vec<String>> = (0..n)
        .map(|v| {
            vec![
                net.nodes[v].label.clone(),
                format!(
                    "{} kWh · {}",
                    fmt::kwh(value[v]),
                    fmt::percent(value[v] / total)
                ),
            ]
        })
        .collect();

    // Title first: it sets the top of the plot. Without a stated efficiency,
    // the diagram's own (useful sinks ÷ total input) is shown.
    let mut title = title.clone();
    if title.efficiency_percent.is_none() {
        let useful: f64 = (0..n)
            .filter(|&v| net.nodes[v].role == Role::Useful && outs[v].is_empty())
            .map(|v| inflow[v])
            .sum();
        title.efficiency_percent = Some(useful / total * 100.0);
    }
    let (main_title, subtitle) = title_lines(kind, &title);
    let mut labels: Vec<LabelBox> = vec![
        LabelBox {
            kind: LabelKind::Title,
            x: MARGIN,
            y: MARGIN,
            width: text_width(&main_title, TITLE_FONT_SIZE, TITLE_CHAR_WIDTH_EM),
            height: TITLE_LINE_HEIGHT,
            lines: vec![main_title],
            anchor: Anchor::Start,
            owner: None,
        },
        LabelBox {
            kind: LabelKind::Subtitle,
            x: MARGIN,
            y: MARGIN + TITLE_LINE_HEIGHT,
            width: text_width(&subtitle, FONT_SIZE, CHAR_WIDTH_EM),
            height: LINE_HEIGHT,
            lines: vec![subtitle],
            anchor: Anchor::Start,
            owner: None,
        },
    ];
    let plot_top = MARGIN + TITLE_LINE_HEIGHT + LINE_HEIGHT + 18.0;

    // x: bars, node-label lanes, link-label lanes.
    let mut node_lane = vec![0.0; columns];
    let mut link_lane = vec![0.0; columns];
    for v in 0..n {
        node_lane[col[v]] = f64::max(node_lane[col[v]], body_width(&node_lines[v]));
    }
    for l in 0..links.len() {
        if covered_by(l).is_none() && !is_loop(l) {
            let c = col[links[l].source];
            link_lane[c] = f64::max(link_lane[c], body_width(&link_text[l..=l]));
        }
    }
    let mut bar_x = vec![0.0; columns];
    let mut lane_x = vec![0.0; columns];
    let mut right = MARGIN;
    for c in 0..columns {
        let x = if c == 0 {
            MARGIN + node_lane[0] + LABEL_PAD
        } else {
            let prev = bar_x[c - 1];
            f64::max(right + LANE_GAP, prev + BAR_WIDTH + MIN_COLUMN_GAP)
        };
        bar_x[c] = x;
        let mut cursor = x + BAR_WIDTH;
        if c > 0 {
            cursor += LABEL_PAD + node_lane[c];
        }
        if link_lane[c] > 0.0 {
            lane_x[c] = cursor + LANE_GAP;
            cursor = lane_x[c] + link_lane[c];
        }
        right = cursor;
    }

    // y: each node gets a slot tall enough for its bar and its label.
    let label_h = 2.0 * LINE_HEIGHT;
    let mut node_y = vec![0.0; n];
    let mut node_label = vec![0usize; n];
    let mut plot_bottom = plot_top;
    for (c, members) in by_col.iter().enumerate() {
        let mut y = plot_top;
        for &v in members {
            cp.tick()?;
            let inner = f64::max(height[v], label_h);
            node_y[v] = y + (inner - height[v]) / 2.0;
            let w = body_width(&node_lines[v]);
            let (x, anchor) = if c == 0 {
                (bar_x[c] - LABEL_PAD - w, Anchor::End)
            } else {
                (bar_x[c] + BAR_WIDTH + LABEL_PAD, Anchor::Start)
            };
            node_label[v] = labels.len();
            labels.push(LabelBox {
                kind: LabelKind::Node,
                lines: node_lines[v].clone(),
                x,
                y: y + (inner - label_h) / 2.0,
                width: w,
                height: label_h,
                anchor,
                owner: Some(v),
            });
            y += inner + NODE_GAP;
        }
        plot_bottom = f64::max(plot_bottom, y - NODE_GAP);
    }

    // Ports: links leave and enter in the order of the node at the other end;
    // loops last (they run under the diagram).
    let centre = |v: usize| node_y[v] + height[v] / 2.0;
    let mut y0 = vec![0.0; links.len()];
    let mut y1 = vec![0.0; links.len()];
    for v in 0..n {
        cp.tick()?;
        let mut o = outs[v].clone();
        o.sort_by(|&a, &b| {
            is_loop(a)
                .cmp(&is_loop(b))
                .then_with(|| centre(links[a].target).total_cmp(&centre(links[b].target)))
                .then_with(|| a.cmp(&b))
        });
        let mut y = node_y[v];
        for l in o {
            y0[l] = y;
            y += width[l];
        }
        let mut i = ins[v].clone();
        i.sort_by(|&a, &b| {
            is_loop(a)
                .cmp(&is_loop(b))
                .then_with(|| centre(links[a].source).total_cmp(&centre(links[b].source)))
                .then_with(|| a.cmp(&b))
        });
        let mut y = node_y[v];
        for l in i {
            y1[l] = y;
            y += width[l];
        }
    }

    // Link labels, stacked in their lane so they never overlap.
    let mut link_label = vec![usize::MAX; links.len()];
    let mut lane_links: Vec<Vec<usize>> = vec![Vec::new(); columns];
    for l in 0..links.len() {
        if covered_by(l).is_none() && !is_loop(l) {
            lane_links[col[links[l].source]].push(l);
        }
    }
    for (c, members) in lane_links.iter().enumerate() {
        let mut lane: Vec<(f64, usize)> = members
            .iter()
            .map(|&l| {
                let x0 = bar_x[col[links[l].source]] + BAR_WIDTH;
                let x1 = bar_x[col[links[l].target]];
                let mid = lane_x[c] + link_lane[c] / 2.0;
                (bezier_y(x0, y0[l], x1, y1[l], mid) + width[l] / 2.0, l)
            })
            .collect();
        lane.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        let mut next_free = plot_top;
        for (desired, l) in lane {
            cp.tick()?;
            let top = f64::max(desired - LINE_HEIGHT / 2.0, next_free);
            link_label[l] = labels.len();
            labels.push(LabelBox {
                kind: LabelKind::Link,
                lines: vec![link_text[l].clone()],
                x: lane_x[c],
                y: top,
                width: body_width(&link_text[l..=l]),
                height: LINE_HEIGHT,
                anchor: Anchor::Start,
                owner: Some(l),
            });
            next_free = top + LINE_HEIGHT + 2.0;
            plot_bottom = f64::max(plot_bottom, top + LINE_HEIGHT);
        }
    }

    // Recycle loops run under the plot, one level each, label beneath.
    let mut cursor_y = plot_bottom + 14.0;
    let mut loop_y = vec![None; links.len()];
    let mut paths = vec![String::new(); links.len()];
    for l in 0..links.len() {
        cp.tick()?;
        let (s, t) = (links[l].source, links[l].target);
        let (sx, tx) = (bar_x[col[s]] + BAR_WIDTH, bar_x[col[t]]);
        let w = width[l];
        if is_loop(l) {
            let ly = cursor_y + w / 2.0;
            let ext = 8.0 + w / 2.0;
            let (sy, ty) = (y0[l] + w / 2.0, y1[l] + w / 2.0);
            paths[l] = format!(
                "M{} {}H{}V{}H{}V{}H{}",
                fmt::coord(sx),
                fmt::coord(sy),
                fmt::coord(sx + ext),
                fmt::coord(ly),
                fmt::coord(tx - ext),
                fmt::coord(ty),
                fmt::coord(tx)
            );
            loop_y[l] = Some(ly);
            let text = format!(
                "Return {} -> {}: {}",
                net.nodes[s].label, net.nodes[t].label, link_text[l]
            );
            let tw = text_width(&text, FONT_SIZE, CHAR_WIDTH_EM);
            let cx = (sx + ext + tx - ext) / 2.0;
            let x = f64::max(MARGIN, cx - tw / 2.0);
            link_label[l] = labels.len();
            labels.push(LabelBox {
                kind: LabelKind::Link,
                lines: vec![text],
                x,
                y: cursor_y + w + 4.0,
                width: tw,
                height: LINE_HEIGHT,
                anchor: Anchor::Start,
                owner: Some(l),
            });
            cursor_y += w + 4.0 + LINE_HEIGHT + 10.0;
        } else {
            let xm = (sx + tx) / 2.0;
            let (a0, a1, b0, b1) = (y0[l], y1[l], y0[l] + w, y1[l] + w);
            paths[l] = format!(
                "M{x0} {a0}C{xm} {a0} {xm} {a1} {x1} {a1}L{x1} {b1}C{xm} {b1} {xm} {b0} {x0} {b0}Z",
                x0 = fmt::coord(sx),
                x1 = fmt::coord(tx),
                xm = fmt::coord(xm),
                a0 = fmt::coord(a0),
                a1 = fmt::coord(a1),
                b0 = fmt::coord(b0),
                b1 = fmt::coord(b1),
            );
        }
    }

    // Legend: the roles present, in fixed order.
    let present: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|r| net.nodes.iter().any(|x| x.role == *r))
        .collect();
    let legend_y = cursor_y + 6.0;
    let mut x = MARGIN;
    let mut legend = Vec::new();
    for role in present {
        legend.push(LegendEntry {
            role,
            x,
            y: legend_y + (LINE_HEIGHT - SWATCH) / 2.0,
        });
        let text = role.legend().to_owned();
        let tw = text_width(&text, FONT_SIZE, CHAR_WIDTH_EM);
        labels.push(LabelBox {
            kind: LabelKind::Legend,
            lines: vec![text],
            x: x + SWATCH + 6.0,
            y: legend_y,
            width: tw,
            height: LINE_HEIGHT,
            anchor: Anchor::Start,
            owner: None,
        });
        x += SWATCH + 6.0 + tw + 18.0;
    }
    let canvas_w = labels.iter().map(|b| b.x + b.width).fold(right, f64::max) + MARGIN;
    let canvas_h = legend_y + LINE_HEIGHT + MARGIN;

    let colour_role = |l: usize| {
        let (s, t) = (&net.nodes[links[l].source], &net.nodes[links[l].target]);
        match t.role {
            Role::Useful | Role::Loss | Role::Unaccounted | Role::ExergyDestroyed => t.role,
            _ if s.role == Role::Input || s.role == Role::Unaccounted => s.role,
            _ => Role::Process,
        }
    };
    let dlinks = (0..links.len())
        .map(|l| DiagramLink {
            source: links[l].source,
            target: links[l].target,
            value_kwh: links[l].value,
            share: links[l].value / total,
            text: link_text[l].clone(),
            recycle: is_loop(l),
            width: width[l],
            y0: y0[l],
            y1: y1[l],
            colour_role: colour_role(l),
            label: covered_by(l).map_or(link_label[l], |v| node_label[v]),
            path: std::mem::take(&mut paths[l]),
            loop_y: loop_y[l],
        })
        .collect();
    let dnodes = net
        .nodes
        .into_iter()
        .enumerate()
        .map(|(v, node)| DiagramNode {
            id: node.id,
            label: node.label,
            role: node.role,
            value_kwh: value[v],
            share: value[v] / total,
            column: col[v],
            x: bar_x[col[v]],
            y: node_y[v],
            width: BAR_WIDTH,
            height: height[v],
            folded: node.folded,
        })
        .collect();
    Ok(Diagram {
        kind,
        title,
        total_input_kwh: total,
        width: canvas_w.ceil(),
        height: canvas_h.ceil(),
        nodes: dnodes,
        links: dlinks,
        labels,
        legend,
        warnings: net.warnings,
    })
}
