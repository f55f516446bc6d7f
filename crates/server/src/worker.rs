//! The job worker every replica runs: it claims queued jobs from the store
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL), heartbeats their leases while it
//! works, and completes or fails them. A replica that dies mid-job stops
//! heartbeating; once the lease expires another replica claims the job, and
//! because each job's effect is keyed by the job (its calculation id derives
//! from the job id, its batch items by dedupe key) the re-run stores nothing
//! twice: every job takes effect exactly once.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use thermaliq_store::{
    AuditEntry, CalculationQuery, CalculationStatus, Invalidation, JobRecord, NewJob, StoreError,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::ApiError;
use crate::routes::calculations::run_calculation;
use crate::state::AppState;

/// Job kinds.
pub const CALCULATE: &str = "calculate";
pub const RECALCULATE: &str = "recalculate";
pub const RECALCULATE_RANGE: &str = "recalculate_range";
pub const SCHEDULED_CALCULATION: &str = "scheduled_calculation";

/// How long an idle worker waits before looking for jobs again.
const IDLE_POLL: Duration = Duration::from_millis(200);
/// Idempotency keys are kept this long (a client retries within it).
const IDEMPOTENCY_RETENTION: time::Duration = time::Duration::hours(24);

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

/// Starts the worker loop; it stops claiming when `stop` turns true and
/// returns once its jobs in hand are finished.
pub fn spawn(state: AppState, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    let worker_id = format!(
        "{}-{}-{}",
        std::env::var("HOSTNAME").unwrap_or_else(|_| "thermaliq".to_owned()),
        std::process::id(),
        ulid::Ulid::new()
    );
    tokio::spawn(async move {
        tracing::info!(
            component = "JobWorker",
            worker_id = worker_id.as_str(),
            "Job worker started"
        );
        let mut last_housekeeping: Option<std::time::Instant> = None;
        let mut backoff = IDLE_POLL;
        while !*stop.borrow() {
            if last_housekeeping
                .is_none_or(|t| t.elapsed() >= state.settings.readings.scheduler_interval)
            {
                housekeeping(&state).await;
                last_housekeeping = Some(std::time::Instant::now());
            }
            let lease = state.settings.job_lease_timeout;
            let claimed = state
                .store
                .claim_jobs(&worker_id, lease, state.settings.worker_concurrency)
                .await;
            let jobs = match claimed {
                Ok(jobs) => {
                    backoff = IDLE_POLL;
                    jobs
                }
                Err(err) => {
                    tracing::warn!(component = "JobWorker", error_type = "DatabaseError", error_message = %err, "Cannot claim jobs");
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    Vec::new()
                }
            };
            if jobs.is_empty() {
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
            let running: Vec<_> = jobs
                .into_iter()
                .map(|job| {
                    let state = state.clone();
                    let worker_id = worker_id.clone();
                    tokio::spawn(async move { run_one(&state, &worker_id, job).await })
                })
                .collect();
            for task in running {
                let _ = task.await;
            }
        }
        tracing::info!(
            component = "JobWorker",
            worker_id = worker_id.as_str(),
            "Job worker stopped"
        );
    })
}

async fn housekeeping(state: &AppState) {
    let now = OffsetDateTime::now_utc();
    let _ = state
        .store
        .purge_idempotency_before(now - IDEMPOTENCY_RETENTION)
        .await;
    // An in-progress key older than any request can run belongs to a replica that died.
    let stale = now
        - time::Duration::seconds_f64(
            state.settings.calculation_timeout.as_secs_f64() * 4.0 + 60.0,
        );
    let _ = state.store.release_stale_idempotency_keys(stale).await;
    let retention = state.settings.readings.retention_days;
    if retention > 0 {
        match state
            .store
            .delete_readings_before(now - time::Duration::days(i64::from(retention)))
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(component = "Retention", deleted = n, "Old readings deleted"),
            Err(err) => {
                tracing::warn!(component = "Retention", error_message = %err, "Retention failed")
            }
        }
    }
    match schedule_due_periods(state, now).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            component = "Scheduler",
            enqueued = n,
            "Scheduled periods queued"
        ),
        Err(err) => {
            tracing::warn!(component = "Scheduler", error_message = %err, "Scheduling failed")
        }
    }
}

