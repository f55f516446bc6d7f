//! Renderers: SVG, HTML, Plotly figure JSON and layout JSON. Every one is a
//! pure function of the [`Diagram`]; floats are printed with fixed rules.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::SankeyError;
use crate::cancel::Checkpoint;
use crate::fmt;
use crate::layout::{
    Anchor, BAR_WIDTH, Diagram, FONT_SIZE, LINE_HEIGHT, LabelKind, TITLE_FONT_SIZE,
    TITLE_LINE_HEIGHT,
};
use crate::model::Role;

/// The font stack every output declares (DejaVu Sans first: the layout's
/// width estimate is checked against it).
pub const FONT_FAMILY: &str = "'DejaVu Sans', Verdana, Arial, Helvetica, sans-serif";

/// Baseline of line `i` of a box whose top is `top`.
fn baseline(top: f64, i: usize, line_h: f64, size: f64) -> f64 {
    top + i as f64 * line_h + line_h / 2.0 + size * 0.35
}

fn node_tooltip(d: &Diagram, v: usize) -> String {
    let n = &d.nodes[v];
    let mut t = format!(
        "{}: {} kWh ({})",
        n.label,
        fmt::kwh(n.value_kwh),
        fmt::percent(n.share)
    );
    for item in &n.folded {
        let _ = write!(
            t,
            "\n  {}: {} kWh ({})",
            item.label,
            fmt::kwh(item.value_kwh),
            fmt::percent(item.value_kwh / d.total_input_kwh)
        );
    }
    t
}

fn link_tooltip(d: &Diagram, l: usize) -> String {
    let link = &d.links[l];
    format!(
        "{} -> {}: {}",
        d.nodes[link.source].label, d.nodes[link.target].label, link.text
    )
}

pub(crate) fn svg(d: &Diagram, cp: &mut Checkpoint) -> Result<String, SankeyError> {
    let mut s = String::with_capacity(8192 + 600 * (d.nodes.len() + d.links.len()));
    let (w, h) = (fmt::coord(d.width), fmt::coord(d.height));
    let title = d.labels.first().map(|b| b.lines[0].as_str()).unwrap_or("");
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" font-family=\"{ff}\" font-size=\"{fs}\" role=\"img\" \
         aria-labelledby=\"sankey-title\">\n<title id=\"sankey-title\">{t}</title>\n\
         <rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n<g class=\"links\">\n",
        ff = FONT_FAMILY,
        fs = fmt::coord(FONT_SIZE),
        t = fmt::xml(title),
    );
    for (l, link) in d.links.iter().enumerate() {
        cp.tick()?;
        let colour = link.colour_role.colour();
        let tip = fmt::xml(&link_tooltip(d, l));
        if link.recycle {
            let _ = writeln!(
                s,
                "<path d=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-opacity=\"0.5\" \
                 stroke-width=\"{}\" stroke-linejoin=\"round\"><title>{tip}</title></path>",
                link.path,
                fmt::coord(link.width)
            );
        } else {
            let _ = writeln!(
                s,
                "<path d=\"{}\" fill=\"{colour}\" fill-opacity=\"0.45\"><title>{tip}</title></path>",
                link.path
            );
        }
    }
    s.push_str("</g>\n<g class=\"nodes\">\n");
    for (v, n) in d.nodes.iter().enumerate() {
        cp.tick()?;
        let _ = writeln!(
            s,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}</title></rect>",
            fmt::coord(n.x),
            fmt::coord(n.y),
            fmt::coord(BAR_WIDTH),
            fmt::coord(n.height),
            n.role.colour(),
            fmt::xml(&node_tooltip(d, v))
        );
    }
    s.push_str("</g>\n<g class=\"legend\">\n");
    for e in &d.legend {
        let _ = writeln!(
            s,
            "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/>",
            fmt::coord(e.x),
            fmt::coord(e.y),
            e.role.colour()
        );
    }
    s.push_str(
        "</g>\n<g class=\"labels\" fill=\"#1a1a1a\" stroke=\"#ffffff\" stroke-width=\"3\" \
         stroke-linejoin=\"round\" paint-order=\"stroke\">\n",
    );
    for b in &d.labels {
        cp.tick()?;
        let (size, line_h, extra) = match b.kind {
            LabelKind::Title => (TITLE_FONT_SIZE, TITLE_LINE_HEIGHT, " font-weight=\"bold\""),
            _ => (FONT_SIZE, LINE_HEIGHT, ""),
        };
        let anchor = match b.anchor {
            Anchor::Start => "",
            Anchor::Middle => " text-anchor=\"middle\"",
            Anchor::End => " text-anchor=\"end\"",
        };
        let size_attr = if size == FONT_SIZE {
            String::new()
        } else {
            format!(" font-size=\"{}\"", fmt::coord(size))
        };
        let x = fmt::coord(b.anchor_x());
        let kind = match b.kind {
            LabelKind::Title => "title",
            LabelKind::Subtitle => "subtitle",
            LabelKind::Node => "node",
            LabelKind::Link => "link",
            LabelKind::Legend => "legend",
        };
        let _ = write!(s, "<text class=\"{kind}\"{size_attr}{extra}{anchor}>");
        for (i, line) in b.lines.iter().enumerate() {
            let _ = write!(
                s,
                "<tspan x=\"{x}\" y=\"{}\">{}</tspan>",
                fmt::coord(baseline(b.y, i, line_h, size)),
                fmt::xml(line)
            );
        }
        s.push_str("</text>\n");
    }
    s.push_str("</g>\n</svg>\n");
    Ok(s)
}

