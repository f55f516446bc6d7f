//! Jobs: work that outlives a request. The kinds, how they are queued, and
//! what each does when a worker runs it. Each job's effect is keyed by the
//! job (its calculation id derives from the job id, its batch items by
//! dedupe key), so a re-run after a replica died stores nothing twice.

use serde::Deserialize;
use serde_json::{Value, json};
use thermaliq_store::{AuditEntry, CalculationQuery, Invalidation, JobRecord, NewJob, StoreError};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::ServiceError;
use super::calculate::{Origin, calculate};
use crate::state::AppState;

/// Job kinds.
pub const CALCULATE: &str = "calculate";
pub const RECALCULATE: &str = "recalculate";
pub const RECALCULATE_RANGE: &str = "recalculate_range";
pub const SCHEDULED_CALCULATION: &str = "scheduled_calculation";

/// The calculation id a job's calculation gets: the job's ULID, so a re-run finds it.
pub fn calculation_id_for_job(job_id: &str) -> String {
    format!("CALC-{}", job_id.trim_start_matches("JOB-"))
}

/// Enqueues a job with the configured number of tries.
pub async fn enqueue(
    state: &AppState,
    kind: &str,
    payload: Value,
    dedupe_key: Option<String>,
) -> Result<JobRecord, StoreError> {
    state
        .store
        .enqueue_job(&NewJob {
            kind: kind.to_owned(),
            payload: payload.to_string(),
            dedupe_key,
            max_attempts: state.settings.job_max_attempts,
            run_after: OffsetDateTime::now_utc(),
        })
        .await
}

/// Why a job did not complete.
pub enum JobError {
    /// Worth retrying (store unavailable, timeout).
    Transient(String),
}

#[derive(Deserialize)]
struct CalculatePayload {
    body: String,
}

#[derive(Deserialize)]
struct RecalculatePayload {
    original_calculation_id: String,
}

#[derive(Deserialize)]
pub struct RangePayload {
    pub facility_id: Option<String>,
    pub from: String,
    pub to: String,
    pub invalidate_reason: Option<String>,
    pub requested_by: String,
}

/// A calculation outcome as a job result: done jobs carry the calculation id
/// (also of a strict-mode failure, which is stored); client errors are final.
fn calculation_result(
    outcome: Result<thermaliq_store::CalculationRecord, ServiceError>,
) -> Result<Value, JobError> {
    match outcome {
        Ok(record) => Ok(json!({
            "calculation_id": record.calculation_id,
            "status": record.status,
            "efficiency": record.efficiency,
        })),
        Err(ServiceError::CalculationFailed {
            calculation_id,
            details,
            ..
        }) => Ok(json!({"calculation_id": calculation_id, "status": "failed", "details": details})),
        Err(err) if err.is_transient() => {
            Err(JobError::Transient(format!("{}: {err}", err.error_type())))
        }
        Err(ServiceError::Invalid(details) | ServiceError::Unprocessable(details)) => Ok(
            json!({"status": "rejected", "error": {"type": "ValidationError", "details": details}}),
        ),
        Err(other) => Ok(json!({"status": "rejected", "error": {"type": other.error_type()}})),
    }
}

/// Runs one claimed job.
pub async fn execute(state: &AppState, job: &JobRecord) -> Result<Value, JobError> {
    let fixed_id = calculation_id_for_job(&job.job_id);
    match job.kind.as_str() {
        CALCULATE | SCHEDULED_CALCULATION => {
            let payload: CalculatePayload = parse(&job.payload)?;
            calculation_result(
                calculate(
                    state,
                    payload.body.as_bytes(),
                    Origin {
                        recalculated_from: None,
                        fixed_id: Some(fixed_id),
                    },
                )
                .await,
            )
        }
        RECALCULATE => {
            let payload: RecalculatePayload = parse(&job.payload)?;
            let original = match state
                .store
                .get_calculation(&payload.original_calculation_id)
                .await
            {
                Ok(Some(original)) => original,
                Ok(None) => {
                    return Ok(json!({"status": "rejected", "error": {"type": "NotFound"}}));
                }
                Err(err) => return Err(JobError::Transient(err.to_string())),
            };
            calculation_result(
                calculate(
                    state,
                    original.request.as_bytes(),
                    Origin {
                        recalculated_from: Some(original.calculation_id),
                        fixed_id: Some(fixed_id),
                    },
                )
                .await,
            )
        }
        RECALCULATE_RANGE => recalculate_range(state, job).await,
        other => {
            Ok(json!({"status": "rejected", "error": {"type": "UnknownJobKind", "kind": other}}))
        }
    }
}

fn parse<T: for<'de> Deserialize<'de>>(payload: &str) -> Result<T, JobError> {
    // A payload this service wrote and cannot read is a bug: retrying will not help,
    // but dead-lettering after the tries keeps it visible.
    serde_json::from_str(payload)
        .map_err(|e| JobError::Transient(format!("unreadable payload: {e}")))
}

