//! Benchmarks: one efficiency against the published references that apply
//! (`analytics::benchmark`, every row with its source) and against the
//! other facilities of the same process type in this installation.

use analytics::benchmark::fleet::{FleetStatistics, fleet_statistics};
use analytics::benchmark::{BenchmarkQuery, ReferenceGap, compare, references};
use thermaliq_core::FieldProblem;
use time::OffsetDateTime;

use super::data::{StoredPoint, completed_in, stored_point};
use crate::service::{ServiceError, lifecycle};
use crate::state::AppState;

/// Hours in a Julian year, for the annual output at the facility's load.
const HOURS_PER_YEAR: f64 = 8766.0;
/// The fleet window of a calculation's benchmark: the 30 days ending with
/// its period.
const CALCULATION_FLEET_DAYS: i64 = 30;
/// Facilities read per page when looking for peers.
const FACILITY_PAGE: u32 = 1000;
/// The most facilities scanned for peers (a bound on one request's work).
const MAX_FACILITIES_SCANNED: usize = 10_000;

/// What the caller may add to what is stored.
#[derive(Debug, Clone, Default)]
pub struct BenchmarkOptions {
    /// When the calculation's facility has no stored configuration.
    pub process_type: Option<String>,
    pub fuel: Option<String>,
    /// Rated capacity; default: the mean input power of the period.
    pub capacity_kw: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct BenchmarkReport {
    pub calculation_id: Option<String>,
    pub facility_id: String,
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
    pub efficiency_pct: f64,
    pub process_type: String,
    pub fuel: Option<String>,
    pub capacity_kw: Option<f64>,
    /// `query` or `mean_input_power`.
    pub capacity_source: &'static str,
    pub annual_output_kwh: Option<f64>,
    pub references: Vec<ReferenceGap>,
    pub fleet: FleetStatistics,
    pub fleet_from: OffsetDateTime,
    pub fleet_to: OffsetDateTime,
}

/// `GET /calculations/{id}/benchmark`.
pub async fn calculation_benchmark(
    state: &AppState,
    calculation_id: &str,
    options: BenchmarkOptions,
) -> Result<BenchmarkReport, ServiceError> {
    let record = lifecycle::load(state, calculation_id).await?;
    let Some(efficiency) = record.efficiency else {
        return Err(ServiceError::Unprocessable(vec![FieldProblem::new(
            "calculation_id",
            format!(
                "{calculation_id} has no efficiency (status {})",
                record.status
            ),
        )]));
    };
    let point = stored_point(&record)?;
    let fleet_to = record.period_end;
    let fleet_from = fleet_to - time::Duration::days(CALCULATION_FLEET_DAYS);
    report(
        state,
        Some(calculation_id.to_owned()),
        &record.facility_id,
        efficiency,
        &[point],
        (record.period_start, record.period_end),
        (fleet_from, fleet_to),
        options,
    )
    .await
}

/// `GET /facilities/{id}/benchmark?from=&to=`: the facility's energy-weighted
/// efficiency over the range (Σ output / Σ input of its calculations).
pub async fn facility_benchmark(
    state: &AppState,
    facility_id: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
    options: BenchmarkOptions,
) -> Result<BenchmarkReport, ServiceError> {
    let points = completed_in(state, facility_id, from, to).await?;
    let Some(efficiency) = weighted_efficiency(&points) else {
        return Err(ServiceError::Unprocessable(vec![FieldProblem::new(
            "from",
            format!("{facility_id} has no completed calculation with input energy in the range"),
        )]));
    };
    report(
        state,
        None,
        facility_id,
        efficiency,
        &points,
        (from, to),
        (from, to),
        options,
    )
    .await
}

/// 100 · Σ output / Σ input; `None` without input.
pub fn weighted_efficiency(points: &[StoredPoint]) -> Option<f64> {
    let input: f64 = points.iter().map(|p| p.input_kwh).sum();
    let output: f64 = points.iter().map(|p| p.output_kwh).sum();
    (input > 0.0).then(|| 100.0 * output / input)
}

#[allow(clippy::too_many_arguments)]
async fn report(
    state: &AppState,
    calculation_id: Option<String>,
    facility_id: &str,
    efficiency: f64,
    points: &[StoredPoint],
    (from, to): (OffsetDateTime, OffsetDateTime),
    (fleet_from, fleet_to): (OffsetDateTime, OffsetDateTime),
    options: BenchmarkOptions,
) -> Result<BenchmarkReport, ServiceError> {
    let stored_type = state
        .store
        .get_facility(facility_id)
        .await?
        .map(|f| f.process_type);
    let process_type = match (stored_type, options.process_type) {
        (Some(t), _) => t,
        (None, Some(t)) => t,
        (None, None) => {
            return Err(ServiceError::Unprocessable(vec![FieldProblem::new(
                "process_type",
                format!(
                    "facility {facility_id} has no stored configuration: give \
                     ?process_type= (boiler, furnace, heat_exchanger, water_heater)"
                ),
            )]));
        }
    };
    let hours: f64 = points
        .iter()
        .map(|p| (p.end - p.start).as_seconds_f64() / 3600.0)
        .sum();
    let input: f64 = points.iter().map(|p| p.input_kwh).sum();
    let output: f64 = points.iter().map(|p| p.output_kwh).sum();
    let (capacity_kw, capacity_source) = match options.capacity_kw {
        Some(c) => (Some(c), "query"),
        None => (
            (hours > 0.0 && input > 0.0).then(|| input / hours),
            "mean_input_power",
        ),
    };
    let annual_output_kwh = (hours > 0.0).then(|| output / hours * HOURS_PER_YEAR);
    let query = BenchmarkQuery {
        process_type: process_type.clone(),
        fuel: options.fuel.clone(),
        capacity_kw,
        efficiency_pct: efficiency,
        annual_output_kwh,
    };
    let gaps = compare(&query, references())?;
    let peers = peer_efficiencies(state, facility_id, &process_type, fleet_from, fleet_to).await?;
    Ok(BenchmarkReport {
        calculation_id,
        facility_id: facility_id.to_owned(),
        from,
        to,
        efficiency_pct: efficiency,
        process_type,
        fuel: options.fuel,
        capacity_kw,
        capacity_source,
        annual_output_kwh,
        references: gaps,
        fleet: fleet_statistics(efficiency, &peers)?,
        fleet_from,
        fleet_to,
    })
}

/// The energy-weighted efficiency over the window of every other facility
/// of `process_type` that has calculations in it.
async fn peer_efficiencies(
    state: &AppState,
    facility_id: &str,
    process_type: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<f64>, ServiceError> {
    let mut after: Option<String> = None;
    let mut peers = Vec::new();
    let mut scanned = 0usize;
    loop {
        let page = state
            .store
            .list_facilities(FACILITY_PAGE, after.as_deref())
            .await?;
        scanned += page.len();
        if scanned > MAX_FACILITIES_SCANNED {
            return Err(ServiceError::Unprocessable(vec![FieldProblem::new(
                "fleet",
                format!("more than {MAX_FACILITIES_SCANNED} facilities to compare with"),
            )]));
        }
        for f in &page {
            if f.facility_id != facility_id && f.process_type == process_type {
                let points = completed_in(state, &f.facility_id, from, to).await?;
                if let Some(e) = weighted_efficiency(&points) {
                    peers.push(e);
                }
            }
        }
        match page.last() {
            Some(last) if page.len() == FACILITY_PAGE as usize => {
                after = Some(last.facility_id.clone())
            }
            _ => break,
        }
    }
    Ok(peers)
}
