//! Data every backend refuses the same way, as the permanent
//! [`StoreError::Rejected`] naming the field (never `Unavailable`, never
//! `Backend`): NUL characters in text (PostgreSQL cannot store them), keys
//! longer than [`MAX_KEY_BYTES`], time stamps outside years 1-9999 in UTC.

use std::time::Duration;

use time::macros::datetime;

use super::Fixture;
use super::fixtures::*;
use crate::{
    CalculationQuery, Invalidation, MAX_KEY_BYTES, NewJob, Scope, StoreError, TokenRecord,
};

/// A NUL character in any text, whether written or looked up, is refused
/// naming the field, and nothing is stored.
pub async fn nul_characters_are_rejected_naming_the_field(f: &dyn Fixture) {
    let store = f.store();
    let nul = "CALC-\0";
    assert_rejected(&store.get_calculation(nul).await, "calculation_id");
    for (field, record) in [
        ("calculation_id", sample(nul, "FAC-001", T0)),
        ("facility_id", sample(&id(1), "FAC-\0", T0)),
        ("request", {
            let mut r = sample(&id(2), "FAC-001", T0);
            r.request = "{\"a\":\"\0\"}".to_owned();
            r
        }),
        ("invalid_reason", {
            let mut r = sample(&id(3), "FAC-001", T0);
            r.invalid_reason = Some("bad\0".to_owned());
            r
        }),
    ] {
        assert_rejected(&store.insert_calculation(&record).await, field);
    }
    let list = CalculationQuery {
        before_id: Some(nul.to_owned()),
        ..query(10)
    };
    assert_rejected(&store.list_calculations(&list).await, "before_id");
    let list = CalculationQuery {
        facility_id: Some("FAC-\0".to_owned()),
        ..query(10)
    };
    assert_rejected(&store.list_calculations(&list).await, "facility_id");
    let inv = Invalidation {
        facility_id: None,
        created_from: T0,
        created_to: T0 + Duration::from_secs(1),
        reason: "formula error\0".to_owned(),
    };
    assert_rejected(
        &store
            .invalidate_calculations(&inv, &audit("invalidate", "x", "{}"))
            .await,
        "reason",
    );
    assert_rejected(&store.find_token_by_hash("\0").await, "token_hash");
    let mut t = token(1, Scope::Read);
    t.name = "ops\0".to_owned();
    assert_rejected(
        &store.insert_token(&t, &audit("t", "x", "{}")).await,
        "name",
    );
    assert_rejected(&store.get_facility("FAC-\0").await, "facility_id");
    assert_rejected(&store.get_job("JOB-\0").await, "job_id");
    let mut j = job("calculate", "{}", None, 1);
    j.payload = "\0".to_owned();
    assert_rejected(&store.enqueue_job(&j).await, "payload");
    assert_rejected(
        &store.idempotency_begin("key\0", "ops", "hash").await,
        "idempotency_key",
    );
    assert_rejected(
        &store.read_readings_page("FAC-\0", R0, R0, None, 10).await,
        "facility_id",
    );
    assert_rejected(
        &store
            .insert_readings(
                "FAC-001",
                &[reading("gas", R0, 1.0), reading("g\0s", R0, 1.0)],
                None,
            )
            .await,
        "readings[1].tag",
    );
    // Nothing of the above was stored.
    assert!(
        store
            .list_calculations(&query(10))
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(store.count_tokens().await.expect("count_tokens"), 0);
    assert_eq!(store.queue_depth().await.expect("queue_depth"), 0);
    assert_eq!(
        store
            .count_readings("FAC-001", R0, R0)
            .await
            .expect("count"),
        0
    );
    assert!(
        f.audit_log().await.is_empty(),
        "a refused call writes no audit entry"
    );
}

/// Time stamps outside years 1-9999 in UTC are refused naming the field,
/// also when only the offset takes them there (year 1 at +01:00 is year 0 in
/// UTC; 9999-12-31T23:00-05:00 is year 10000). The boundaries themselves
/// are stored and read back.
pub async fn out_of_range_times_are_rejected_and_the_boundaries_kept(f: &dyn Fixture) {
    let store = f.store();
    let year_zero_utc = datetime!(0001-01-01 00:30:00 +01:00);
    let past_9999_utc = datetime!(9999-12-31 23:00:00 -05:00);
    let mut r = sample(&id(1), "FAC-001", T0);
    r.period_start = year_zero_utc;
    assert_rejected(&store.insert_calculation(&r).await, "period_start");
    let mut r = sample(&id(1), "FAC-001", past_9999_utc);
    r.period_end = past_9999_utc;
    assert_rejected(&store.insert_calculation(&r).await, "period_end");
    let list = CalculationQuery {
        created_to: Some(past_9999_utc),
        ..query(10)
    };
    assert_rejected(&store.list_calculations(&list).await, "created_to");
    let mut j: NewJob = job("calculate", "{}", None, 1);
    j.run_after = datetime!(0000-12-31 23:59:59 UTC);
    assert_rejected(&store.enqueue_job(&j).await, "run_after");
    assert_rejected(
        &store.count_readings("FAC-001", year_zero_utc, R0).await,
        "from",
    );
    assert_rejected(&store.delete_readings_before(past_9999_utc).await, "before");
    for t in [
        year_zero_utc,
        past_9999_utc,
        datetime!(0000-06-01 00:00 UTC),
    ] {
        let result = store
            .insert_readings(
                "FAC-001",
                &[reading("gas", R0, 1.0), reading("gas", t, 2.0)],
                None,
            )
            .await;
        assert_rejected(&result, "readings[1].timestamp");
    }
    // The first and last stored instants are fine, on every path.
    let first = datetime!(0001-01-01 00:00:00 UTC);
    let last = datetime!(9999-12-31 23:59:59.999999 UTC);
    let rows = [reading("gas", first, 1.0), reading("gas", last, 2.0)];
    let summary = store
        .insert_readings("FAC-001", &rows, None)
        .await
        .expect("years 1 and 9999 are stored");
    assert_eq!(summary.inserted, 2);
    let page = store
        .read_readings_page("FAC-001", first, last, None, 10)
        .await
        .expect("page");
    let stamps: Vec<_> = page.iter().map(|r| r.timestamp).collect();
    assert_eq!(stamps, [first, last]);
    let mut r = sample(&id(2), "FAC-001", last);
    r.period_start = first;
    r.period_end = last;
    store.insert_calculation(&r).await.expect("insert");
    assert_same_record(&get(store.as_ref(), &id(2)).await, &r);
}

/// A key of [`MAX_KEY_BYTES`] is stored; one byte more is refused (the
/// widest index entry must fit PostgreSQL's 2704-byte B-tree limit).
pub async fn keys_longer_than_the_limit_are_rejected(f: &dyn Fixture) {
    let store = f.store();
    // Not compressible, so PostgreSQL cannot shrink the index entry.
    let key = |n: usize| -> String {
        (0..n)
            .map(|i| char::from(b'!' + ((i * 7919 + i / 94) % 94) as u8))
            .collect()
    };
    let longest = sample(&key(MAX_KEY_BYTES), "FAC-001", T0);
    store
        .insert_calculation(&longest)
        .await
        .expect("a key of the limit");
    assert_same_record(
        &get(store.as_ref(), &longest.calculation_id).await,
        &longest,
    );
    let over = sample(&key(MAX_KEY_BYTES + 1), "FAC-001", T0);
    assert_rejected(&store.insert_calculation(&over).await, "calculation_id");
    let tag = key(MAX_KEY_BYTES + 1);
    assert_rejected(
        &store
            .insert_readings(&key(MAX_KEY_BYTES), &[reading(&tag, R0, 1.0)], None)
            .await,
        "readings[0].tag",
    );
    let long_token = TokenRecord {
        token_hash: key(MAX_KEY_BYTES + 1),
        ..token(1, Scope::Read)
    };
    assert_rejected(
        &store
            .insert_token(&long_token, &audit("t", "x", "{}"))
            .await,
        "token_hash",
    );
}

/// A refused record in a group fails alone: its neighbours are stored.
pub async fn a_refused_record_in_a_group_fails_alone(f: &dyn Fixture) {
    let store = f.store();
    let mut records: Vec<_> = (1..=4).map(|n| sample(&id(n), "FAC-001", T0)).collect();
    records[1].facility_id = "FAC-\0".to_owned();
    records[2].created_at = datetime!(0000-06-01 00:00 UTC);
    let results = store
        .insert_calculations(&records)
        .await
        .expect("the group commits");
    assert!(results[0].is_ok() && results[3].is_ok(), "{results:?}");
    assert_rejected(&results[1], "facility_id");
    assert_rejected(&results[2], "created_at");
    assert_eq!(get_opt(store.as_ref(), &id(2)).await, None);
    assert_eq!(get_opt(store.as_ref(), &id(3)).await, None);
    assert_same_record(&get(store.as_ref(), &id(1)).await, &records[0]);
    assert_same_record(&get(store.as_ref(), &id(4)).await, &records[3]);
    assert!(
        !StoreError::rejected("x", "y").is_transient(),
        "Rejected is permanent"
    );
}
