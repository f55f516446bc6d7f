//! Record builders and assertions shared by the checks, public so backends'
//! own tests can build the same records.

use std::time::Duration;

use time::OffsetDateTime;
use time::macros::datetime;

use crate::{
    AuditEntry, CalculationQuery, CalculationRecord, CalculationStatus, FacilityRecord,
    IdempotencyOutcome, InsertSummary, JobRecord, NewJob, NewReading, ReadingQuality,
    ReadingRecord, Scope, Store, StoreError, TokenRecord,
};

pub const T0: OffsetDateTime = datetime!(2025-11-10 08:00:00.123456 UTC);

/// An id that sorts like a ULID: fixed width, so byte order is numeric order.
pub fn id(n: u32) -> String {
    format!("01JCALC{n:019}")
}

/// A completed calculation with every field set to something distinctive.
pub fn sample(
    calculation_id: &str,
    facility_id: &str,
    created_at: OffsetDateTime,
) -> CalculationRecord {
    CalculationRecord {
        calculation_id: calculation_id.to_owned(),
        facility_id: facility_id.to_owned(),
        period_start: datetime!(2025-11-01 00:00:00.000001 UTC),
        period_end: datetime!(2025-11-02 00:00:00 UTC),
        efficiency: Some(0.1 + 0.2 + 87.0),
        status: CalculationStatus::Completed,
        invalid_reason: None,
        recalculated_from: None,
        // Not canonical on purpose: the store must not re-serialise documents.
        request: "{ \"facility_id\" : \"FAC-001\",\n  \"inputs\": [1.50, 2e3, -0.0] }".to_owned(),
        canonical_input: "{\"b\":1,\"a\":\"é ü \\u00e9 \\\"quoted\\\"\"}".to_owned(),
        result: format!(
            "{{\"efficiency\":{},\"status\":\"completed\"}}",
            0.1 + 0.2 + 87.0
        ),
        // Key order and number forms that a JSON normaliser would change.
        energy_flows: "{\"inputs\":{\"natural_gas\":1000.5,\"electricity\":1e-7},\
                       \"losses\":{\"flue_gas\":12.50},\"outputs\":{\"steam\":850.0}}"
            .to_owned(),
        input_hash: "a".repeat(64),
        output_hash: "0123456789abcdef".repeat(4),
        engine_version: "thermaliq-core 0.1.0".to_owned(),
        created_at,
    }
}

pub fn audit(action: &str, subject: &str, detail: &str) -> AuditEntry {
    AuditEntry {
        occurred_at: datetime!(2025-11-26 09:30:00.654321 UTC),
        actor: "ops-token".to_owned(),
        action: action.to_owned(),
        subject: subject.to_owned(),
        detail: detail.to_owned(),
    }
}

pub fn query(limit: u32) -> CalculationQuery {
    CalculationQuery {
        limit,
        ..CalculationQuery::default()
    }
}

pub fn ids_of(records: &[CalculationRecord]) -> Vec<String> {
    records.iter().map(|r| r.calculation_id.clone()).collect()
}

pub async fn insert_all(store: &dyn Store, records: &[CalculationRecord]) {
    for r in records {
        store
            .insert_calculation(r)
            .await
            .unwrap_or_else(|e| panic!("insert {}: {e}", r.calculation_id));
    }
}

pub async fn get(store: &dyn Store, calculation_id: &str) -> CalculationRecord {
    store
        .get_calculation(calculation_id)
        .await
        .expect("get_calculation")
        .unwrap_or_else(|| panic!("{calculation_id} not found"))
}

pub async fn get_opt(store: &dyn Store, calculation_id: &str) -> Option<CalculationRecord> {
    store
        .get_calculation(calculation_id)
        .await
        .expect("get_calculation")
}

