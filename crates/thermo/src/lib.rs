//! `thermo`: the pure physics of ThermalIQ.
//!
//! Everything here is synchronous, deterministic and free of I/O, so it can be
//! tested against published reference values and reused outside the service.
//!
//! - [`units`]: energy units and their exact conversion factors to kWh.
//! - [`if97`]: IAPWS-IF97 properties of water and steam, forward, backward and saturation.

pub mod error;
pub mod if97;
pub mod units;

pub use error::ThermoError;
