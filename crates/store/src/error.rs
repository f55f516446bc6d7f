//! The crate's one error type, and parsing the texts of its enums.

use std::str::FromStr;

use thiserror::Error;

/// What went wrong, sorted by what the caller can do about it: retry
/// later ([`StoreError::Unavailable`], the only transient variant), fix the
/// data ([`StoreError::Rejected`], [`StoreError::Duplicate`]: client
/// errors), or nothing ([`StoreError::Backend`], [`StoreError::Corrupt`]:
/// bugs or damaged data, never fixed by a retry).
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database cannot be reached, is shutting down, is out of
    /// resources, or the transaction lost a race (deadlock, serialisation
    /// failure, lock or statement timeout). Transient: retry later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A row with this key exists already.
    #[error("duplicate key: {0}")]
    Duplicate(String),
    /// The data itself is refused, the same on every backend: a text with a
    /// NUL character (PostgreSQL cannot store one), a key longer than
    /// [`crate::MAX_KEY_BYTES`], a time stamp outside years 1-9999 in UTC, a
    /// non-finite reading, a constraint (foreign key, check, not null), a
    /// value the database cannot represent. Permanent: a client error, never
    /// worth a retry. `field` names what was refused when known (e.g.
    /// `calculation_id`, `readings[3].timestamp`); `reason` never echoes the
    /// refused value.
    #[error("{}", rejected_message(.field.as_deref(), .reason))]
    Rejected {
        field: Option<String>,
        reason: String,
    },
    /// The database refused the statement for a reason that is not the
    /// data's: a bug in the store or a schema out of step (SQL error,
    /// missing table). Permanent, an internal error.
    #[error("database error: {0}")]
    Backend(String),
    /// A stored value could not be read back.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

fn rejected_message(field: Option<&str>, reason: &str) -> String {
    match field {
        Some(field) => format!("refused {field}: {reason}"),
        None => format!("refused: {reason}"),
    }
}

impl StoreError {
    /// A stored value that could not be read back.
    pub fn corrupt(e: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(e.to_string())
    }

    /// The data of `field` is refused for `reason`.
    pub fn rejected(field: impl Into<String>, reason: impl Into<String>) -> Self {
        StoreError::Rejected {
            field: Some(field.into()),
            reason: reason.into(),
        }
    }

    /// Only [`StoreError::Unavailable`] may succeed when retried unchanged.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }

    /// The refused field of a [`StoreError::Rejected`], when known.
    pub fn field(&self) -> Option<&str> {
        match self {
            StoreError::Rejected { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    /// `Rejected` with no field yet gets `field`; anything else is unchanged.
    pub fn for_field(self, field: &str) -> Self {
        match self {
            StoreError::Rejected {
                field: None,
                reason,
            } => StoreError::Rejected {
                field: Some(field.to_owned()),
                reason,
            },
            other => other,
        }
    }

    /// `Rejected` with its field put under `prefix` (`tag` becomes
    /// `readings[3].tag`); anything else is unchanged.
    pub fn under(self, prefix: &str) -> Self {
        match self {
            StoreError::Rejected { field, reason } => StoreError::Rejected {
                field: Some(match field {
                    Some(f) => format!("{prefix}.{f}"),
                    None => prefix.to_owned(),
                }),
                reason,
            },
            other => other,
        }
    }
}

/// A database's message cut to at most 300 characters: some messages quote
/// the refused value, which may be huge.
pub fn short_message(message: &str) -> String {
    const MAX: usize = 300;
    if message.chars().count() <= MAX {
        return message.to_owned();
    }
    let mut out: String = message.chars().take(MAX).collect();
    out.push('…');
    out
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
