//! `impl Store for PostgresStore`: each method refuses what every backend
//! refuses (`thermaliq_store::check_*`), then is its area module's function.

use std::time::Duration;

use async_trait::async_trait;
use thermaliq_store::{
    AuditEntry, BaselineRecord, CalculationQuery, CalculationRecord, FacilityRecord,
    IdempotencyOutcome, InsertSummary, Invalidation, JobRecord, JobStatus, NewJob, NewReading,
    ReadingRecord, Store, StoreError, TokenRecord, check_audit, check_baseline, check_calculation,
    check_facility, check_invalidation, check_key, check_new_job, check_query, check_text,
    check_time, check_token,
};
use time::OffsetDateTime;

use crate::{
    PostgresStore, baselines, calculations, facilities, group, idempotency, jobs, pool, readings,
    schedule, tokens,
};

#[async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> Result<(), StoreError> {
        pool::ping(self).await
    }

    fn connections_active(&self) -> u32 {
        pool::connections_active(self)
    }

    fn pool_size(&self) -> u32 {
        pool::pool_size(self)
    }

    async fn close(&self) {
        pool::close(self).await
    }

    async fn insert_calculation(&self, r: &CalculationRecord) -> Result<(), StoreError> {
        check_calculation(r)?;
        calculations::insert_calculation(self, r).await
    }

    async fn insert_calculations(
        &self,
        records: &[CalculationRecord],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        group::insert_calculations(self, records).await
    }

    async fn get_calculation(
        &self,
        calculation_id: &str,
    ) -> Result<Option<CalculationRecord>, StoreError> {
        check_text("calculation_id", calculation_id)?;
        calculations::get_calculation(self, calculation_id).await
    }

    async fn list_calculations(
        &self,
        q: &CalculationQuery,
    ) -> Result<Vec<CalculationRecord>, StoreError> {
        check_query(q)?;
        calculations::list_calculations(self, q).await
    }

    async fn invalidate_calculations(
        &self,
        inv: &Invalidation,
        audit: &AuditEntry,
    ) -> Result<Vec<String>, StoreError> {
        check_invalidation(inv)?;
        check_audit(audit)?;
        calculations::invalidate_calculations(self, inv, audit).await
    }

    async fn insert_token(
        &self,
        token: &TokenRecord,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        check_token(token)?;
        check_audit(audit)?;
        tokens::insert_token(self, token, audit).await
    }

    async fn find_token_by_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<TokenRecord>, StoreError> {
        check_text("token_hash", token_hash)?;
        tokens::find_token_by_hash(self, token_hash).await
    }

    async fn count_tokens(&self) -> Result<u64, StoreError> {
        tokens::count_tokens(self).await
    }

    async fn list_tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        tokens::list_tokens(self).await
    }

    async fn revoke_token(&self, name: &str, audit: &AuditEntry) -> Result<bool, StoreError> {
        check_text("name", name)?;
        check_audit(audit)?;
        tokens::revoke_token(self, name, audit).await
    }

    async fn touch_token(&self, token_id: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        check_key("token_id", token_id)?;
        check_time("last_used_at", at)?;
        tokens::touch_token(self, token_id, at).await
    }

    async fn put_facility(
        &self,
        facility: &FacilityRecord,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        check_facility(facility)?;
        check_audit(audit)?;
        facilities::put_facility(self, facility, audit).await
    }

    async fn put_baseline(
        &self,
        baseline: &BaselineRecord,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        check_baseline(baseline)?;
        check_audit(audit)?;
        baselines::put_baseline(self, baseline, audit).await
    }

    async fn get_baseline(
        &self,
        facility_id: &str,
        name: &str,
    ) -> Result<Option<BaselineRecord>, StoreError> {
        check_text("facility_id", facility_id)?;
        check_text("name", name)?;
        baselines::get_baseline(self, facility_id, name).await
    }

    async fn list_baselines(&self, facility_id: &str) -> Result<Vec<BaselineRecord>, StoreError> {
        check_text("facility_id", facility_id)?;
        baselines::list_baselines(self, facility_id).await
    }

    async fn get_facility(&self, facility_id: &str) -> Result<Option<FacilityRecord>, StoreError> {
        check_text("facility_id", facility_id)?;
        facilities::get_facility(self, facility_id).await
    }

    async fn list_facilities(
        &self,
        limit: u32,
        after_id: Option<&str>,
    ) -> Result<Vec<FacilityRecord>, StoreError> {
        if let Some(after_id) = after_id {
            check_text("after_id", after_id)?;
        }
        facilities::list_facilities(self, limit, after_id).await
    }

    async fn insert_readings(
        &self,
        facility_id: &str,
        rows: &[NewReading],
        audit: Option<&AuditEntry>,
    ) -> Result<InsertSummary, StoreError> {
        readings::insert_readings(self, facility_id, rows, audit).await
    }

    async fn read_readings_page(
        &self,
        facility_id: &str,
        from_inclusive: OffsetDateTime,
        to_inclusive: OffsetDateTime,
        after: Option<(&str, OffsetDateTime)>,
        limit: u32,
    ) -> Result<Vec<ReadingRecord>, StoreError> {
        check_text("facility_id", facility_id)?;
        check_time("from", from_inclusive)?;
        check_time("to", to_inclusive)?;
        if let Some((tag, timestamp)) = after {
            check_text("after.tag", tag)?;
            check_time("after.timestamp", timestamp)?;
        }
        readings::read_readings_page(
            self,
            facility_id,
            from_inclusive,
            to_inclusive,
            after,
            limit,
        )
        .await
    }

    async fn count_readings(
        &self,
        facility_id: &str,
        from_inclusive: OffsetDateTime,
        to_inclusive: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        check_text("facility_id", facility_id)?;
        check_time("from", from_inclusive)?;
        check_time("to", to_inclusive)?;
        readings::count_readings(self, facility_id, from_inclusive, to_inclusive).await
    }

    async fn delete_readings_before(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        check_time("before", before)?;
        readings::delete_readings_before(self, before).await
    }

    async fn enqueue_job(&self, job: &NewJob) -> Result<JobRecord, StoreError> {
        check_new_job(job)?;
        jobs::enqueue_job(self, job).await
    }

    async fn claim_jobs(
        &self,
        worker_id: &str,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<JobRecord>, StoreError> {
        check_text("worker_id", worker_id)?;
        jobs::claim_jobs(self, worker_id, lease, limit).await
    }

    async fn heartbeat_job(
        &self,
        job_id: &str,
        worker_id: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        check_text("job_id", job_id)?;
        check_text("worker_id", worker_id)?;
        jobs::heartbeat_job(self, job_id, worker_id, lease).await
    }

    async fn complete_job(
        &self,
        job_id: &str,
        worker_id: &str,
        result: &str,
    ) -> Result<bool, StoreError> {
        check_text("job_id", job_id)?;
        check_text("worker_id", worker_id)?;
        check_text("result", result)?;
        jobs::complete_job(self, job_id, worker_id, result).await
    }

    async fn fail_job(
        &self,
        job_id: &str,
        worker_id: &str,
        error: &str,
        retry_in: Duration,
    ) -> Result<Option<JobRecord>, StoreError> {
        check_text("job_id", job_id)?;
        check_text("worker_id", worker_id)?;
        check_text("error", error)?;
        jobs::fail_job(self, job_id, worker_id, error, retry_in).await
    }

    async fn get_job(&self, job_id: &str) -> Result<Option<JobRecord>, StoreError> {
        check_text("job_id", job_id)?;
        jobs::get_job(self, job_id).await
    }

    async fn calculation_change_marker(&self) -> Result<i64, StoreError> {
        calculations::change_marker(self).await
    }

    async fn queue_depth(&self) -> Result<u64, StoreError> {
        jobs::queue_depth(self).await
    }

    async fn list_jobs(
        &self,
        status: Option<JobStatus>,
        limit: u32,
    ) -> Result<Vec<JobRecord>, StoreError> {
        jobs::list_jobs(self, status, limit).await
    }

    async fn purge_finished_jobs_before(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        check_time("before", before)?;
        jobs::purge_finished_jobs_before(self, before).await
    }

    async fn schedule_mark_get(
        &self,
        facility_id: &str,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        check_text("facility_id", facility_id)?;
        schedule::schedule_mark_get(self, facility_id).await
    }

    async fn schedule_mark_advance(
        &self,
        facility_id: &str,
        end: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        check_key("facility_id", facility_id)?;
        check_time("end", end)?;
        schedule::schedule_mark_advance(self, facility_id, end).await
    }

    async fn idempotency_begin(
        &self,
        key: &str,
        principal: &str,
        request_hash: &str,
    ) -> Result<IdempotencyOutcome, StoreError> {
        check_key("idempotency_key", key)?;
        check_key("principal", principal)?;
        check_text("request_hash", request_hash)?;
        idempotency::idempotency_begin(self, key, principal, request_hash).await
    }

    async fn idempotency_finish(
        &self,
        key: &str,
        principal: &str,
        status: u16,
        body: &str,
    ) -> Result<bool, StoreError> {
        check_text("idempotency_key", key)?;
        check_text("principal", principal)?;
        check_text("body", body)?;
        idempotency::idempotency_finish(self, key, principal, status, body).await
    }

    async fn idempotency_abandon(&self, key: &str, principal: &str) -> Result<bool, StoreError> {
        check_text("idempotency_key", key)?;
        check_text("principal", principal)?;
        idempotency::idempotency_abandon(self, key, principal).await
    }

    async fn purge_idempotency_before(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        check_time("before", before)?;
        idempotency::purge_idempotency_before(self, before).await
    }

    async fn release_stale_idempotency_keys(
        &self,
        before: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        check_time("before", before)?;
        idempotency::release_stale_idempotency_keys(self, before).await
    }
}
