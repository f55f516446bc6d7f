//! Benchmarks: where one efficiency stands against published references
//! (`data/benchmarks.json`, every row with its source) and against this
//! installation's own fleet ([`fleet`]).
//!
//! The gap of a reference is `reference − actual` in percentage points.
//! At a fixed useful output Q a year (the facility's load), running at η
//! instead of η_ref takes Q/η − Q/η_ref more input energy a year: that is
//! the energy the gap costs (negative when the facility is better).

pub mod fleet;

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::{AnalyticsError, finite};

/// The reference table, in the repository and compiled in.
const BENCHMARKS_JSON: &str = include_str!("../../data/benchmarks.json");

/// One published reference efficiency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchmarkRow {
    pub id: String,
    /// `boiler`, `furnace`, `heat_exchanger`, `water_heater`.
    pub process_type: String,
    /// `natural_gas`, `fuel_oil`, … or `any`.
    pub fuel: String,
    pub size_min_kw: Option<f64>,
    pub size_max_kw: Option<f64>,
    /// `combustion_efficiency`, `thermal_efficiency`, `afue`, `useful_efficiency`.
    pub metric: String,
    /// `typical`, `best_practice`, `label_threshold`, `regulatory_minimum`.
    pub level: String,
    pub efficiency_pct: f64,
    /// `hhv` or `lhv`.
    pub basis: String,
    pub conditions: String,
    pub source: String,
    pub note: String,
}

#[derive(Deserialize)]
struct Table {
    rows: Vec<BenchmarkRow>,
}

/// Every reference row, parsed once.
pub fn references() -> &'static [BenchmarkRow] {
    static ROWS: OnceLock<Vec<BenchmarkRow>> = OnceLock::new();
    ROWS.get_or_init(|| {
        // The file is part of the build and checked by the crate's tests, so
        // a malformed table is a build defect, not bad input.
        serde_json::from_str::<Table>(BENCHMARKS_JSON)
            .expect("data/benchmarks.json is valid (checked by tests/benchmark.rs)")
            .rows
    })
}

/// What is benchmarked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchmarkQuery {
    pub process_type: String,
    /// `None`: rows of every fuel apply.
    pub fuel: Option<String>,
    /// Rated or mean input capacity; `None`: size limits are not checked.
    pub capacity_kw: Option<f64>,
    pub efficiency_pct: f64,
    /// Useful output a year at the facility's load, for the energy of the gap.
    pub annual_output_kwh: Option<f64>,
}

/// One reference that applies, and the gap to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceGap {
    pub reference: BenchmarkRow,
    /// reference − actual, percentage points (positive: below the reference).
    pub gap_points: f64,
    /// Q/η − Q/η_ref, kWh of input a year; `null` without a load.
    pub gap_energy_kwh_per_year: Option<f64>,
    /// False when the query gave no capacity and the row has size limits.
    pub size_checked: bool,
}

/// The rows of `rows` that apply to `query`, each with its gap, in the order
/// of the table.
pub fn compare(
    query: &BenchmarkQuery,
    rows: &[BenchmarkRow],
) -> Result<Vec<ReferenceGap>, AnalyticsError> {
    let eta = finite("efficiency_pct", query.efficiency_pct)?;
    if eta <= 0.0 || eta > 200.0 {
        return Err(AnalyticsError::invalid(
            "efficiency_pct",
            eta,
            "must be > 0 and ≤ 200 (percent)",
        ));
    }
    if let Some(q) = query.annual_output_kwh
        && (!q.is_finite() || q < 0.0)
    {
        return Err(AnalyticsError::invalid(
            "annual_output_kwh",
            q,
            "must be ≥ 0",
        ));
    }
    if let Some(c) = query.capacity_kw
        && (!c.is_finite() || c <= 0.0)
    {
        return Err(AnalyticsError::invalid("capacity_kw", c, "must be > 0"));
    }
    Ok(rows
        .iter()
        .filter(|r| r.process_type == query.process_type)
        .filter(|r| match &query.fuel {
            Some(f) => r.fuel == *f || r.fuel == "any",
            None => true,
        })
        .filter(|r| match query.capacity_kw {
            Some(c) => {
                r.size_min_kw.is_none_or(|lo| c >= lo) && r.size_max_kw.is_none_or(|hi| c < hi)
            }
            None => true,
        })
        .map(|r| ReferenceGap {
            reference: r.clone(),
            gap_points: r.efficiency_pct - eta,
            gap_energy_kwh_per_year: query
                .annual_output_kwh
                .map(|q| q * 100.0 / eta - q * 100.0 / r.efficiency_pct),
            size_checked: query.capacity_kw.is_some()
                || (r.size_min_kw.is_none() && r.size_max_kw.is_none()),
        })
        .collect())
}
