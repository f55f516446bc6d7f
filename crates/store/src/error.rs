//! The crate's one error type, and parsing the texts of its enums.

use std::str::FromStr;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The database cannot be reached or did not answer in time.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A row with this key exists already.
    #[error("duplicate key: {0}")]
    Duplicate(String),
    /// The database answered with an error the caller cannot fix.
    #[error("database error: {0}")]
    Backend(String),
    /// A stored value could not be read back.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// A stored value that could not be read back.
    pub fn corrupt(e: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

/// A text that names none of an enum's values (`FromStr` of the store's
/// enums: [`crate::CalculationStatus`], [`crate::JobStatus`], [`crate::Scope`],
/// [`crate::ReadingQuality`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown {what} '{value}': expected one of {expected}")]
pub struct ParseEnumError {
    /// What was parsed, e.g. `calculation status`.
    pub what: &'static str,
    /// The text given (at most 64 characters of it).
    pub value: String,
    /// The accepted texts, comma-separated.
    pub expected: String,
}

pub(crate) fn parse_enum<T: Copy>(
    what: &'static str,
    text: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<T, ParseEnumError> {
    all.iter()
        .copied()
        .find(|v| name(*v) == text)
        .ok_or_else(|| ParseEnumError {
            what,
            value: text.chars().take(64).collect(),
            expected: all.iter().map(|v| name(*v)).collect::<Vec<_>>().join(", "),
        })
}

/// Reads a stored enum column back: a text no value has is `Corrupt`.
pub fn decode_column<T: FromStr<Err = ParseEnumError>>(
    column: &str,
    text: &str,
) -> Result<T, StoreError> {
    text.parse()
        .map_err(|e: ParseEnumError| StoreError::Corrupt(format!("column {column}: {e}")))
}
