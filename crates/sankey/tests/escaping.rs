//! Hostile text in labels and titles (issue 12 item 10): every output shows
//! it as text and never as markup. SVG is checked with an XML parser
//! (roxmltree decodes the entities independently of this crate); Plotly
//! with plotly.js's own rules: it parses labels, titles and hover text as
//! pseudo-HTML split on `<…>` tags and decodes numeric character references
//! and the named ones `&amp; &lt; &gt; &nbsp;` (plotly.js
//! `src/lib/svg_text_utils.js`, `convertEntities`).

use proptest::prelude::*;
use sankey::{FlowGraph, Format, SankeyOptions, Title, render};
use serde_json::Value;

const HOSTILE: [&str; 5] = [
    "<script>alert(1)</script>",
    "<a href=\"javascript:alert(2)\">click</a>",
    "Tom & Jerry's \"plant\"",
    "<img src=x onerror=alert(3)>",
    "&lt;already escaped&gt; &#60;b&#62;",
];

fn hostile_graph(labels: &[&str]) -> FlowGraph {
    // fuel -> boiler -> one sink per label, plus 4 tiny sinks that fold
    // into "Other useful outputs" (their labels go into its tooltip).
    let mut nodes = vec![
        serde_json::json!({"id": "fuel", "label": "<b onmouseover=alert(4)>Gas</b>"}),
        serde_json::json!({"id": "boiler", "label": "</sub><script>x</script>"}),
    ];
    let mut flows = Vec::new();
    let mut total = 0.0;
    for (i, l) in labels.iter().enumerate() {
        nodes.push(serde_json::json!({"id": format!("s{i}"), "label": l}));
        flows.push(
            serde_json::json!({"from": "boiler", "to": format!("s{i}"), "value": 100.0 + i as f64}),
        );
        total += 100.0 + i as f64;
    }
    for i in 0..4 {
        nodes.push(
            serde_json::json!({"id": format!("tiny{i}"), "label": format!("<i>tiny {i}</i>")}),
        );
        flows.push(serde_json::json!({"from": "boiler", "to": format!("tiny{i}"), "value": 0.1}));
        total += 0.1;
    }
    flows.push(serde_json::json!({"from": "fuel", "to": "boiler", "value": total}));
    let doc = serde_json::json!({
        "title": {
            "facility": "<script>alert('fac')</script>",
            "process": "</sub><b>",
            "period": "2025 & \"Q4\"",
            "basis": "'\"><svg onload=alert(5)>"
        },
        "nodes": nodes,
        "flows": flows
    });
    FlowGraph::from_json(doc.to_string().as_bytes()).unwrap()
}

fn options() -> SankeyOptions {
    SankeyOptions {
        aggregate_small_flows: true,
        small_flow_threshold: 0.001,
        ..SankeyOptions::default()
    }
}

