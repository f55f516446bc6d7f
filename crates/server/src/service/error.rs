//! The service layer's one error type: what went wrong in a use case, in
//! domain terms. The HTTP edge maps it to a status (`crate::error`); the
//! worker maps it to a job outcome; the CLI prints it. Causes are kept
//! (`#[source]`) for the log line, never shown to a client.

use thermaliq_core::{CoreError, FieldProblem};
use thermaliq_store::StoreError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ServiceError {
    /// The request breaks a rule; each problem names its field.
    #[error("invalid request: {}", summary(.0))]
    Invalid(Vec<FieldProblem>),
    /// The request is well formed but cannot be carried out as asked (e.g. a
    /// facility without configuration, a diagram the data cannot make).
    #[error("cannot be processed: {}", summary(.0))]
    Unprocessable(Vec<FieldProblem>),
    #[error("{0}")]
    NotFound(String),
    /// The engine refused the result (strict mode); it is stored as `failed`.
    #[error("{message}")]
    CalculationFailed {
        message: String,
        details: Vec<FieldProblem>,
        calculation_id: Option<String>,
    },
    #[error("{0}")]
    Timeout(String),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// An energy meter's readings could not be pulled from the vendor.
    #[error("energy meter {meter_id} of facility {facility_id}: {error}")]
    EnergyMeter {
        facility_id: String,
        meter_id: String,
        #[source]
        error: connectors::energy_meter::EnergyMeterError,
    },
    /// A bug or corrupt stored data.
    #[error("internal: {0}")]
    Internal(String),
}

fn summary(problems: &[FieldProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("{}: {}", p.field, p.problem))
        .collect::<Vec<_>>()
        .join("; ")
}

impl ServiceError {
    pub fn invalid(field: &str, problem: impl Into<String>) -> Self {
        ServiceError::Invalid(vec![FieldProblem::new(field, problem)])
    }

    /// The runbook's `error_type` (metrics label and log field).
    pub fn error_type(&self) -> &'static str {
        match self {
            ServiceError::Invalid(_) | ServiceError::Unprocessable(_) => "ValidationError",
            ServiceError::NotFound(_) => "NotFound",
            ServiceError::CalculationFailed { .. } => "CalculationError",
            ServiceError::Timeout(_) => "TimeoutError",
            ServiceError::Store(StoreError::Rejected { .. } | StoreError::Duplicate(_)) => {
                "ValidationError"
            }
            ServiceError::Store(StoreError::Corrupt(_) | StoreError::Backend(_))
            | ServiceError::Internal(_) => "InternalError",
            ServiceError::Store(_) => "DatabaseError",
            ServiceError::EnergyMeter { .. } => "EnergyMeterError",
        }
    }

    /// Worth retrying later (the store was unavailable, or time ran out).
    /// A refused value or an SQL error gives the same answer every time.
    pub fn is_transient(&self) -> bool {
        match self {
            ServiceError::Timeout(_) => true,
            ServiceError::Store(err) => err.is_transient(),
            ServiceError::EnergyMeter { error, .. } => error.is_unavailable(),
            _ => false,
        }
    }
}

impl From<CoreError> for ServiceError {
    fn from(err: CoreError) -> Self {
        match err {
            CoreError::Validation(details) => ServiceError::Invalid(details),
            CoreError::Corrupt { .. } => ServiceError::Internal(err.to_string()),
        }
    }
}
