//! The calculate use case: a request body (inline energies, a process block,
//! or a facility and period computed from stored readings) is validated,
//! evaluated, sealed and durably stored through the group commit, counted in
//! the metrics and logged as the runbook expects. Also batches of them.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

use serde_json::value::RawValue;
use thermaliq_core::provenance::{Sealed, compute_and_seal};
use thermaliq_core::request::{CalculationSource, NormalizedInput, parse_calculation_source};
use thermaliq_core::{CalculationResult, EngineSettings, FieldProblem, ResultStatus};
use thermaliq_store::{CalculationRecord, CalculationStatus, StoreError};
use time::OffsetDateTime;
use tracing::Span;

use super::ServiceError;
use crate::state::AppState;

/// Where a calculation comes from, beyond its body.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// A recalculation names the calculation it recomputes.
    pub recalculated_from: Option<String>,
    /// A queued job passes the id derived from its own, so a job re-run after
    /// a replica died mid-way finds its calculation stored instead of storing
    /// a second one.
    pub fixed_id: Option<String>,
}

/// Validates, computes and durably stores one calculation.
pub async fn calculate(
    state: &AppState,
    body: &[u8],
    origin: Origin,
) -> Result<CalculationRecord, ServiceError> {
    let started = Instant::now();
    state.metrics.calculation_requests.inc();
    let outcome = validate_compute_store(state, body, origin, started).await;
    state
        .metrics
        .calculation_duration
        .observe(started.elapsed().as_secs_f64());
    if let Err(err) = &outcome {
        state.metrics.count_error(err.error_type());
    }
    outcome
}

/// Validates a calculation request without computing it (`?async=true`
/// refuses a bad request at once, not in the queue). Counted as a request.
pub fn validate_only(state: &AppState, body: &[u8]) -> Result<(), ServiceError> {
    state.metrics.calculation_requests.inc();
    parse_calculation_source(body).map(drop).map_err(|err| {
        let err = ServiceError::from(err);
        state.metrics.count_error(err.error_type());
        err
    })
}

/// Counts a request waiting for a calculation slot (part of
/// `thermaliq_calculation_queue_depth`) until it is dropped.
struct WaiterGuard<'a>(&'a AtomicI64);

impl<'a> WaiterGuard<'a> {
    fn new(waiters: &'a AtomicI64) -> Self {
        waiters.fetch_add(1, Ordering::Relaxed);
        Self(waiters)
    }
}

impl Drop for WaiterGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Increments a gauge now and decrements it when dropped, so a calculation
/// abandoned by the timeout still leaves the gauge right.
struct GaugeGuard<'a>(&'a prometheus_client::metrics::gauge::Gauge);

impl<'a> GaugeGuard<'a> {
    fn new(gauge: &'a prometheus_client::metrics::gauge::Gauge) -> Self {
        gauge.inc();
        Self(gauge)
    }
}

impl Drop for GaugeGuard<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

fn facility_of(source: &CalculationSource) -> &str {
    match source {
        CalculationSource::Inline(v) => &v.input.facility_id,
        CalculationSource::FromReadings { facility_id, .. } => facility_id,
    }
}

fn log_unit_conversions(source: &CalculationSource) {
    if let CalculationSource::Inline(validated) = source {
        for c in &validated.unit_conversions {
            tracing::info!(
                from_unit = c.from_unit,
                to_unit = c.to_unit,
                conversion_factor = c.conversion_factor,
                "Unit conversion"
            );
        }
    }
}

/// The engine input and settings of a validated source (reading the store
/// for a period computed from meter readings).
async fn engine_input(
    state: &AppState,
    source: CalculationSource,
) -> Result<(NormalizedInput, EngineSettings), ServiceError> {
    match source {
        CalculationSource::Inline(validated) => Ok((validated.input, state.settings.engine)),
        CalculationSource::FromReadings {
            facility_id,
            time_period,
        } => super::readings::engine_input(state, &facility_id, time_period).await,
    }
}

