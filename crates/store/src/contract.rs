//! The behaviour every [`Store`] backend must have, as executable checks
//! (cargo feature `contract`).
//!
//! Each check is a plain `pub async fn` taking a [`Fixture`]: a store on a
//! fresh, empty, migrated database plus a way to read the audit log behind the
//! store's back. A backend's test crate runs them all with
//! [`store_contract_tests!`](crate::store_contract_tests), one `#[tokio::test]`
//! per check, so SQLite and PostgreSQL are held to the same assertions.
//!
//! The asserts follow the documented contract of [`Store`] and its records, not
//! either implementation:
//! * every field of a record reads back as written (text byte for byte,
//!   `efficiency` bit for bit, time stamps as the same instant to the
//!   microsecond; finer digits are truncated);
//! * ids are unique (`Duplicate`), and the schema's constraints hold;
//! * lists are newest first by id (ids compare as bytes), filtered by
//!   facility, status, `created_from <= created_at < created_to`, paged by a
//!   strict `before_id` cursor and `limit`;
//! * invalidation marks matching rows that are not yet invalid, returns their
//!   ids oldest first, and writes exactly one audit entry per call, atomically;
//! * tokens are found by hash, counted, unique by id and by hash;
//! * every method is atomic; `close` makes every later call `Unavailable`;
//! * jobs: enqueue deduplicates by `dedupe_key` (also under races); concurrent
//!   claimers never get the same job; an expired lease is reclaimed and its old
//!   owner can no longer heartbeat, complete or fail the job; failures retry
//!   after the given backoff and dead-letter after `max_attempts`;
//!   `queue_depth` counts queued and running jobs;
//! * idempotency keys: new / in progress / replay / mismatch / abandon, scoped
//!   by principal, exactly one winner under races, purge by age.
//! * facilities: insert or replace (created_at kept), audited, listed by id;
//! * readings: idempotent by (facility, tag, timestamp), corrections replace
//!   and are audited, keyset pages ordered by (tag as bytes, timestamp) with
//!   no gaps or repeats, inclusive range bounds, retention by `timestamp <`.

#![cfg(feature = "contract")]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use time::macros::datetime;
use time::{OffsetDateTime, UtcOffset};

use crate::{
    AuditEntry, CalculationQuery, CalculationRecord, CalculationStatus, FacilityRecord,
    IdempotencyOutcome, InsertSummary, Invalidation, JobRecord, JobStatus, NewJob, NewReading,
    ReadingQuality, ReadingRecord, Scope, Store, StoreError, TokenRecord,
};

/// A store on a database no other check uses.
#[async_trait]
pub trait Fixture: Send + Sync {
    /// The store under test (always the same one for this fixture).
    fn store(&self) -> Arc<dyn Store>;
    /// Every row of the audit log, in the order written, read directly from
    /// the database (not through the store).
    async fn audit_log(&self) -> Vec<AuditEntry>;
    /// Releases what the fixture created (called after a check passed).
    async fn teardown(&self) {}
}

/// Generates one `#[tokio::test]` per contract check. `$fixture` is an
/// `async fn() -> Option<F>` with `F: Fixture`; `None` skips the test (for a
/// backend whose database is not configured: print why before returning it).
#[macro_export]
macro_rules! store_contract_tests {
    ($fixture:path) => {
        $crate::store_contract_tests!(@checks $fixture;
            backend_and_ping,
            round_trip_every_field,
            round_trip_failed_and_recalculated,
            timestamps_keep_the_instant_to_the_microsecond,
            get_unknown_id_is_none,
            duplicate_id_is_rejected_and_keeps_the_original,
            schema_constraints_are_enforced,
            list_is_newest_first_by_id_with_limit,
            list_orders_ids_as_bytes,
            list_filters_by_facility_status_and_created_range,
            list_cursor_pages_without_gaps_or_repeats,
            invalidate_marks_the_range_and_returns_sorted_ids,
            invalidate_skips_rows_already_invalid,
            invalidate_without_matches_still_audits,
            tokens_round_trip_and_count,
            duplicate_token_is_rejected_atomically,
            concurrent_inserts_are_all_kept_and_ids_stay_unique,
            connections_active_falls_back_to_zero_when_idle,
            close_makes_every_call_unavailable,
            group_commit_stores_every_record,
            group_commit_duplicate_fails_only_itself,
            group_commit_constraint_failure_fails_only_itself,
            group_commit_of_nothing_is_empty,
            group_commit_of_a_thousand_records,
            enqueue_round_trips_every_field,
            enqueue_dedupes_by_key,
            concurrent_enqueues_of_one_key_make_one_job,
            claim_takes_due_jobs_in_order_and_leases_them,
            concurrent_claimers_never_share_a_job,
            only_the_lease_owner_heartbeats_completes_or_fails,
            expired_lease_is_reclaimed_and_the_old_owner_loses,
            failures_retry_with_backoff_then_dead_letter,
            expired_lease_on_the_last_attempt_dead_letters,
            queue_depth_counts_queued_and_running,
            list_jobs_filters_by_status_newest_first,
            idempotency_new_in_progress_replay_mismatch,
            idempotency_abandon_frees_the_key,
            idempotency_keys_are_scoped_by_principal,
            concurrent_idempotency_begins_have_one_winner,
            idempotency_purge_removes_old_keys,
            stale_in_progress_keys_are_released,
            jobs_and_keys_are_unavailable_after_close,
            facility_put_get_replace_and_audit,
            facilities_list_by_id_in_pages,
            readings_round_trip_every_field,
            resent_readings_count_once,
            corrections_replace_and_are_audited,
            repeats_within_one_call_count_once,
            invalid_rows_are_refused_and_nothing_is_stored,
            reading_pages_are_ordered_and_complete,
            reading_range_bounds_are_inclusive,
            large_batches_span_chunks_and_months,
            retention_deletes_strictly_older_readings,
            readings_are_unavailable_after_close,
        );
    };
    (@checks $fixture:path; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                let Some(fixture) = $fixture().await else {
                    return;
                };
                $crate::contract::$check(&fixture).await;
                $crate::contract::Fixture::teardown(&fixture).await;
            }
        )*
    };
}

// ---------------------------------------------------------------- data

const T0: OffsetDateTime = datetime!(2025-11-10 08:00:00.123456 UTC);

/// An id that sorts like a ULID: fixed width, so byte order is numeric order.
fn id(n: u32) -> String {
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

fn audit(action: &str, subject: &str, detail: &str) -> AuditEntry {
    AuditEntry {
        occurred_at: datetime!(2025-11-26 09:30:00.654321 UTC),
        actor: "ops-token".to_owned(),
        action: action.to_owned(),
        subject: subject.to_owned(),
        detail: detail.to_owned(),
    }
}

fn query(limit: u32) -> CalculationQuery {
    CalculationQuery {
        limit,
        ..CalculationQuery::default()
    }
}

fn ids_of(records: &[CalculationRecord]) -> Vec<String> {
    records.iter().map(|r| r.calculation_id.clone()).collect()
}

async fn insert_all(store: &dyn Store, records: &[CalculationRecord]) {
    for r in records {
        store
            .insert_calculation(r)
            .await
            .unwrap_or_else(|e| panic!("insert {}: {e}", r.calculation_id));
    }
}

async fn get(store: &dyn Store, calculation_id: &str) -> CalculationRecord {
    store
        .get_calculation(calculation_id)
        .await
        .expect("get_calculation")
        .unwrap_or_else(|| panic!("{calculation_id} not found"))
}

async fn get_opt(store: &dyn Store, calculation_id: &str) -> Option<CalculationRecord> {
    store
        .get_calculation(calculation_id)
        .await
        .expect("get_calculation")
}

/// Compares two records field by field, `efficiency` by its bits.
#[track_caller]
fn assert_same_record(got: &CalculationRecord, want: &CalculationRecord) {
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
async fn within<T>(fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), fut)
        .await
        .expect("the call returns promptly")
}

fn unavailable(result: &Result<impl std::fmt::Debug, StoreError>) -> bool {
    matches!(result, Err(StoreError::Unavailable(_)))
}

// ---------------------------------------------------------------- checks

/// `backend()` names the backend; `ping` succeeds on a live database.
pub async fn backend_and_ping(f: &dyn Fixture) {
    let store = f.store();
    assert!(
        matches!(store.backend(), "sqlite" | "postgres"),
        "backend() is `sqlite` or `postgres`, got {}",
        store.backend()
    );
    store.ping().await.expect("ping on a live database");
    store.ping().await.expect("ping twice");
}

/// Every column reads back exactly: documents byte for byte (they are hashed
/// or compared by operators), efficiency bit for bit, times to the microsecond.
pub async fn round_trip_every_field(f: &dyn Fixture) {
    let store = f.store();
    let mut records = vec![sample(&id(1), "FAC-001", T0)];
    // Awkward but finite efficiencies.
    for (n, efficiency) in [
        (2, 99.999_999_999_999_99),
        (3, f64::MIN_POSITIVE),
        (4, 1.0e-300),
        (5, 100.0),
        (6, -12.345_678_901_234_567),
        (7, 1.0 / 3.0),
    ] {
        let mut r = sample(&id(n), "FAC-001", T0 + Duration::from_secs(u64::from(n)));
        r.efficiency = Some(efficiency);
        records.push(r);
    }
    let mut unusual = sample(&id(8), "FAC-ü/'\"; --", T0);
    unusual.invalid_reason = Some("kept on a completed row: the store does not judge".to_owned());
    unusual.engine_version = String::new();
    unusual.request = "x".repeat(200_000);
    records.push(unusual);
    insert_all(store.as_ref(), &records).await;
    for r in &records {
        assert_same_record(&get(store.as_ref(), &r.calculation_id).await, r);
    }
}

/// A failed calculation (no efficiency) and a recalculation pointing at its original.
pub async fn round_trip_failed_and_recalculated(f: &dyn Fixture) {
    let store = f.store();
    let original = sample(&id(1), "FAC-001", T0);
    let mut failed = sample(&id(2), "FAC-001", T0 + Duration::from_secs(60));
    failed.status = CalculationStatus::Failed;
    failed.efficiency = None;
    let mut again = sample(&id(3), "FAC-001", T0 + Duration::from_secs(120));
    again.recalculated_from = Some(original.calculation_id.clone());
    let mut invalid = sample(&id(4), "FAC-002", T0);
    invalid.status = CalculationStatus::Invalid;
    invalid.invalid_reason = Some("imported as invalid".to_owned());
    let records = [original, failed, again, invalid];
    insert_all(store.as_ref(), &records).await;
    for r in &records {
        assert_same_record(&get(store.as_ref(), &r.calculation_id).await, r);
    }
}

/// Time stamps keep their instant whatever offset they were given in, with
/// microsecond precision: digits below the microsecond are truncated, also
/// before 1970 and before 2000.
pub async fn timestamps_keep_the_instant_to_the_microsecond(f: &dyn Fixture) {
    let store = f.store();
    let mut r = sample(
        &id(1),
        "FAC-001",
        datetime!(2025-11-10 09:00:00.999_999_999 +01:00),
    );
    r.period_start = datetime!(1969-12-31 23:59:59.000_000_5 UTC);
    r.period_end = datetime!(1999-12-31 23:59:59.999_999_5 UTC);
    store.insert_calculation(&r).await.expect("insert");
    let got = get(store.as_ref(), &r.calculation_id).await;
    assert_eq!(got.created_at, datetime!(2025-11-10 08:00:00.999_999 UTC));
    assert_eq!(got.period_start, datetime!(1969-12-31 23:59:59 UTC));
    assert_eq!(got.period_end, datetime!(1999-12-31 23:59:59.999_999 UTC));
    for t in [got.created_at, got.period_start, got.period_end] {
        assert_eq!(t.nanosecond() % 1_000, 0, "{t} is to the microsecond");
    }
    // The range filter sees the stored (truncated) instant.
    let at = |from: OffsetDateTime, to: OffsetDateTime| CalculationQuery {
        created_from: Some(from),
        created_to: Some(to),
        ..query(10)
    };
    let exact = datetime!(2025-11-10 08:00:00.999_999 UTC);
    let hit = store
        .list_calculations(&at(exact, exact + Duration::from_micros(1)))
        .await
        .expect("list");
    assert_eq!(ids_of(&hit), [id(1)]);
    let miss = store
        .list_calculations(&at(
            exact + Duration::from_micros(1),
            exact + Duration::from_secs(1),
        ))
        .await
        .expect("list");
    assert!(
        miss.is_empty(),
        "created_at is stored truncated, not rounded up"
    );
    // The same instant in another offset is the same time stamp.
    let offset = UtcOffset::from_hms(5, 30, 0).expect("offset");
    let shifted = store
        .list_calculations(&at(
            exact.to_offset(offset),
            exact.to_offset(offset) + Duration::from_micros(1),
        ))
        .await
        .expect("list");
    assert_eq!(ids_of(&shifted), [id(1)]);
}

