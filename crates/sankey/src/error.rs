//! The one error type of the `sankey` crate. Every variant names the node or
//! flow at fault and the rule it broke, so the HTTP edge can turn it into a
//! `ValidationError` (422) with a field path.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum SankeyError {
    /// The ad-hoc graph document is not valid JSON or not of the expected shape.
    #[error("invalid flow graph: {message}")]
    InvalidDocument { message: String },

    /// A flow gave a unit that `thermo::units::EnergyUnit::parse` does not know.
    #[error("flow {flow}: unknown energy unit '{unit}'; accepted: {accepted}")]
    UnknownUnit {
        flow: String,
        unit: String,
        accepted: String,
    },

    /// Two nodes share an id, or an id is empty.
    #[error("node '{id}': {rule}")]
    InvalidNode { id: String, rule: &'static str },

    /// A flow names a node that is not declared.
    #[error("flow {flow}: node '{node}' is not declared in \"nodes\"")]
    UnknownNode { flow: String, node: String },

    /// A negative or non-finite value.
    #[error("flow {flow}: value {value} kWh is invalid: {rule}")]
    InvalidValue {
        flow: String,
        value: f64,
        rule: &'static str,
    },

    /// An intermediate node whose inflow and outflow differ by more than the
    /// balance threshold.
    #[error(
        "node '{node}' does not conserve flow: {inflow_kwh} kWh in, {outflow_kwh} kWh out \
         ({imbalance_percent:.3} % of its inflow), threshold {threshold_percent} %"
    )]
    Unbalanced {
        node: String,
        inflow_kwh: f64,
        outflow_kwh: f64,
        imbalance_percent: f64,
        threshold_percent: f64,
    },

    /// A cycle in the graph. `nodes` lists the cycle in order, the first node
    /// repeated at the end.
    #[error("circular flow {path}: {rule}", path = nodes.join(" -> "))]
    Cycle {
        nodes: Vec<String>,
        rule: &'static str,
    },

    /// Nothing to draw, or no input to take shares of.
    #[error("flow graph cannot be drawn: {rule}")]
    Empty { rule: &'static str },

    /// An option outside its range.
    #[error("option {name} = {value}: {rule}")]
    InvalidOption {
        name: &'static str,
        value: String,
        rule: &'static str,
    },

    /// `format=` names no renderer.
    #[error("unknown format '{format}'; accepted: svg, json, plotly, html")]
    UnknownFormat { format: String },

    /// More nodes or flows than a diagram accepts ([`crate::MAX_INPUT_NODES`],
    /// [`crate::MAX_INPUT_FLOWS`]), checked before any work on them.
    #[error("flow graph has {count} {what}; at most {limit} are accepted ({constant})")]
    TooLarge {
        /// `nodes` or `flows`.
        what: &'static str,
        count: usize,
        limit: usize,
        /// The constant that sets the limit, e.g. `sankey::MAX_INPUT_FLOWS`.
        constant: &'static str,
    },

    /// The caller's [`crate::Cancel`] handle was cancelled or its deadline
    /// passed; `stage` is where the work stopped.
    #[error(
        "diagram generation cancelled during {stage} (deadline passed or cancelled by the caller)"
    )]
    Cancelled { stage: &'static str },
}

impl SankeyError {
    /// A short, stable code for logs and metrics labels.
    pub fn code(&self) -> &'static str {
        match self {
            SankeyError::InvalidDocument { .. } => "invalid_document",
            SankeyError::UnknownUnit { .. } => "unknown_unit",
            SankeyError::InvalidNode { .. } => "invalid_node",
            SankeyError::UnknownNode { .. } => "unknown_node",
            SankeyError::InvalidValue { .. } => "invalid_value",
            SankeyError::Unbalanced { .. } => "unbalanced_node",
            SankeyError::Cycle { .. } => "circular_flow",
            SankeyError::Empty { .. } => "empty_graph",
            SankeyError::InvalidOption { .. } => "invalid_option",
            SankeyError::UnknownFormat { .. } => "unknown_format",
            SankeyError::TooLarge { .. } => "too_large",
            SankeyError::Cancelled { .. } => "cancelled",
        }
    }

    /// The field path of the request the error is about, where there is one
    /// (`flows[a -> b]`, `nodes[boiler]`, `format`).
    pub fn field(&self) -> String {
        match self {
            SankeyError::InvalidDocument { .. }
            | SankeyError::Empty { .. }
            | SankeyError::Cancelled { .. } => String::new(),
            SankeyError::TooLarge { what, .. } => (*what).to_owned(),
            SankeyError::UnknownUnit { flow, .. }
            | SankeyError::UnknownNode { flow, .. }
            | SankeyError::InvalidValue { flow, .. } => format!("flows[{flow}]"),
            SankeyError::InvalidNode { id, .. } => format!("nodes[{id}]"),
            SankeyError::Unbalanced { node, .. } => format!("nodes[{node}]"),
            SankeyError::Cycle { nodes, .. } => format!("flows[{}]", nodes.join(" -> ")),
            SankeyError::InvalidOption { name, .. } => (*name).to_owned(),
            SankeyError::UnknownFormat { .. } => "format".to_owned(),
        }
    }
}
