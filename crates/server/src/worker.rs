//! The job worker every replica runs: it claims queued jobs from the store
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL), heartbeats their leases while it
//! works, and completes or fails them. A replica that dies mid-job stops
//! heartbeating; once the lease expires another replica claims the job.
//! What a job does is the service layer's (`service::jobs`); this is the loop.

use std::time::Duration;

use thermaliq_store::JobRecord;
use time::OffsetDateTime;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::service::jobs::{JobError, execute, schedule_due_periods};
use crate::state::AppState;

/// How long an idle worker waits before looking for jobs again.
const IDLE_POLL: Duration = Duration::from_millis(200);
/// Idempotency keys are kept this long (a client retries within it).
const IDEMPOTENCY_RETENTION: time::Duration = time::Duration::hours(24);

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
        // A pool: a finished job frees its slot at once, so one slow job
        // never idles the others.
        let mut running = tokio::task::JoinSet::new();
        let slots = state.settings.worker_concurrency.max(1);
        while !*stop.borrow() {
            while running.try_join_next().is_some() {}
            if last_housekeeping
                .is_none_or(|t| t.elapsed() >= state.settings.readings.scheduler_interval)
            {
                housekeeping(&state).await;
                last_housekeeping = Some(std::time::Instant::now());
            }
            let free = slots.saturating_sub(u32::try_from(running.len()).unwrap_or(u32::MAX));
            if free == 0 {
                tokio::select! {
                    _ = running.join_next() => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
            let lease = state.settings.job_lease_timeout;
            let claimed = state.store.claim_jobs(&worker_id, lease, free).await;
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
                    _ = running.join_next(), if !running.is_empty() => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
            for job in jobs {
                let state = state.clone();
                let worker_id = worker_id.clone();
                running.spawn(async move { run_one(&state, &worker_id, job).await });
            }
        }
        // Jobs in hand finish; unclaimed ones stay queued for other replicas.
        while running.join_next().await.is_some() {}
        tracing::info!(
            component = "JobWorker",
            worker_id = worker_id.as_str(),
            "Job worker stopped"
        );
    })
}

async fn housekeeping(state: &AppState) {
    let now = OffsetDateTime::now_utc();
    if let Err(err) = state
        .store
        .purge_idempotency_before(now - IDEMPOTENCY_RETENTION)
        .await
    {
        tracing::warn!(component = "Housekeeping", error_type = "DatabaseError", error_message = %err, "Idempotency purge failed");
    }
    // An in-progress key older than any request can run belongs to a replica that died.
    let stale = now
        - time::Duration::seconds_f64(
            state.settings.calculation_timeout.as_secs_f64() * 4.0 + 60.0,
        );
    if let Err(err) = state.store.release_stale_idempotency_keys(stale).await {
        tracing::warn!(component = "Housekeeping", error_type = "DatabaseError", error_message = %err, "Stale idempotency keys not released");
    }
    // Finished jobs are kept JOB_RETENTION_HOURS for inspection, then deleted.
    let keep = time::Duration::seconds_f64(state.settings.job_retention.as_secs_f64());
    match state.store.purge_finished_jobs_before(now - keep).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            component = "Retention",
            deleted = n,
            "Finished jobs deleted"
        ),
        Err(err) => {
            tracing::warn!(component = "Retention", error_type = "DatabaseError", error_message = %err, "Job retention failed")
        }
    }
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
