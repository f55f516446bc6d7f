//! `thermaliq-store`: the storage contract.
//!
//! The [`Store`] trait is what the service needs from a database; each backend
//! (`thermaliq-store-sqlite` today, PostgreSQL next) implements it with the same
//! behaviour. Records are plain data: the store never interprets the JSON
//! documents it keeps, so it does not depend on the engine.

pub mod contract;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
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
    pub status: CalculationStatus,
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

/// Where a stored calculation stands (the `status` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CalculationStatus {
    /// Computed; `efficiency` is set.
    Completed,
    /// Refused by the engine in strict mode; stored for the record, no efficiency.
    Failed,
    /// Marked invalid afterwards (`invalid_reason` says why).
    Invalid,
}

impl CalculationStatus {
    pub const ALL: [CalculationStatus; 3] = [
        CalculationStatus::Completed,
        CalculationStatus::Failed,
        CalculationStatus::Invalid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CalculationStatus::Completed => "completed",
            CalculationStatus::Failed => "failed",
            CalculationStatus::Invalid => "invalid",
        }
    }
}

impl std::fmt::Display for CalculationStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CalculationStatus {
    type Err = ParseEnumError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_enum("calculation status", text, &Self::ALL, |s| s.as_str())
    }
}

/// A text that names none of an enum's values (`FromStr` of the store's
/// enums: [`CalculationStatus`], [`JobStatus`], [`Scope`], [`ReadingQuality`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown {what} '{value}': expected one of {expected}")]
pub struct ParseEnumError {
    /// What was parsed, e.g. `calculation status`.
    pub what: &'static str,
    /// The text given (at most 64 characters of it).
    pub value: String,
    /// The accepted texts, comma-separated.
    pub expected: String,
}

fn parse_enum<T: Copy>(
    what: &'static str,
    text: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<T, ParseEnumError> {
    all.iter()
        .copied()
        .find(|v| name(*v) == text)
        .ok_or_else(|| ParseEnumError {
            what,
            value: text.chars().take(64).collect(),
            expected: all.iter().map(|v| name(*v)).collect::<Vec<_>>().join(", "),
        })
}

/// Reads a stored enum column back: a text no value has is `Corrupt`.
pub fn decode_column<T: FromStr<Err = ParseEnumError>>(
    column: &str,
    text: &str,
) -> Result<T, StoreError> {
    text.parse()
        .map_err(|e: ParseEnumError| StoreError::Corrupt(format!("column {column}: {e}")))
}

/// Filters and page of `list_calculations`. Newest first (by id, which is a
/// ULID and so ordered by creation time).
#[derive(Debug, Clone, Default)]
pub struct CalculationQuery {
    pub facility_id: Option<String>,
    pub status: Option<CalculationStatus>,
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

    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Calculate, Scope::Admin];

    pub fn parse(text: &str) -> Option<Scope> {
        text.parse().ok()
    }

    /// Scopes are nested: admin may calculate, calculate may read.
    pub fn allows(self, needed: Scope) -> bool {
        self >= needed
    }
}

impl FromStr for Scope {
    type Err = ParseEnumError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_enum("scope", text, &Self::ALL, |s| s.as_str())
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

/// A facility as stored: its canonical JSON document, byte for byte, plus
/// the key columns operators query (`facilities`, also readable as the view
/// `facility_configurations`). The store never interprets the document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FacilityRecord {
    pub facility_id: String,
    pub name: String,
    /// E.g. `boiler` (the model's `process_type`).
    pub process_type: String,
    /// IANA time zone name.
    pub time_zone: String,
    /// `none`, `hourly` or `daily` (not checked by the store).
    pub schedule: String,
    /// The facility's canonical JSON, kept byte for byte.
    pub document: String,
    /// When the facility was first stored. On replacement the stored value is
    /// kept and this field is ignored.
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// The quality flag of a stored reading (`energy_readings.quality`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadingQuality {
    #[default]
    Good,
    Uncertain,
    Bad,
}

impl ReadingQuality {
    pub fn as_str(self) -> &'static str {
        match self {
            ReadingQuality::Good => "good",
            ReadingQuality::Uncertain => "uncertain",
            ReadingQuality::Bad => "bad",
        }
    }

    pub const ALL: [ReadingQuality; 3] = [
        ReadingQuality::Good,
        ReadingQuality::Uncertain,
        ReadingQuality::Bad,
    ];

    pub fn parse(text: &str) -> Option<ReadingQuality> {
        text.parse().ok()
    }
}

impl FromStr for ReadingQuality {
    type Err = ParseEnumError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_enum("reading quality", text, &Self::ALL, |s| s.as_str())
    }
}

/// One reading to store ([`Store::insert_readings`]); the facility is given
/// per call.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReading {
    pub tag: String,
    /// Stored to the microsecond (truncated); years 1 to 9999.
    pub timestamp: OffsetDateTime,
    /// Must be finite; `-0.0` is stored as `0.0` (SQLite cannot keep the sign).
    pub value: f64,
    pub quality: ReadingQuality,
    /// The sender flags a value that replaces the stored one for the same
    /// (facility, tag, timestamp).
    pub correction: bool,
}

