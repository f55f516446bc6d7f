//! API tokens (stored as hashes) and their scopes.

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{ParseEnumError, parse_enum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Read,
    Calculate,
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Calculate => "calculate",
            Scope::Admin => "admin",
        }
    }

    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Calculate, Scope::Admin];

    pub fn parse(text: &str) -> Option<Scope> {
        text.parse().ok()
    }

    /// Scopes are nested: admin may calculate, calculate may read.
    pub fn allows(self, needed: Scope) -> bool {
        self >= needed
    }
}

impl FromStr for Scope {
    type Err = ParseEnumError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_enum("scope", text, &Self::ALL, |s| s.as_str())
    }
}

/// An API token as stored: never the token itself, only its SHA-256.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRecord {
    pub token_id: String,
    pub name: String,
    pub scope: Scope,
    pub token_hash: String,
    pub created_at: OffsetDateTime,
    /// After this instant the token is refused (`None`: never expires).
    pub expires_at: Option<OffsetDateTime>,
    /// The last request made with it, to the minute (`None`: never used).
    pub last_used_at: Option<OffsetDateTime>,
}
