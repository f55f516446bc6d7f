//! `thermaliq-store`: the storage contract.
//!
//! The [`Store`] trait is what the service needs from a database; each backend
//! (`thermaliq-store-sqlite` today, PostgreSQL next) implements it with the same
//! behaviour. Records are plain data: the store never interprets the JSON
//! documents it keeps, so it does not depend on the engine.

pub mod contract;

use async_trait::async_trait;
use serde::Serialize;
use std::time::Duration;
use thiserror::Error;

use time::OffsetDateTime;

/// A stored calculation, column for column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalculationRecord {
    pub calculation_id: String,
    pub facility_id: String,
    pub period_start: OffsetDateTime,
    pub period_end: OffsetDateTime,
    /// First-law efficiency in percent; `None` for failed calculations.
    pub efficiency: Option<f64>,
    /// `completed`, `failed` or `invalid`.
    pub status: String,
    pub invalid_reason: Option<String>,
    pub recalculated_from: Option<String>,
    /// The request as received (JSON), kept so a recalculation can start from it.
    pub request: String,
    /// Canonical JSON of the normalised input and settings (what `input_hash` covers).
    pub canonical_input: String,
    /// Canonical JSON of the engine result (what `output_hash` covers).
    pub result: String,
    /// Canonical JSON of the energy flows in kWh.
    pub energy_flows: String,
    pub input_hash: String,
    pub output_hash: String,
    pub engine_version: String,
    pub created_at: OffsetDateTime,
}

/// Filters and page of `list_calculations`. Newest first (by id, which is a
/// ULID and so ordered by creation time).
#[derive(Debug, Clone, Default)]
pub struct CalculationQuery {
    pub facility_id: Option<String>,
    pub status: Option<String>,
    /// Inclusive lower bound on `created_at`.
    pub created_from: Option<OffsetDateTime>,
    /// Exclusive upper bound on `created_at`.
    pub created_to: Option<OffsetDateTime>,
    /// Only ids strictly older than this one (the cursor of the previous page).
    pub before_id: Option<String>,
    pub limit: u32,
}

/// Which calculations an invalidation marks.
#[derive(Debug, Clone)]
pub struct Invalidation {
    pub facility_id: Option<String>,
    /// Inclusive lower bound on `created_at`.
    pub created_from: OffsetDateTime,
    /// Exclusive upper bound on `created_at`.
    pub created_to: OffsetDateTime,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Read,
    Calculate,
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Calculate => "calculate",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        match text {
            "read" => Some(Scope::Read),
            "calculate" => Some(Scope::Calculate),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }

    /// Scopes are nested: admin may calculate, calculate may read.
    pub fn allows(self, needed: Scope) -> bool {
        self >= needed
    }
}

/// An API token as stored: never the token itself, only its SHA-256.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRecord {
    pub token_id: String,
    pub name: String,
    pub scope: Scope,
    pub token_hash: String,
    pub created_at: OffsetDateTime,
}

/// One line of the audit log.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub occurred_at: OffsetDateTime,
    /// Token name or `cli`.
    pub actor: String,
    pub action: String,
    pub subject: String,
    /// JSON with the details.
    pub detail: String,
}

/// Where a job is in its life: `queued` (waiting for `run_after`), `running`
/// (leased by a worker until `lease_expires_at`), `done` (completed by its
/// lease owner) or `dead` (dead-lettered after `max_attempts` tries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    Dead,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Dead => "dead",
        }
    }

    pub fn parse(text: &str) -> Option<JobStatus> {
        match text {
            "queued" => Some(JobStatus::Queued),
            "running" => Some(JobStatus::Running),
            "done" => Some(JobStatus::Done),
            "dead" => Some(JobStatus::Dead),
            _ => None,
        }
    }
}

/// A job to put on the queue ([`Store::enqueue_job`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    /// What to do (e.g. `calculate`, `recalculate`, `scheduled_calculation`);
    /// the store does not interpret it.
    pub kind: String,
    /// The job's arguments as JSON text, kept byte for byte.
    pub payload: String,
    /// At most one job ever exists per dedupe key (across kinds and statuses):
    /// enqueueing a key that exists returns the existing job unchanged.
    pub dedupe_key: Option<String>,
    /// Tries before the job is dead-lettered; at least 1 (0 is a `Backend` error).
    pub max_attempts: u32,
    /// Not claimed before this instant (stored to the microsecond, truncated).
    pub run_after: OffsetDateTime,
}

/// A job as stored. Time stamps other than `run_after` as given at enqueue
/// come from the database's clock.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobRecord {
    /// `JOB-` followed by a ULID (26 characters), unique.
    pub job_id: String,
    pub kind: String,
    pub payload: String,
    pub dedupe_key: Option<String>,
    pub status: JobStatus,
    /// Claims so far (each claim counts, also one whose worker died).
    pub attempts: u32,
    pub max_attempts: u32,
    pub run_after: OffsetDateTime,
    /// The worker holding (`running`) or that last held (`done`, `dead`) the
    /// lease; `None` while `queued`.
    pub lease_owner: Option<String>,
    /// Set exactly while `running`.
    pub lease_expires_at: Option<OffsetDateTime>,
    /// What the worker stored on completion (`done` only).
    pub result: Option<String>,
    /// The latest failure (kept when a later attempt succeeds).
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// What [`Store::idempotency_begin`] found for an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyOutcome {
    /// The key was free: the caller owns it now and must end with
    /// [`Store::idempotency_finish`] or [`Store::idempotency_abandon`].
    New,
    /// Another request with the same key and request is being processed.
    InProgress,
    /// The request was completed: answer with the stored response.
    Replay { status: u16, body: String },
    /// The key was used for a different request (another hash): the caller
    /// answers 422 and nothing changes.
    Mismatch,
}

#[derive(Debug, Error)]
pub enum StoreError {
    /// The database cannot be reached or did not answer in time.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A row with this key exists already.
    #[error("duplicate key: {0}")]
    Duplicate(String),
    /// The database answered with an error the caller cannot fix.
    #[error("database error: {0}")]
    Backend(String),
    /// A stored value could not be read back.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// What the service needs from storage. Every method is atomic; a method that
/// returns `Ok` has committed durably.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Cheap round trip, for readiness.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Connections checked out of the pool right now.
    fn connections_active(&self) -> u32;
    /// Flushes and closes every connection (on shutdown).
    async fn close(&self);

    async fn insert_calculation(&self, record: &CalculationRecord) -> Result<(), StoreError>;
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
    /// key all get the same job. `max_attempts = 0` is a `Backend` error.
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
