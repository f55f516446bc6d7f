//! `thermaliq-store`: the storage contract.
//!
//! The [`Store`] trait is what the service needs from a database; each backend
//! (`thermaliq-store-sqlite` today, PostgreSQL next) implements it with the same
//! behaviour. Records are plain data: the store never interprets the JSON
//! documents it keeps, so it does not depend on the engine.

pub mod contract;

use async_trait::async_trait;
use serde::Serialize;
use thiserror::Error;
use time::OffsetDateTime;

/// A stored calculation, column for column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalculationRecord {
    pub calculation_id: String,
    pub facility_id: String,
    pub period_start: OffsetDateTime,
    pub period_end: OffsetDateTime,
    /// First-law efficiency in percent; `None` for failed calculations.
    pub efficiency: Option<f64>,
    /// `completed`, `failed` or `invalid`.
    pub status: String,
    pub invalid_reason: Option<String>,
    pub recalculated_from: Option<String>,
    /// The request as received (JSON), kept so a recalculation can start from it.
    pub request: String,
    /// Canonical JSON of the normalised input and settings (what `input_hash` covers).
    pub canonical_input: String,
    /// Canonical JSON of the engine result (what `output_hash` covers).
    pub result: String,
    /// Canonical JSON of the energy flows in kWh.
    pub energy_flows: String,
    pub input_hash: String,
    pub output_hash: String,
    pub engine_version: String,
    pub created_at: OffsetDateTime,
}

/// Filters and page of `list_calculations`. Newest first (by id, which is a
/// ULID and so ordered by creation time).
#[derive(Debug, Clone, Default)]
pub struct CalculationQuery {
    pub facility_id: Option<String>,
    pub status: Option<String>,
    /// Inclusive lower bound on `created_at`.
    pub created_from: Option<OffsetDateTime>,
    /// Exclusive upper bound on `created_at`.
    pub created_to: Option<OffsetDateTime>,
    /// Only ids strictly older than this one (the cursor of the previous page).
    pub before_id: Option<String>,
    pub limit: u32,
}

/// Which calculations an invalidation marks.
#[derive(Debug, Clone)]
pub struct Invalidation {
    pub facility_id: Option<String>,
    /// Inclusive lower bound on `created_at`.
    pub created_from: OffsetDateTime,
    /// Exclusive upper bound on `created_at`.
    pub created_to: OffsetDateTime,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
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

    pub fn parse(text: &str) -> Option<Scope> {
        match text {
            "read" => Some(Scope::Read),
            "calculate" => Some(Scope::Calculate),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }

    /// Scopes are nested: admin may calculate, calculate may read.
    pub fn allows(self, needed: Scope) -> bool {
        self >= needed
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
}

/// One line of the audit log.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub occurred_at: OffsetDateTime,
    /// Token name or `cli`.
    pub actor: String,
    pub action: String,
    pub subject: String,
    /// JSON with the details.
    pub detail: String,
}

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

/// What the service needs from storage. Every method is atomic; a method that
/// returns `Ok` has committed durably.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Cheap round trip, for readiness.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Connections checked out of the pool right now.
    fn connections_active(&self) -> u32;
    /// Flushes and closes every connection (on shutdown).
    async fn close(&self);

    async fn insert_calculation(&self, record: &CalculationRecord) -> Result<(), StoreError>;
    async fn get_calculation(
        &self,
        calculation_id: &str,
    ) -> Result<Option<CalculationRecord>, StoreError>;
    async fn list_calculations(
        &self,
        query: &CalculationQuery,
    ) -> Result<Vec<CalculationRecord>, StoreError>;
    /// Marks matching calculations `invalid` (those not already invalid) and
    /// returns their ids, oldest first; writes one audit entry.
    async fn invalidate_calculations(
        &self,
        invalidation: &Invalidation,
        audit: &AuditEntry,
    ) -> Result<Vec<String>, StoreError>;

    async fn insert_token(&self, token: &TokenRecord, audit: &AuditEntry)
    -> Result<(), StoreError>;
    async fn find_token_by_hash(&self, token_hash: &str)
    -> Result<Option<TokenRecord>, StoreError>;
    async fn count_tokens(&self) -> Result<u64, StoreError>;
}
