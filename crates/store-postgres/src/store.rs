//! `impl Store for PostgresStore`: each method is its area module's function.

use std::time::Duration;

use async_trait::async_trait;
use thermaliq_store::{
    AuditEntry, CalculationQuery, CalculationRecord, FacilityRecord, IdempotencyOutcome,
    InsertSummary, Invalidation, JobRecord, JobStatus, NewJob, NewReading, ReadingRecord, Store,
    StoreError, TokenRecord,
};
use time::OffsetDateTime;

use crate::{
    PostgresStore, calculations, facilities, group, idempotency, jobs, pool, readings, tokens,
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

    async fn close(&self) {
        pool::close(self).await
    }

    async fn insert_calculation(&self, r: &CalculationRecord) -> Result<(), StoreError> {
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
        calculations::get_calculation(self, calculation_id).await
    }

    async fn list_calculations(
        &self,
        q: &CalculationQuery,
    ) -> Result<Vec<CalculationRecord>, StoreError> {
        calculations::list_calculations(self, q).await
    }

    async fn invalidate_calculations(
        &self,
        inv: &Invalidation,
        audit: &AuditEntry,
    ) -> Result<Vec<String>, StoreError> {
        calculations::invalidate_calculations(self, inv, audit).await
    }

    async fn insert_token(
        &self,
        token: &TokenRecord,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        tokens::insert_token(self, token, audit).await
    }

    async fn find_token_by_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<TokenRecord>, StoreError> {
        tokens::find_token_by_hash(self, token_hash).await
    }

    async fn count_tokens(&self) -> Result<u64, StoreError> {
        tokens::count_tokens(self).await
    }

    async fn put_facility(
        &self,
        facility: &FacilityRecord,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        facilities::put_facility(self, facility, audit).await
    }

    async fn get_facility(&self, facility_id: &str) -> Result<Option<FacilityRecord>, StoreError> {
        facilities::get_facility(self, facility_id).await
    }

    async fn list_facilities(
        &self,
        limit: u32,
        after_id: Option<&str>,
    ) -> Result<Vec<FacilityRecord>, StoreError> {
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
        readings::count_readings(self, facility_id, from_inclusive, to_inclusive).await
    }

    async fn delete_readings_before(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        readings::delete_readings_before(self, before).await
    }

    async fn enqueue_job(&self, job: &NewJob) -> Result<JobRecord, StoreError> {
        jobs::enqueue_job(self, job).await
    }

    async fn claim_jobs(
        &self,
        worker_id: &str,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<JobRecord>, StoreError> {
        jobs::claim_jobs(self, worker_id, lease, limit).await
    }

    async fn heartbeat_job(
        &self,
        job_id: &str,
        worker_id: &str,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        jobs::heartbeat_job(self, job_id, worker_id, lease).await
    }

    async fn complete_job(
        &self,
        job_id: &str,
        worker_id: &str,
        result: &str,
    ) -> Result<bool, StoreError> {
        jobs::complete_job(self, job_id, worker_id, result).await
    }

    async fn fail_job(
        &self,
        job_id: &str,
        worker_id: &str,
        error: &str,
        retry_in: Duration,
    ) -> Result<Option<JobRecord>, StoreError> {
        jobs::fail_job(self, job_id, worker_id, error, retry_in).await
    }

    async fn get_job(&self, job_id: &str) -> Result<Option<JobRecord>, StoreError> {
        jobs::get_job(self, job_id).await
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

    async fn idempotency_begin(
        &self,
        key: &str,
        principal: &str,
        request_hash: &str,
    ) -> Result<IdempotencyOutcome, StoreError> {
        idempotency::idempotency_begin(self, key, principal, request_hash).await
    }

    async fn idempotency_finish(
        &self,
        key: &str,
        principal: &str,
        status: u16,
        body: &str,
    ) -> Result<bool, StoreError> {
        idempotency::idempotency_finish(self, key, principal, status, body).await
    }

    async fn idempotency_abandon(&self, key: &str, principal: &str) -> Result<bool, StoreError> {
        idempotency::idempotency_abandon(self, key, principal).await
    }

    async fn purge_idempotency_before(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        idempotency::purge_idempotency_before(self, before).await
    }

    async fn release_stale_idempotency_keys(
        &self,
        before: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        idempotency::release_stale_idempotency_keys(self, before).await
    }
}
