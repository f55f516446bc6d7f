//! Readings: idempotent inserts, corrections, keyset pages, retention.

use std::time::Duration;

use time::UtcOffset;
use time::macros::datetime;

use super::Fixture;
use super::fixtures::*;
use crate::{InsertSummary, NewReading, ReadingQuality, ReadingRecord, StoreError};

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
/// 1-9999 in UTC, also when only the offset takes it there) is `Rejected`
/// naming the row and field, and stores none of its rows.
pub async fn invalid_rows_are_refused_and_nothing_is_stored(f: &dyn Fixture) {
    let store = f.store();
    let bad_rows = [
        reading("gas", R0, f64::NAN),
        reading("gas", R0, f64::INFINITY),
        reading("", R0, 1.0),
        reading("gas", datetime!(0000-06-01 00:00:00 UTC), 1.0),
        reading("gas", datetime!(0001-01-01 00:30:00 +01:00), 1.0),
        reading("gas\0", R0, 1.0),
    ];
    let fields = ["value", "value", "tag", "timestamp", "timestamp", "tag"];
    for (bad, field) in bad_rows.iter().zip(fields) {
        let rows = vec![reading("gas", R0 + minutes(1), 1.0), bad.clone()];
        let result = store.insert_readings("FAC-001", &rows, None).await;
        assert_rejected(&result, &format!("readings[1].{field}"));
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
