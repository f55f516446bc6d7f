//! The one error type of the `thermo` crate.

use thiserror::Error;

/// Every way a physics call can refuse its input. Each variant names the
/// quantity and the limit it broke, so callers can turn it into a field error.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ThermoError {
    /// An energy unit symbol that is not in [`crate::units::EnergyUnit::ALL`].
    #[error("unknown energy unit '{symbol}'; accepted: {accepted}")]
    UnknownUnit { symbol: String, accepted: String },

    /// A steam-table (IAPWS-IF97) input outside the range of validity.
    #[error("{quantity} = {value} is outside the IAPWS-IF97 range: it must be {limit}")]
    OutOfRange {
        /// The input, named with its unit, e.g. `temperature_k`.
        quantity: &'static str,
        /// The value given.
        value: f64,
        /// The limit it broke, with units, e.g. `>= 273.15 K`.
        limit: String,
    },
    /// A steam-table (IAPWS-IF97) input that is NaN or infinite.
    #[error("{quantity} must be a finite number, got {value}")]
    NotFinite {
        /// The input, named with its unit, e.g. `pressure_mpa`.
        quantity: &'static str,
        /// The value given.
        value: f64,
    },
    /// An IAPWS-IF97 iteration that did not converge (not expected inside the range).
    #[error("IAPWS-IF97 {method} did not converge for {inputs}")]
    NoConvergence {
        /// What was being solved, e.g. `T(p,h) in region 3`.
        method: &'static str,
        /// The inputs, with units.
        inputs: String,
    },

    /// An input of a fuel, combustion, heat-transfer, boiler or exergy
    /// calculation that breaks a rule; `field` is the JSON path of the input
    /// (e.g. `flue_gas.o2_pct_dry`) and `problem` the rule, with units.
    #[error("{field}: {problem}")]
    Invalid {
        /// The input's JSON path, e.g. `fuel.mass_flow_kg_h`.
        field: String,
        /// The rule it broke, e.g. `must be a finite number >= 0`.
        problem: String,
    },
    /// A fuel name that is not in the fuel library and has no composition.
    #[error("fuel.name: unknown fuel '{name}' without a composition; library fuels: {accepted}")]
    UnknownFuel {
        /// The name given.
        name: String,
        /// The library's fuel names.
        accepted: String,
    },
}