pub async fn get_unknown_id_is_none(f: &dyn Fixture) {
    let store = f.store();
    store
        .insert_calculation(&sample(&id(1), "FAC-001", T0))
        .await
        .expect("insert");
    assert_eq!(store.get_calculation(&id(2)).await.expect("get"), None);
    assert_eq!(store.get_calculation("").await.expect("get"), None);
    // Ids match exactly: no case folding, no prefix match.
    assert_eq!(
        store
            .get_calculation(&id(1).to_lowercase())
            .await
            .expect("get"),
        None
    );
    assert_eq!(
        store.get_calculation(&id(1)[..10]).await.expect("get"),
        None
    );
}

/// A second insert with a taken id is `Duplicate` and changes nothing.
pub async fn duplicate_id_is_rejected_and_keeps_the_original(f: &dyn Fixture) {
    let store = f.store();
    let original = sample(&id(1), "FAC-001", T0);
    store.insert_calculation(&original).await.expect("insert");
    let mut other = sample(&id(1), "FAC-002", T0 + Duration::from_secs(5));
    other.efficiency = Some(12.0);
    for attempt in [&original, &other] {
        let result = store.insert_calculation(attempt).await;
        assert!(
            matches!(result, Err(StoreError::Duplicate(_))),
            "a repeated id is Duplicate, got {result:?}"
        );
    }
    assert_same_record(&get(store.as_ref(), &id(1)).await, &original);
    assert_eq!(
        store
            .list_calculations(&query(10))
            .await
            .expect("list")
            .len(),
        1
    );
}

/// `recalculated_from` names an existing calculation: a dangling one is a
/// `Backend` error (not `Duplicate`, not `Unavailable`) and stores nothing.
/// (`status` is a [`CalculationStatus`]: no other value can be written.)
pub async fn schema_constraints_are_enforced(f: &dyn Fixture) {
    let store = f.store();
    let mut dangling = sample(&id(2), "FAC-001", T0);
    dangling.recalculated_from = Some(id(99));
    let result = store.insert_calculation(&dangling).await;
    assert!(
        matches!(result, Err(StoreError::Backend(_))),
        "recalculated_from must reference a calculation, got {result:?}"
    );
    assert!(
        store
            .list_calculations(&query(10))
            .await
            .expect("list")
            .is_empty()
    );
}

/// Newest first means highest id first, even when `created_at` disagrees;
/// `limit` caps the page, `limit = 0` gives nothing.
pub async fn list_is_newest_first_by_id_with_limit(f: &dyn Fixture) {
    let store = f.store();
    // Inserted out of order; id 3 carries the oldest created_at.
    let order = [4, 1, 5, 3, 2];
    let records: Vec<_> = order
        .iter()
        .map(|&n| {
            let created = if n == 3 {
                T0 - Duration::from_secs(3600)
            } else {
                T0 + Duration::from_secs(u64::from(n))
            };
            sample(&id(n), "FAC-001", created)
        })
        .collect();
    insert_all(store.as_ref(), &records).await;
    let all = store.list_calculations(&query(100)).await.expect("list");
    assert_eq!(ids_of(&all), [id(5), id(4), id(3), id(2), id(1)]);
    for r in &all {
        let want = records
            .iter()
            .find(|w| w.calculation_id == r.calculation_id)
            .expect("listed id was inserted");
        assert_same_record(r, want);
    }
    let two = store.list_calculations(&query(2)).await.expect("list");
    assert_eq!(ids_of(&two), [id(5), id(4)]);
    assert!(
        store
            .list_calculations(&query(0))
            .await
            .expect("list")
            .is_empty()
    );
    let huge = store
        .list_calculations(&query(u32::MAX))
        .await
        .expect("list");
    assert_eq!(huge.len(), 5);
}

/// Ids compare byte by byte (so every backend orders and pages the same way,
/// whatever its collation): `-` (0x2D) < `1` (0x31) < `A` < `Z` < `_` < `a`.
pub async fn list_orders_ids_as_bytes(f: &dyn Fixture) {
    let store = f.store();
    let ids = [
        "CALC-2", "CALC1", "CALCA", "CALCZ", "CALC_", "CALCa", "calc0",
    ];
    for (n, calc_id) in ids.iter().rev().enumerate() {
        store
            .insert_calculation(&sample(
                calc_id,
                "FAC-001",
                T0 + Duration::from_secs(n as u64),
            ))
            .await
            .expect("insert");
    }
    let listed = store.list_calculations(&query(100)).await.expect("list");
    let mut want: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    want.sort_by(|a, b| b.as_bytes().cmp(a.as_bytes()));
    assert_eq!(ids_of(&listed), want);
    let page = store
        .list_calculations(&CalculationQuery {
            before_id: Some("CALC1".to_owned()),
            ..query(100)
        })
        .await
        .expect("list");
    assert_eq!(ids_of(&page), ["CALC-2"]);
}

/// Facility and status match exactly; `created_from` is inclusive,
/// `created_to` exclusive; filters combine with AND.
pub async fn list_filters_by_facility_status_and_created_range(f: &dyn Fixture) {
    let store = f.store();
    let at = |secs: u64| T0 + Duration::from_secs(secs);
    let mut records = vec![
        sample(&id(1), "FAC-001", at(0)),
        sample(&id(2), "FAC-002", at(10)),
        sample(&id(3), "FAC-001", at(20)),
        sample(&id(4), "FAC-001", at(30)),
        sample(&id(5), "fac-001", at(40)),
        sample(&id(6), "FAC-0011", at(50)),
    ];
    records[2].status = CalculationStatus::Failed;
    records[2].efficiency = None;
    records[3].status = CalculationStatus::Invalid;
    records[3].invalid_reason = Some("test".to_owned());
    insert_all(store.as_ref(), &records).await;
    let list = |q: CalculationQuery| {
        let store = store.clone();
        async move { ids_of(&store.list_calculations(&q).await.expect("list")) }
    };
    let facility = |s: &str| Some(s.to_owned());
    assert_eq!(
        list(CalculationQuery {
            facility_id: facility("FAC-001"),
            ..query(100)
        })
        .await,
        [id(4), id(3), id(1)]
    );
    assert!(
        list(CalculationQuery {
            facility_id: facility("FAC-404"),
            ..query(100)
        })
        .await
        .is_empty()
    );
    assert_eq!(
        list(CalculationQuery {
            status: Some(CalculationStatus::Failed),
            ..query(100)
        })
        .await,
        [id(3)]
    );
    assert_eq!(
        list(CalculationQuery {
            status: Some(CalculationStatus::Completed),
            ..query(100)
        })
        .await,
        [id(6), id(5), id(2), id(1)]
    );
    assert_eq!(
        list(CalculationQuery {
            created_from: Some(at(10)),
            created_to: Some(at(30)),
            ..query(100)
        })
        .await,
        [id(3), id(2)],
        "from is inclusive, to exclusive"
    );
    assert_eq!(
        list(CalculationQuery {
            created_from: Some(at(40)),
            ..query(100)
        })
        .await,
        [id(6), id(5)]
    );
    assert_eq!(
        list(CalculationQuery {
            created_to: Some(at(10)),
            ..query(100)
        })
        .await,
        [id(1)]
    );
    assert_eq!(
        list(CalculationQuery {
            facility_id: facility("FAC-001"),
            status: Some(CalculationStatus::Completed),
            created_from: Some(at(0)),
            created_to: Some(at(100)),
            ..query(100)
        })
        .await,
        [id(1)]
    );
    assert_eq!(
        list(CalculationQuery {
            facility_id: facility("FAC-001"),
            before_id: Some(id(4)),
            ..query(1)
        })
        .await,
        [id(3)]
    );
}

/// Following `before_id` = last id of the previous page visits every row once,
/// newest first; a cursor need not be an existing id.
pub async fn list_cursor_pages_without_gaps_or_repeats(f: &dyn Fixture) {
    let store = f.store();
    let records: Vec<_> = (1..=11)
        .map(|n| {
            sample(
                &id(n * 10),
                "FAC-001",
                T0 + Duration::from_secs(u64::from(n)),
            )
        })
        .collect();
    insert_all(store.as_ref(), &records).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = store
            .list_calculations(&CalculationQuery {
                before_id: cursor.clone(),
                ..query(3)
            })
            .await
            .expect("list");
        assert!(page.len() <= 3, "a page holds at most `limit` rows");
        let Some(last) = page.last() else { break };
        cursor = Some(last.calculation_id.clone());
        seen.extend(ids_of(&page));
        pages += 1;
        assert!(pages <= 10, "paging must end");
    }
    assert_eq!(pages, 4);
    let want: Vec<String> = (1..=11).rev().map(|n| id(n * 10)).collect();
    assert_eq!(seen, want);
    let between = store
        .list_calculations(&CalculationQuery {
            before_id: Some(id(55)),
            ..query(2)
        })
        .await
        .expect("list");
    assert_eq!(ids_of(&between), [id(50), id(40)]);
    let before_first = store
        .list_calculations(&CalculationQuery {
            before_id: Some(id(10)),
            ..query(10)
        })
        .await
        .expect("list");
    assert!(before_first.is_empty(), "the cursor is exclusive");
}

