//! The uncertainty of the efficiencies of one calculation, with the engine
//! itself as the model function: each input with an uncertainty is moved,
//! `thermaliq_core::engine::evaluate` is run again, and the change of each
//! reported efficiency gives its sensitivity. Works for inline energies and
//! for process calculations (both ASME PTC 4 methods) alike.
//!
//! Inputs are addressed in the `NormalizedInput` (its serialized form):
//! a JSON pointer (`/energy_input_kwh/fuel`, `/process/flue_gas/o2_pct_dry`)
//! or the same path with dots (`energy_input_kwh.fuel`,
//! `process.flue_gas.o2_pct_dry`); `energy_input`, `energy_output` and
//! `energy_losses` stand for their `_kwh` maps.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thermaliq_core::request::NormalizedInput;
use thermaliq_core::{EngineSettings, evaluate};

use crate::error::AnalyticsError;
use crate::uncertainty::{
    PropagationMethod, UncertainInput, Uncertainty, UncertaintySpec, propagate_monte_carlo,
    propagate_taylor,
};

/// One input's stated uncertainty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputUncertainty {
    /// Where the input is (see the module documentation).
    pub input: String,
    pub uncertainty: UncertaintySpec,
}

/// How to propagate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Propagation {
    Taylor,
    MonteCarlo { samples: usize, seed: u64 },
}

/// The uncertainty of one reported efficiency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodUncertainty {
    /// `input_output` or `heat_loss`.
    pub efficiency_method: String,
    pub efficiency_pct: f64,
    pub uncertainty: Uncertainty,
}

enum Slot {
    /// An entry of one of the three energy maps: fast, no serde per call.
    Energy(EnergyMap, String),
    /// Anywhere else, by JSON pointer.
    Pointer(String),
}

#[derive(Clone, Copy)]
enum EnergyMap {
    Input,
    Output,
    Losses,
}

/// The uncertainty of every efficiency `evaluate(input, settings)` reports
/// (`input_output`, and `heat_loss` for process calculations). Inputs with
/// no entry in `given` are held fixed; with no entry at all every method's
/// uncertainty is `not_given`.
pub fn efficiency_uncertainty(
    input: &NormalizedInput,
    settings: &EngineSettings,
    given: &[InputUncertainty],
    propagation: Propagation,
) -> Result<Vec<MethodUncertainty>, AnalyticsError> {
    let base_json = serde_json::to_value(input).map_err(|e| AnalyticsError::Model {
        field: "input".to_owned(),
        reason: e.to_string(),
    })?;
    let mut slots = Vec::with_capacity(given.len());
    let mut inputs = Vec::with_capacity(given.len());
    for (i, g) in given.iter().enumerate() {
        let field = format!("uncertainties[{i}] ({})", g.input);
        let (slot, value) =
            locate(&base_json, &g.input).ok_or_else(|| AnalyticsError::NotFound {
                field: format!("uncertainties[{i}].input"),
                name: g.input.clone(),
            })?;
        if slots.iter().any(|(s, _): &(Slot, String)| s.same(&slot)) {
            return Err(AnalyticsError::Shape {
                field,
                problem: "the same input is given twice".to_owned(),
            });
        }
        let u = g.uncertainty.standard(&field, value)?;
        inputs.push(UncertainInput::new(g.input.clone(), value, Some(u)));
        slots.push((slot, g.input.clone()));
    }
    let base = evaluate(input, settings);
    let mut methods: Vec<(&'static str, f64)> = Vec::new();
    match &base.methods {
        Some(m) => {
            if let Some(io) = m.input_output {
                methods.push(("input_output", io.efficiency_pct));
            }
            if let Some(hl) = m.heat_loss {
                methods.push(("heat_loss", hl.efficiency_pct));
            }
        }
        None => {
            if let Some(e) = base.efficiency {
                methods.push(("input_output", e));
            }
        }
    }
    let all_fast = slots.iter().all(|(s, _)| matches!(s, Slot::Energy(..)));
    let mut out = Vec::with_capacity(methods.len());
    for (name, eta) in methods {
        let model = |x: &[f64]| -> Option<f64> {
            let moved = if all_fast {
                move_energies(input, &slots, x)
            } else {
                move_json(&base_json, &slots, x)?
            };
            let r = evaluate(&moved, settings);
            match (name, &r.methods) {
                ("input_output", None) => r.efficiency,
                ("input_output", Some(m)) => m.input_output.map(|o| o.efficiency_pct),
                (_, Some(m)) => m.heat_loss.map(|o| o.efficiency_pct),
                _ => None,
            }
        };
        let uncertainty = if inputs.is_empty() {
            Uncertainty::NotGiven { inputs: Vec::new() }
        } else {
            match propagation {
                Propagation::Taylor => propagate_taylor(model, &inputs, None)?,
                Propagation::MonteCarlo { samples, seed } => {
                    propagate_monte_carlo(model, &inputs, None, samples, seed)?
                }
            }
        };
        out.push(MethodUncertainty {
            efficiency_method: name.to_owned(),
            efficiency_pct: eta,
            uncertainty,
        });
    }
    Ok(out)
}

impl Slot {
    fn same(&self, other: &Slot) -> bool {
        match (self, other) {
            (Slot::Energy(a, x), Slot::Energy(b, y)) => {
                std::mem::discriminant(a) == std::mem::discriminant(b) && x == y
            }
            (Slot::Pointer(a), Slot::Pointer(b)) => a == b,
            _ => false,
        }
    }
}

/// The JSON pointer of a path given with dots or as a pointer.
fn pointer(path: &str) -> String {
    let p = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{}", path.replace('.', "/"))
    };
    for (short, long) in [
        ("/energy_input/", "/energy_input_kwh/"),
        ("/energy_output/", "/energy_output_kwh/"),
        ("/energy_losses/", "/energy_losses_kwh/"),
    ] {
        if let Some(rest) = p.strip_prefix(short) {
            return format!("{long}{rest}");
        }
    }
    p
}

