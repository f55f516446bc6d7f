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

mod error;
pub mod fmt;
mod layout;
mod model;
mod options;
mod prepare;
mod render;

pub use error::SankeyError;
pub use layout::{
    Anchor, CHAR_WIDTH_EM, Diagram, DiagramLink, DiagramNode, FONT_SIZE, LabelBox, LabelKind,
    LegendEntry, MIN_LINK_WIDTH, TITLE_CHAR_WIDTH_EM, TITLE_FONT_SIZE, text_width,
};
pub use model::{
    DiagramKind, EnergyFlows, ExergyStreams, Flow, FlowGraph, Node, PROCESS_ID, Role, SURPLUS_ID,
    Title, UNACCOUNTED_ID, humanise,
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
    let net = prepare::prepare(graph, options)?;
    Ok(layout::layout(net, graph.kind, &graph.title))
}

impl Diagram {
    pub fn to_svg(&self) -> String {
        render::svg(self)
    }
    pub fn to_html(&self) -> String {
        render::html(self)
    }
    pub fn to_plotly_json(&self) -> String {
        render::plotly(self)
    }
    pub fn to_json(&self) -> String {
        render::json(self)
    }
    pub fn render(&self, format: Format) -> Rendered {
        let body = match format {
            Format::Svg => self.to_svg(),
            Format::Json => self.to_json(),
            Format::Plotly => self.to_plotly_json(),
            Format::Html => self.to_html(),
        };
        Rendered {
            body,
            content_type: format.content_type(),
            node_count: self.nodes.len(),
            link_count: self.links.len(),
            warnings: self.warnings.clone(),
        }
    }
}

/// The one call the server makes.
pub fn render(
    graph: &FlowGraph,
    options: &SankeyOptions,
    format: Format,
) -> Result<Rendered, SankeyError> {
    Ok(prepare(graph, options)?.render(format))
}