async fn validate_compute_store(
    state: &AppState,
    body: &[u8],
    origin: Origin,
    started: Instant,
) -> Result<CalculationRecord, ServiceError> {
    let source = parse_calculation_source(body)?;
    let span = Span::current();
    span.record("facility_id", facility_of(&source));
    log_unit_conversions(&source);
    let idempotent = origin.fixed_id.is_some();
    let calculation_id = origin.fixed_id.unwrap_or_else(new_calculation_id);
    span.record("calculation_id", calculation_id.as_str());

    let settings = &state.settings;
    let work = async {
        let waiting = WaiterGuard::new(&state.slot_waiters);
        let _slot = state
            .calculation_slots
            .acquire()
            .await
            .map_err(|_| ServiceError::Internal("calculation slots closed".to_owned()))?;
        drop(waiting);
        let _running = GaugeGuard::new(&state.metrics.active_calculations);

        let (input, engine_settings) = engine_input(state, source).await?;
        let (record, result) = record_of(
            calculation_id.clone(),
            &input,
            compute_and_seal(&input, &engine_settings),
            body,
            origin.recalculated_from,
        );
        // Stored before it is acknowledged: the 201 (or 422) is only sent after this commit.
        match state.writer.store(record.clone()).await {
            Ok(()) => Ok::<_, ServiceError>((record, result)),
            Err(StoreError::Duplicate(_)) if idempotent => {
                let stored = state
                    .store
                    .get_calculation(&record.calculation_id)
                    .await?
                    .ok_or_else(|| ServiceError::Internal("duplicate id but no row".to_owned()))?;
                Ok((stored, result))
            }
            Err(err) => Err(err.into()),
        }
    };
    let (record, result) = match tokio::time::timeout(settings.calculation_timeout, work).await {
        Ok(done) => done?,
        Err(_) => {
            state.metrics.calculation_timeouts.inc();
            let duration = started.elapsed().as_secs_f64();
            tracing::error!(duration, error_type = "TimeoutError", "Calculation timeout");
            return Err(ServiceError::Timeout(format!(
                "calculation did not finish within CALCULATION_TIMEOUT ({} s)",
                settings.calculation_timeout.as_secs_f64()
            )));
        }
    };
    finish(state, record, &result, started)
}

/// Metrics, the runbook's log lines, and the strict-mode verdict of a stored calculation.
fn finish(
    state: &AppState,
    record: CalculationRecord,
    result: &CalculationResult,
    started: Instant,
) -> Result<CalculationRecord, ServiceError> {
    state.metrics.record_data_quality(
        &record.facility_id,
        result.data_quality.completeness,
        result.data_quality.score,
    );
    log_outcome(&record, result, started.elapsed().as_secs_f64());
    strict_verdict(record, result)
}

fn strict_verdict(
    record: CalculationRecord,
    result: &CalculationResult,
) -> Result<CalculationRecord, ServiceError> {
    if result.status != ResultStatus::Failed {
        return Ok(record);
    }
    let details: Vec<FieldProblem> = result
        .violations
        .iter()
        .map(|v| FieldProblem::new(v.field.clone(), v.message.clone()))
        .collect();
    let message = format!(
        "calculation failed {} strict-mode check(s) (CALCULATION_MODE=strict); stored as {} with status failed",
        details.len(),
        record.calculation_id
    );
    Err(ServiceError::CalculationFailed {
        message,
        details,
        calculation_id: Some(record.calculation_id),
    })
}

/// A new calculation id: `CALC-` and a ULID (unique across replicas, ordered by time).
pub fn new_calculation_id() -> String {
    format!("CALC-{}", ulid::Ulid::new())
}

/// The row of a sealed calculation, and the result it stores (the sealed
/// documents move into the row, they are not copied).
fn record_of(
    calculation_id: String,
    input: &NormalizedInput,
    sealed: Sealed,
    body: &[u8],
    recalculated_from: Option<String>,
) -> (CalculationRecord, CalculationResult) {
    let result = sealed.result;
    let record = CalculationRecord {
        calculation_id,
        facility_id: input.facility_id.clone(),
        period_start: input.time_period.start,
        period_end: input.time_period.end,
        // Also for a strict-mode failure: the runbook's Scenario 9 lists
        // `efficiency < 0 OR efficiency > 100`; the status says it failed.
        efficiency: result.efficiency,
        status: match result.status {
            ResultStatus::Completed => CalculationStatus::Completed,
            ResultStatus::Failed => CalculationStatus::Failed,
        },
        invalid_reason: None,
        recalculated_from,
        request: String::from_utf8_lossy(body).into_owned(),
        canonical_input: sealed.canonical_input,
        result: sealed.canonical_result,
        energy_flows: sealed.canonical_energy_flows,
        input_hash: sealed.input_hash,
        output_hash: sealed.output_hash,
        engine_version: thermaliq_core::ENGINE_VERSION.to_owned(),
        created_at: now_to_the_microsecond(),
    };
    (record, result)
}