/// What [`Store::insert_readings`] did with the rows of one call; the three
/// counts add up to the number of rows given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct InsertSummary {
    /// New keys stored.
    pub inserted: u64,
    /// Rows whose key was stored already and that did not change it: not
    /// corrections, or corrections equal (value and quality) to the stored
    /// reading, or repeats of a key earlier in the same call.
    pub duplicates: u64,
    /// Corrections that replaced a different stored value or quality.
    pub corrected: u64,
}

/// A stored reading, as [`Store::read_readings_page`] returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadingRecord {
    pub tag: String,
    pub timestamp: OffsetDateTime,
    pub value: f64,
    pub quality: ReadingQuality,
    /// The value replaced an earlier one (a correction).
    pub corrected: bool,
}

/// The per-record results of one group commit
/// ([`Store::insert_calculations`]), filled in by a backend. A record whose
/// id an earlier record of the same group has is `Duplicate` from the start
/// (the first one is the one stored); the others are to be inserted
/// ([`GroupResults::pending`]).
#[derive(Debug)]
pub struct GroupResults {
    results: Vec<Option<Result<(), StoreError>>>,
    pending: Vec<usize>,
}

impl GroupResults {
    pub fn new(records: &[CalculationRecord]) -> Self {
        let mut seen = std::collections::HashSet::with_capacity(records.len());
        let results: Vec<Option<Result<(), StoreError>>> = records
            .iter()
            .map(|r| {
                (!seen.insert(r.calculation_id.as_str())).then(|| {
                    Err(StoreError::Duplicate(format!(
                        "calculation_id {} repeated in the group",
                        r.calculation_id
                    )))
                })
            })
            .collect();
        let pending = (0..records.len())
            .filter(|&i| results[i].is_none())
            .collect();
        Self { results, pending }
    }

    /// Indices of the records to insert (first of each id), in order.
    pub fn pending(&self) -> &[usize] {
        &self.pending
    }

    pub fn set(&mut self, index: usize, result: Result<(), StoreError>) {
        self.results[index] = Some(result);
    }

    /// Whether record `index` ended as `Duplicate`.
    pub fn is_duplicate(&self, index: usize) -> bool {
        matches!(self.results[index], Some(Err(StoreError::Duplicate(_))))
    }

    /// Every record's result; one never set is a `Backend` error (a backend bug).
    pub fn finish(self) -> Vec<Result<(), StoreError>> {
        self.results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| Err(StoreError::Backend("record left unattempted".into())))
            })
            .collect()
    }
}

/// The `Duplicate` error of a record whose id is stored already.
pub fn duplicate_calculation(calculation_id: &str) -> StoreError {
    StoreError::Duplicate(format!("calculation_id {calculation_id} exists"))
}

/// Timestamps of readings must lie in this range of years (both backends).
pub const READING_YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

/// Checks the rows of an `insert_readings` call the same way on every
/// backend: finite values, timestamps in [`READING_YEARS`], non-empty tags,
/// and an audit entry when any row is a correction.
pub fn validate_readings(
    facility_id: &str,
    rows: &[NewReading],
    audit: Option<&AuditEntry>,
) -> Result<(), StoreError> {
    if facility_id.is_empty() {
        return Err(StoreError::Backend("facility_id is empty".into()));
    }
    for (i, r) in rows.iter().enumerate() {
        if r.tag.is_empty() {
            return Err(StoreError::Backend(format!("reading {i}: empty tag")));
        }
        if !r.value.is_finite() {
            return Err(StoreError::Backend(format!(
                "reading {i} ({}): value {} is not finite",
                r.tag, r.value
            )));
        }
        let year = r.timestamp.to_offset(time::UtcOffset::UTC).year();
        if !READING_YEARS.contains(&year) {
            return Err(StoreError::Backend(format!(
                "reading {i} ({}): year {year} outside 1-9999",
                r.tag
            )));
        }
    }
    if audit.is_none() && rows.iter().any(|r| r.correction) {
        return Err(StoreError::Backend(
            "corrections must be audited: no audit entry given".into(),
        ));
    }
    Ok(())
}

/// Reduces the rows of one call to one per key (tag, timestamp truncated to
/// the microsecond): the last row flagged as a correction if any, else the
/// first. Returns the kept rows (timestamps truncated, `-0.0` made `0.0`, in
/// first-seen key order) and how many rows were dropped as repeats.
pub fn collapse_readings(rows: &[NewReading]) -> (Vec<NewReading>, u64) {
    use std::collections::HashMap;
    let mut index: HashMap<(&str, OffsetDateTime), usize> = HashMap::with_capacity(rows.len());
    let mut kept: Vec<NewReading> = Vec::with_capacity(rows.len());
    let mut repeats = 0;
    for r in rows {
        let ts = truncate_to_micros(r.timestamp);
        match index.get(&(r.tag.as_str(), ts)) {
            None => {
                index.insert((r.tag.as_str(), ts), kept.len());
                let mut row = r.clone();
                row.timestamp = ts;
                row.value += 0.0;
                kept.push(row);
            }
            Some(&i) => {
                repeats += 1;
                if r.correction {
                    let mut row = r.clone();
                    row.timestamp = ts;
                    row.value += 0.0;
                    kept[i] = row;
                }
            }
        }
    }
    (kept, repeats)
}

