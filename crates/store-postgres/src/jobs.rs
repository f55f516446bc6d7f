//! The durable job queue: claims with `FOR UPDATE SKIP LOCKED`, leases on the
//! server's clock.

use std::time::Duration;

use sqlx::postgres::PgRow;
use sqlx::{Connection, Postgres, Row};
use thermaliq_store::{
    JobRecord, JobStatus, NewJob, PURGE_BATCH, StoreError, capped_delay, decode_column, new_job_id,
    truncate_to_micros,
};
use time::OffsetDateTime;

use crate::PostgresStore;
use crate::errors::corrupt;
use crate::retry::{commit, with_retry};

/// A duration as microseconds for `$n * interval '1 microsecond'`, capped at
/// about 30 years so `now() + ...` stays a valid time stamp.
fn micros(d: Duration) -> i64 {
    let d = capped_delay(d);
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

fn job_from_row(row: &PgRow) -> Result<JobRecord, StoreError> {
    fn get<'r, T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>>(
        row: &'r PgRow,
        col: &str,
    ) -> Result<T, StoreError> {
        row.try_get(col).map_err(corrupt)
    }
    let count = |col: &str| get::<i32>(row, col).and_then(|n| u32::try_from(n).map_err(corrupt));
    let status: String = get(row, "status")?;
    Ok(JobRecord {
        job_id: get(row, "job_id")?,
        kind: get(row, "kind")?,
        payload: get(row, "payload")?,
        dedupe_key: get(row, "dedupe_key")?,
        status: decode_column("status", &status)?,
        attempts: count("attempts")?,
        max_attempts: count("max_attempts")?,
        run_after: get(row, "run_after")?,
        lease_owner: get(row, "lease_owner")?,
        lease_expires_at: get(row, "lease_expires_at")?,
        result: get(row, "result")?,
        last_error: get(row, "last_error")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

pub(crate) async fn enqueue_job(
    store: &PostgresStore,
    job: &NewJob,
) -> Result<JobRecord, StoreError> {
    // The id is chosen once: a retry after a lost connection finds the
    // row its first attempt may have committed, instead of a second job.
    let job_id = new_job_id();
    let row = with_retry!(store, |conn| async {
        let inserted = sqlx::query(
            "INSERT INTO jobs (job_id, kind, payload, dedupe_key, status, attempts, \
             max_attempts, run_after, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, now(), now()) \
             ON CONFLICT DO NOTHING RETURNING *",
        )
        .bind(&job_id)
        .bind(&job.kind)
        .bind(&job.payload)
        .bind(&job.dedupe_key)
        .bind(i64::from(job.max_attempts))
        .bind(truncate_to_micros(job.run_after))
        .fetch_optional(&mut *conn)
        .await?;
        if inserted.is_some() {
            return Ok(inserted);
        }
        Ok(sqlx::query(
            "SELECT * FROM jobs WHERE job_id = $1 OR dedupe_key = $2 \
             ORDER BY job_id = $1 DESC LIMIT 1",
        )
        .bind(&job_id)
        .bind(&job.dedupe_key)
        .fetch_optional(&mut *conn)
        .await?)
    })?;
    let row = row.ok_or_else(|| {
        StoreError::Backend("enqueue found neither its job nor the deduplicated one".into())
    })?;
    job_from_row(&row)
}

pub(crate) async fn claim_jobs(
    store: &PostgresStore,
    worker_id: &str,
    lease: Duration,
    limit: u32,
) -> Result<Vec<JobRecord>, StoreError> {
    let rows = with_retry!(store, |conn| async {
        let mut tx = conn.begin().await?;
        sqlx::query(
            "UPDATE jobs SET status = 'dead', lease_expires_at = NULL, updated_at = now(), \
             last_error = 'lease of ' || lease_owner || ' expired on attempt ' || attempts \
                          || ' of ' || max_attempts \
             WHERE job_id IN (SELECT job_id FROM jobs WHERE status = 'running' \
                 AND lease_expires_at <= now() AND attempts >= max_attempts \
                 FOR UPDATE SKIP LOCKED)",
        )
        .execute(&mut *tx)
        .await?;
        let rows = sqlx::query(
            "WITH candidates AS ( \
                 SELECT job_id FROM jobs \
                 WHERE (status = 'queued' AND run_after <= now()) \
                    OR (status = 'running' AND lease_expires_at <= now()) \
                 ORDER BY run_after, job_id \
                 LIMIT $3 \
                 FOR UPDATE SKIP LOCKED) \
             UPDATE jobs SET status = 'running', lease_owner = $1, \
                 lease_expires_at = now() + $2 * interval '1 microsecond', \
                 attempts = jobs.attempts + 1, updated_at = now() \
             FROM candidates WHERE jobs.job_id = candidates.job_id \
             RETURNING jobs.*",
        )
        .bind(worker_id)
        .bind(micros(lease))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        commit(tx).await?;
        Ok(rows)
    })?;
    let mut jobs = rows
        .iter()
        .map(job_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    jobs.sort_by(|a, b| (a.run_after, &a.job_id).cmp(&(b.run_after, &b.job_id)));
    Ok(jobs)
}

pub(crate) async fn heartbeat_job(
    store: &PostgresStore,
    job_id: &str,
    worker_id: &str,
    lease: Duration,
) -> Result<bool, StoreError> {
    // Idempotent: safe to retry after a lost connection.
    let n = with_retry!(store, |conn| async {
        Ok(sqlx::query(
            "UPDATE jobs SET lease_expires_at = now() + $3 * interval '1 microsecond', \
             updated_at = now() \
             WHERE job_id = $1 AND status = 'running' AND lease_owner = $2",
        )
        .bind(job_id)
        .bind(worker_id)
        .bind(micros(lease))
        .execute(&mut *conn)
        .await?
        .rows_affected())
    })?;
    Ok(n == 1)
}

pub(crate) async fn complete_job(
    store: &PostgresStore,
    job_id: &str,
    worker_id: &str,
    result: &str,
) -> Result<bool, StoreError> {
    with_retry!(store, |conn| async {
        let mut tx = conn.begin().await?;
        let updated = sqlx::query(
            "UPDATE jobs SET status = 'done', result = $3, lease_expires_at = NULL, \
             updated_at = now() \
             WHERE job_id = $1 AND status = 'running' AND lease_owner = $2",
        )
        .bind(job_id)
        .bind(worker_id)
        .bind(result)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let ok = if updated == 1 {
            true
        } else {
            // Repeated completion by the owner (e.g. after a lost COMMIT).
            sqlx::query_scalar::<_, bool>(
                "SELECT EXISTS (SELECT 1 FROM jobs WHERE job_id = $1 AND status = 'done' \
                 AND lease_owner = $2 AND result = $3)",
            )
            .bind(job_id)
            .bind(worker_id)
            .bind(result)
            .fetch_one(&mut *tx)
            .await?
        };
        commit(tx).await?;
        Ok(ok)
    })
}

pub(crate) async fn fail_job(
    store: &PostgresStore,
    job_id: &str,
    worker_id: &str,
    error: &str,
    retry_in: Duration,
) -> Result<Option<JobRecord>, StoreError> {
    let row = with_retry!(store, |conn| async {
        let mut tx = conn.begin().await?;
        let row = sqlx::query(
            "UPDATE jobs SET last_error = $3, lease_expires_at = NULL, updated_at = now(), \
             status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END, \
             lease_owner = CASE WHEN attempts >= max_attempts THEN lease_owner END, \
             run_after = CASE WHEN attempts >= max_attempts THEN run_after \
                 ELSE now() + $4 * interval '1 microsecond' END \
             WHERE job_id = $1 AND status = 'running' AND lease_owner = $2 \
             RETURNING *",
        )
        .bind(job_id)
        .bind(worker_id)
        .bind(error)
        .bind(micros(retry_in))
        .fetch_optional(&mut *tx)
        .await?;
        commit(tx).await?;
        Ok(row)
    })?;
    row.as_ref().map(job_from_row).transpose()
}

pub(crate) async fn get_job(
    store: &PostgresStore,
    job_id: &str,
) -> Result<Option<JobRecord>, StoreError> {
    let row = with_retry!(store, |conn| async {
        Ok(sqlx::query("SELECT * FROM jobs WHERE job_id = $1")
            .bind(job_id)
            .fetch_optional(&mut *conn)
            .await?)
    })?;
    row.as_ref().map(job_from_row).transpose()
}

pub(crate) async fn queue_depth(store: &PostgresStore) -> Result<u64, StoreError> {
    let n: i64 = with_retry!(store, |conn| async {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')")
                .fetch_one(&mut *conn)
                .await?,
        )
    })?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(crate) async fn list_jobs(
    store: &PostgresStore,
    status: Option<JobStatus>,
    limit: u32,
) -> Result<Vec<JobRecord>, StoreError> {
    let rows = with_retry!(store, |conn| async {
        Ok(sqlx::query(
            "SELECT * FROM jobs WHERE ($1::text IS NULL OR status = $1) \
             ORDER BY created_at DESC, job_id DESC LIMIT $2",
        )
        .bind(status.map(JobStatus::as_str))
        .bind(i64::from(limit))
        .fetch_all(&mut *conn)
        .await?)
    })?;
    rows.iter().map(job_from_row).collect()
}

pub(crate) async fn purge_finished_jobs_before(
    store: &PostgresStore,
    before: OffsetDateTime,
) -> Result<u64, StoreError> {
    let before = truncate_to_micros(before);
    let mut deleted = 0;
    loop {
        // Autocommit batches; a retry after a lost connection deletes
        // whatever is left, so it cannot delete anything twice.
        let n = with_retry!(store, |conn| async {
            Ok(sqlx::query(
                "DELETE FROM jobs WHERE job_id IN (SELECT job_id FROM jobs \
                 WHERE status IN ('done', 'dead') AND updated_at < $1 LIMIT $2 \
                 FOR UPDATE SKIP LOCKED)",
            )
            .bind(before)
            .bind(i64::from(PURGE_BATCH))
            .execute(&mut *conn)
            .await?
            .rows_affected())
        })?;
        deleted += n;
        if n < u64::from(PURGE_BATCH) {
            return Ok(deleted);
        }
    }
}