fn locate(base: &Value, path: &str) -> Option<(Slot, f64)> {
    let p = pointer(path);
    let value = base.pointer(&p)?.as_f64()?;
    let energy = [
        ("/energy_input_kwh/", EnergyMap::Input),
        ("/energy_output_kwh/", EnergyMap::Output),
        ("/energy_losses_kwh/", EnergyMap::Losses),
    ]
    .into_iter()
    .find_map(|(prefix, map)| {
        p.strip_prefix(prefix)
            .filter(|rest| !rest.contains('/') && !rest.contains('~'))
            .map(|rest| Slot::Energy(map, rest.to_owned()))
    });
    Some((energy.unwrap_or(Slot::Pointer(p)), value))
}

fn move_energies(input: &NormalizedInput, slots: &[(Slot, String)], x: &[f64]) -> NormalizedInput {
    let mut moved = input.clone();
    for ((slot, _), v) in slots.iter().zip(x) {
        if let Slot::Energy(map, key) = slot {
            let target = match map {
                EnergyMap::Input => Some(&mut moved.energy_input_kwh),
                EnergyMap::Output => Some(&mut moved.energy_output_kwh),
                EnergyMap::Losses => moved.energy_losses_kwh.as_mut(),
            };
            if let Some(entry) = target.and_then(|m| m.get_mut(key)) {
                *entry = *v;
            }
        }
    }
    moved
}

fn move_json(base: &Value, slots: &[(Slot, String)], x: &[f64]) -> Option<NormalizedInput> {
    let mut doc = base.clone();
    for ((slot, _), v) in slots.iter().zip(x) {
        let p = match slot {
            Slot::Energy(EnergyMap::Input, k) => format!("/energy_input_kwh/{k}"),
            Slot::Energy(EnergyMap::Output, k) => format!("/energy_output_kwh/{k}"),
            Slot::Energy(EnergyMap::Losses, k) => format!("/energy_losses_kwh/{k}"),
            Slot::Pointer(p) => p.clone(),
        };
        *doc.pointer_mut(&p)? = serde_json::Number::from_f64(*v)?.into();
    }
    serde_json::from_value(doc).ok()
}

impl From<Propagation> for PropagationMethod {
    fn from(p: Propagation) -> Self {
        match p {
            Propagation::Taylor => PropagationMethod::Taylor,
            Propagation::MonteCarlo { .. } => PropagationMethod::MonteCarlo,
        }
    }
}