#[track_caller]
fn assert_invalidation_audit(entry: &AuditEntry, given: &AuditEntry, ids: &[String]) {
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

/// Marks completed and failed rows in `[from, to)` (of one facility when
/// given) invalid with the reason; returns their ids oldest first; leaves the
/// rest untouched; writes one audit entry.
pub async fn invalidate_marks_the_range_and_returns_sorted_ids(f: &dyn Fixture) {
    let store = f.store();
    let day = |d: u8| {
        datetime!(2025-11-01 00:00:00 UTC)
            .replace_day(d)
            .expect("a November day")
    };
    let mut records = vec![
        sample(&id(7), "FAC-001", day(1)), // from is inclusive
        sample(&id(3), "FAC-001", day(10)),
        sample(&id(5), "FAC-002", day(12)),
        sample(&id(1), "FAC-001", day(25) + Duration::from_secs(86_399)),
        sample(&id(2), "FAC-001", day(26)), // to is exclusive
        sample(&id(4), "FAC-001", day(1) - Duration::from_micros(1)),
    ];
    records[1].status = CalculationStatus::Failed;
    records[1].efficiency = None;
    insert_all(store.as_ref(), &records).await;
    let before = f.audit_log().await.len();

    let given = audit("invalidate", "FAC-001", "{\"incident\":\"INC-12345\"}");
    let ids = store
        .invalidate_calculations(
            &Invalidation {
                facility_id: Some("FAC-001".to_owned()),
                created_from: day(1),
                created_to: day(26),
                reason: "Calculation formula error - see incident INC-12345".to_owned(),
            },
            &given,
        )
        .await
        .expect("invalidate");
    assert_eq!(
        ids,
        [id(1), id(3), id(7)],
        "ids of the marked rows, oldest first"
    );

    for r in &records {
        let got = get(store.as_ref(), &r.calculation_id).await;
        if ids.contains(&r.calculation_id) {
            assert_eq!(got.status, CalculationStatus::Invalid);
            assert_eq!(
                got.invalid_reason.as_deref(),
                Some("Calculation formula error - see incident INC-12345")
            );
            // Nothing else changes.
            assert_same_record(
                &got,
                &CalculationRecord {
                    status: CalculationStatus::Invalid,
                    invalid_reason: got.invalid_reason.clone(),
                    ..r.clone()
                },
            );
        } else {
            assert_same_record(&got, r);
        }
    }
    let log = f.audit_log().await;
    assert_eq!(log.len(), before + 1, "one audit entry per invalidation");
    assert_invalidation_audit(&log[before], &given, &ids);

    // Without a facility, every facility in the range.
    let all = store
        .invalidate_calculations(
            &Invalidation {
                facility_id: None,
                created_from: day(1),
                created_to: day(26),
                reason: "all facilities".to_owned(),
            },
            &audit("invalidate", "*", "{}"),
        )
        .await
        .expect("invalidate");
    assert_eq!(all, [id(5)]);
}

/// Rows already invalid are neither reported nor re-marked (their first reason stays).
pub async fn invalidate_skips_rows_already_invalid(f: &dyn Fixture) {
    let store = f.store();
    let records: Vec<_> = (1..=4)
        .map(|n| {
            sample(
                &id(n),
                "FAC-001",
                T0 + Duration::from_secs(u64::from(n) * 60),
            )
        })
        .collect();
    insert_all(store.as_ref(), &records).await;
    let range = |from_n: u64, to_n: u64, reason: &str| Invalidation {
        facility_id: None,
        created_from: T0 + Duration::from_secs(from_n * 60),
        created_to: T0 + Duration::from_secs(to_n * 60),
        reason: reason.to_owned(),
    };
    let first = store
        .invalidate_calculations(
            &range(1, 3, "first"),
            &audit("invalidate", "a", "{\"n\":1}"),
        )
        .await
        .expect("invalidate");
    assert_eq!(first, [id(1), id(2)]);
    let second_audit = audit("invalidate", "b", "{\"n\":2}");
    let second = store
        .invalidate_calculations(&range(1, 5, "second"), &second_audit)
        .await
        .expect("invalidate");
    assert_eq!(second, [id(3), id(4)], "already invalid rows are skipped");
    for (n, reason) in [(1, "first"), (2, "first"), (3, "second"), (4, "second")] {
        let got = get(store.as_ref(), &id(n)).await;
        assert_eq!(got.status, CalculationStatus::Invalid);
        assert_eq!(got.invalid_reason.as_deref(), Some(reason), "{}", id(n));
    }
    let again = store
        .invalidate_calculations(&range(0, 10, "third"), &audit("invalidate", "c", "{}"))
        .await
        .expect("invalidate");
    assert!(again.is_empty());
    let log = f.audit_log().await;
    assert_eq!(log.len(), 3);
    assert_invalidation_audit(&log[1], &second_audit, &second);
}

/// An invalidation that matches nothing returns no ids, changes nothing, and
/// is still audited (who tried what is worth keeping).
pub async fn invalidate_without_matches_still_audits(f: &dyn Fixture) {
    let store = f.store();
    let r = sample(&id(1), "FAC-001", T0);
    store.insert_calculation(&r).await.expect("insert");
    let given = audit("invalidate", "FAC-002", "{\"why\":\"none\"}");
    let ids = store
        .invalidate_calculations(
            &Invalidation {
                facility_id: Some("FAC-002".to_owned()),
                created_from: T0 - Duration::from_secs(3600),
                created_to: T0 + Duration::from_secs(3600),
                reason: "nothing".to_owned(),
            },
            &given,
        )
        .await
        .expect("invalidate");
    assert!(ids.is_empty());
    assert_same_record(&get(store.as_ref(), &id(1)).await, &r);
    let log = f.audit_log().await;
    assert_eq!(log.len(), 1);
    assert_invalidation_audit(&log[0], &given, &ids);
}

fn token(n: u32, scope: Scope) -> TokenRecord {
    TokenRecord {
        token_id: format!("tok_{n:04}"),
        name: format!("token number {n}"),
        scope,
        token_hash: format!("{n:064x}"),
        created_at: T0 + Duration::from_micros(u64::from(n)),
    }
}

/// Tokens are found by their hash with every field intact, counted, and each
/// insert is audited with the caller's entry.
pub async fn tokens_round_trip_and_count(f: &dyn Fixture) {
    let store = f.store();
    assert_eq!(store.count_tokens().await.expect("count"), 0);
    let tokens = [
        token(1, Scope::Read),
        token(2, Scope::Calculate),
        token(3, Scope::Admin),
    ];
    let mut entries = Vec::new();
    for t in &tokens {
        let entry = audit(
            "token.create",
            &t.token_id,
            &format!("{{\"name\":\"{}\"}}", t.name),
        );
        store.insert_token(t, &entry).await.expect("insert token");
        entries.push(entry);
    }
    assert_eq!(store.count_tokens().await.expect("count"), 3);
    for t in &tokens {
        let got = store
            .find_token_by_hash(&t.token_hash)
            .await
            .expect("find")
            .expect("token found by its hash");
        assert_eq!(&got, t);
    }
    assert_eq!(
        store
            .find_token_by_hash(&"f".repeat(64))
            .await
            .expect("find"),
        None
    );
    assert_eq!(
        store
            .find_token_by_hash(&tokens[0].token_hash.to_uppercase().replace('0', "O"))
            .await
            .expect("find"),
        None
    );
    let log = f.audit_log().await;
    assert_eq!(log.len(), 3, "one audit entry per token");
    for (got, want) in log.iter().zip(&entries) {
        assert_eq!(
            (
                &got.actor,
                &got.action,
                &got.subject,
                &got.detail,
                got.occurred_at
            ),
            (
                &want.actor,
                &want.action,
                &want.subject,
                &want.detail,
                want.occurred_at
            )
        );
    }
}

/// A repeated hash or token id is `Duplicate`; the failed insert leaves no
/// token and no audit entry behind (the method is atomic).
pub async fn duplicate_token_is_rejected_atomically(f: &dyn Fixture) {
    let store = f.store();
    let first = token(1, Scope::Admin);
    store
        .insert_token(&first, &audit("token.create", "tok_0001", "{}"))
        .await
        .expect("insert token");
    let same_hash = TokenRecord {
        token_id: "tok_other".to_owned(),
        ..token(2, Scope::Read)
    };
    let same_hash = TokenRecord {
        token_hash: first.token_hash.clone(),
        ..same_hash
    };
    let same_id = TokenRecord {
        token_id: first.token_id.clone(),
        ..token(3, Scope::Read)
    };
    for t in [&same_hash, &same_id] {
        let result = store
            .insert_token(t, &audit("token.create", &t.token_id, "{}"))
            .await;
        assert!(
            matches!(result, Err(StoreError::Duplicate(_))),
            "duplicate token is Duplicate, got {result:?}"
        );
    }
    assert_eq!(store.count_tokens().await.expect("count"), 1);
    assert_eq!(
        store
            .find_token_by_hash(&first.token_hash)
            .await
            .expect("find"),
        Some(first)
    );
    assert_eq!(
        store
            .find_token_by_hash(&token(3, Scope::Read).token_hash)
            .await
            .expect("find"),
        None
    );
    assert_eq!(
        f.audit_log().await.len(),
        1,
        "a rejected insert writes no audit entry"
    );
}

/// Concurrent callers (as many replicas would be): distinct ids are all kept;
/// racing on one id, exactly one wins and the rest get `Duplicate`.
pub async fn concurrent_inserts_are_all_kept_and_ids_stay_unique(f: &dyn Fixture) {
    let store = f.store();
    let mut tasks = Vec::new();
    for n in 0..24u32 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let r = sample(
                &id(100 + n),
                "FAC-001",
                T0 + Duration::from_millis(u64::from(n)),
            );
            store.insert_calculation(&r).await.map(|()| r)
        }));
    }
    let mut written = Vec::new();
    for task in tasks {
        written.push(task.await.expect("task").expect("concurrent insert"));
    }
    let mut racers = Vec::new();
    for n in 0..8u32 {
        let store = store.clone();
        racers.push(tokio::spawn(async move {
            let mut r = sample(&id(1), "FAC-RACE", T0);
            r.efficiency = Some(f64::from(n) + 0.5);
            store.insert_calculation(&r).await.map(|()| r)
        }));
    }
    let mut winners = Vec::new();
    for task in racers {
        match task.await.expect("task") {
            Ok(r) => winners.push(r),
            Err(StoreError::Duplicate(_)) => {}
            Err(e) => panic!("a racing insert is Ok or Duplicate, got {e}"),
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "exactly one insert of a contested id succeeds"
    );
    assert_same_record(&get(store.as_ref(), &id(1)).await, &winners[0]);
    for r in &written {
        assert_same_record(&get(store.as_ref(), &r.calculation_id).await, r);
    }
    let listed = store.list_calculations(&query(1000)).await.expect("list");
    assert_eq!(listed.len(), 25);
}

/// `connections_active` counts connections checked out: it is back to zero
/// soon after the calls end (returning a connection may finish in the
/// background), and never exceeds what could be open.
pub async fn connections_active_falls_back_to_zero_when_idle(f: &dyn Fixture) {
    let store = f.store();
    for n in 0..5 {
        store.ping().await.expect("ping");
        store
            .insert_calculation(&sample(&id(n), "FAC-001", T0))
            .await
            .expect("insert");
    }
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.list_calculations(&query(10)).await.map(|l| l.len())
        }));
    }
    for task in tasks {
        assert_eq!(task.await.expect("task").expect("list"), 5);
    }
    let mut active = store.connections_active();
    for _ in 0..100 {
        if active == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        active = store.connections_active();
    }
    assert_eq!(
        active, 0,
        "no connection is checked out once every call has returned"
    );
}

/// After `close`, every call fails with `Unavailable` (never hangs, never `Ok`).
pub async fn close_makes_every_call_unavailable(f: &dyn Fixture) {
    let store = f.store();
    let r = sample(&id(1), "FAC-001", T0);
    store.insert_calculation(&r).await.expect("insert");
    store.close().await;
    assert!(unavailable(&within(store.ping()).await), "ping");
    assert!(
        unavailable(&within(store.insert_calculation(&sample(&id(2), "FAC-001", T0))).await),
        "insert"
    );
    assert!(
        unavailable(&within(store.insert_calculations(&[sample(&id(3), "FAC-001", T0)])).await),
        "insert_calculations"
    );
    assert!(
        unavailable(&within(store.get_calculation(&id(1))).await),
        "get"
    );
    assert!(
        unavailable(&within(store.list_calculations(&query(10))).await),
        "list"
    );
    let inv = Invalidation {
        facility_id: None,
        created_from: T0,
        created_to: T0 + Duration::from_secs(1),
        reason: "closed".to_owned(),
    };
    assert!(
        unavailable(
            &within(store.invalidate_calculations(&inv, &audit("invalidate", "x", "{}"))).await
        ),
        "invalidate"
    );
    assert!(
        unavailable(
            &within(store.insert_token(&token(1, Scope::Read), &audit("t", "x", "{}"))).await
        ),
        "insert_token"
    );
    assert!(
        unavailable(&within(store.find_token_by_hash("x")).await),
        "find_token_by_hash"
    );
    assert!(
        unavailable(&within(store.count_tokens()).await),
        "count_tokens"
    );
    assert_eq!(store.connections_active(), 0);
}

// ---------------------------------------------------------------- group commit

/// Stores `records` in one call, expecting the call itself to commit.
async fn insert_group(
    store: &dyn Store,
    records: &[CalculationRecord],
) -> Vec<Result<(), StoreError>> {
    let results = within(store.insert_calculations(records))
        .await
        .expect("the group commits");
    assert_eq!(results.len(), records.len(), "one result per record");
    results
}

/// Every record of a group is stored, field for field, in one call; a
/// record may name an earlier record of the same group as its original.
pub async fn group_commit_stores_every_record(f: &dyn Fixture) {
    let store = f.store();
    let mut records: Vec<CalculationRecord> = (1..=6)
        .map(|n| sample(&id(n), "FAC-001", T0 + Duration::from_secs(u64::from(n))))
        .collect();
    records[2].recalculated_from = Some(id(1));
    records[3].status = CalculationStatus::Failed;
    records[3].efficiency = None;
    records[4].efficiency = Some(1.0 / 3.0);
    let results = insert_group(store.as_ref(), &records).await;
    for (r, result) in records.iter().zip(&results) {
        assert!(result.is_ok(), "{}: {result:?}", r.calculation_id);
        assert_same_record(&get(store.as_ref(), &r.calculation_id).await, r);
    }
    assert_eq!(
        ids_of(&store.list_calculations(&query(100)).await.expect("list")),
        (1..=6).rev().map(id).collect::<Vec<_>>()
    );
}

