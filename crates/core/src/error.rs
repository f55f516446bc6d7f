//! The one error type of `thermaliq-core`.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// One rejected field: the JSON path of the field and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    pub field: String,
    pub problem: String,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

#[derive(Debug, Error)]
pub enum CoreError {
    /// The request broke one or more input rules; every problem is listed.
    #[error("request is invalid: {}", summarise(.0))]
    Validation(Vec<FieldProblem>),
    /// A stored document could not be read back (it was edited or truncated).
    #[error("stored {what} is not readable: {reason}")]
    Corrupt { what: &'static str, reason: String },
}

fn summarise(problems: &[FieldProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("{}: {}", p.field, p.problem))
        .collect::<Vec<_>>()
        .join("; ")
}