/// plotly.js's entity decoding (numeric references; amp, lt, gt, nbsp).
fn plotly_decode(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let Some(end) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let name = &tail[1..end];
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "nbsp" => Some('\u{a0}'),
            n if n.starts_with("#x") => u32::from_str_radix(&n[2..], 16)
                .ok()
                .and_then(char::from_u32),
            n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The tags the Plotly renderer itself writes.
fn strip_own_markup(s: &str) -> String {
    let mut t = s
        .replace("<br>", "\n")
        .replace("<sub>", "")
        .replace("</sub>", "")
        .replace("<extra></extra>", "")
        .replace("</span>", "");
    while let Some(at) = t.find("<span style=\"color:#") {
        let end = at + t[at..].find('>').unwrap() + 1;
        t.replace_range(at..end, "");
    }
    t
}

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

#[test]
fn plotly_escapes_labels_titles_and_hover_text() {
    let g = hostile_graph(&HOSTILE);
    let body = render(&g, &options(), Format::Plotly).unwrap().body;
    let fig: Value = serde_json::from_str(&body).unwrap();
    // No string can form a tag other than the renderer's own.
    let mut all = Vec::new();
    strings(&fig, &mut all);
    for s in &all {
        let text = strip_own_markup(s);
        assert!(
            !text.contains('<') && !text.contains('>'),
            "markup from the graph in {s:?}"
        );
    }
    // Node labels decode to the labels as given.
    let labels: Vec<String> = fig["data"][0]["node"]["label"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| plotly_decode(v.as_str().unwrap()))
        .collect();
    for l in HOSTILE.iter().chain(
        [
            "<b onmouseover=alert(4)>Gas</b>",
            "</sub><script>x</script>",
        ]
        .iter(),
    ) {
        assert!(
            labels.iter().any(|x| x.starts_with(&format!("{l} · "))),
            "{l:?} not shown as text in {labels:?}"
        );
    }
    // Hover text of the Other node names its members as text.
    let hover: Vec<String> = fig["data"][0]["node"]["customdata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| plotly_decode(&strip_own_markup(v.as_str().unwrap())))
        .collect();
    assert!(
        hover.iter().any(|h| h.contains("<i>tiny 0</i>: 0.100 kWh")),
        "{hover:?}"
    );
    // The title keeps its own <br><sub>…</sub> and shows the facility,
    // process, period and basis as text.
    let title = fig["layout"]["title"]["text"].as_str().unwrap();
    let (main, sub) = title.split_once("<br><sub>").unwrap();
    assert!(sub.ends_with("</sub>") && !sub[..sub.len() - 6].contains('<'));
    assert_eq!(
        plotly_decode(main),
        "Energy flows - <script>alert('fac')</script> · </sub><b>"
    );
    let sub = plotly_decode(&sub[..sub.len() - 6]);
    assert!(sub.starts_with("2025 & \"Q4\" · "), "{sub}");
    assert!(sub.contains("basis '\"><svg onload=alert(5)>"), "{sub}");
}

#[test]
fn svg_and_html_show_the_same_text_as_text() {
    let g = hostile_graph(&HOSTILE);
    let svg = render(&g, &options(), Format::Svg).unwrap().body;
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    let tags: Vec<&str> = doc
        .descendants()
        .filter(|n| n.is_element())
        .map(|n| n.tag_name().name())
        .collect();
    for t in &tags {
        assert!(
            ["svg", "title", "rect", "g", "path", "text", "tspan"].contains(t),
            "unexpected element <{t}>"
        );
    }
    let texts: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("tspan"))
        .filter_map(|n| n.text().map(str::to_owned))
        .collect();
    for l in HOSTILE {
        assert!(texts.iter().any(|t| t == l), "{l:?} not a text line");
    }
    let html = render(&g, &options(), Format::Html).unwrap().body;
    let lower = html.to_lowercase();
    for tag in ["<script", "<img", "<a ", "<b ", "<i>", "<svg onload"] {
        assert!(!lower.contains(tag), "{tag} in the HTML page");
    }
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Any label made of markup characters shows in Plotly exactly as given.
    #[test]
    fn any_label_round_trips_through_plotly_as_text(
        label in "[<>&\"'a-z /=;#0-9]{1,24}",
    ) {
        let g = hostile_graph(&[label.as_str()]);
        let body = render(&g, &options(), Format::Plotly).unwrap().body;
        let fig: Value = serde_json::from_str(&body).unwrap();
        let shown = plotly_decode(fig["data"][0]["node"]["label"][2].as_str().unwrap());
        prop_assert_eq!(shown, format!("{label} · {}", sankey::fmt::percent(100.0 / (100.0 + 0.4))));
        let raw = fig["data"][0]["node"]["label"][2].as_str().unwrap();
        prop_assert!(!raw.contains('<') && !raw.contains('>'));
    }
}

#[test]
fn titles_without_markup_are_unchanged() {
    // The escaping changes nothing for ordinary text (the snapshots hold
    // the rest): the default title has no character to escape.
    let g = hostile_graph(&["Steam"]);
    let mut plain = g.clone();
    plain.title = Title::default();
    let body = render(&plain, &options(), Format::Plotly).unwrap().body;
    assert!(
        body.contains("\"text\": \"Energy flows<br><sub>efficiency"),
        "{body}"
    );
}