/// A taken id in the middle of a group (stored before, or earlier in the
/// same group) fails only its own record with `Duplicate`: the neighbours
/// are stored and the stored row keeps its first content.
pub async fn group_commit_duplicate_fails_only_itself(f: &dyn Fixture) {
    let store = f.store();
    let original = sample(&id(2), "FAC-OLD", T0);
    store.insert_calculation(&original).await.expect("insert");
    let mut taken = sample(&id(2), "FAC-NEW", T0 + Duration::from_secs(9));
    taken.efficiency = Some(1.5);
    let first = sample(&id(1), "FAC-001", T0);
    let mut repeat = sample(&id(1), "FAC-REPEAT", T0 + Duration::from_secs(3));
    repeat.efficiency = Some(2.5);
    let records = vec![
        first.clone(),
        taken,
        sample(&id(3), "FAC-001", T0),
        repeat,
        sample(&id(4), "FAC-001", T0),
    ];
    let results = insert_group(store.as_ref(), &records).await;
    for (i, result) in results.iter().enumerate() {
        match i {
            1 | 3 => assert!(
                matches!(result, Err(StoreError::Duplicate(_))),
                "record {i} reuses an id: {result:?}"
            ),
            _ => assert!(result.is_ok(), "record {i}: {result:?}"),
        }
    }
    assert_same_record(&get(store.as_ref(), &id(2)).await, &original);
    assert_same_record(&get(store.as_ref(), &id(1)).await, &first);
    assert_same_record(&get(store.as_ref(), &id(3)).await, &records[2]);
    assert_same_record(&get(store.as_ref(), &id(4)).await, &records[4]);
    assert_eq!(
        store
            .list_calculations(&query(100))
            .await
            .expect("list")
            .len(),
        4
    );
}

/// A record that breaks another constraint (its `recalculated_from` names
/// no calculation) fails alone, neither as `Duplicate` nor `Unavailable`;
/// the rest of the group is stored.
pub async fn group_commit_constraint_failure_fails_only_itself(f: &dyn Fixture) {
    let store = f.store();
    let mut records: Vec<CalculationRecord> =
        (1..=3).map(|n| sample(&id(n), "FAC-001", T0)).collect();
    records[1].recalculated_from = Some(id(99));
    let results = insert_group(store.as_ref(), &records).await;
    assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
    assert!(
        matches!(&results[1], Err(e) if !matches!(e, StoreError::Duplicate(_) | StoreError::Unavailable(_))),
        "a dangling recalculated_from is refused: {:?}",
        results[1]
    );
    assert_eq!(get_opt(store.as_ref(), &id(2)).await, None);
    assert_same_record(&get(store.as_ref(), &id(1)).await, &records[0]);
    assert_same_record(&get(store.as_ref(), &id(3)).await, &records[2]);
}

/// An empty group is `Ok` with no results and stores nothing.
pub async fn group_commit_of_nothing_is_empty(f: &dyn Fixture) {
    let store = f.store();
    let results = within(store.insert_calculations(&[]))
        .await
        .expect("empty group");
    assert!(results.is_empty());
    assert!(
        store
            .list_calculations(&query(10))
            .await
            .expect("list")
            .is_empty()
    );
}

/// 1,000 records in one call (more than one statement's chunk): all stored;
/// with one taken id and, in a second group, one dangling reference, exactly
/// that record fails.
pub async fn group_commit_of_a_thousand_records(f: &dyn Fixture) {
    let store = f.store();
    store
        .insert_calculation(&sample(&id(777), "FAC-OLD", T0))
        .await
        .expect("insert");
    let records: Vec<CalculationRecord> = (0..1000u32)
        .map(|n| {
            let mut r = sample(&id(n), "FAC-BULK", T0 + Duration::from_millis(u64::from(n)));
            r.efficiency = Some(f64::from(n) / 7.0);
            r
        })
        .collect();
    let results = insert_group(store.as_ref(), &records).await;
    for (n, result) in results.iter().enumerate() {
        if n == 777 {
            assert!(
                matches!(result, Err(StoreError::Duplicate(_))),
                "{result:?}"
            );
        } else {
            assert!(result.is_ok(), "record {n}: {result:?}");
        }
    }
    for n in [0usize, 1, 499, 500, 501, 776, 778, 999] {
        assert_same_record(&get(store.as_ref(), &id(n as u32)).await, &records[n]);
    }
    let bulk = CalculationQuery {
        facility_id: Some("FAC-BULK".to_owned()),
        ..query(5000)
    };
    assert_eq!(
        store.list_calculations(&bulk).await.expect("list").len(),
        999
    );

    let mut second: Vec<CalculationRecord> = (2000..3000u32)
        .map(|n| sample(&id(n), "FAC-SECOND", T0))
        .collect();
    second[612].recalculated_from = Some(id(1_999_999));
    let results = insert_group(store.as_ref(), &second).await;
    for (n, result) in results.iter().enumerate() {
        assert_eq!(result.is_ok(), n != 612, "record {n}: {result:?}");
    }
    assert_eq!(get_opt(store.as_ref(), &id(2612)).await, None);
    for n in [0usize, 611, 613, 999] {
        assert_same_record(
            &get(store.as_ref(), &second[n].calculation_id).await,
            &second[n],
        );
    }
}

// ---------------------------------------------------------------- job queue

const MINUTE: Duration = Duration::from_secs(60);

/// A job that is due (its `run_after` is long past).
fn job(kind: &str, payload: &str, dedupe_key: Option<&str>, max_attempts: u32) -> NewJob {
    NewJob {
        kind: kind.to_owned(),
        payload: payload.to_owned(),
        dedupe_key: dedupe_key.map(str::to_owned),
        max_attempts,
        run_after: T0,
    }
}

async fn enqueue(store: &dyn Store, new: &NewJob) -> JobRecord {
    store.enqueue_job(new).await.expect("enqueue_job")
}

async fn job_of(store: &dyn Store, job_id: &str) -> JobRecord {
    store
        .get_job(job_id)
        .await
        .expect("get_job")
        .unwrap_or_else(|| panic!("{job_id} not found"))
}

async fn claim(store: &dyn Store, worker: &str, lease: Duration, limit: u32) -> Vec<JobRecord> {
    store
        .claim_jobs(worker, lease, limit)
        .await
        .expect("claim_jobs")
}

/// Claims until `want` jobs were claimed (polling while they become due).
async fn claim_when_due(store: &dyn Store, worker: &str, lease: Duration) -> JobRecord {
    for _ in 0..200 {
        if let Some(j) = claim(store, worker, lease, 1).await.pop() {
            return j;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no job became claimable within 5 s");
}

fn job_ids(jobs: &[JobRecord]) -> Vec<String> {
    jobs.iter().map(|j| j.job_id.clone()).collect()
}

/// Enqueue stores every field as given, starts `queued` with no lease, and
/// gives a `JOB-` + ULID id; `get_job` reads the same record back.
pub async fn enqueue_round_trips_every_field(f: &dyn Fixture) {
    let store = f.store();
    let new = NewJob {
        kind: "calculate".to_owned(),
        payload: "{ \"facility_id\" : \"FAC-ü\",\n \"n\": [1.50, 2e3] }".to_owned(),
        dedupe_key: Some("scheduled:FAC-001:2025-11-01".to_owned()),
        max_attempts: 5,
        run_after: datetime!(2025-11-10 09:00:00.999_999_999 +01:00),
    };
    let j = enqueue(store.as_ref(), &new).await;
    assert!(j.job_id.starts_with("JOB-"), "{}", j.job_id);
    assert_eq!(j.job_id.len(), 4 + 26, "JOB- and a ULID: {}", j.job_id);
    assert!(
        j.job_id[4..]
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()),
        "{}",
        j.job_id
    );
    assert_eq!(j.kind, new.kind);
    assert_eq!(j.payload, new.payload, "payload kept byte for byte");
    assert_eq!(j.dedupe_key, new.dedupe_key);
    assert_eq!(j.status, JobStatus::Queued);
    assert_eq!((j.attempts, j.max_attempts), (0, 5));
    assert_eq!(j.run_after, datetime!(2025-11-10 08:00:00.999_999 UTC));
    assert_eq!(j.lease_owner, None);
    assert_eq!(j.lease_expires_at, None);
    assert_eq!(j.result, None);
    assert_eq!(j.last_error, None);
    assert_eq!(j.created_at, j.updated_at);
    let now = OffsetDateTime::now_utc();
    assert!(
        (j.created_at - now).abs() < time::Duration::minutes(5),
        "created_at is the database's now: {}",
        j.created_at
    );
    assert_eq!(job_of(store.as_ref(), &j.job_id).await, j);
    // Without a dedupe key every enqueue is a new job, with its own id.
    let plain = job("calculate", "{}", None, 1);
    let a = enqueue(store.as_ref(), &plain).await;
    let b = enqueue(store.as_ref(), &plain).await;
    assert_ne!(a.job_id, b.job_id);
    assert_eq!(a.dedupe_key, None);
    assert_eq!(store.get_job("JOB-UNKNOWN").await.expect("get_job"), None);
    // At least one attempt.
    let zero = store.enqueue_job(&job("calculate", "{}", None, 0)).await;
    assert!(
        matches!(zero, Err(StoreError::Backend(_))),
        "max_attempts = 0 is a Backend error, got {zero:?}"
    );
    assert_eq!(store.queue_depth().await.expect("queue_depth"), 3);
}

/// A repeated dedupe key returns the existing job unchanged (whatever the new
/// kind, payload or status), not an error and not a second job.
pub async fn enqueue_dedupes_by_key(f: &dyn Fixture) {
    let store = f.store();
    let first = enqueue(
        store.as_ref(),
        &job("recalculate", "{\"n\":1}", Some("batch:7:item:1"), 3),
    )
    .await;
    let again = enqueue(
        store.as_ref(),
        &job("other", "{\"n\":2}", Some("batch:7:item:1"), 9),
    )
    .await;
    assert_eq!(again, first, "the existing job, unchanged");
    let other = enqueue(
        store.as_ref(),
        &job("recalculate", "{\"n\":1}", Some("batch:7:item:2"), 3),
    )
    .await;
    assert_ne!(other.job_id, first.job_id);
    // Still deduplicated once it ran.
    let claimed = claim(store.as_ref(), "w1", MINUTE, 10).await;
    assert_eq!(claimed.len(), 2);
    assert!(
        store
            .complete_job(&first.job_id, "w1", "{\"ok\":true}")
            .await
            .expect("complete")
    );
    let after = enqueue(
        store.as_ref(),
        &job("recalculate", "{\"n\":1}", Some("batch:7:item:1"), 3),
    )
    .await;
    assert_eq!(after.job_id, first.job_id);
    assert_eq!(after.status, JobStatus::Done);
    assert_eq!(store.list_jobs(None, 100).await.expect("list").len(), 2);
}

/// Racing enqueues of one dedupe key (replicas scheduling the same period)
/// all get the same job; exactly one job exists.
pub async fn concurrent_enqueues_of_one_key_make_one_job(f: &dyn Fixture) {
    let store = f.store();
    let mut tasks = Vec::new();
    for n in 0..16u32 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let new = job(
                "scheduled_calculation",
                &format!("{{\"racer\":{n}}}"),
                Some("scheduled:FAC-001:2025-11-10"),
                3,
            );
            store.enqueue_job(&new).await
        }));
    }
    let mut got = Vec::new();
    for task in tasks {
        got.push(within(task).await.expect("task").expect("racing enqueue"));
    }
    assert!(
        got.iter().all(|j| *j == got[0]),
        "every racer gets the same job"
    );
    let all = store.list_jobs(None, 100).await.expect("list");
    assert_eq!(all.len(), 1, "exactly one job per dedupe key");
    assert_eq!(all[0], got[0]);
    assert_eq!(store.queue_depth().await.expect("depth"), 1);
}