/// Compares two records field by field, `efficiency` by its bits.
#[track_caller]
pub fn assert_same_record(got: &CalculationRecord, want: &CalculationRecord) {
    assert_eq!(
        got.efficiency.map(f64::to_bits),
        want.efficiency.map(f64::to_bits),
        "efficiency of {} must read back bit for bit ({:?} vs {:?})",
        want.calculation_id,
        got.efficiency,
        want.efficiency
    );
    assert_eq!(
        got, want,
        "record {} must read back as written",
        want.calculation_id
    );
}

/// Awaits `fut`, failing the check if it takes longer than 10 s.
pub async fn within<T>(fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), fut)
        .await
        .expect("the call returns promptly")
}

/// `result` is `Rejected` naming `field` (a permanent error, the data's).
#[track_caller]
pub fn assert_rejected<T: std::fmt::Debug>(result: &Result<T, StoreError>, field: &str) {
    match result {
        Err(StoreError::Rejected { field: Some(f), .. }) if f == field => {}
        other => panic!("expected Rejected naming `{field}`, got {other:?}"),
    }
}

pub fn unavailable(result: &Result<impl std::fmt::Debug, StoreError>) -> bool {
    matches!(result, Err(StoreError::Unavailable(_)))
}

#[track_caller]
pub fn assert_invalidation_audit(entry: &AuditEntry, given: &AuditEntry, ids: &[String]) {
    assert_eq!(entry.actor, given.actor);
    assert_eq!(entry.action, given.action);
    assert_eq!(entry.subject, given.subject);
    assert_eq!(entry.occurred_at, given.occurred_at);
    let detail: serde_json::Value =
        serde_json::from_str(&entry.detail).expect("audit detail is JSON");
    assert_eq!(
        detail["count"],
        serde_json::json!(ids.len()),
        "the audit entry records how many rows were invalidated: {}",
        entry.detail
    );
    let given_detail: serde_json::Value =
        serde_json::from_str(&given.detail).expect("given detail is JSON");
    assert_eq!(
        detail["detail"], given_detail,
        "the caller's detail is kept"
    );
}

pub fn token(n: u32, scope: Scope) -> TokenRecord {
    TokenRecord {
        token_id: format!("tok_{n:04}"),
        name: format!("token number {n}"),
        scope,
        token_hash: format!("{n:064x}"),
        created_at: T0 + Duration::from_micros(u64::from(n)),
        expires_at: None,
        last_used_at: None,
    }
}

/// Stores `records` in one call, expecting the call itself to commit.
pub async fn insert_group(
    store: &dyn Store,
    records: &[CalculationRecord],
) -> Vec<Result<(), StoreError>> {
    let results = within(store.insert_calculations(records))
        .await
        .expect("the group commits");
    assert_eq!(results.len(), records.len(), "one result per record");
    results
}

pub const MINUTE: Duration = Duration::from_secs(60);

/// A job that is due (its `run_after` is long past).
pub fn job(kind: &str, payload: &str, dedupe_key: Option<&str>, max_attempts: u32) -> NewJob {
    NewJob {
        kind: kind.to_owned(),
        payload: payload.to_owned(),
        dedupe_key: dedupe_key.map(str::to_owned),
        max_attempts,
        run_after: T0,
    }
}

pub async fn enqueue(store: &dyn Store, new: &NewJob) -> JobRecord {
    store.enqueue_job(new).await.expect("enqueue_job")
}

pub async fn job_of(store: &dyn Store, job_id: &str) -> JobRecord {
    store
        .get_job(job_id)
        .await
        .expect("get_job")
        .unwrap_or_else(|| panic!("{job_id} not found"))
}

pub async fn claim(store: &dyn Store, worker: &str, lease: Duration, limit: u32) -> Vec<JobRecord> {
    store
        .claim_jobs(worker, lease, limit)
        .await
        .expect("claim_jobs")
}

