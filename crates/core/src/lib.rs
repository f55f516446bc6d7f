//! `thermaliq-core`: the efficiency engine.
//!
//! Pure and deterministic: a request body goes in, a validated
//! [`NormalizedInput`] comes out of [`request::parse_calculation_request`];
//! [`engine::evaluate`] turns it and the [`EngineSettings`] into a
//! [`CalculationResult`]; [`provenance`] hashes both so a stored calculation
//! can be re-verified years later ([`verify::verify_stored`]). No I/O, no
//! async, no clock: time stamps come in as data.

pub mod canonical;
pub mod engine;
pub mod error;
pub mod opportunities;
pub mod process;
pub(crate) mod process_models;
pub mod provenance;
pub mod readings;
pub mod request;
pub mod settings;
pub mod steam;
pub mod timestamp;
pub mod verify;

pub use engine::{CalculationResult, ResultStatus, evaluate};
pub use error::{CoreError, FieldProblem};
pub use request::{NormalizedInput, ValidatedRequest, parse_calculation_request};
pub use settings::{CalculationMode, EngineSettings};

/// The engine version written into every calculation's provenance. A change
/// in any formula must bump it, so `/verify` can tell "the code changed" from
/// "the row was edited".
pub const ENGINE_VERSION: &str = concat!("thermaliq-core/", env!("CARGO_PKG_VERSION"));