/// Claims take due `queued` jobs only (not future ones), oldest `run_after`
/// first, at most `limit`, and lease them: `running`, owner, expiry at
/// `now + lease` (the database's clock), one more attempt.
pub async fn claim_takes_due_jobs_in_order_and_leases_them(f: &dyn Fixture) {
    let store = f.store();
    let mut ids = Vec::new();
    for n in [3u64, 1, 2] {
        let mut new = job("calculate", &format!("{{\"n\":{n}}}"), None, 3);
        new.run_after = T0 + Duration::from_secs(n);
        ids.push((n, enqueue(store.as_ref(), &new).await.job_id));
    }
    ids.sort();
    let mut future = job("calculate", "{\"later\":true}", None, 3);
    future.run_after = OffsetDateTime::now_utc() + Duration::from_secs(3600);
    let future = enqueue(store.as_ref(), &future).await;

    assert!(claim(store.as_ref(), "w1", MINUTE, 0).await.is_empty());
    let lease = Duration::from_millis(90_250);
    let first = claim(store.as_ref(), "w1", lease, 2).await;
    assert_eq!(
        job_ids(&first),
        [ids[0].1.clone(), ids[1].1.clone()],
        "oldest run_after first, at most limit"
    );
    for j in &first {
        assert_eq!(j.status, JobStatus::Running);
        assert_eq!(j.attempts, 1);
        assert_eq!(j.lease_owner.as_deref(), Some("w1"));
        let expires = j.lease_expires_at.expect("a running job has a lease");
        assert_eq!(
            expires - j.updated_at,
            lease,
            "lease_expires_at = now + lease"
        );
        assert_eq!(&job_of(store.as_ref(), &j.job_id).await, j);
    }
    let rest = claim(store.as_ref(), "w2", lease, 10).await;
    assert_eq!(
        job_ids(&rest),
        [ids[2].1.clone()],
        "leased and future jobs are not claimed"
    );
    assert!(claim(store.as_ref(), "w3", lease, 10).await.is_empty());
    let untouched = job_of(store.as_ref(), &future.job_id).await;
    assert_eq!(untouched, future);
}

/// Four claimers in parallel over 200 jobs: every job is claimed exactly once.
pub async fn concurrent_claimers_never_share_a_job(f: &dyn Fixture) {
    let store = f.store();
    let mut all = std::collections::BTreeSet::new();
    for n in 0..200u32 {
        let j = enqueue(
            store.as_ref(),
            &job("recalculate", &format!("{{\"n\":{n}}}"), None, 3),
        )
        .await;
        all.insert(j.job_id);
    }
    let mut tasks = Vec::new();
    for w in 0..4u32 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let worker = format!("worker-{w}");
            let mut mine = Vec::new();
            loop {
                let batch = store
                    .claim_jobs(&worker, Duration::from_secs(300), 7)
                    .await
                    .expect("concurrent claim");
                if batch.is_empty() {
                    break;
                }
                for j in batch {
                    assert_eq!(j.lease_owner.as_deref(), Some(worker.as_str()));
                    mine.push(j.job_id);
                }
                tokio::task::yield_now().await;
            }
            (worker, mine)
        }));
    }
    let mut seen = std::collections::BTreeMap::new();
    for task in tasks {
        let (worker, mine) = tokio::time::timeout(Duration::from_secs(60), task)
            .await
            .expect("claimers finish")
            .expect("task");
        for id in mine {
            if let Some(other) = seen.insert(id.clone(), worker.clone()) {
                panic!("{id} was claimed by both {other} and {worker}");
            }
        }
    }
    assert!(claim(store.as_ref(), "late", MINUTE, 1000).await.is_empty());
    let claimed: std::collections::BTreeSet<_> = seen.keys().cloned().collect();
    assert_eq!(claimed, all, "every job claimed exactly once");
    for j in store
        .list_jobs(Some(JobStatus::Running), 1000)
        .await
        .expect("list")
    {
        assert_eq!(j.attempts, 1, "{} claimed once", j.job_id);
        assert_eq!(j.lease_owner.as_ref(), seen.get(&j.job_id));
    }
    assert_eq!(store.queue_depth().await.expect("depth"), 200);
}

/// Only the worker holding the lease can heartbeat, complete or fail a job;
/// completion is final and idempotent for its owner.
pub async fn only_the_lease_owner_heartbeats_completes_or_fails(f: &dyn Fixture) {
    let store = f.store();
    let j = enqueue(store.as_ref(), &job("calculate", "{}", None, 3)).await;
    // Not running yet: nobody can complete it.
    assert!(!store.complete_job(&j.job_id, "w1", "{}").await.expect("c"));
    assert!(
        !store
            .heartbeat_job(&j.job_id, "w1", MINUTE)
            .await
            .expect("h")
    );
    assert_eq!(
        store
            .fail_job(&j.job_id, "w1", "boom", MINUTE)
            .await
            .expect("f"),
        None
    );
    let claimed = claim(store.as_ref(), "w1", MINUTE, 1).await.remove(0);

    assert!(
        !store
            .heartbeat_job(&j.job_id, "w2", MINUTE)
            .await
            .expect("h")
    );
    assert!(!store.complete_job(&j.job_id, "w2", "{}").await.expect("c"));
    assert_eq!(
        store
            .fail_job(&j.job_id, "w2", "x", MINUTE)
            .await
            .expect("f"),
        None
    );
    assert_eq!(job_of(store.as_ref(), &j.job_id).await, claimed);

    let longer = Duration::from_secs(7200);
    assert!(
        store
            .heartbeat_job(&j.job_id, "w1", longer)
            .await
            .expect("h")
    );
    let beat = job_of(store.as_ref(), &j.job_id).await;
    assert_eq!(beat.lease_expires_at, Some(beat.updated_at + longer));
    assert_eq!((beat.status, beat.attempts), (JobStatus::Running, 1));

    assert!(
        store
            .complete_job(&j.job_id, "w1", "{\"efficiency\":87.5}")
            .await
            .expect("complete")
    );
    let done = job_of(store.as_ref(), &j.job_id).await;
    assert_eq!(done.status, JobStatus::Done);
    assert_eq!(done.result.as_deref(), Some("{\"efficiency\":87.5}"));
    assert_eq!(done.lease_owner.as_deref(), Some("w1"));
    assert_eq!(done.lease_expires_at, None);
    assert_eq!(done.attempts, 1);
    // Repeating the same completion is fine; anything else changes nothing.
    assert!(
        store
            .complete_job(&j.job_id, "w1", "{\"efficiency\":87.5}")
            .await
            .expect("complete again")
    );
    assert!(!store.complete_job(&j.job_id, "w1", "{}").await.expect("c"));
    assert!(!store.complete_job(&j.job_id, "w2", "{}").await.expect("c"));
    assert!(
        !store
            .heartbeat_job(&j.job_id, "w1", MINUTE)
            .await
            .expect("h")
    );
    assert_eq!(
        store
            .fail_job(&j.job_id, "w1", "late", MINUTE)
            .await
            .expect("f"),
        None
    );
    assert_eq!(job_of(store.as_ref(), &j.job_id).await, done);
    assert!(claim(store.as_ref(), "w3", MINUTE, 10).await.is_empty());
    assert!(
        !store
            .complete_job("JOB-UNKNOWN", "w1", "{}")
            .await
            .expect("c")
    );
    assert_eq!(store.queue_depth().await.expect("depth"), 0);
}

/// A job whose lease ran out (its worker died) is claimed by another worker;
/// the old owner's heartbeat, completion and failure are then refused, and
/// the job completes exactly once.
pub async fn expired_lease_is_reclaimed_and_the_old_owner_loses(f: &dyn Fixture) {
    let store = f.store();
    let j = enqueue(store.as_ref(), &job("calculate", "{}", None, 3)).await;
    let short = Duration::from_millis(300);
    let a = claim(store.as_ref(), "replica-a", short, 1).await.remove(0);
    assert_eq!(a.job_id, j.job_id);
    assert!(
        claim(store.as_ref(), "replica-b", MINUTE, 1)
            .await
            .is_empty(),
        "a live lease is not claimable"
    );
    let b = claim_when_due(store.as_ref(), "replica-b", MINUTE).await;
    assert_eq!(b.job_id, j.job_id);
    assert_eq!(b.attempts, 2, "the dead worker's claim counted");
    assert_eq!(b.lease_owner.as_deref(), Some("replica-b"));

    assert!(
        !store
            .heartbeat_job(&j.job_id, "replica-a", MINUTE)
            .await
            .expect("h")
    );
    assert!(
        !store
            .complete_job(&j.job_id, "replica-a", "{\"from\":\"a\"}")
            .await
            .expect("stale complete"),
        "a stale worker cannot complete"
    );
    assert_eq!(
        store
            .fail_job(&j.job_id, "replica-a", "stale", MINUTE)
            .await
            .expect("f"),
        None
    );
    assert_eq!(job_of(store.as_ref(), &j.job_id).await, b);
    assert!(
        store
            .complete_job(&j.job_id, "replica-b", "{\"from\":\"b\"}")
            .await
            .expect("complete")
    );
    let done = job_of(store.as_ref(), &j.job_id).await;
    assert_eq!(done.status, JobStatus::Done);
    assert_eq!(done.result.as_deref(), Some("{\"from\":\"b\"}"));
    assert!(
        !store
            .complete_job(&j.job_id, "replica-a", "{\"from\":\"a\"}")
            .await
            .expect("stale complete")
    );
    // An owner whose lease ran out but was not reclaimed may still finish.
    let k = enqueue(store.as_ref(), &job("calculate", "{}", None, 3)).await;
    claim(store.as_ref(), "replica-c", Duration::from_millis(1), 1).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(
        store
            .heartbeat_job(&k.job_id, "replica-c", MINUTE)
            .await
            .expect("h")
    );
    assert!(
        claim(store.as_ref(), "replica-d", MINUTE, 1)
            .await
            .is_empty()
    );
    assert!(
        store
            .complete_job(&k.job_id, "replica-c", "{}")
            .await
            .expect("c")
    );
}

/// A failed attempt goes back to `queued` after `retry_in` (not before), with
/// the error recorded and the lease cleared; at `max_attempts` it is `dead`.
pub async fn failures_retry_with_backoff_then_dead_letter(f: &dyn Fixture) {
    let store = f.store();
    let j = enqueue(store.as_ref(), &job("calculate", "{}", None, 3)).await;
    let backoff = [Duration::from_millis(300), Duration::from_millis(600)];
    let mut claimed = claim(store.as_ref(), "w", MINUTE, 1).await.remove(0);
    for (attempt, retry_in) in (1u32..).zip(backoff) {
        assert_eq!(claimed.attempts, attempt);
        let failed = store
            .fail_job(&j.job_id, "w", &format!("error {attempt}"), retry_in)
            .await
            .expect("fail_job")
            .expect("the owner can fail its job");
        assert_eq!(failed.status, JobStatus::Queued);
        assert_eq!(failed.attempts, attempt);
        assert_eq!(failed.last_error, Some(format!("error {attempt}")));
        assert_eq!(failed.lease_owner, None);
        assert_eq!(failed.lease_expires_at, None);
        assert_eq!(
            failed.run_after,
            failed.updated_at + retry_in,
            "run_after = now + retry_in"
        );
        assert_eq!(job_of(store.as_ref(), &j.job_id).await, failed);
        assert!(
            claim(store.as_ref(), "w", MINUTE, 1).await.is_empty(),
            "not claimable before its backoff"
        );
        assert_eq!(store.queue_depth().await.expect("depth"), 1);
        let started = std::time::Instant::now();
        claimed = claim_when_due(store.as_ref(), "w", MINUTE).await;
        assert!(
            started.elapsed() >= retry_in / 2,
            "claimable only after about {retry_in:?}"
        );
        assert_eq!(claimed.job_id, j.job_id);
        assert_eq!(claimed.last_error, Some(format!("error {attempt}")));
    }
    assert_eq!(claimed.attempts, 3);
    let dead = store
        .fail_job(&j.job_id, "w", "error 3", Duration::from_millis(1))
        .await
        .expect("fail_job")
        .expect("the owner can fail its job");
    assert_eq!(dead.status, JobStatus::Dead, "dead after max_attempts");
    assert_eq!(dead.attempts, 3);
    assert_eq!(dead.last_error.as_deref(), Some("error 3"));
    assert_eq!(dead.lease_expires_at, None);
    assert_eq!(dead.lease_owner.as_deref(), Some("w"));
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(claim(store.as_ref(), "w", MINUTE, 10).await.is_empty());
    assert_eq!(store.queue_depth().await.expect("depth"), 0);
    assert_eq!(
        job_ids(&store.list_jobs(Some(JobStatus::Dead), 10).await.expect("l")),
        [j.job_id.as_str()]
    );
    // A later attempt's success keeps the previous error for the record.
    let k = enqueue(store.as_ref(), &job("calculate", "{}", None, 2)).await;
    claim(store.as_ref(), "w", MINUTE, 1).await;
    store
        .fail_job(&k.job_id, "w", "transient", Duration::ZERO)
        .await
        .expect("fail")
        .expect("owner");
    let again = claim_when_due(store.as_ref(), "w", MINUTE).await;
    assert_eq!(
        (again.job_id.as_str(), again.attempts),
        (k.job_id.as_str(), 2)
    );
    assert!(store.complete_job(&k.job_id, "w", "{}").await.expect("c"));
    let done = job_of(store.as_ref(), &k.job_id).await;
    assert_eq!(done.status, JobStatus::Done);
    assert_eq!(done.last_error.as_deref(), Some("transient"));
}