/// `t` in UTC, truncated to the microsecond (as every stored time stamp).
pub fn truncate_to_micros(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    let nanos = t.nanosecond();
    t.replace_nanosecond(nanos - nanos % 1_000)
        .unwrap_or_else(|_| unreachable!("a whole number of microseconds is a valid nanosecond"))
}

/// The JSON `detail` of the audit entry `insert_readings` writes for a call
/// that corrected readings: the count, up to [`AUDITED_CORRECTIONS`] of the
/// corrected readings with their old and new values, and the caller's detail.
pub fn corrections_audit_detail(
    corrected: &[CorrectedReading],
    total: u64,
    caller_detail: &str,
) -> String {
    let mut out = format!("{{\"corrected\":{total},\"readings\":[");
    for (i, c) in corrected.iter().take(AUDITED_CORRECTIONS).enumerate() {
        if i > 0 {
            out.push(',');
        }
        let ts = c
            .timestamp
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let old_value = c.old.map_or("null".to_owned(), |(v, _)| json_number(v));
        let old_quality = c
            .old
            .map_or("null".to_owned(), |(_, q)| format!("\"{}\"", q.as_str()));
        out.push_str(&format!(
            "{{\"tag\":{},\"timestamp\":\"{ts}\",\"old_value\":{old_value},\"old_quality\":{old_quality},\"value\":{},\"quality\":\"{}\"}}",
            json_string(&c.tag),
            json_number(c.value),
            c.quality.as_str()
        ));
    }
    out.push_str("],\"detail\":");
    out.push_str(if caller_detail.is_empty() {
        "null"
    } else {
        caller_detail
    });
    out.push('}');
    out
}

/// At most this many corrected readings are listed in one audit entry.
pub const AUDITED_CORRECTIONS: usize = 1000;

/// One corrected reading, for the audit entry.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrectedReading {
    pub tag: String,
    pub timestamp: OffsetDateTime,
    /// The replaced value and quality (`None` if not known).
    pub old: Option<(f64, ReadingQuality)>,
    pub value: f64,
    pub quality: ReadingQuality,
}

fn json_number(v: f64) -> String {
    if v.is_finite() {
        format!("{v:?}")
    } else {
        "null".to_owned()
    }
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
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

    // ------------------------------------------------------------- readings
    //
    // Readings are keyed by (facility_id, tag, timestamp); timestamps are
    // stored to the microsecond (truncated), UTC. The store does not check
    // that the facility or its tags exist (the service does).

    /// Stores the readings of one facility in one transaction (all or
    /// nothing), in multi-row statements of a few hundred rows.
    ///
    /// Rows are first checked ([`validate_readings`]: finite values, years
    /// 1–9999, non-empty tags, `audit` present if any row is a correction;
    /// else `Backend` and nothing is stored), then reduced to one per key
    /// ([`collapse_readings`]: the last correction, else the first row; the
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
    /// [`corrections_audit_detail`] (old and new values). `ingested_at` is the
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn calculation_status_texts_are_the_schema_check_values() {
        // The CHECK of `calculations.status` in both backends' 0001 migration.
        let texts: Vec<&str> = CalculationStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(texts, ["completed", "failed", "invalid"]);
        for status in CalculationStatus::ALL {
            assert_eq!(status.as_str().parse::<CalculationStatus>(), Ok(status));
            assert_eq!(status.to_string(), status.as_str());
            let json = serde_json::to_string(&status).expect("serialises");
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            let back: CalculationStatus = serde_json::from_str(&json).expect("deserialises");
            assert_eq!(back, status);
        }
        let err = "Completed".parse::<CalculationStatus>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown calculation status 'Completed': expected one of completed, failed, invalid"
        );
        assert!(serde_json::from_str::<CalculationStatus>("\"done\"").is_err());
        assert!(matches!(
            decode_column::<CalculationStatus>("status", "done"),
            Err(StoreError::Corrupt(_))
        ));
    }

    #[test]
    fn every_store_enum_parses_what_it_prints() {
        for s in JobStatus::ALL {
            assert_eq!(JobStatus::parse(s.as_str()), Some(s));
        }
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
        }
        for q in ReadingQuality::ALL {
            assert_eq!(ReadingQuality::parse(q.as_str()), Some(q));
        }
        assert_eq!(JobStatus::parse("QUEUED"), None);
        assert_eq!(Scope::parse(""), None);
    }

    proptest! {
        /// Exactly the three texts parse, whatever else is given; the error
        /// echoes at most 64 characters of the input.
        #[test]
        fn only_the_three_texts_parse(text in ".{0,200}") {
            let parsed = text.parse::<CalculationStatus>();
            let known = ["completed", "failed", "invalid"].contains(&text.as_str());
            prop_assert_eq!(parsed.is_ok(), known);
            if let Err(e) = parsed {
                prop_assert!(e.value.chars().count() <= 64);
                prop_assert!(text.starts_with(&e.value));
            }
        }
    }
}