fn log_outcome(record: &CalculationRecord, result: &CalculationResult, duration: f64) {
    let b = &result.energy_balance;
    let data_point_count = result.data_quality.data_point_count;
    // Every later line of the request (the `CalculationError` refusal of a
    // strict-mode failure included) carries the count: the runbook's
    // Scenario 5 C reads `.data_point_count` from `grep CalculationError`.
    Span::current().record("data_point_count", data_point_count);
    if result.data_quality_details.is_some() {
        // A period computed from stored readings: the runbook's Scenario 9
        // (`grep "Energy readings" | jq '{facility, input_energy, ...}'`).
        tracing::info!(
            facility_id = record.facility_id.as_str(),
            input_energy_kwh = b.total_input_kwh,
            output_energy_kwh = b.total_output_kwh,
            energy_losses_kwh = b.total_losses_kwh,
            data_point_count,
            completeness = result.data_quality.completeness,
            "Energy readings"
        );
    }
    let efficiency = result.efficiency.unwrap_or(f64::NAN);
    // `balance` / `energy_balance_percent` are absent when no losses were measured.
    tracing::info!(
        total_input = b.total_input_kwh,
        total_output = b.total_output_kwh,
        total_losses = b.total_losses_kwh,
        balance = b.closure_percent,
        "Energy balance"
    );
    tracing::info!(
        efficiency,
        status = record.status.as_str(),
        input_energy_kwh = b.total_input_kwh,
        output_energy_kwh = b.total_output_kwh,
        energy_losses_kwh = b.total_losses_kwh,
        energy_balance_percent = b.closure_percent,
        data_point_count,
        duration,
        "Efficiency calculated"
    );
}

/// The store keeps microseconds; truncating here makes the 201 body equal a later GET.
fn now_to_the_microsecond() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}

/// One item of a batch: its stored calculation or why it has none.
pub type BatchOutcome = Result<CalculationRecord, ServiceError>;

/// `POST /calculate/batch`: each item validated and computed on its own, all
/// rows stored through the group commit, outcomes in request order.
pub async fn calculate_batch(state: &AppState, items: &[Box<RawValue>]) -> Vec<BatchOutcome> {
    let started = Instant::now();
    let mut outcomes: Vec<Option<BatchOutcome>> = Vec::with_capacity(items.len());
    let mut pending: Vec<(usize, CalculationRecord, CalculationResult)> = Vec::new();
    let settings = state.settings.engine;
    for (index, item) in items.iter().enumerate() {
        state.metrics.calculation_requests.inc();
        let body = item.get().as_bytes();
        let computed = match parse_calculation_source(body) {
            Err(err) => Err(ServiceError::from(err)),
            Ok(CalculationSource::Inline(validated)) => Ok((validated.input, settings)),
            Ok(source @ CalculationSource::FromReadings { .. }) => {
                engine_input(state, source).await
            }
        };
        match computed {
            Ok((input, engine_settings)) => {
                let sealed = compute_and_seal(&input, &engine_settings);
                let (record, result) = record_of(new_calculation_id(), &input, sealed, body, None);
                pending.push((index, record, result));
                outcomes.push(None);
            }
            Err(err) => outcomes.push(Some(Err(err))),
        }
        // A large batch is CPU work: let other requests in between items.
        if index % 64 == 63 {
            tokio::task::yield_now().await;
        }
    }
    let records: Vec<CalculationRecord> = pending.iter().map(|(_, r, _)| r.clone()).collect();
    let stored = state.writer.store_all(records).await;
    for ((index, record, result), stored) in pending.into_iter().zip(stored) {
        outcomes[index] = Some(match stored {
            Ok(()) => finish(state, record, &result, started),
            Err(err) => Err(err.into()),
        });
    }
    let duration = started.elapsed().as_secs_f64();
    outcomes
        .into_iter()
        .map(|outcome| {
            let outcome = outcome.unwrap_or_else(|| {
                Err(ServiceError::Internal("batch item without outcome".into()))
            });
            state.metrics.calculation_duration.observe(duration);
            if let Err(err) = &outcome {
                state.metrics.count_error(err.error_type());
            }
            outcome
        })
        .collect()
}
