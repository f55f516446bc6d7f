//! The [`Store`] trait: what the service needs from a database.

use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::{
    AuditEntry, BaselineRecord, CalculationQuery, CalculationRecord, FacilityRecord,
    IdempotencyOutcome, InsertSummary, Invalidation, JobRecord, JobStatus, NewJob, NewReading,
    ReadingRecord, StoreError, TokenRecord,
};

/// What the service needs from storage. Every method is atomic; a method that
/// returns `Ok` has committed durably.
///
/// Every method first refuses, with [`StoreError::Rejected`] naming the field
/// and before any round trip, what some backend could not store or compare
/// ([`crate::check_text`], [`crate::check_key`], [`crate::check_time`] and the
/// record checks built on them): a NUL character in any text given (written
/// or looked up), a key over [`crate::MAX_KEY_BYTES`], a time stamp outside
/// years 1-9999 in UTC. A constraint the database enforces is `Rejected` too;
/// only [`StoreError::Unavailable`] is worth retrying
/// ([`StoreError::is_transient`]).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Cheap round trip, for readiness.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Connections checked out of the pool right now.
    fn connections_active(&self) -> u32;
    /// The most connections the pool(s) may hold at once (PostgreSQL: pool
    /// size plus overflow; SQLite: the readers plus the one writer), so
    /// `connections_active / pool_size` is the pool's utilisation.
    fn pool_size(&self) -> u32;
    /// Flushes and closes every connection (on shutdown).
    async fn close(&self);

    /// Stores one calculation (`Duplicate` if its id is taken). The same as
    /// [`Store::insert_calculations`] with a slice of one record.
    async fn insert_calculation(&self, record: &CalculationRecord) -> Result<(), StoreError>;

    /// Group commit: stores `records` in ONE transaction (one commit, so one
    /// fsync on SQLite) and returns one result per record, in order.
    ///
    /// A record the database refuses fails alone and its neighbours are
    /// stored: its id is taken (`Duplicate`, also when an earlier record of
    /// the same slice has that id: the first one is stored) or it breaks
    /// another constraint (e.g. `recalculated_from` names no calculation).
    /// `Ok(results)` means the transaction committed: every record whose
    /// entry is `Ok(())` is durable, the others are not stored. An outer
    /// `Err` means the transaction did not commit and no record of the slice
    /// is stored (PostgreSQL: except when the connection is lost at `COMMIT`
    /// and the retry fails too, reported as `Unavailable`, outcome unknown,
    /// as for every transactional write). An empty slice is `Ok(vec![])`
    /// without a round trip.
    ///
    /// PostgreSQL retries the whole slice once on a fresh connection when the
    /// connection is lost (also at `COMMIT`); on that retry a record whose id
    /// is taken by an equal row (as stored: times to the microsecond,
    /// efficiency bit for bit) is `Ok`, since the lost attempt may have
    /// stored it.
    async fn insert_calculations(
        &self,
        records: &[CalculationRecord],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError>;
    async fn get_calculation(
        &self,
        calculation_id: &str,
    ) -> Result<Option<CalculationRecord>, StoreError>;
    async fn list_calculations(
        &self,
        query: &CalculationQuery,
    ) -> Result<Vec<CalculationRecord>, StoreError>;
    /// Marks matching calculations `invalid` (those not already invalid) and
    /// returns their ids, oldest first; writes one audit entry.
    async fn invalidate_calculations(
        &self,
        invalidation: &Invalidation,
        audit: &AuditEntry,
    ) -> Result<Vec<String>, StoreError>;

    async fn insert_token(&self, token: &TokenRecord, audit: &AuditEntry)
    -> Result<(), StoreError>;
    async fn find_token_by_hash(&self, token_hash: &str)
    -> Result<Option<TokenRecord>, StoreError>;
    async fn count_tokens(&self) -> Result<u64, StoreError>;
    /// Every token (hashes included: the caller must not show them), by name.
    async fn list_tokens(&self) -> Result<Vec<TokenRecord>, StoreError>;
    /// Deletes the token named `name` and writes `audit` in the same
    /// transaction; `false` (and no audit entry) when there is none.
    async fn revoke_token(&self, name: &str, audit: &AuditEntry) -> Result<bool, StoreError>;
    /// Records a use of the token: `last_used_at` moves forward to `at`, never back.
    async fn touch_token(&self, token_id: &str, at: OffsetDateTime) -> Result<(), StoreError>;

    // ----------------------------------------------------------- facilities

    /// Stores `facility` under its id: inserts it (returns `true`, created) or
    /// replaces the stored one (returns `false`): every column is overwritten
    /// except `created_at`, which keeps the stored value. Writes one audit
    /// entry in the same transaction: `audit` with its `detail` wrapped as
    /// `{"created":<bool>,"detail":<audit.detail>}`.
    async fn put_facility(
        &self,
        facility: &FacilityRecord,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;

    async fn get_facility(&self, facility_id: &str) -> Result<Option<FacilityRecord>, StoreError>;

    /// Up to `limit` facilities ordered by id (ids compare as bytes),
    /// strictly after `after_id` when given (the last id of the previous page).
    async fn list_facilities(
        &self,
        limit: u32,
        after_id: Option<&str>,
    ) -> Result<Vec<FacilityRecord>, StoreError>;

    // ------------------------------------------------------------ baselines

    /// Stores `baseline` under (facility_id, name): inserts it (returns
    /// `true`) or replaces the stored one (`false`; `created_at` keeps the
    /// stored value). Writes `audit` in the same transaction. The store does
    /// not check that the facility exists (the service does).
    async fn put_baseline(
        &self,
        baseline: &BaselineRecord,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;

    async fn get_baseline(
        &self,
        facility_id: &str,
        name: &str,
    ) -> Result<Option<BaselineRecord>, StoreError>;

    /// Every baseline of the facility, ordered by name (as bytes).
    async fn list_baselines(&self, facility_id: &str) -> Result<Vec<BaselineRecord>, StoreError>;

    // ------------------------------------------------------------- readings
    //
    // Readings are keyed by (facility_id, tag, timestamp); timestamps are
    // stored to the microsecond (truncated), UTC. The store does not check
    // that the facility or its tags exist (the service does).

    /// Stores the readings of one facility in one transaction (all or
    /// nothing), in multi-row statements of a few hundred rows.
    ///
    /// Rows are first checked ([`crate::validate_readings`]: finite values, years
    /// 1–9999 in UTC, non-empty tags; a refused row is `Rejected` naming
    /// `readings[i].<field>` and nothing is stored; `audit` must be present if
    /// any row is a correction, else `Backend`). A caller that wants to store
    /// the good rows of a batch and report the others splits it first with
    /// [`crate::partition_readings`]. Then rows are reduced to one per key
    /// ([`crate::collapse_readings`]: the last correction, else the first row; the
    /// other repeats count as `duplicates`). Each remaining row is:
    /// * `inserted` when its key is new (`corrected = false`, also for a
    ///   correction);
    /// * `corrected` when it is a correction and its value or quality differs
    ///   from the stored one: the stored value, quality and `ingested_at` are
    ///   replaced and `corrected` becomes true;
    /// * `duplicates` otherwise: the stored reading is kept unchanged.
    ///
    /// So re-sending a batch changes nothing and counts every row as a
    /// duplicate. If anything was corrected, one audit entry is written in the
    /// same transaction: `audit` with its detail replaced by
    /// [`crate::corrections_audit_detail`] (old and new values). `ingested_at` is the
    /// database's clock.
    async fn insert_readings(
        &self,
        facility_id: &str,
        rows: &[NewReading],
        audit: Option<&AuditEntry>,
    ) -> Result<InsertSummary, StoreError>;

    /// One page of a facility's readings with `from_inclusive <= timestamp <=
    /// to_inclusive` (both bounds inclusive, truncated to the microsecond),
    /// ordered by tag (as bytes) then timestamp, strictly after the key
    /// `after` (the last `(tag, timestamp)` of the previous page) when given,
    /// at most `limit` rows. A page shorter than `limit` is the last. Pages
    /// are keyset-paginated: concatenated, they hold every matching reading
    /// once, and each page costs index seeks plus its own rows however long
    /// the history.
    async fn read_readings_page(
        &self,
        facility_id: &str,
        from_inclusive: OffsetDateTime,
        to_inclusive: OffsetDateTime,
        after: Option<(&str, OffsetDateTime)>,
        limit: u32,
    ) -> Result<Vec<ReadingRecord>, StoreError>;

    /// How many readings of the facility have `from <= timestamp <= to`
    /// (both inclusive, as [`Store::read_readings_page`]).
    async fn count_readings(
        &self,
        facility_id: &str,
        from_inclusive: OffsetDateTime,
        to_inclusive: OffsetDateTime,
    ) -> Result<u64, StoreError>;

    /// Retention: deletes every reading (all facilities) with `timestamp <
    /// before` and returns how many. PostgreSQL drops whole monthly
    /// partitions that lie entirely before `before` and deletes the rest.
    async fn delete_readings_before(&self, before: OffsetDateTime) -> Result<u64, StoreError>;

    // ------------------------------------------------------------ job queue
    //
    // Exactly-once execution rests on leases: a worker that claimed a job owns
    // it until its lease runs out; only the owner can heartbeat, complete or
    // fail it; a job whose lease ran out is claimable again (its worker is
    // presumed dead) and its old owner can then no longer complete it. All
    // "now"s are the database's clock, so replicas agree.

    /// Queues a job (`queued`, 0 attempts, no lease) and returns it. If
    /// `dedupe_key` is set and a job with that key exists (whatever its kind
    /// or status), returns that job unchanged instead; racing enqueues of one
    /// key all get the same job. `max_attempts = 0` is `Rejected`.
    async fn enqueue_job(&self, job: &NewJob) -> Result<JobRecord, StoreError>;

    /// Atomically claims up to `limit` jobs for `worker_id`, oldest
    /// `run_after` first (then by id): jobs `queued` with `run_after <= now`,
    /// and jobs `running` whose lease expired (`lease_expires_at <= now`).
    /// Each claimed job becomes `running` with `lease_owner = worker_id`,
    /// `lease_expires_at = now + lease`, `attempts + 1`. Concurrent claimers
    /// (any replica) never get the same job (PostgreSQL: `FOR UPDATE SKIP
    /// LOCKED`). First, `running` jobs whose lease expired on their last
    /// attempt (`attempts >= max_attempts`) are dead-lettered (`dead`,
    /// `last_error` says the lease expired) rather than claimed. Returns the
    /// claimed jobs (possibly none) in claim order.
    async fn claim_jobs(
        &self,
        worker_id: &str,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<JobRecord>, StoreError>;

    /// Sets `lease_expires_at = now + lease` if the job is `running` and
    /// leased by `worker_id` (even if the lease ran out, as long as nobody
    /// claimed it since). Returns whether it did; `false` means the worker
    /// lost the job and must stop working on it.
    async fn heartbeat_job(
        &self,
        job_id: &str,
        worker_id: &str,
        lease: Duration,
    ) -> Result<bool, StoreError>;

    /// Marks the job `done` with `result` (lease cleared, `lease_owner` kept)
    /// if it is `running` and leased by `worker_id`; returns `true`. Returns
    /// `false` and changes nothing otherwise (another worker reclaimed it, it
    /// is unknown, queued, dead, or was completed by someone else), so a stale
    /// worker cannot complete a job twice. Idempotent for its owner: repeating
    /// the call with the same `result` after it succeeded returns `true`.
    async fn complete_job(
        &self,
        job_id: &str,
        worker_id: &str,
        result: &str,
    ) -> Result<bool, StoreError>;

    /// Records a failed attempt of a job `running` under `worker_id`:
    /// `last_error = error`, lease cleared; if `attempts >= max_attempts` the
    /// job becomes `dead` (`lease_owner` kept), else `queued` again with
    /// `run_after = now + retry_in` (the caller's backoff) and no owner.
    /// Returns the updated job, or `None` (nothing changed) if the job is
    /// unknown or not running under `worker_id`.
    async fn fail_job(
        &self,
        job_id: &str,
        worker_id: &str,
        error: &str,
        retry_in: Duration,
    ) -> Result<Option<JobRecord>, StoreError>;

    async fn get_job(&self, job_id: &str) -> Result<Option<JobRecord>, StoreError>;

    /// The calculations' change marker: a number that grows with every
    /// UPDATE or DELETE of calculations, whoever makes it (a trigger keeps
    /// it, so manual SQL counts too). Cached views written under an older
    /// value are stale.
    async fn calculation_change_marker(&self) -> Result<i64, StoreError>;

    /// Jobs not finished: `queued` (due or not) plus `running`
    /// (`thermaliq_calculation_queue_depth`).
    async fn queue_depth(&self) -> Result<u64, StoreError>;

    /// Up to `limit` jobs, of one status when given, newest first (by
    /// `created_at`, then `job_id`, descending).
    async fn list_jobs(
        &self,
        status: Option<JobStatus>,
        limit: u32,
    ) -> Result<Vec<JobRecord>, StoreError>;

    /// Retention: deletes jobs that are finished (`done` or `dead`) and were
    /// last updated (`updated_at`, the database's clock) before `before`;
    /// returns how many. Queued and running jobs are never deleted. A deleted
    /// job's dedupe key is free again, so a caller that must not re-run old
    /// work remembers what it queued (e.g. [`Store::schedule_mark_get`]).
    /// Deletes in batches of [`crate::PURGE_BATCH`] rows, each committed on its own
    /// (other writers get in between; an error leaves the batches done
    /// deleted), so it is not atomic as a whole.
    async fn purge_finished_jobs_before(&self, before: OffsetDateTime) -> Result<u64, StoreError>;

    // ------------------------------------------------------ scheduler marks
    //
    // What the scheduler has queued, per facility: the end of the last
    // period it queued, so each replica queues only the periods after it
    // instead of every closed period of the catch-up window on every tick.

    /// The facility's mark (UTC, to the microsecond), `None` before the
    /// first [`Store::schedule_mark_advance`].
    async fn schedule_mark_get(
        &self,
        facility_id: &str,
    ) -> Result<Option<OffsetDateTime>, StoreError>;

    /// Moves the facility's mark to `end` (truncated to the microsecond) if
    /// it has none or `end` is later; never moves it back. Returns whether
    /// this call moved it. Racing callers (replicas) end with the latest
    /// `end` of them all. (PostgreSQL: a call retried after a lost connection
    /// may report `false` for a move its first attempt made.)
    async fn schedule_mark_advance(
        &self,
        facility_id: &str,
        end: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    // ----------------------------------------------------- idempotency keys
    //
    // Keys are scoped by principal (the token name): one principal's key never
    // matches another's. `request_hash` identifies the request (method, path,
    // body). Entries are kept until purged (the service purges after 24 h).

    /// Atomically claims `key` for `principal` if free (`New`), else reports
    /// the entry: `Mismatch` if it was taken with another `request_hash`
    /// (whatever its state), otherwise `InProgress` or `Replay`. Of racing
    /// callers with the same key exactly one gets `New`.
    async fn idempotency_begin(
        &self,
        key: &str,
        principal: &str,
        request_hash: &str,
    ) -> Result<IdempotencyOutcome, StoreError>;

    /// Stores the response of the request that got `New`; later begins with
    /// the same key and hash get `Replay { status, body }`. Returns `false`
    /// (nothing changes) if the key is not in progress (abandoned, purged,
    /// or finished with another response); repeating an identical finish
    /// returns `true`.
    async fn idempotency_finish(
        &self,
        key: &str,
        principal: &str,
        status: u16,
        body: &str,
    ) -> Result<bool, StoreError>;

    /// Frees a key that is in progress (the request failed before a response
    /// worth replaying), so a retry gets `New`. A finished key is kept.
    /// Returns whether a key was freed.
    async fn idempotency_abandon(&self, key: &str, principal: &str) -> Result<bool, StoreError>;

    /// Deletes every key (in progress or finished) begun before `before`;
    /// returns how many.
    async fn purge_idempotency_before(&self, before: OffsetDateTime) -> Result<u64, StoreError>;

    /// Frees keys still in progress that were begun before `before` (their
    /// request died with its replica, so nobody will finish or abandon them);
    /// finished keys are kept. Call it with a cut-off well past the longest
    /// request, or a retry would run next to a request still going. Returns
    /// how many keys were freed.
    async fn release_stale_idempotency_keys(
        &self,
        before: OffsetDateTime,
    ) -> Result<u64, StoreError>;
}
