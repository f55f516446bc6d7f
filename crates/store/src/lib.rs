//! `thermaliq-store`: the storage contract.
//!
//! The [`Store`] trait is what the service needs from a database; each backend
//! (`thermaliq-store-sqlite`, `thermaliq-store-postgres`) implements it with the same
//! behaviour. Records are plain data: the store never interprets the JSON
//! documents it keeps, so it does not depend on the engine.
//!
//! One module per area; logic that is not SQL (checks, reductions, the
//! idempotency decision, ids, time truncation, enum texts, audit details)
//! lives here once, so both backends share it.

mod audit;
mod baselines;
mod calculations;
mod checks;
pub mod contract;
mod error;
mod facilities;
mod idempotency;
mod jobs;
mod readings;
mod store;
mod timestamps;
mod tokens;

pub use audit::AuditEntry;
pub use baselines::{BaselineRecord, check_baseline};
pub use calculations::{
    CalculationQuery, CalculationRecord, CalculationStatus, GroupResults, Invalidation,
    duplicate_calculation, invalidation_audit_detail, same_as_stored,
};
pub use checks::{
    MAX_KEY_BYTES, STORED_YEARS, check_audit, check_calculation, check_facility,
    check_invalidation, check_key, check_new_job, check_query, check_reading, check_text,
    check_time, check_token, partition_readings,
};
pub use error::{ParseEnumError, StoreError, decode_column, short_message};
pub use facilities::{FacilityRecord, facility_audit_detail};
pub use idempotency::{
    IdempotencyOutcome, KEY_DONE, KEY_IN_PROGRESS, idempotency_outcome, new_owner_nonce,
};
pub use jobs::{JobRecord, JobStatus, NewJob, PURGE_BATCH, new_job_id};
pub use readings::{
    AUDITED_CORRECTIONS, CorrectedReading, InsertSummary, NewReading, READING_YEARS,
    ReadingQuality, ReadingRecord, collapse_readings, corrections_audit_detail, validate_readings,
};
pub use store::Store;
pub use timestamps::{MAX_DELAY, capped_delay, truncate_to_micros};
pub use tokens::{Scope, TokenRecord};

#[cfg(test)]
mod tests;
