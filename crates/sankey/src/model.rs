//! The flow graph a diagram is drawn from, and the builders that make one
//! from an ad-hoc JSON document, a stored calculation's `energy_flows`, or
//! second-law (exergy) results.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thermo::units::EnergyUnit;

use crate::SankeyError;

/// What a node stands for; it decides colour, order and folding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Input,
    Process,
    Useful,
    Loss,
    Unaccounted,
    ExergyDestroyed,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Input,
        Role::Process,
        Role::Useful,
        Role::Loss,
        Role::Unaccounted,
        Role::ExergyDestroyed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Input => "input",
            Role::Process => "process",
            Role::Useful => "useful",
            Role::Loss => "loss",
            Role::Unaccounted => "unaccounted",
            Role::ExergyDestroyed => "exergy_destroyed",
        }
    }

    /// The name shown in the legend.
    pub fn legend(self) -> &'static str {
        match self {
            Role::Input => "Input",
            Role::Process => "Process",
            Role::Useful => "Useful output",
            Role::Loss => "Loss",
            Role::Unaccounted => "Unaccounted",
            Role::ExergyDestroyed => "Exergy destroyed",
        }
    }

    /// Fill colour (Okabe–Ito palette, readable by colour-blind readers).
    pub fn colour(self) -> &'static str {
        match self {
            Role::Input => "#E69F00",
            Role::Process => "#555555",
            Role::Useful => "#0072B2",
            Role::Loss => "#D55E00",
            Role::Unaccounted => "#999999",
            Role::ExergyDestroyed => "#CC79A7",
        }
    }

    /// The same colour as `r, g, b`.
    pub fn rgb(self) -> (u8, u8, u8) {
        let hex = &self.colour()[1..];
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0);
        (byte(0), byte(2), byte(4))
    }
}

/// Energy (first law) or exergy (Grassmann, second law).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiagramKind {
    #[default]
    Energy,
    Exergy,
}

/// What the title states: facility, process, period, efficiency and basis.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Title {
    pub facility: Option<String>,
    /// The equipment or process node's label, e.g. `Boiler`.
    pub process: Option<String>,
    /// The period covered, as the caller wants it shown.
    pub period: Option<String>,
    /// First-law (or exergy) efficiency in percent; computed from the
    /// diagram (useful ÷ input) when absent.
    pub efficiency_percent: Option<f64>,
    /// `HHV`, `LHV` or `as metered`.
    pub basis: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub id: String,
    pub label: String,
    /// `None`: inferred (no inflow → input, no outflow → useful, else process).
    pub role: Option<Role>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    pub from: String,
    pub to: String,
    pub value_kwh: f64,
    /// A declared recycle (e.g. condensate return); drawn as a return loop
    /// when circular flows are allowed.
    pub recycle: bool,
}

/// A generic flow graph, in kWh.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowGraph {
    pub kind: DiagramKind,
    pub title: Title,
    pub nodes: Vec<Node>,
    pub flows: Vec<Flow>,
}

/// The flows of a calculation in kWh, the shape of the `energy_flows`
/// column (`thermaliq_core::engine::EnergyFlows` serialises to it).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EnergyFlows {
    pub inputs: BTreeMap<String, f64>,
    pub outputs: BTreeMap<String, f64>,
    pub losses: BTreeMap<String, f64>,
}