/// A lease that runs out on the last allowed attempt dead-letters the job at
/// the next claim instead of running it again.
pub async fn expired_lease_on_the_last_attempt_dead_letters(f: &dyn Fixture) {
    let store = f.store();
    let j = enqueue(store.as_ref(), &job("calculate", "{}", None, 1)).await;
    let other = enqueue(store.as_ref(), &job("calculate", "{}", None, 2)).await;
    let first = claim(store.as_ref(), "dies", Duration::from_millis(200), 10).await;
    assert_eq!(first.len(), 2);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let again = claim(store.as_ref(), "lives", MINUTE, 10).await;
    assert_eq!(
        job_ids(&again),
        [other.job_id.as_str()],
        "only the job with tries left is claimed again"
    );
    let dead = job_of(store.as_ref(), &j.job_id).await;
    assert_eq!(dead.status, JobStatus::Dead);
    assert_eq!(dead.attempts, 1);
    assert_eq!(dead.lease_expires_at, None);
    assert!(
        dead.last_error
            .as_deref()
            .is_some_and(|e| e.contains("expired")),
        "{:?}",
        dead.last_error
    );
    assert!(
        !store
            .complete_job(&j.job_id, "dies", "{}")
            .await
            .expect("c")
    );
    assert_eq!(store.queue_depth().await.expect("depth"), 1);
}

/// `queue_depth` = queued (due or not) + running; done and dead do not count.
pub async fn queue_depth_counts_queued_and_running(f: &dyn Fixture) {
    let store = f.store();
    assert_eq!(store.queue_depth().await.expect("depth"), 0);
    for n in 0..5u32 {
        enqueue(
            store.as_ref(),
            &job("calculate", &format!("{{\"n\":{n}}}"), None, 1),
        )
        .await;
    }
    let mut later = job("calculate", "{}", None, 1);
    later.run_after = OffsetDateTime::now_utc() + Duration::from_secs(3600);
    enqueue(store.as_ref(), &later).await;
    assert_eq!(store.queue_depth().await.expect("depth"), 6);
    let claimed = claim(store.as_ref(), "w", MINUTE, 3).await;
    assert_eq!(store.queue_depth().await.expect("depth"), 6);
    assert!(
        store
            .complete_job(&claimed[0].job_id, "w", "{}")
            .await
            .expect("c")
    );
    store
        .fail_job(&claimed[1].job_id, "w", "fatal", MINUTE)
        .await
        .expect("fail")
        .expect("owner");
    assert_eq!(store.queue_depth().await.expect("depth"), 4);
}

/// `list_jobs` filters by status, newest first, at most `limit`.
pub async fn list_jobs_filters_by_status_newest_first(f: &dyn Fixture) {
    let store = f.store();
    let mut ids = Vec::new();
    for n in 0..4u32 {
        ids.push(
            enqueue(
                store.as_ref(),
                &job("calculate", &format!("{{\"n\":{n}}}"), None, 1),
            )
            .await
            .job_id,
        );
        // Distinct created_at even on a millisecond clock.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let all = store.list_jobs(None, 10).await.expect("list");
    let newest_first: Vec<_> = ids.iter().rev().cloned().collect();
    assert_eq!(job_ids(&all), newest_first);
    assert_eq!(
        job_ids(&store.list_jobs(None, 2).await.expect("list")),
        newest_first[..2]
    );
    assert!(store.list_jobs(None, 0).await.expect("list").is_empty());
    let running = claim(store.as_ref(), "w", MINUTE, 1).await;
    assert_eq!(job_ids(&running), [ids[0].clone()]);
    assert_eq!(
        job_ids(
            &store
                .list_jobs(Some(JobStatus::Running), 10)
                .await
                .expect("list")
        ),
        [ids[0].clone()]
    );
    assert_eq!(
        job_ids(
            &store
                .list_jobs(Some(JobStatus::Queued), 10)
                .await
                .expect("list")
        ),
        newest_first[..3]
    );
    assert!(
        store
            .list_jobs(Some(JobStatus::Done), 10)
            .await
            .expect("list")
            .is_empty()
    );
}

// ---------------------------------------------------------------- idempotency

async fn begin(store: &dyn Store, key: &str, principal: &str, hash: &str) -> IdempotencyOutcome {
    store
        .idempotency_begin(key, principal, hash)
        .await
        .expect("idempotency_begin")
}

/// New, then in progress for the same request, mismatch for another; after
/// finish, replay of the stored response (mismatch still for another request).
pub async fn idempotency_new_in_progress_replay_mismatch(f: &dyn Fixture) {
    let store = f.store();
    let s = store.as_ref();
    let (key, who) = ("7f6c2a1e-retry", "ops-token");
    assert_eq!(begin(s, key, who, "hash-a").await, IdempotencyOutcome::New);
    assert_eq!(
        begin(s, key, who, "hash-a").await,
        IdempotencyOutcome::InProgress
    );
    assert_eq!(
        begin(s, key, who, "hash-b").await,
        IdempotencyOutcome::Mismatch
    );
    let body = "{\"calculation_id\":\"01JCALC\",\"efficiency\":87.5,\"note\":\"é\"}";
    assert!(
        store
            .idempotency_finish(key, who, 201, body)
            .await
            .expect("finish")
    );
    for _ in 0..2 {
        assert_eq!(
            begin(s, key, who, "hash-a").await,
            IdempotencyOutcome::Replay {
                status: 201,
                body: body.to_owned()
            }
        );
    }
    assert_eq!(
        begin(s, key, who, "hash-b").await,
        IdempotencyOutcome::Mismatch
    );
    // The same finish again is fine; another response does not overwrite.
    assert!(
        store
            .idempotency_finish(key, who, 201, body)
            .await
            .expect("finish")
    );
    assert!(
        !store
            .idempotency_finish(key, who, 500, "{}")
            .await
            .expect("finish")
    );
    // Abandoning a finished key changes nothing.
    assert!(!store.idempotency_abandon(key, who).await.expect("abandon"));
    assert!(matches!(
        begin(s, key, who, "hash-a").await,
        IdempotencyOutcome::Replay { status: 201, .. }
    ));
    // A finish without a begin stores nothing.
    assert!(
        !store
            .idempotency_finish("never-begun", who, 200, "{}")
            .await
            .expect("finish")
    );
    assert_eq!(
        begin(s, "never-begun", who, "h").await,
        IdempotencyOutcome::New
    );
    // Every status code and an empty body round-trip.
    for (n, status) in [0u16, 200, 422, 503, u16::MAX].into_iter().enumerate() {
        let key = format!("status-{n}");
        assert_eq!(begin(s, &key, who, "h").await, IdempotencyOutcome::New);
        assert!(
            store
                .idempotency_finish(&key, who, status, "")
                .await
                .expect("finish")
        );
        assert_eq!(
            begin(s, &key, who, "h").await,
            IdempotencyOutcome::Replay {
                status,
                body: String::new()
            }
        );
    }
}

/// Abandon frees an in-progress key so a retry owns it again.
pub async fn idempotency_abandon_frees_the_key(f: &dyn Fixture) {
    let store = f.store();
    let s = store.as_ref();
    assert_eq!(begin(s, "k1", "p", "h1").await, IdempotencyOutcome::New);
    assert!(store.idempotency_abandon("k1", "p").await.expect("abandon"));
    assert!(!store.idempotency_abandon("k1", "p").await.expect("abandon"));
    // After abandon the key is free, even for another request.
    assert_eq!(begin(s, "k1", "p", "h2").await, IdempotencyOutcome::New);
    assert_eq!(
        begin(s, "k1", "p", "h1").await,
        IdempotencyOutcome::Mismatch
    );
    assert!(
        !store
            .idempotency_abandon("unknown", "p")
            .await
            .expect("abandon")
    );
    assert!(
        store
            .idempotency_finish("k1", "p", 202, "{\"job\":1}")
            .await
            .expect("finish")
    );
    assert_eq!(
        begin(s, "k1", "p", "h2").await,
        IdempotencyOutcome::Replay {
            status: 202,
            body: "{\"job\":1}".to_owned()
        }
    );
}

/// One principal's key never matches another principal's (same key text).
pub async fn idempotency_keys_are_scoped_by_principal(f: &dyn Fixture) {
    let store = f.store();
    let s = store.as_ref();
    assert_eq!(
        begin(s, "same", "alice", "h").await,
        IdempotencyOutcome::New
    );
    assert_eq!(begin(s, "same", "bob", "h").await, IdempotencyOutcome::New);
    assert_eq!(
        begin(s, "same", "bob", "x").await,
        IdempotencyOutcome::Mismatch
    );
    assert!(
        store
            .idempotency_finish("same", "alice", 201, "alice's")
            .await
            .expect("finish")
    );
    assert_eq!(
        begin(s, "same", "bob", "h").await,
        IdempotencyOutcome::InProgress
    );
    assert!(
        store
            .idempotency_abandon("same", "bob")
            .await
            .expect("abandon")
    );
    assert_eq!(
        begin(s, "same", "alice", "h").await,
        IdempotencyOutcome::Replay {
            status: 201,
            body: "alice's".to_owned()
        }
    );
    assert!(
        !store
            .idempotency_finish("same", "carol", 200, "{}")
            .await
            .expect("finish")
    );
    // Keys compare exactly.
    assert_eq!(
        begin(s, "SAME", "alice", "h").await,
        IdempotencyOutcome::New
    );
}

/// Racing requests with one key (client retries hitting several replicas):
/// exactly one gets `New`, the rest `InProgress`.
pub async fn concurrent_idempotency_begins_have_one_winner(f: &dyn Fixture) {
    let store = f.store();
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.idempotency_begin("race", "p", "h").await
        }));
    }
    let mut new = 0;
    for task in tasks {
        match within(task).await.expect("task").expect("begin") {
            IdempotencyOutcome::New => new += 1,
            IdempotencyOutcome::InProgress => {}
            other => panic!("a racing begin is New or InProgress, got {other:?}"),
        }
    }
    assert_eq!(new, 1, "exactly one request owns the key");
}

/// `purge_idempotency_before` deletes keys begun before the instant (finished
/// or not) and reports how many; purged keys are free again.
pub async fn idempotency_purge_removes_old_keys(f: &dyn Fixture) {
    let store = f.store();
    let s = store.as_ref();
    assert_eq!(begin(s, "a", "p", "h").await, IdempotencyOutcome::New);
    assert_eq!(begin(s, "b", "p", "h").await, IdempotencyOutcome::New);
    assert!(
        store
            .idempotency_finish("b", "p", 200, "{}")
            .await
            .expect("f")
    );
    let now = OffsetDateTime::now_utc();
    assert_eq!(
        store
            .purge_idempotency_before(now - Duration::from_secs(24 * 3600))
            .await
            .expect("purge"),
        0,
        "keys younger than the cut-off stay"
    );
    assert_eq!(
        begin(s, "a", "p", "h").await,
        IdempotencyOutcome::InProgress
    );
    assert_eq!(
        store
            .purge_idempotency_before(now + MINUTE)
            .await
            .expect("purge"),
        2
    );
    assert_eq!(begin(s, "a", "p", "h").await, IdempotencyOutcome::New);
    assert_eq!(begin(s, "b", "p", "other").await, IdempotencyOutcome::New);
}

