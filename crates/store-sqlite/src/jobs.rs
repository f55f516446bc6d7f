//! The durable job queue: one writer connection makes every claim exclusive.

use std::time::Duration;

use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use thermaliq_store::{
    JobRecord, JobStatus, NewJob, PURGE_BATCH, StoreError, decode_column, new_job_id,
};
use time::OffsetDateTime;

use crate::SqliteStore;
use crate::errors::{classify, corrupt};
use crate::timestamps::{NOW, format_time, now_plus, parse_time, plus};

fn job_from_row(row: &SqliteRow) -> Result<JobRecord, StoreError> {
    let text = |col: &str| row.try_get::<String, _>(col).map_err(corrupt);
    let opt = |col: &str| row.try_get::<Option<String>, _>(col).map_err(corrupt);
    let count = |col: &str| {
        row.try_get::<i64, _>(col)
            .map_err(corrupt)
            .and_then(|n| u32::try_from(n).map_err(corrupt))
    };
    let status = text("status")?;
    Ok(JobRecord {
        job_id: text("job_id")?,
        kind: text("kind")?,
        payload: text("payload")?,
        dedupe_key: opt("dedupe_key")?,
        status: decode_column("status", &status)?,
        attempts: count("attempts")?,
        max_attempts: count("max_attempts")?,
        run_after: parse_time(&text("run_after")?)?,
        lease_owner: opt("lease_owner")?,
        lease_expires_at: opt("lease_expires_at")?
            .as_deref()
            .map(parse_time)
            .transpose()?,
        result: opt("result")?,
        last_error: opt("last_error")?,
        created_at: parse_time(&text("created_at")?)?,
        updated_at: parse_time(&text("updated_at")?)?,
    })
}

fn jobs_from_rows(rows: &[SqliteRow]) -> Result<Vec<JobRecord>, StoreError> {
    rows.iter().map(job_from_row).collect()
}

pub(crate) async fn enqueue_job(
    store: &SqliteStore,
    job: &NewJob,
) -> Result<JobRecord, StoreError> {
    let mut tx = store
        .writer
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(classify)?;
    if let Some(key) = &job.dedupe_key {
        let existing = sqlx::query("SELECT * FROM jobs WHERE dedupe_key = ?")
            .bind(key)
            .fetch_optional(&mut *tx)
            .await
            .map_err(classify)?;
        if let Some(row) = existing {
            let record = job_from_row(&row)?;
            tx.commit().await.map_err(classify)?;
            return Ok(record);
        }
    }
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO jobs (job_id, kind, payload, dedupe_key, status, attempts, max_attempts, \
         run_after, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, 'queued', 0, ?5, ?6, {NOW}, {NOW}) RETURNING *"
    )))
    .bind(new_job_id())
    .bind(&job.kind)
    .bind(&job.payload)
    .bind(&job.dedupe_key)
    .bind(i64::from(job.max_attempts))
    .bind(format_time(job.run_after))
    .fetch_one(&mut *tx)
    .await
    .map_err(classify)?;
    let record = job_from_row(&row)?;
    tx.commit().await.map_err(classify)?;
    Ok(record)
}

pub(crate) async fn claim_jobs(
    store: &SqliteStore,
    worker_id: &str,
    lease: Duration,
    limit: u32,
) -> Result<Vec<JobRecord>, StoreError> {
    // One writer connection: the transaction alone makes claims exclusive.
    let mut tx = store
        .writer
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(classify)?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE jobs SET status = 'dead', lease_expires_at = NULL, updated_at = {NOW}, \
         last_error = 'lease of ' || lease_owner || ' expired on attempt ' || attempts \
                      || ' of ' || max_attempts \
         WHERE status = 'running' AND lease_expires_at <= {NOW} AND attempts >= max_attempts"
    )))
    .execute(&mut *tx)
    .await
    .map_err(classify)?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE jobs SET status = 'running', lease_owner = ?1, \
         lease_expires_at = {lease_end}, attempts = attempts + 1, updated_at = {NOW} \
         WHERE job_id IN (SELECT job_id FROM jobs \
             WHERE (status = 'queued' AND run_after <= {NOW}) \
                OR (status = 'running' AND lease_expires_at <= {NOW}) \
             ORDER BY run_after, job_id LIMIT ?3) \
         RETURNING *",
        lease_end = now_plus!("2"),
    )))
    .bind(worker_id)
    .bind(plus(lease))
    .bind(i64::from(limit))
    .fetch_all(&mut *tx)
    .await
    .map_err(classify)?;
    let mut jobs = jobs_from_rows(&rows)?;
    tx.commit().await.map_err(classify)?;
    jobs.sort_by(|a, b| (a.run_after, &a.job_id).cmp(&(b.run_after, &b.job_id)));
    Ok(jobs)
}