pub(crate) fn html(d: &Diagram, cp: &mut Checkpoint) -> Result<String, SankeyError> {
    let title = d.labels.first().map(|b| b.lines[0].as_str()).unwrap_or("");
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{t}</title>\n<style>\nbody {{ font-family: {ff}; margin: 1.5rem; color: #1a1a1a; }}\n\
         figure {{ margin: 0; overflow-x: auto; }}\ntable {{ border-collapse: collapse; margin-top: 1rem; }}\n\
         th, td {{ border: 1px solid #ccc; padding: 0.2rem 0.6rem; text-align: left; }}\n\
         td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}\n</style>\n</head>\n<body>\n\
         <figure>\n",
        t = fmt::xml(title),
        ff = FONT_FAMILY,
    );
    s.push_str(&svg(d, cp)?);
    s.push_str(
        "</figure>\n<table>\n<caption>Flows</caption>\n\
         <thead><tr><th>From</th><th>To</th><th>kWh</th><th>Share of input</th></tr></thead>\n<tbody>\n",
    );
    for link in &d.links {
        cp.tick()?;
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            fmt::xml(&d.nodes[link.source].label),
            fmt::xml(&d.nodes[link.target].label),
            fmt::kwh(link.value_kwh),
            fmt::percent(link.share)
        );
    }
    s.push_str("</tbody>\n</table>\n");
    for w in &d.warnings {
        let _ = writeln!(s, "<p class=\"warning\">{}</p>", fmt::xml(w));
    }
    s.push_str("</body>\n</html>\n");
    Ok(s)
}

fn rgba(role: Role, alpha: f64) -> String {
    let (r, g, b) = role.rgb();
    format!("rgba({r},{g},{b},{alpha})")
}

/// plotly.js reads every label, title and hover text as its pseudo-HTML
/// (`<br>`, `<b>`, `<a href>`, …), so text from the graph is escaped
/// before the markup this renderer adds (`<br>`, `<sub>`) is put around it.
pub(crate) fn plotly(d: &Diagram, cp: &mut Checkpoint) -> Result<String, SankeyError> {
    let (w, h) = (d.width, d.height);
    // plotly.js wants node x/y as fractions strictly inside (0, 1).
    let frac = |v: f64, max: f64| fmt::round((v / max).clamp(0.001, 0.999), 4);
    let nodes = &d.nodes;
    let mut node_text: Vec<Value> = Vec::with_capacity(nodes.len());
    let mut node_label: Vec<String> = Vec::with_capacity(nodes.len());
    for (v, n) in nodes.iter().enumerate() {
        cp.tick()?;
        let tip = fmt::plotly_text(&node_tooltip(d, v));
        node_text.push(Value::String(tip.replace('\n', "<br>")));
        node_label.push(format!(
            "{} · {}",
            fmt::plotly_text(&n.label),
            fmt::percent(n.share)
        ));
    }
    let link_text: Vec<Value> = d
        .links
        .iter()
        .map(|l| Value::String(fmt::plotly_text(&l.text)))
        .collect();
    let title = d
        .labels
        .first()
        .map(|b| fmt::plotly_text(&b.lines[0]))
        .unwrap_or_default();
    let subtitle = d
        .labels
        .get(1)
        .map(|b| fmt::plotly_text(&b.lines[0]))
        .unwrap_or_default();
    cp.stage("rendering")?;
    let legend: Vec<Value> = d
        .legend
        .iter()
        .enumerate()
        .map(|(i, e)| {
            json!({
                "text": format!("<span style=\"color:{}\">■</span> {}", e.role.colour(), e.role.legend()),
                "showarrow": false,
                "xref": "paper", "yref": "paper",
                "x": fmt::round(i as f64 / d.legend.len().max(1) as f64, 4),
                "y": -0.04,
                "xanchor": "left", "yanchor": "top",
                "font": {"size": 12}
            })
        })
        .collect();
    let figure = json!({
        "data": [{
            "type": "sankey",
            "orientation": "h",
            "arrangement": "fixed",
            "valueformat": ",.3~f",
            "valuesuffix": " kWh",
            "node": {
                "label": node_label,
                "color": nodes.iter().map(|n| n.role.colour()).collect::<Vec<_>>(),
                "x": nodes.iter().map(|n| frac(n.x + BAR_WIDTH / 2.0, w)).collect::<Vec<_>>(),
                "y": nodes.iter().map(|n| frac(n.y + n.height / 2.0, h)).collect::<Vec<_>>(),
                "customdata": node_text,
                "hovertemplate": "%{customdata}<extra></extra>",
                "pad": 10,
                "thickness": BAR_WIDTH,
                "line": {"width": 0}
            },
            "link": {
                "source": d.links.iter().map(|l| l.source).collect::<Vec<_>>(),
                "target": d.links.iter().map(|l| l.target).collect::<Vec<_>>(),
                "value": d.links.iter().map(|l| l.value_kwh).collect::<Vec<_>>(),
                "label": link_text.clone(),
                "customdata": link_text,
                "color": d.links.iter().map(|l| rgba(l.colour_role, 0.45)).collect::<Vec<_>>(),
                "hovertemplate": "%{source.label} → %{target.label}<br>%{customdata}<extra></extra>"
            }
        }],
        "layout": {
            "title": {"text": format!("{title}<br><sub>{subtitle}</sub>")},
            "font": {"family": FONT_FAMILY, "size": 12},
            "width": fmt::round(w.max(640.0), 0),
            "height": fmt::round(h + 80.0, 0),
            "margin": {"l": 20, "r": 20, "t": 80, "b": 60},
            "paper_bgcolor": "#ffffff",
            "annotations": legend
        }
    });
    cp.stage("rendering")?;
    let mut out = serde_json::to_string_pretty(&figure).unwrap_or_default();
    out.push('\n');
    Ok(out)
}

pub(crate) fn json(d: &Diagram, cp: &mut Checkpoint) -> Result<String, SankeyError> {
    let nodes: Vec<Value> = d
        .nodes
        .iter()
        .map(|n| {
            cp.tick()?;
            let mut v = json!({
                "id": n.id,
                "label": n.label,
                "role": n.role,
                "value_kwh": n.value_kwh,
                "share": n.share,
                "column": n.column,
                "x": fmt::round(n.x, 2),
                "y": fmt::round(n.y, 2),
                "width": fmt::round(n.width, 2),
                "height": fmt::round(n.height, 2),
                "colour": n.role.colour(),
            });
            if !n.folded.is_empty() {
                v["folded"] = json!(n.folded);
            }
            Ok(v)
        })
        .collect::<Result<_, SankeyError>>()?;
    let links: Vec<Value> = d
        .links
        .iter()
        .map(|l| {
            cp.tick()?;
            let b = &d.labels[l.label];
            Ok(json!({
                "source": d.nodes[l.source].id,
                "target": d.nodes[l.target].id,
                "value_kwh": l.value_kwh,
                "share": l.share,
                "text": l.text,
                "recycle": l.recycle,
                "width": fmt::round(l.width, 2),
                "colour": l.colour_role.colour(),
                "path": l.path,
                "label_box": [fmt::round(b.x, 2), fmt::round(b.y, 2), fmt::round(b.width, 2), fmt::round(b.height, 2)],
            }))
        })
        .collect::<Result<_, SankeyError>>()?;
    let labels: Vec<Value> = d
        .labels
        .iter()
        .map(|b| {
            cp.tick()?;
            Ok(json!({
                "kind": b.kind,
                "lines": b.lines,
                "x": fmt::round(b.x, 2),
                "y": fmt::round(b.y, 2),
                "width": fmt::round(b.width, 2),
                "height": fmt::round(b.height, 2),
            }))
        })
        .collect::<Result<_, SankeyError>>()?;
    let legend: Vec<Value> = d
        .legend
        .iter()
        .map(|e| json!({"role": e.role, "label": e.role.legend(), "colour": e.role.colour()}))
        .collect();
    let doc = json!({
        "kind": d.kind,
        "title": {
            "text": d.labels.first().map(|b| b.lines[0].clone()),
            "subtitle": d.labels.get(1).map(|b| b.lines[0].clone()),
            "facility": d.title.facility,
            "process": d.title.process,
            "period": d.title.period,
            "efficiency_percent": d.title.efficiency_percent,
            "basis": d.title.basis,
        },
        "unit": "kWh",
        "total_input_kwh": d.total_input_kwh,
        "canvas": {"width": d.width, "height": d.height},
        "nodes": nodes,
        "links": links,
        "labels": labels,
        "legend": legend,
        "warnings": d.warnings,
    });
    cp.stage("rendering")?;
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    Ok(out)
}
