//! The durable job queue's records.

use std::str::FromStr;

use serde::Serialize;
use time::OffsetDateTime;

use crate::error::{ParseEnumError, parse_enum};

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

    pub const ALL: [JobStatus; 4] = [
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Done,
        JobStatus::Dead,
    ];

    pub fn parse(text: &str) -> Option<JobStatus> {
        text.parse().ok()
    }
}

impl FromStr for JobStatus {
    type Err = ParseEnumError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_enum("job status", text, &Self::ALL, |s| s.as_str())
    }
}

/// A job to put on the queue ([`crate::Store::enqueue_job`]).
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
    /// Tries before the job is dead-lettered; at least 1 (0 is `Rejected`).
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

/// A fresh job id: `JOB-` and a ULID (26 characters), so ids sort by creation time.
pub fn new_job_id() -> String {
    format!("JOB-{}", ulid::Ulid::new())
}

/// Rows deleted per committed batch by `purge_finished_jobs_before`: small
/// enough that SQLite's single writer is held for milliseconds, not for the
/// whole purge.
pub const PURGE_BATCH: u32 = 1000;
