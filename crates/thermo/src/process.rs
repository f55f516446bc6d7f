//! One entry point for every process model: boilers, furnaces and heat
//! exchangers ([`crate::boiler`]), CHP ([`crate::chp`]), dryers
//! ([`crate::dryer`]) and kilns ([`crate::kiln`]).

use serde::Serialize;

use crate::ThermoError;
use crate::boiler::{self, ProcessResult, ProcessSpec};
use crate::chp::{ChpResult, analyze_chp};
use crate::combustion::Basis;
use crate::dryer::{DryerResult, analyze_dryer};
use crate::exergy::DeadState;
use crate::kiln::{KilnResult, analyze_kiln};

/// The result of any process model; serialises as the model's own result
/// (each carries its `process_type`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ProcessAnalysis {
    /// Boiler, furnace or heat exchanger (both ASME PTC 4 methods).
    Classic(Box<ProcessResult>),
    Chp(Box<ChpResult>),
    Dryer(Box<DryerResult>),
    Kiln(Box<KilnResult>),
}

/// A flow of the energy balance, kW.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BalanceFlow {
    pub name: String,
    pub kw: f64,
    /// `computed`, `measured`, `estimated` or `unaccounted`.
    pub source: &'static str,
}

/// The first-law view of a CHP, dryer or kiln result that the engine maps
/// into a calculation: inputs, useful outputs and losses in kW (they balance:
/// Σ inputs = Σ outputs + Σ losses, the residual being `unaccounted`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BalanceSummary {
    pub process_type: &'static str,
    pub basis: Basis,
    pub inputs: Vec<BalanceFlow>,
    pub outputs: Vec<BalanceFlow>,
    pub losses: Vec<BalanceFlow>,
    /// The model's headline first-law efficiency, %.
    pub efficiency_pct: Option<f64>,
    pub warnings: Vec<String>,
    pub formulas: Vec<&'static str>,
}

impl ProcessAnalysis {
    /// The balance of a CHP, dryer or kiln; `None` for the classic models
    /// (the engine reads their `ProcessResult` directly).
    pub fn summary(&self) -> Option<BalanceSummary> {
        match self {
            ProcessAnalysis::Classic(_) => None,
            ProcessAnalysis::Chp(r) => Some(r.summary()),
            ProcessAnalysis::Dryer(r) => Some(r.summary()),
            ProcessAnalysis::Kiln(r) => Some(r.summary()),
        }
    }
}

/// Analyses any process.
pub fn analyze_process(
    spec: &ProcessSpec,
    dead: &DeadState,
) -> Result<ProcessAnalysis, ThermoError> {
    dead.validate()?;
    match spec {
        ProcessSpec::Boiler(_) | ProcessSpec::Furnace(_) | ProcessSpec::HeatExchanger(_) => {
            boiler::analyze(spec, dead).map(|r| ProcessAnalysis::Classic(Box::new(r)))
        }
        ProcessSpec::Chp(c) => analyze_chp(c, dead).map(|r| ProcessAnalysis::Chp(Box::new(r))),
        ProcessSpec::Dryer(d) => {
            analyze_dryer(d, dead).map(|r| ProcessAnalysis::Dryer(Box::new(r)))
        }
        ProcessSpec::Kiln(k) => analyze_kiln(k, dead).map(|r| ProcessAnalysis::Kiln(Box::new(r))),
    }
}

/// `flow` helper for the models.
pub(crate) fn flow(name: &str, kw: f64, source: &'static str) -> BalanceFlow {
    BalanceFlow {
        name: name.to_string(),
        kw,
        source,
    }
}