/// The runbook's recalculate-after-fix procedure as one job: optionally mark
/// the range invalid, then enqueue one recalculation per calculation. Dedupe
/// keys make a re-run of this job enqueue nothing twice.
async fn recalculate_range(state: &AppState, job: &JobRecord) -> Result<Value, JobError> {
    let p: RangePayload = parse(&job.payload)?;
    let instant = |t: &str| {
        OffsetDateTime::parse(t, &Rfc3339).map_err(|e| JobError::Transient(e.to_string()))
    };
    let (from, to) = (instant(&p.from)?, instant(&p.to)?);
    let transient = |e: StoreError| JobError::Transient(e.to_string());
    let ids: Vec<String> = match &p.invalidate_reason {
        Some(reason) => {
            let audit = AuditEntry {
                occurred_at: OffsetDateTime::now_utc(),
                actor: p.requested_by.clone(),
                action: "calculations.invalidate".to_owned(),
                subject: p.facility_id.clone().unwrap_or_else(|| "*".to_owned()),
                detail: json!({"from": p.from, "to": p.to, "reason": reason, "job_id": job.job_id})
                    .to_string(),
            };
            let invalidation = Invalidation {
                facility_id: p.facility_id.clone(),
                created_from: from,
                created_to: to,
                reason: reason.clone(),
            };
            let mut ids = state
                .store
                .invalidate_calculations(&invalidation, &audit)
                .await
                .map_err(transient)?;
            state.change_marker.forget();
            for id in &ids {
                state.cache.delete(&super::calculation_cache_key(id)).await;
            }
            // A re-run finds them already invalid: take the invalid ones of the range then.
            // Only a re-run of this job (a replica died after invalidating) takes
            // the range's invalid ones; a first run that invalidated nothing
            // queues nothing.
            if ids.is_empty() && job.attempts > 1 {
                ids = list_range(
                    state,
                    &p,
                    from,
                    to,
                    Some(thermaliq_store::CalculationStatus::Invalid),
                )
                .await?;
            }
            ids
        }
        None => list_range(state, &p, from, to, None).await?,
    };
    let mut enqueued = 0u64;
    for id in &ids {
        let dedupe = format!("{}:{}", job.job_id, id);
        let payload = json!({"original_calculation_id": id});
        enqueue(state, RECALCULATE, payload, Some(dedupe))
            .await
            .map_err(transient)?;
        enqueued += 1;
    }
    Ok(json!({"status": "enqueued", "recalculations": enqueued}))
}

async fn list_range(
    state: &AppState,
    p: &RangePayload,
    from: OffsetDateTime,
    to: OffsetDateTime,
    status: Option<thermaliq_store::CalculationStatus>,
) -> Result<Vec<String>, JobError> {
    let mut ids = Vec::new();
    let mut query = CalculationQuery {
        facility_id: p.facility_id.clone(),
        status,
        created_from: Some(from),
        created_to: Some(to),
        before_id: None,
        limit: 1000,
    };
    loop {
        let page = state
            .store
            .list_calculations(&query)
            .await
            .map_err(|e| JobError::Transient(e.to_string()))?;
        let Some(last) = page.last() else { break };
        query.before_id = Some(last.calculation_id.clone());
        ids.extend(page.into_iter().map(|r| r.calculation_id));
    }
    Ok(ids)
}

/// Monitor mode: one job per closed period of every scheduled facility,
/// within `SCHEDULE_CATCHUP_DAYS` (so downtime is caught up). The dedupe key
/// makes each (facility, period, engine version) run once, across replicas.
pub async fn schedule_due_periods(
    state: &AppState,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    let from = now - time::Duration::days(i64::from(state.settings.readings.schedule_catchup_days));
    let mut after: Option<String> = None;
    let mut enqueued = 0u64;
    loop {
        let page = state.store.list_facilities(200, after.as_deref()).await?;
        for facility in &page {
            if facility.schedule == "none" || facility.schedule.is_empty() {
                continue;
            }
            let periods = thermaliq_core::readings::parse_facility(facility.document.as_bytes())
                .and_then(|f| {
                    thermaliq_core::readings::closed_periods(&f.time_zone, f.schedule, from, now)
                });
            let periods = match periods {
                Ok(periods) => periods,
                Err(err) => {
                    tracing::warn!(
                        component = "Scheduler",
                        facility_id = facility.facility_id.as_str(),
                        error_message = %err,
                        "Facility schedule skipped"
                    );
                    continue;
                }
            };
            // Remembered across passes and replicas: only periods after the last
            // one queued are queued (a pass no longer re-enqueues the whole
            // catch-up window, one round trip per period, every interval).
            let mark = state.store.schedule_mark_get(&facility.facility_id).await?;
            let mut latest = None;
            for period in periods
                .into_iter()
                .filter(|p| mark.is_none_or(|m| p.end > m))
            {
                latest = Some(period.end);
                let (start, end) = (
                    period.start.format(&Rfc3339).unwrap_or_default(),
                    period.end.format(&Rfc3339).unwrap_or_default(),
                );
                let dedupe = format!(
                    "schedule:{}:{start}:{}",
                    facility.facility_id,
                    thermaliq_core::ENGINE_VERSION
                );
                let body = json!({"facility_id": facility.facility_id, "time_period": {"start": start, "end": end}});
                let job = enqueue(
                    state,
                    SCHEDULED_CALCULATION,
                    json!({"body": body.to_string()}),
                    Some(dedupe),
                )
                .await?;
                if job.attempts == 0 && job.status.as_str() == "queued" {
                    enqueued += 1;
                }
            }
            if let Some(end) = latest {
                state
                    .store
                    .schedule_mark_advance(&facility.facility_id, end)
                    .await?;
            }
        }
        match page.last() {
            Some(last) if page.len() == 200 => after = Some(last.facility_id.clone()),
            _ => break,
        }
    }
    Ok(enqueued)
}
