//! The service layer: ThermalIQ's use cases, one module each, over the
//! store, the cache and the pure engine. Routes, the job worker and the CLI
//! call these functions; they return [`ServiceError`], never an HTTP type.
//!
//! - [`calculate`]: calculate (inline, process, from stored readings), batches
//! - [`lifecycle`]: recalculate, invalidate, verify
//! - [`jobs`]: queued work (async calculations, range recalculation, schedules)
//! - [`readings`]: periods from stored meter readings, readings ingest
//! - [`report`]: calculation and facility reports (HTML, PDF)
//! - [`sankey`]: flow graphs of stored calculations and their rendering
//! - [`analytics`]: benchmarks, efficiency trends, energy baselines, uncertainty
//! - [`commit`]: the group-commit writer every stored calculation goes through
//! - [`tokens`]: API tokens (create, list, revoke; audited)
//! - [`sources`]: the seam for pulling a period from an external system ([`sources::PeriodSource`])
//! - [`meters`]: energy meters on the vendor's API (a period source) and their connectivity check
//! - [`report_benchmark`]: reports with their benchmark section
//! - [`views`]: cached calculation views, checked against the change marker

pub mod analytics;
pub mod calculate;
pub mod commit;
pub mod error;
pub mod jobs;
pub mod lifecycle;
pub mod meters;
pub mod readings;
pub mod report;
pub mod report_benchmark;
pub mod sankey;
pub mod sources;
pub mod tokens;
pub mod views;

pub use error::ServiceError;

/// The cache key of a calculation's view (`calculation:*`, runbook scenario 6).
pub fn calculation_cache_key(calculation_id: &str) -> String {
    format!("calculation:{calculation_id}")
}