/// Claims until `want` jobs were claimed (polling while they become due).
pub async fn claim_when_due(store: &dyn Store, worker: &str, lease: Duration) -> JobRecord {
    for _ in 0..200 {
        if let Some(j) = claim(store, worker, lease, 1).await.pop() {
            return j;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no job became claimable within 5 s");
}

pub fn job_ids(jobs: &[JobRecord]) -> Vec<String> {
    jobs.iter().map(|j| j.job_id.clone()).collect()
}

pub async fn begin(
    store: &dyn Store,
    key: &str,
    principal: &str,
    hash: &str,
) -> IdempotencyOutcome {
    store
        .idempotency_begin(key, principal, hash)
        .await
        .expect("idempotency_begin")
}

pub fn facility(id: &str, name: &str, at: OffsetDateTime) -> FacilityRecord {
    FacilityRecord {
        facility_id: id.to_owned(),
        name: name.to_owned(),
        process_type: "boiler".to_owned(),
        time_zone: "Europe/Berlin".to_owned(),
        schedule: "hourly".to_owned(),
        // Not canonical on purpose: kept byte for byte.
        document: format!(
            "{{\"facility_id\":\"{id}\", \"name\":\"{name}\",\n \"channels\":[{{\"tag\":\"gas\",\"unit\":\"MWh\",\"x\":1.50}}],\"note\":\"é \\u00e9\"}}"
        ),
        created_at: at,
        updated_at: at,
    }
}

pub const R0: OffsetDateTime = datetime!(2025-11-01 00:00:00 UTC);

pub fn reading(tag: &str, timestamp: OffsetDateTime, value: f64) -> NewReading {
    NewReading {
        tag: tag.to_owned(),
        timestamp,
        value,
        quality: ReadingQuality::Good,
        correction: false,
    }
}

pub fn correction(tag: &str, timestamp: OffsetDateTime, value: f64) -> NewReading {
    NewReading {
        correction: true,
        ..reading(tag, timestamp, value)
    }
}

pub fn minutes(n: u64) -> Duration {
    Duration::from_secs(60 * n)
}

pub async fn insert(
    store: &dyn Store,
    facility_id: &str,
    rows: &[NewReading],
    audit_entry: Option<&AuditEntry>,
) -> InsertSummary {
    store
        .insert_readings(facility_id, rows, audit_entry)
        .await
        .expect("insert_readings")
}

pub fn summary(inserted: u64, duplicates: u64, corrected: u64) -> InsertSummary {
    InsertSummary {
        inserted,
        duplicates,
        corrected,
    }
}

/// Every reading of the facility in `[from, to]`, page by page.
pub async fn read_all(
    store: &dyn Store,
    facility_id: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
    page: u32,
) -> Vec<ReadingRecord> {
    let mut out: Vec<ReadingRecord> = Vec::new();
    loop {
        let after = out.last().map(|r| (r.tag.clone(), r.timestamp));
        let got = store
            .read_readings_page(
                facility_id,
                from,
                to,
                after.as_ref().map(|(t, ts)| (t.as_str(), *ts)),
                page,
            )
            .await
            .expect("read_readings_page");
        assert!(
            got.len() <= page as usize,
            "a page holds at most `limit` rows"
        );
        let last_page = got.len() < page as usize;
        out.extend(got);
        if last_page {
            return out;
        }
    }
}

#[track_caller]
pub fn assert_same_readings(got: &[ReadingRecord], want: &[ReadingRecord]) {
    assert_eq!(got.len(), want.len(), "reading count");
    for (g, w) in got.iter().zip(want) {
        assert_eq!(
            g.value.to_bits(),
            w.value.to_bits(),
            "value of {w:?} bit for bit"
        );
        assert_eq!(g, w);
    }
}

pub fn record_of(r: &NewReading, corrected: bool) -> ReadingRecord {
    ReadingRecord {
        tag: r.tag.clone(),
        timestamp: crate::truncate_to_micros(r.timestamp),
        value: r.value,
        quality: r.quality,
        corrected,
    }
}