/// Keys left in progress by a request that died are freed by
/// `release_stale_idempotency_keys`; finished and recent keys stay.
pub async fn stale_in_progress_keys_are_released(f: &dyn Fixture) {
    let store = f.store();
    let s = store.as_ref();
    assert_eq!(begin(s, "orphan", "p", "h").await, IdempotencyOutcome::New);
    assert_eq!(begin(s, "kept", "p", "h").await, IdempotencyOutcome::New);
    assert!(
        store
            .idempotency_finish("kept", "p", 201, "{}")
            .await
            .expect("f")
    );
    let now = OffsetDateTime::now_utc();
    assert_eq!(
        store
            .release_stale_idempotency_keys(now - Duration::from_secs(300))
            .await
            .expect("release"),
        0,
        "a recent request keeps its key"
    );
    assert_eq!(
        begin(s, "orphan", "p", "h").await,
        IdempotencyOutcome::InProgress
    );
    assert_eq!(
        store
            .release_stale_idempotency_keys(now + MINUTE)
            .await
            .expect("release"),
        1
    );
    assert_eq!(begin(s, "orphan", "p", "h").await, IdempotencyOutcome::New);
    assert_eq!(
        begin(s, "kept", "p", "h").await,
        IdempotencyOutcome::Replay {
            status: 201,
            body: "{}".to_owned()
        }
    );
}

/// After `close`, the queue and key methods fail with `Unavailable` too.
pub async fn jobs_and_keys_are_unavailable_after_close(f: &dyn Fixture) {
    let store = f.store();
    let j = enqueue(store.as_ref(), &job("calculate", "{}", None, 1)).await;
    store.close().await;
    let s = store.as_ref();
    let id = j.job_id.as_str();
    assert!(unavailable(
        &within(s.enqueue_job(&job("c", "{}", None, 1))).await
    ));
    assert!(unavailable(&within(s.claim_jobs("w", MINUTE, 1)).await));
    assert!(unavailable(&within(s.heartbeat_job(id, "w", MINUTE)).await));
    assert!(unavailable(&within(s.complete_job(id, "w", "{}")).await));
    assert!(unavailable(&within(s.fail_job(id, "w", "e", MINUTE)).await));
    assert!(unavailable(&within(s.get_job(id)).await));
    assert!(unavailable(&within(s.queue_depth()).await));
    assert!(unavailable(&within(s.list_jobs(None, 1)).await));
    assert!(unavailable(
        &within(s.idempotency_begin("k", "p", "h")).await
    ));
    assert!(unavailable(
        &within(s.idempotency_finish("k", "p", 200, "")).await
    ));
    assert!(unavailable(&within(s.idempotency_abandon("k", "p")).await));
    assert!(unavailable(
        &within(s.purge_idempotency_before(OffsetDateTime::now_utc())).await
    ));
    assert!(unavailable(
        &within(s.release_stale_idempotency_keys(OffsetDateTime::now_utc())).await
    ));
}

// ---------------------------------------------------------------- facilities

fn facility(id: &str, name: &str, at: OffsetDateTime) -> FacilityRecord {
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

/// `put_facility` inserts (true) then replaces (false) keeping `created_at`;
/// every other field reads back as written; one audit entry per call.
pub async fn facility_put_get_replace_and_audit(f: &dyn Fixture) {
    let store = f.store();
    let first = facility("FAC-001", "Boiler house", T0);
    let created = store
        .put_facility(&first, &audit("facility.create", "FAC-001", "{\"v\":1}"))
        .await
        .expect("put new");
    assert!(created, "a new facility is created");
    let got = store
        .get_facility("FAC-001")
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(got, first);

    let mut second = facility("FAC-001", "Boiler house 2", T0 + Duration::from_secs(3600));
    second.document.push(' ');
    second.schedule = "daily".to_owned();
    second.updated_at = T0 + Duration::from_secs(7200) + Duration::from_nanos(999);
    let created = store
        .put_facility(&second, &audit("facility.update", "FAC-001", "{\"v\":2}"))
        .await
        .expect("put existing");
    assert!(!created, "an existing facility is replaced");
    let got = store
        .get_facility("FAC-001")
        .await
        .expect("get")
        .expect("stored");
    let mut want = second.clone();
    want.created_at = T0;
    want.updated_at = T0 + Duration::from_secs(7200);
    assert_eq!(
        got, want,
        "replaced, created_at kept, updated_at to the microsecond"
    );
    assert!(store.get_facility("FAC-404").await.expect("get").is_none());

    let log = f.audit_log().await;
    assert_eq!(log.len(), 2, "one audit entry per put");
    assert_eq!(log[0].action, "facility.create");
    assert_eq!(log[0].detail, "{\"created\":true,\"detail\":{\"v\":1}}");
    assert_eq!(log[1].subject, "FAC-001");
    assert_eq!(log[1].detail, "{\"created\":false,\"detail\":{\"v\":2}}");
}

/// `list_facilities` orders by id as bytes, pages with a strict cursor.
pub async fn facilities_list_by_id_in_pages(f: &dyn Fixture) {
    let store = f.store();
    let ids = ["FAC-010", "FAC-002", "fac-001", "FAC-001", "Z", "FAC-003"];
    for id in ids {
        store
            .put_facility(&facility(id, id, T0), &audit("facility.create", id, "{}"))
            .await
            .expect("put");
    }
    let mut want: Vec<&str> = ids.to_vec();
    want.sort_unstable();
    let all = store.list_facilities(100, None).await.expect("list");
    let got: Vec<&str> = all.iter().map(|r| r.facility_id.as_str()).collect();
    assert_eq!(got, want);
    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store
            .list_facilities(4, after.as_deref())
            .await
            .expect("page");
        assert!(page.len() <= 4);
        let last = page.last().map(|r| r.facility_id.clone());
        paged.extend(page.into_iter().map(|r| r.facility_id));
        match last {
            Some(id) => after = Some(id),
            None => break,
        }
    }
    assert_eq!(paged, want, "pages without gaps or repeats");
    assert!(
        store
            .list_facilities(0, None)
            .await
            .expect("list")
            .is_empty()
    );
}

// ---------------------------------------------------------------- readings

const R0: OffsetDateTime = datetime!(2025-11-01 00:00:00 UTC);

fn reading(tag: &str, timestamp: OffsetDateTime, value: f64) -> NewReading {
    NewReading {
        tag: tag.to_owned(),
        timestamp,
        value,
        quality: ReadingQuality::Good,
        correction: false,
    }
}

fn correction(tag: &str, timestamp: OffsetDateTime, value: f64) -> NewReading {
    NewReading {
        correction: true,
        ..reading(tag, timestamp, value)
    }
}

fn minutes(n: u64) -> Duration {
    Duration::from_secs(60 * n)
}

