//! Calculation records, their status, the list query and invalidations, and
//! the per-record results of a group commit.

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{ParseEnumError, StoreError, parse_enum};
use crate::timestamps::truncate_to_micros;

/// A stored calculation, column for column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalculationRecord {
    pub calculation_id: String,
    pub facility_id: String,
    pub period_start: OffsetDateTime,
    pub period_end: OffsetDateTime,
    /// First-law efficiency in percent; `None` for failed calculations.
    pub efficiency: Option<f64>,
    pub status: CalculationStatus,
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

/// Where a stored calculation stands (the `status` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CalculationStatus {
    /// Computed; `efficiency` is set.
    Completed,
    /// Refused by the engine in strict mode; stored for the record, no efficiency.
    Failed,
    /// Marked invalid afterwards (`invalid_reason` says why).
    Invalid,
}

impl CalculationStatus {
    pub const ALL: [CalculationStatus; 3] = [
        CalculationStatus::Completed,
        CalculationStatus::Failed,
        CalculationStatus::Invalid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CalculationStatus::Completed => "completed",
            CalculationStatus::Failed => "failed",
            CalculationStatus::Invalid => "invalid",
        }
    }
}

impl std::fmt::Display for CalculationStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CalculationStatus {
    type Err = ParseEnumError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_enum("calculation status", text, &Self::ALL, |s| s.as_str())
    }
}

/// Filters and page of `list_calculations`. Newest first (by id, which is a
/// ULID and so ordered by creation time).
#[derive(Debug, Clone, Default)]
pub struct CalculationQuery {
    pub facility_id: Option<String>,
    pub status: Option<CalculationStatus>,
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

/// The per-record results of one group commit
/// ([`crate::Store::insert_calculations`]), filled in by a backend. A record
/// [`crate::check_calculation`] refuses is `Rejected` from the start, one
/// whose id an earlier record of the same group has is `Duplicate` (the
/// first one is the one stored); the others are to be inserted
/// ([`GroupResults::pending`]).
#[derive(Debug)]
pub struct GroupResults {
    results: Vec<Option<Result<(), StoreError>>>,
    pending: Vec<usize>,
}

impl GroupResults {
    pub fn new(records: &[CalculationRecord]) -> Self {
        let mut seen = std::collections::HashSet::with_capacity(records.len());
        let results: Vec<Option<Result<(), StoreError>>> = records
            .iter()
            .map(|r| {
                if let Err(e) = crate::check_calculation(r) {
                    return Some(Err(e));
                }
                (!seen.insert(r.calculation_id.as_str())).then(|| {
                    Err(StoreError::Duplicate(format!(
                        "calculation_id {} repeated in the group",
                        r.calculation_id
                    )))
                })
            })
            .collect();
        let pending = (0..records.len())
            .filter(|&i| results[i].is_none())
            .collect();
        Self { results, pending }
    }

    /// Indices of the records to insert (first of each id), in order.
    pub fn pending(&self) -> &[usize] {
        &self.pending
    }

    pub fn set(&mut self, index: usize, result: Result<(), StoreError>) {
        self.results[index] = Some(result);
    }

    /// Whether record `index` ended as `Duplicate`.
    pub fn is_duplicate(&self, index: usize) -> bool {
        matches!(self.results[index], Some(Err(StoreError::Duplicate(_))))
    }

    /// Every record's result; one never set is a `Backend` error (a backend bug).
    pub fn finish(self) -> Vec<Result<(), StoreError>> {
        self.results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| Err(StoreError::Backend("record left unattempted".into())))
            })
            .collect()
    }
}

/// The `Duplicate` error of a record whose id is stored already.
pub fn duplicate_calculation(calculation_id: &str) -> StoreError {
    StoreError::Duplicate(format!("calculation_id {calculation_id} exists"))
}

/// Whether `stored` is `record` as the store keeps it (time stamps truncated
/// to the microsecond, `efficiency` bit for bit): how a retried write knows
/// the row it finds is its own.
pub fn same_as_stored(stored: &CalculationRecord, record: &CalculationRecord) -> bool {
    let mut wanted = record.clone();
    wanted.period_start = truncate_to_micros(record.period_start);
    wanted.period_end = truncate_to_micros(record.period_end);
    wanted.created_at = truncate_to_micros(record.created_at);
    let bits = |e: Option<f64>| e.map(f64::to_bits);
    bits(stored.efficiency) == bits(wanted.efficiency)
        && CalculationRecord {
            efficiency: None,
            ..stored.clone()
        } == CalculationRecord {
            efficiency: None,
            ..wanted
        }
}

/// The `detail` of the audit entry of an invalidation: the count of rows it
/// marked and the caller's detail (JSON).
pub fn invalidation_audit_detail(count: usize, caller_detail: &str) -> String {
    format!("{{\"count\":{count},\"detail\":{caller_detail}}}")
}
