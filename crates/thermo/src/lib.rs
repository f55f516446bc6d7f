//! `thermo`: the pure physics of ThermalIQ.
//!
//! Everything here is synchronous, deterministic and free of I/O, so it can be
//! tested against published reference values and reused outside the service.
//!
//! - [`units`]: energy units and their exact conversion factors to kWh.
//! - [`if97`]: IAPWS-IF97 properties of water and steam, forward, backward and saturation.
//! - [`fuels`]: the fuel library, user fuels, HHV and LHV.
//! - [`combustion`]: ASME PTC 4 combustion balance, losses and credits.
//! - [`heat_transfer`]: surface radiation and convection, furnace openings.
//! - [`boiler`]: boiler, furnace/heater and heat-exchanger analyses by the
//!   input-output and heat-loss methods.
//! - [`exergy`]: stream, fuel and heat exergy; second-law efficiency.
//! - [`chp`], [`dryer`], [`kiln`]: CHP (PES by Directive 2012/27/EU),
//!   convective dryers (ASHRAE psychrometrics, [`psychrometrics`]) and
//!   cement/lime kilns; [`process::analyze_process`] runs any process model.
//! - [`radiation_estimate`]: the ABMA radiation-loss estimate of a boiler.

pub mod boiler;
pub mod chp;
pub mod combustion;
pub mod dryer;
pub mod error;
pub mod exergy;
pub mod fuels;
pub mod heat_transfer;
pub mod if97;
pub mod kiln;
pub mod power;
pub mod process;
pub mod psychrometrics;
pub mod radiation_estimate;
pub mod units;

pub use error::ThermoError;

/// Helpers shared by the unit tests of this crate.
#[cfg(test)]
pub(crate) mod test_support {
    /// Asserts `actual` is within `rel` (relative) of the published `expected`.
    pub fn assert_rel(actual: f64, expected: f64, rel: f64, what: &str) {
        let err = ((actual - expected) / expected).abs();
        assert!(
            err <= rel,
            "{what}: got {actual}, expected {expected} (rel err {err:e} > {rel:e})"
        );
    }
}
