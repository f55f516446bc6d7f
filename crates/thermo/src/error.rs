//! The one error type of the `thermo` crate.

use thiserror::Error;

/// Every way a physics call can refuse its input. Each variant names the
/// quantity and the limit it broke, so callers can turn it into a field error.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ThermoError {
    /// An energy unit symbol that is not in [`crate::units::EnergyUnit::ALL`].
    #[error("unknown energy unit '{symbol}'; accepted: {accepted}")]
    UnknownUnit { symbol: String, accepted: String },
}
