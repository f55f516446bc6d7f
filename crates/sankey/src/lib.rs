//! Sankey diagrams for ThermalIQ: energy and exergy (Grassmann) flow graphs,
//! validated, folded to the configured limits, laid out with labels that
//! never overlap, and rendered as SVG, Plotly figure JSON, layout JSON or a
//! standalone HTML page. Pure: no I/O, no clock, no hash-map order; the same
//! input gives byte-identical output. See docs/SANKEY.md.
//!
//! ```
//! use sankey::{FlowGraph, Format, SankeyOptions, render};
//! let graph = FlowGraph::from_json(br#"{
//!   "nodes": [{"id": "fuel"}, {"id": "boiler"}, {"id": "steam"}, {"id": "flue", "role": "loss"}],
//!   "flows": [{"from": "fuel", "to": "boiler", "value": 1.0, "unit": "MWh"},
//!             {"from": "boiler", "to": "steam", "value": 850},
//!             {"from": "boiler", "to": "flue", "value": 150}]}"#).unwrap();
//! let out = render(&graph, &SankeyOptions::default(), Format::Svg).unwrap();
//! assert_eq!(out.content_type, "image/svg+xml");
//! assert_eq!((out.node_count, out.link_count), (4, 3));
//! ```
//!
//! Work is bounded: at most [`MAX_INPUT_FLOWS`] flows and
//! [`MAX_INPUT_NODES`] nodes are accepted, folding to the limits happens
//! before layout and is O(F log F), and [`render_with`] stops cooperatively
//! when its [`Cancel`] handle is cancelled or its deadline passes.

mod cancel;
mod error;
pub mod fmt;
mod fold;
#[cfg(test)]
mod fold_reference;
mod layout;
mod model;
mod options;
mod prepare;
mod render;

pub use cancel::{CHECK_EVERY, Cancel, StopCheck};
pub use error::SankeyError;
pub use layout::{
    Anchor, CHAR_WIDTH_EM, Diagram, DiagramLink, DiagramNode, FONT_SIZE, LabelBox, LabelKind,
    LegendEntry, MIN_LINK_WIDTH, TITLE_CHAR_WIDTH_EM, TITLE_FONT_SIZE, text_width,
};
pub use model::{
    DiagramKind, EnergyFlows, ExergyStreams, Flow, FlowGraph, MAX_INPUT_FLOWS, MAX_INPUT_NODES,
    Node, PROCESS_ID, Role, SURPLUS_ID, Title, UNACCOUNTED_ID, humanise,
};
pub use options::SankeyOptions;
pub use prepare::FoldedItem;
pub use render::FONT_FAMILY;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Json,
    Plotly,
    Html,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Svg, Format::Json, Format::Plotly, Format::Html];

    /// Parses `format=` (`svg`, `json`, `plotly`, `html`).
    pub fn parse(s: &str) -> Result<Format, SankeyError> {
        match s {
            "svg" => Ok(Format::Svg),
            "json" => Ok(Format::Json),
            "plotly" => Ok(Format::Plotly),
            "html" => Ok(Format::Html),
            _ => Err(SankeyError::UnknownFormat {
                format: s.to_owned(),
            }),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Json => "json",
            Format::Plotly => "plotly",
            Format::Html => "html",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Svg => "image/svg+xml",
            Format::Json | Format::Plotly => "application/json",
            Format::Html => "text/html; charset=utf-8",
        }
    }
}

/// A rendered diagram and what the service logs about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub body: String,
    pub content_type: &'static str,
    pub node_count: usize,
    pub link_count: usize,
    /// E.g. limits that folding could not meet.
    pub warnings: Vec<String>,
}

/// Validates, folds and lays out `graph`.
pub fn prepare(graph: &FlowGraph, options: &SankeyOptions) -> Result<Diagram, SankeyError> {
    prepare_with(graph, options, &Cancel::new())
}

/// [`prepare`], stopping with [`SankeyError::Cancelled`] once `cancel` is
/// cancelled or its deadline passes.
pub fn prepare_with(
    graph: &FlowGraph,
    options: &SankeyOptions,
    cancel: &Cancel,
) -> Result<Diagram, SankeyError> {
    let mut cp = cancel::Checkpoint::new(cancel);
    let net = prepare::prepare(graph, options, &mut cp)?;
    layout::layout(net, graph.kind, &graph.title, &mut cp)
}

impl Diagram {
    // Without a handle nothing can cancel, so the renderers cannot fail.
    pub fn to_svg(&self) -> String {
        self.body(Format::Svg, &Cancel::new()).unwrap_or_default()
    }
    pub fn to_html(&self) -> String {
        self.body(Format::Html, &Cancel::new()).unwrap_or_default()
    }
    pub fn to_plotly_json(&self) -> String {
        self.body(Format::Plotly, &Cancel::new())
            .unwrap_or_default()
    }
    pub fn to_json(&self) -> String {
        self.body(Format::Json, &Cancel::new()).unwrap_or_default()
    }

    fn body(&self, format: Format, cancel: &Cancel) -> Result<String, SankeyError> {
        let mut cp = cancel::Checkpoint::new(cancel);
        cp.stage("rendering")?;
        match format {
            Format::Svg => render::svg(self, &mut cp),
            Format::Json => render::json(self, &mut cp),
            Format::Plotly => render::plotly(self, &mut cp),
            Format::Html => render::html(self, &mut cp),
        }
    }

    pub fn render(&self, format: Format) -> Rendered {
        self.render_with(format, &Cancel::new())
            .unwrap_or_else(|_| self.rendered(format, String::new()))
    }

    /// [`Diagram::render`], stopping with [`SankeyError::Cancelled`] once
    /// `cancel` is cancelled or its deadline passes.
    pub fn render_with(&self, format: Format, cancel: &Cancel) -> Result<Rendered, SankeyError> {
        Ok(self.rendered(format, self.body(format, cancel)?))
    }

    fn rendered(&self, format: Format, body: String) -> Rendered {
        Rendered {
            body,
            content_type: format.content_type(),
            node_count: self.nodes.len(),
            link_count: self.links.len(),
            warnings: self.warnings.clone(),
        }
    }
}

/// Validates, folds, lays out and renders `graph`.
pub fn render(
    graph: &FlowGraph,
    options: &SankeyOptions,
    format: Format,
) -> Result<Rendered, SankeyError> {
    render_with(graph, options, format, &Cancel::new())
}

/// The call the server makes: [`render`], stopping with
/// [`SankeyError::Cancelled`] once `cancel` is cancelled or its deadline
/// passes (the server gives it `SANKEY_GENERATION_TIMEOUT` and cancels it
/// when the request is dropped).
pub fn render_with(
    graph: &FlowGraph,
    options: &SankeyOptions,
    format: Format,
    cancel: &Cancel,
) -> Result<Rendered, SankeyError> {
    prepare_with(graph, options, cancel)?.render_with(format, cancel)
}
