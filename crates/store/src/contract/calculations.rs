//! Calculations: round trips, time stamps, ids, constraints, lists and cursors.

use std::time::Duration;

use time::macros::datetime;
use time::{OffsetDateTime, UtcOffset};

use super::Fixture;
use super::fixtures::*;
use crate::{CalculationQuery, CalculationStatus, StoreError};

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

/// `recalculated_from` names an existing calculation: a dangling one is
/// `Rejected` naming `recalculated_from` (the data: not `Duplicate`, not
/// `Unavailable`, not `Backend`) and stores nothing.
/// (`status` is a [`CalculationStatus`]: no other value can be written.)
pub async fn schema_constraints_are_enforced(f: &dyn Fixture) {
    let store = f.store();
    let mut dangling = sample(&id(2), "FAC-001", T0);
    dangling.recalculated_from = Some(id(99));
    let result = store.insert_calculation(&dangling).await;
    assert_rejected(&result, "recalculated_from");
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