pub(crate) async fn heartbeat_job(
    store: &SqliteStore,
    job_id: &str,
    worker_id: &str,
    lease: Duration,
) -> Result<bool, StoreError> {
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE jobs SET lease_expires_at = {lease_end}, updated_at = {NOW} \
         WHERE job_id = ?1 AND status = 'running' AND lease_owner = ?3",
        lease_end = now_plus!("2"),
    )))
    .bind(job_id)
    .bind(plus(lease))
    .bind(worker_id)
    .execute(&store.writer)
    .await
    .map_err(classify)?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn complete_job(
    store: &SqliteStore,
    job_id: &str,
    worker_id: &str,
    result: &str,
) -> Result<bool, StoreError> {
    let mut tx = store
        .writer
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(classify)?;
    let updated = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE jobs SET status = 'done', result = ?3, lease_expires_at = NULL, \
         updated_at = {NOW} \
         WHERE job_id = ?1 AND status = 'running' AND lease_owner = ?2"
    )))
    .bind(job_id)
    .bind(worker_id)
    .bind(result)
    .execute(&mut *tx)
    .await
    .map_err(classify)?;
    let ok = if updated.rows_affected() == 1 {
        true
    } else {
        // Repeated completion by the owner, with the same result.
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM jobs WHERE job_id = ?1 AND status = 'done' \
             AND lease_owner = ?2 AND result = ?3",
        )
        .bind(job_id)
        .bind(worker_id)
        .bind(result)
        .fetch_one(&mut *tx)
        .await
        .map_err(classify)?;
        n == 1
    };
    tx.commit().await.map_err(classify)?;
    Ok(ok)
}

pub(crate) async fn fail_job(
    store: &SqliteStore,
    job_id: &str,
    worker_id: &str,
    error: &str,
    retry_in: Duration,
) -> Result<Option<JobRecord>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE jobs SET last_error = ?3, lease_expires_at = NULL, updated_at = {NOW}, \
         status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END, \
         lease_owner = CASE WHEN attempts >= max_attempts THEN lease_owner ELSE NULL END, \
         run_after = CASE WHEN attempts >= max_attempts THEN run_after ELSE {retry_at} END \
         WHERE job_id = ?1 AND status = 'running' AND lease_owner = ?2 \
         RETURNING *",
        retry_at = now_plus!("4"),
    )))
    .bind(job_id)
    .bind(worker_id)
    .bind(error)
    .bind(plus(retry_in))
    .fetch_optional(&store.writer)
    .await
    .map_err(classify)?;
    row.as_ref().map(job_from_row).transpose()
}

pub(crate) async fn get_job(
    store: &SqliteStore,
    job_id: &str,
) -> Result<Option<JobRecord>, StoreError> {
    let row = sqlx::query("SELECT * FROM jobs WHERE job_id = ?")
        .bind(job_id)
        .fetch_optional(&store.reader)
        .await
        .map_err(classify)?;
    row.as_ref().map(job_from_row).transpose()
}

pub(crate) async fn queue_depth(store: &SqliteStore) -> Result<u64, StoreError> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')")
            .fetch_one(&store.reader)
            .await
            .map_err(classify)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(crate) async fn list_jobs(
    store: &SqliteStore,
    status: Option<JobStatus>,
    limit: u32,
) -> Result<Vec<JobRecord>, StoreError> {
    let rows = sqlx::query(
        "SELECT * FROM jobs WHERE (?1 IS NULL OR status = ?1) \
         ORDER BY created_at DESC, job_id DESC LIMIT ?2",
    )
    .bind(status.map(JobStatus::as_str))
    .bind(i64::from(limit))
    .fetch_all(&store.reader)
    .await
    .map_err(classify)?;
    jobs_from_rows(&rows)
}

pub(crate) async fn purge_finished_jobs_before(
    store: &SqliteStore,
    before: OffsetDateTime,
) -> Result<u64, StoreError> {
    let cut = format_time(before);
    let mut deleted = 0;
    loop {
        // One autocommit statement per batch: the writer is free in between.
        let n = sqlx::query(
            "DELETE FROM jobs WHERE job_id IN (SELECT job_id FROM jobs \
             WHERE status IN ('done', 'dead') AND updated_at < ?1 LIMIT ?2)",
        )
        .bind(&cut)
        .bind(i64::from(PURGE_BATCH))
        .execute(&store.writer)
        .await
        .map_err(classify)?
        .rows_affected();
        deleted += n;
        if n < u64::from(PURGE_BATCH) {
            return Ok(deleted);
        }
    }
}