/// Monitor mode: one job per closed period of every scheduled facility,
/// within `SCHEDULE_CATCHUP_DAYS` (so downtime is caught up). The dedupe key
/// makes each (facility, period, engine version) run once, across replicas.
async fn schedule_due_periods(state: &AppState, now: OffsetDateTime) -> Result<u64, StoreError> {
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
            for period in periods {
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
        }
        match page.last() {
            Some(last) if page.len() == 200 => after = Some(last.facility_id.clone()),
            _ => break,
        }
    }
    Ok(enqueued)
}

/// Why a job did not complete.
enum JobError {
    /// Worth retrying (store unavailable, timeout).
    Transient(String),
}

async fn run_one(state: &AppState, worker_id: &str, job: JobRecord) {
    let lease = state.settings.job_lease_timeout;
    let heartbeat = async {
        let mut tick = tokio::time::interval(lease / 3);
        tick.tick().await;
        loop {
            tick.tick().await;
            match state
                .store
                .heartbeat_job(&job.job_id, worker_id, lease)
                .await
            {
                Ok(true) => {}
                // Lost the lease (another replica took over): stop caring.
                Ok(false) => break,
                Err(_) => {}
            }
        }
    };
    let outcome = tokio::select! {
        outcome = execute(state, &job) => outcome,
        () = heartbeat => Err(JobError::Transient("lease lost while running".to_owned())),
    };
    match outcome {
        Ok(result) => {
            let completed = state
                .store
                .complete_job(&job.job_id, worker_id, &result.to_string())
                .await;
            tracing::info!(
                component = "JobWorker",
                job_id = job.job_id.as_str(),
                kind = job.kind.as_str(),
                attempts = job.attempts,
                completed = completed.unwrap_or(false),
                "Job finished"
            );
        }
        Err(JobError::Transient(reason)) => {
            let retry_in = Duration::from_secs(2u64.saturating_pow(job.attempts.min(6)));
            let failed = state
                .store
                .fail_job(&job.job_id, worker_id, &reason, retry_in)
                .await;
            let dead = matches!(&failed, Ok(Some(j)) if j.status.as_str() == "dead");
            tracing::warn!(
                component = "JobWorker",
                job_id = job.job_id.as_str(),
                kind = job.kind.as_str(),
                attempts = job.attempts,
                error_message = reason.as_str(),
                dead_lettered = dead,
                "Job failed"
            );
        }
    }
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
    outcome: Result<thermaliq_store::CalculationRecord, ApiError>,
) -> Result<Value, JobError> {
    match outcome {
        Ok(record) => Ok(json!({
            "calculation_id": record.calculation_id,
            "status": record.status,
            "efficiency": record.efficiency,
        })),
        Err(ApiError::Calculation {
            calculation_id,
            details,
            ..
        }) => Ok(json!({"calculation_id": calculation_id, "status": "failed", "details": details})),
        Err(err @ (ApiError::Database(_) | ApiError::Timeout(_) | ApiError::Internal(_))) => Err(
            JobError::Transient(format!("{}: {:?}", err.error_type(), err)),
        ),
        Err(ApiError::Validation { details, .. }) => Ok(
            json!({"status": "rejected", "error": {"type": "ValidationError", "details": details}}),
        ),
        Err(other) => Ok(json!({"status": "rejected", "error": {"type": other.error_type()}})),
    }
}

async fn execute(state: &AppState, job: &JobRecord) -> Result<Value, JobError> {
    let fixed_id = calculation_id_for_job(&job.job_id);
    match job.kind.as_str() {
        CALCULATE | SCHEDULED_CALCULATION => {
            let payload: CalculatePayload = parse(&job.payload)?;
            calculation_result(
                run_calculation(state, payload.body.as_bytes(), None, Some(fixed_id)).await,
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
                run_calculation(
                    state,
                    original.request.as_bytes(),
                    Some(original.calculation_id),
                    Some(fixed_id),
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
            for id in &ids {
                state
                    .cache
                    .delete(&crate::routes::calculations::cache_key(id))
                    .await;
            }
            // A re-run finds them already invalid: take the invalid ones of the range then.
            if ids.is_empty() {
                ids = list_range(state, &p, from, to, Some(CalculationStatus::Invalid)).await?;
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
    status: Option<CalculationStatus>,
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
