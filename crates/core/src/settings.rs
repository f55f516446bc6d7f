//! The settings that change a calculation's result. They are part of every
//! stored input (and so of its hash): the same input under other settings is
//! another calculation.

use serde::{Deserialize, Serialize};

/// `CALCULATION_MODE`: how rule violations are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CalculationMode {
    /// A violated rule fails the calculation (`CalculationError`).
    Strict,
    /// A violated rule becomes a warning on a completed calculation.
    Lenient,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EngineSettings {
    // Fields in key order: the canonical writer then seals without sorting (core::canonical).
    /// `ALLOW_NEGATIVE_EFFICIENCY`.
    pub allow_negative_efficiency: bool,
    /// `ENERGY_BALANCE_CHECK_ENABLED`.
    pub energy_balance_check_enabled: bool,
    /// `ENERGY_BALANCE_THRESHOLD`: the largest |closure| accepted, as a fraction of input.
    pub energy_balance_threshold: f64,
    /// `INCLUDE_ENERGY_LOSSES`: use measured losses in the balance and breakdown.
    pub include_energy_losses: bool,
    /// `MIN_DATA_COMPLETENESS`: the least completeness (0–1) of every channel
    /// of a calculation from stored readings.
    #[serde(default = "default_min_completeness")]
    pub min_data_completeness: f64,
    pub mode: CalculationMode,
}

fn default_min_completeness() -> f64 {
    crate::readings::DEFAULT_MIN_COMPLETENESS
}

impl Default for EngineSettings {
    /// The defaults of DESIGN.md §5.
    fn default() -> Self {
        Self {
            mode: CalculationMode::Strict,
            allow_negative_efficiency: false,
            energy_balance_threshold: 0.05,
            energy_balance_check_enabled: true,
            include_energy_losses: true,
            min_data_completeness: crate::readings::DEFAULT_MIN_COMPLETENESS,
        }
    }
}
