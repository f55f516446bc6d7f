//! The one error type of `thermaliq-analytics`.

use thiserror::Error;

/// Every way an analysis can refuse its input. Each variant names the field
/// and the rule it broke, so the server can turn it into a 422 with details.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum AnalyticsError {
    /// Too few observations for the requested analysis.
    #[error("{field}: {got} points given, at least {needed} needed ({rule})")]
    TooFewPoints {
        field: String,
        got: usize,
        needed: usize,
        rule: &'static str,
    },
    /// A value that is NaN, infinite or outside its domain.
    #[error("{field} = {value} is invalid: {rule}")]
    InvalidValue {
        field: String,
        value: f64,
        rule: &'static str,
    },
    /// Columns or series whose lengths do not agree, or names that repeat.
    #[error("{field}: {problem}")]
    Shape { field: String, problem: String },
    /// The regression matrix is singular: a variable is constant or a linear
    /// combination of the others.
    #[error("model {model}: the variables are collinear or constant (X'X is singular)")]
    Singular { model: String },
    /// A named model, variable or row that does not exist.
    #[error("{field}: '{name}' not found")]
    NotFound { field: String, name: String },
    /// A function under analysis (the engine) refused an input.
    #[error("{field}: the model function failed: {reason}")]
    Model { field: String, reason: String },
}

impl AnalyticsError {
    pub(crate) fn invalid(field: impl Into<String>, value: f64, rule: &'static str) -> Self {
        Self::InvalidValue {
            field: field.into(),
            value,
            rule,
        }
    }
}

/// Checks that `value` is finite.
pub(crate) fn finite(field: impl Into<String>, value: f64) -> Result<f64, AnalyticsError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(AnalyticsError::invalid(
            field,
            value,
            "must be a finite number",
        ))
    }
}