async fn insert(
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

fn summary(inserted: u64, duplicates: u64, corrected: u64) -> InsertSummary {
    InsertSummary {
        inserted,
        duplicates,
        corrected,
    }
}

/// Every reading of the facility in `[from, to]`, page by page.
async fn read_all(
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
fn assert_same_readings(got: &[ReadingRecord], want: &[ReadingRecord]) {
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

fn record_of(r: &NewReading, corrected: bool) -> ReadingRecord {
    ReadingRecord {
        tag: r.tag.clone(),
        timestamp: crate::truncate_to_micros(r.timestamp),
        value: r.value,
        quality: r.quality,
        corrected,
    }
}

/// Stored readings read back exactly: values bit for bit, timestamps in UTC
/// to the microsecond (truncated), qualities, `corrected = false`.
pub async fn readings_round_trip_every_field(f: &dyn Fixture) {
    let store = f.store();
    let plus2 = UtcOffset::from_hms(2, 0, 0).expect("offset");
    let rows = vec![
        reading("gas", R0 + Duration::from_nanos(123_456_789), 0.1 + 0.2),
        NewReading {
            quality: ReadingQuality::Uncertain,
            ..reading("gas", (R0 + minutes(15)).to_offset(plus2), -0.0)
        },
        NewReading {
            quality: ReadingQuality::Bad,
            ..reading("steam", R0 + minutes(15), 1e-300)
        },
        reading("steam", R0 + minutes(30), f64::MAX),
        reading("élec", R0, 12_345.678_9),
    ];
    assert_eq!(
        insert(&*store, "FAC-001", &rows, None).await,
        summary(5, 0, 0)
    );
    let got = read_all(&*store, "FAC-001", R0, R0 + minutes(60), 100).await;
    // Tags as bytes: "gas" < "steam" < "élec"; -0.0 is stored as 0.0.
    let mut want: Vec<ReadingRecord> = [0usize, 1, 2, 3, 4]
        .iter()
        .map(|&i| record_of(&rows[i], false))
        .collect();
    want[1].value = 0.0;
    assert_same_readings(&got, &want);
    assert_eq!(
        got[0].timestamp,
        datetime!(2025-11-01 00:00:00.123456 UTC),
        "truncated to the microsecond"
    );
    assert_eq!(got[0].timestamp.offset(), UtcOffset::UTC);
    assert_eq!(
        store
            .count_readings("FAC-001", R0, R0 + minutes(60))
            .await
            .expect("count"),
        5
    );
    assert_eq!(
        store
            .count_readings("FAC-002", R0, R0 + minutes(60))
            .await
            .expect("count"),
        0
    );
    assert!(
        store
            .read_readings_page("FAC-002", R0, R0 + minutes(60), None, 10)
            .await
            .expect("page")
            .is_empty()
    );
    assert!(
        insert(&*store, "FAC-001", &[], None).await == InsertSummary::default(),
        "an empty call stores nothing"
    );
}

/// A re-sent batch changes nothing and counts every row as a duplicate, also
/// when it carries other values (not corrections).
pub async fn resent_readings_count_once(f: &dyn Fixture) {
    let store = f.store();
    let rows: Vec<NewReading> = (0..10)
        .map(|i| reading("gas", R0 + minutes(15 * i), i as f64))
        .collect();
    assert_eq!(
        insert(&*store, "FAC-001", &rows, None).await,
        summary(10, 0, 0)
    );
    assert_eq!(
        insert(&*store, "FAC-001", &rows, None).await,
        summary(0, 10, 0)
    );
    let changed: Vec<NewReading> = rows
        .iter()
        .map(|r| NewReading {
            value: r.value + 100.0,
            quality: ReadingQuality::Bad,
            ..r.clone()
        })
        .collect();
    assert_eq!(
        insert(&*store, "FAC-001", &changed, None).await,
        summary(0, 10, 0)
    );
    // The same keys for another facility are other readings.
    assert_eq!(
        insert(&*store, "FAC-002", &changed, None).await,
        summary(10, 0, 0)
    );
    let got = read_all(&*store, "FAC-001", R0, R0 + minutes(1000), 3).await;
    let want: Vec<ReadingRecord> = rows.iter().map(|r| record_of(r, false)).collect();
    assert_same_readings(&got, &want);
    assert!(
        f.audit_log().await.is_empty(),
        "nothing corrected, nothing audited"
    );
}

/// A correction replaces a different stored value or quality (counted
/// `corrected`, `corrected = true`) and the call writes one audit entry with
/// old and new values; an equal correction is a duplicate and not audited; a
/// correction of a new key is inserted; corrections need an audit entry.
pub async fn corrections_replace_and_are_audited(f: &dyn Fixture) {
    let store = f.store();
    let rows = vec![
        reading("gas", R0, 1.0),
        reading("gas", R0 + minutes(15), 2.0),
        reading("steam", R0, 3.0),
    ];
    assert_eq!(
        insert(&*store, "FAC-001", &rows, None).await,
        summary(3, 0, 0)
    );

    let refused = store
        .insert_readings("FAC-001", &[correction("gas", R0, 9.0)], None)
        .await;
    assert!(
        matches!(refused, Err(StoreError::Backend(_))),
        "{refused:?}"
    );

    let fixes = vec![
        correction("gas", R0, 1.5),
        NewReading {
            quality: ReadingQuality::Bad,
            ..correction("gas", R0 + minutes(15), 2.0)
        },
        correction("steam", R0, 3.0),
        correction("steam", R0 + minutes(15), 4.0),
        reading("gas", R0 + minutes(30), 5.0),
    ];
    let entry = audit("readings.correct", "FAC-001", "{\"batch\":7}");
    assert_eq!(
        insert(&*store, "FAC-001", &fixes, Some(&entry)).await,
        summary(2, 1, 2),
        "two replaced, one equal (duplicate), two new keys"
    );
    let got = read_all(&*store, "FAC-001", R0, R0 + minutes(60), 100).await;
    let want = vec![
        record_of(&fixes[0], true),
        record_of(&fixes[1], true),
        record_of(&fixes[4], false),
        record_of(&rows[2], false),
        record_of(&fixes[3], false),
    ];
    assert_same_readings(&got, &want);

    let log = f.audit_log().await;
    assert_eq!(log.len(), 1, "one audit entry for the call that corrected");
    assert_eq!(log[0].action, "readings.correct");
    assert_eq!(log[0].actor, "ops-token");
    assert_eq!(log[0].subject, "FAC-001");
    let detail: serde_json::Value =
        serde_json::from_str(&log[0].detail).expect("audit detail is JSON");
    assert_eq!(detail["corrected"], 2);
    assert_eq!(detail["detail"]["batch"], 7);
    let listed = detail["readings"].as_array().expect("corrected readings");
    assert_eq!(listed.len(), 2);
    let gas = listed
        .iter()
        .find(|r| r["timestamp"] == "2025-11-01T00:00:00Z")
        .expect("the gas correction at R0");
    assert_eq!(gas["tag"], "gas");
    assert_eq!(gas["old_value"], 1.0);
    assert_eq!(gas["value"], 1.5);
    assert_eq!(gas["old_quality"], "good");
    let bad = listed
        .iter()
        .find(|r| r["timestamp"] == "2025-11-01T00:15:00Z")
        .expect("the quality correction");
    assert_eq!(bad["quality"], "bad");
    assert_eq!(bad["old_value"], 2.0);

    // Re-sending the corrections changes nothing and audits nothing more.
    assert_eq!(
        insert(&*store, "FAC-001", &fixes, Some(&entry)).await,
        summary(0, 5, 0)
    );
    assert_eq!(f.audit_log().await.len(), 1);
}

/// Repeats of a key within one call: the last correction wins, else the
/// first row; the others are duplicates.
pub async fn repeats_within_one_call_count_once(f: &dyn Fixture) {
    let store = f.store();
    let entry = audit("readings.correct", "FAC-001", "{}");
    let rows = vec![
        reading("gas", R0, 1.0),
        reading("gas", R0 + Duration::from_nanos(500), 2.0), // same microsecond
        reading("steam", R0, 3.0),
        correction("steam", R0, 4.0),
        correction("steam", R0, 5.0),
        reading("steam", R0, 6.0),
    ];
    assert_eq!(
        insert(&*store, "FAC-001", &rows, Some(&entry)).await,
        summary(2, 4, 0)
    );
    let got = read_all(&*store, "FAC-001", R0, R0, 10).await;
    let want = vec![record_of(&rows[0], false), record_of(&rows[4], false)];
    assert_same_readings(&got, &want);
}

/// A call with an invalid row (non-finite value, empty tag, year outside
/// 1-9999) is a `Backend` error and stores none of its rows.
pub async fn invalid_rows_are_refused_and_nothing_is_stored(f: &dyn Fixture) {
    let store = f.store();
    let bad_rows = [
        reading("gas", R0, f64::NAN),
        reading("gas", R0, f64::INFINITY),
        reading("", R0, 1.0),
        reading("gas", datetime!(0000-06-01 00:00:00 UTC), 1.0),
    ];
    for bad in bad_rows {
        let rows = vec![reading("gas", R0 + minutes(1), 1.0), bad.clone()];
        let result = store.insert_readings("FAC-001", &rows, None).await;
        assert!(
            matches!(result, Err(StoreError::Backend(_))),
            "{bad:?}: {result:?}"
        );
    }
    assert_eq!(
        store
            .count_readings("FAC-001", R0 - minutes(1_000_000), R0 + minutes(1_000_000))
            .await
            .expect("count"),
        0
    );
}

/// Pages are ordered by tag (bytes) then timestamp, hold only the facility's
/// readings inside the window, and concatenate to every such reading exactly
/// once whatever the page size.
pub async fn reading_pages_are_ordered_and_complete(f: &dyn Fixture) {
    let store = f.store();
    let tags = ["b", "A", "a", "Z", "é", "a b", "empty-in-window"];
    let mut rows = Vec::new();
    for (k, tag) in tags.iter().enumerate() {
        for i in 0..40u64 {
            // Unordered on purpose; history on both sides of the window.
            let at = R0 + minutes(((i * 17) % 40) * 15) - minutes(150);
            if *tag == "empty-in-window" && at >= R0 && at <= R0 + minutes(360) {
                continue;
            }
            rows.push(reading(tag, at, (k * 100) as f64 + i as f64));
        }
    }
    insert(&*store, "FAC-001", &rows, None).await;
    insert(&*store, "FAC-000", &rows[..50], None).await;
    insert(&*store, "FAC-002", &rows[..50], None).await;
    let (from, to) = (R0, R0 + minutes(360));
    let mut want: Vec<ReadingRecord> = rows
        .iter()
        .filter(|r| r.timestamp >= from && r.timestamp <= to)
        .map(|r| record_of(r, false))
        .collect();
    want.sort_by(|a, b| (a.tag.as_bytes(), a.timestamp).cmp(&(b.tag.as_bytes(), b.timestamp)));
    assert_eq!(want.len(), 6 * 25);
    for page in [1, 7, 25, 26, 149, 150, 151, 10_000] {
        let got = read_all(&*store, "FAC-001", from, to, page).await;
        assert_same_readings(&got, &want);
    }
    assert_eq!(
        store
            .count_readings("FAC-001", from, to)
            .await
            .expect("count"),
        150
    );
    // A cursor in the middle of a tag, and one on a tag that has no readings.
    let page = store
        .read_readings_page("FAC-001", from, to, Some(("a", R0 + minutes(60))), 3)
        .await
        .expect("page");
    let at = want
        .iter()
        .position(|r| r.tag == "a" && r.timestamp == R0 + minutes(60))
        .expect("in want");
    assert_eq!(page, want[at + 1..at + 4].to_vec());
    let page = store
        .read_readings_page("FAC-001", from, to, Some(("aa", R0)), 2)
        .await
        .expect("page");
    assert_eq!(page[0].tag, "b");
    let page = store
        .read_readings_page("FAC-001", to, from, None, 10)
        .await
        .expect("page");
    assert!(page.is_empty(), "from after to selects nothing");
    assert!(
        store
            .read_readings_page("FAC-001", from, to, None, 0)
            .await
            .expect("page")
            .is_empty()
    );
}

/// `from` and `to` are both inclusive, to the microsecond.
pub async fn reading_range_bounds_are_inclusive(f: &dyn Fixture) {
    let store = f.store();
    let us = Duration::from_micros(1);
    let (from, to) = (R0, R0 + minutes(60));
    let rows = vec![
        reading("gas", from - us, 1.0),
        reading("gas", from, 2.0),
        reading("gas", to, 3.0),
        reading("gas", to + us, 4.0),
    ];
    insert(&*store, "FAC-001", &rows, None).await;
    let got = read_all(&*store, "FAC-001", from, to, 10).await;
    assert_same_readings(
        &got,
        &[record_of(&rows[1], false), record_of(&rows[2], false)],
    );
    assert_eq!(
        store
            .count_readings("FAC-001", from, to)
            .await
            .expect("count"),
        2
    );
    assert_eq!(
        store
            .count_readings("FAC-001", from, from)
            .await
            .expect("count"),
        1
    );
    assert_eq!(
        store
            .count_readings("FAC-001", from - us, to + us)
            .await
            .expect("count"),
        4
    );
}

/// Calls larger than a statement's chunk, across month and year boundaries.
pub async fn large_batches_span_chunks_and_months(f: &dyn Fixture) {
    let store = f.store();
    let start = datetime!(2025-12-31 00:00:00 UTC);
    let rows: Vec<NewReading> = (0..2_345u64)
        .map(|i| {
            reading(
                if i % 2 == 0 { "gas" } else { "power" },
                start + minutes(i),
                i as f64,
            )
        })
        .collect();
    assert_eq!(
        insert(&*store, "FAC-001", &rows, None).await,
        summary(2_345, 0, 0)
    );
    let end = start + minutes(2_344);
    assert_eq!(
        store
            .count_readings("FAC-001", start, end)
            .await
            .expect("count"),
        2_345
    );
    let mut mixed = rows[1_000..1_700].to_vec();
    mixed.extend((2_345..2_900u64).map(|i| reading("gas", start + minutes(i), i as f64)));
    assert_eq!(
        insert(&*store, "FAC-001", &mixed, None).await,
        summary(555, 700, 0)
    );
    let got = read_all(&*store, "FAC-001", start, start + minutes(3_000), 1_000).await;
    assert_eq!(got.len(), 2_900);
    let sum: f64 = got.iter().map(|r| r.value).sum();
    assert_eq!(sum, (0..2_900u64).map(|i| i as f64).sum::<f64>());
}

/// Retention deletes every facility's readings strictly before the cut-off
/// (whole months and part of one) and returns how many.
pub async fn retention_deletes_strictly_older_readings(f: &dyn Fixture) {
    let store = f.store();
    let mut rows = Vec::new();
    for month in 1..=6u8 {
        let at =
            time::Date::from_calendar_date(2025, time::Month::try_from(month).expect("month"), 10)
                .expect("date")
                .midnight()
                .assume_utc();
        for day in 0..5u64 {
            rows.push(reading(
                "gas",
                at + Duration::from_secs(86_400 * day),
                f64::from(month),
            ));
        }
    }
    // Far from the partitioned years.
    rows.push(reading("gas", datetime!(1990-01-01 00:00:00 UTC), 0.0));
    insert(&*store, "FAC-001", &rows, None).await;
    insert(&*store, "FAC-002", &rows, None).await;
    let cut = datetime!(2025-04-12 00:00:00 UTC);
    let older = rows.iter().filter(|r| r.timestamp < cut).count() as u64;
    assert_eq!(older, 3 * 5 + 2 + 1);
    let deleted = store.delete_readings_before(cut).await.expect("retention");
    assert_eq!(deleted, 2 * older);
    let everything = (
        datetime!(1900-01-01 00:00:00 UTC),
        datetime!(2100-01-01 00:00:00 UTC),
    );
    for facility_id in ["FAC-001", "FAC-002"] {
        let left = read_all(&*store, facility_id, everything.0, everything.1, 100).await;
        assert_eq!(left.len(), rows.len() - older as usize);
        assert!(left.iter().all(|r| r.timestamp >= cut));
        assert_eq!(left[0].timestamp, cut, "the cut-off itself is kept");
    }
    assert_eq!(store.delete_readings_before(cut).await.expect("again"), 0);
    // Inserting into a month whose rows were dropped works again.
    let back = vec![reading("gas", datetime!(2025-02-10 00:00:00 UTC), 2.0)];
    assert_eq!(
        insert(&*store, "FAC-001", &back, None).await,
        summary(1, 0, 0)
    );
}

/// After `close`, the facility and reading methods are `Unavailable`.
pub async fn readings_are_unavailable_after_close(f: &dyn Fixture) {
    let store = f.store();
    store.close().await;
    let entry = audit("facility.create", "FAC-001", "{}");
    assert!(unavailable(
        &within(store.put_facility(&facility("FAC-001", "x", T0), &entry)).await
    ));
    assert!(unavailable(&within(store.get_facility("FAC-001")).await));
    assert!(unavailable(&within(store.list_facilities(10, None)).await));
    assert!(unavailable(
        &within(store.insert_readings("FAC-001", &[reading("gas", R0, 1.0)], None)).await
    ));
    assert!(unavailable(
        &within(store.read_readings_page("FAC-001", R0, R0, None, 10)).await
    ));
    assert!(unavailable(
        &within(store.count_readings("FAC-001", R0, R0)).await
    ));
    assert!(unavailable(&within(store.delete_readings_before(R0)).await));
}