/// Per-stream exergy of a calculation's second-law result, in kWh.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExergyStreams {
    pub inputs: BTreeMap<String, f64>,
    pub products: BTreeMap<String, f64>,
    pub losses: BTreeMap<String, f64>,
    pub destroyed_kwh: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GraphDoc {
    #[serde(default)]
    kind: DiagramKind,
    #[serde(default)]
    title: Title,
    nodes: Vec<NodeDoc>,
    flows: Vec<FlowDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeDoc {
    id: String,
    label: Option<String>,
    role: Option<Role>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FlowDoc {
    from: String,
    to: String,
    value: f64,
    unit: Option<String>,
    #[serde(default)]
    recycle: bool,
}

/// The most flows a diagram accepts, from any builder or built by hand
/// (checked again by [`crate::prepare`]). Issue 12: unbounded graphs kept
/// cores busy for minutes; 50,000 still draws the 40,000-output stored
/// calculation of that report, in tens of milliseconds (docs/PERFORMANCE.md).
pub const MAX_INPUT_FLOWS: usize = 50_000;
/// The most nodes a diagram accepts: a connected graph of
/// [`MAX_INPUT_FLOWS`] flows has at most one node more.
pub const MAX_INPUT_NODES: usize = MAX_INPUT_FLOWS + 1;

/// Refuses a graph over [`MAX_INPUT_NODES`] or [`MAX_INPUT_FLOWS`], naming
/// the limit.
pub(crate) fn check_size(nodes: usize, flows: usize) -> Result<(), SankeyError> {
    if flows > MAX_INPUT_FLOWS {
        return Err(SankeyError::TooLarge {
            what: "flows",
            count: flows,
            limit: MAX_INPUT_FLOWS,
            constant: "sankey::MAX_INPUT_FLOWS",
        });
    }
    if nodes > MAX_INPUT_NODES {
        return Err(SankeyError::TooLarge {
            what: "nodes",
            count: nodes,
            limit: MAX_INPUT_NODES,
            constant: "sankey::MAX_INPUT_NODES",
        });
    }
    Ok(())
}

/// Id of the node carrying the heat-balance residual.
pub const UNACCOUNTED_ID: &str = "unaccounted";
/// Id of the extra input showing a negative residual (losses over-accounted).
pub const SURPLUS_ID: &str = "balance_surplus";
/// Id of the process node made by the calculation builders.
pub const PROCESS_ID: &str = "process";

impl FlowGraph {
    /// Parses the body of `POST /v1/thermaliq/sankey`:
    /// `{"kind"?, "title"?, "nodes": [{"id", "label"?, "role"?}],
    ///   "flows": [{"from", "to", "value", "unit"?, "recycle"?}]}`.
    /// Values are converted to kWh; unknown fields are rejected; at most
    /// [`MAX_INPUT_NODES`] nodes and [`MAX_INPUT_FLOWS`] flows.
    pub fn from_json(bytes: &[u8]) -> Result<FlowGraph, SankeyError> {
        let doc: GraphDoc =
            serde_json::from_slice(bytes).map_err(|e| SankeyError::InvalidDocument {
                message: e.to_string(),
            })?;
        check_size(doc.nodes.len(), doc.flows.len())?;
        let nodes = doc
            .nodes
            .into_iter()
            .map(|n| Node {
                label: n.label.unwrap_or_else(|| n.id.clone()),
                id: n.id,
                role: n.role,
            })
            .collect();
        let mut flows = Vec::with_capacity(doc.flows.len());
        for f in doc.flows {
            let factor = match &f.unit {
                None => 1.0,
                Some(unit) => EnergyUnit::parse(unit)
                    .map_err(|_| SankeyError::UnknownUnit {
                        flow: flow_name(&f.from, &f.to),
                        unit: unit.clone(),
                        accepted: EnergyUnit::accepted_list(),
                    })?
                    .kwh_factor(),
            };
            flows.push(Flow {
                value_kwh: f.value * factor,
                from: f.from,
                to: f.to,
                recycle: f.recycle,
            });
        }
        Ok(FlowGraph {
            kind: doc.kind,
            title: doc.title,
            nodes,
            flows,
        })
    }

    /// The diagram of a stored calculation: inputs by source → the process
    /// node → useful outputs, one node per loss category, and an explicit
    /// residual node. The residual Σin − Σout − Σ measured losses is drawn as
    /// `Unaccounted` when ≥ 0 and as an extra input `Balance surplus` when
    /// negative (losses over-accounted): never dropped. The engine's
    /// `unaccounted` entry is recomputed from the other flows, its
    /// `unmeasured` entry (losses by difference) is the residual itself. A
    /// negative loss (a heat credit) becomes an input.
    pub fn from_energy_flows(flows: &EnergyFlows, title: &Title) -> Result<FlowGraph, SankeyError> {
        let mut b = Builder::new(DiagramKind::Energy, title);
        for (name, &v) in &flows.inputs {
            b.input(name, v)?;
        }
        for (name, &v) in &flows.outputs {
            b.sink(name, v, Role::Useful, "useful")?;
        }
        let by_difference = flows.losses.contains_key("unmeasured");
        for (name, &v) in &flows.losses {
            if name == "unaccounted" || name == "unmeasured" {
                continue;
            }
            if v < 0.0 {
                b.credit(name, v)?;
            } else {
                b.sink(name, v, Role::Loss, "loss")?;
            }
        }
        let residual_label = if by_difference {
            "Unmeasured losses (by difference)"
        } else {
            "Unaccounted"
        };
        b.residual(residual_label, true);
        b.finish()
    }

    /// Parses a stored `energy_flows` column and builds its diagram.
    pub fn from_energy_flows_json(bytes: &[u8], title: &Title) -> Result<FlowGraph, SankeyError> {
        let flows: EnergyFlows =
            serde_json::from_slice(bytes).map_err(|e| SankeyError::InvalidDocument {
                message: format!("energy_flows: {e}"),
            })?;
        Self::from_energy_flows(&flows, title)
    }

    /// A Grassmann diagram: exergy inputs → process → products, losses, and
    /// exergy destroyed as its own node. A residual (exergy balance not
    /// closed) is shown, not hidden.
    pub fn from_exergy(streams: &ExergyStreams, title: &Title) -> Result<FlowGraph, SankeyError> {
        let mut b = Builder::new(DiagramKind::Exergy, title);
        for (name, &v) in &streams.inputs {
            b.input(name, v)?;
        }
        for (name, &v) in &streams.products {
            b.sink(name, v, Role::Useful, "useful")?;
        }
        for (name, &v) in &streams.losses {
            b.sink(name, v, Role::Loss, "loss")?;
        }
        b.check("exergy destroyed", streams.destroyed_kwh)?;
        b.graph.nodes.push(Node {
            id: "exergy_destroyed".to_owned(),
            label: "Exergy destroyed".to_owned(),
            role: Some(Role::ExergyDestroyed),
        });
        b.flow(PROCESS_ID, "exergy_destroyed", streams.destroyed_kwh);
        b.out_total += streams.destroyed_kwh;
        b.residual("Unaccounted", false);
        b.finish()
    }
}

pub(crate) fn flow_name(from: &str, to: &str) -> String {
    format!("{from} -> {to}")
}

/// `fuel_gas` → `Fuel gas`.
pub fn humanise(name: &str) -> String {
    let spaced = name.replace(['_', '-'], " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

struct Builder {
    graph: FlowGraph,
    in_total: f64,
    useful_total: f64,
    out_total: f64,
}

impl Builder {
    fn new(kind: DiagramKind, title: &Title) -> Builder {
        let process = title
            .process
            .clone()
            .unwrap_or_else(|| "Process".to_owned());
        Builder {
            graph: FlowGraph {
                kind,
                title: title.clone(),
                nodes: vec![Node {
                    id: PROCESS_ID.to_owned(),
                    label: process,
                    role: Some(Role::Process),
                }],
                flows: Vec::new(),
            },
            in_total: 0.0,
            useful_total: 0.0,
            out_total: 0.0,
        }
    }

    fn check(&self, name: &str, v: f64) -> Result<(), SankeyError> {
        let rule = if !v.is_finite() {
            "must be a finite number"
        } else if v < 0.0 {
            "must be >= 0 (only a loss may be negative: it becomes a heat-credit input)"
        } else {
            return Ok(());
        };
        Err(SankeyError::InvalidValue {
            flow: name.to_owned(),
            value: v,
            rule,
        })
    }

    fn flow(&mut self, from: &str, to: &str, v: f64) {
        self.graph.flows.push(Flow {
            from: from.to_owned(),
            to: to.to_owned(),
            value_kwh: v,
            recycle: false,
        });
    }

    fn input(&mut self, name: &str, v: f64) -> Result<(), SankeyError> {
        self.check(&format!("input.{name}"), v)?;
        let id = format!("input:{name}");
        self.graph.nodes.push(Node {
            id: id.clone(),
            label: humanise(name),
            role: Some(Role::Input),
        });
        self.flow(&id, PROCESS_ID, v);
        self.in_total += v;
        Ok(())
    }

    fn credit(&mut self, name: &str, v: f64) -> Result<(), SankeyError> {
        if !v.is_finite() {
            self.check(&format!("loss.{name}"), v)?;
        }
        let id = format!("credit:{name}");
        self.graph.nodes.push(Node {
            id: id.clone(),
            label: format!("{} (heat credit)", humanise(name)),
            role: Some(Role::Input),
        });
        self.flow(&id, PROCESS_ID, -v);
        self.in_total += -v;
        Ok(())
    }

    fn sink(&mut self, name: &str, v: f64, role: Role, prefix: &str) -> Result<(), SankeyError> {
        self.check(&format!("{prefix}.{name}"), v)?;
        let id = format!("{prefix}:{name}");
        self.graph.nodes.push(Node {
            id: id.clone(),
            label: humanise(name),
            role: Some(role),
        });
        self.flow(PROCESS_ID, &id, v);
        self.out_total += v;
        if role == Role::Useful {
            self.useful_total += v;
        }
        Ok(())
    }

    /// Adds the residual node: `Unaccounted` (≥ 0) or `Balance surplus` (< 0).
    /// `always`: draw a zero residual too (energy diagrams never hide it).
    fn residual(&mut self, label: &str, always: bool) {
        let r = self.in_total - self.out_total;
        let negligible = r.abs() <= 1e-9 * self.in_total.max(f64::MIN_POSITIVE);
        if negligible && !always {
            return;
        }
        if r >= 0.0 || negligible {
            self.graph.nodes.push(Node {
                id: UNACCOUNTED_ID.to_owned(),
                label: label.to_owned(),
                role: Some(Role::Unaccounted),
            });
            self.flow(PROCESS_ID, UNACCOUNTED_ID, r.max(0.0));
        } else {
            self.graph.nodes.push(Node {
                id: SURPLUS_ID.to_owned(),
                label: "Balance surplus (losses exceed input - output)".to_owned(),
                role: Some(Role::Unaccounted),
            });
            self.flow(SURPLUS_ID, PROCESS_ID, -r);
        }
    }

    fn finish(mut self) -> Result<FlowGraph, SankeyError> {
        check_size(self.graph.nodes.len(), self.graph.flows.len())?;
        if self.graph.title.efficiency_percent.is_none() && self.in_total > 0.0 {
            self.graph.title.efficiency_percent = Some(self.useful_total / self.in_total * 100.0);
        }
        Ok(self.graph)
    }
}
