//! Invalidation: which rows it marks, what it returns, its audit entry.

use std::time::Duration;

use time::macros::datetime;

use super::Fixture;
use super::fixtures::*;
use crate::{CalculationRecord, CalculationStatus, Invalidation};

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

/// The change marker grows when calculations are invalidated (cached views
/// written before are stale), and inserts leave it alone (they cannot make a
/// cached view of another calculation wrong).
pub async fn invalidation_moves_the_change_marker(f: &dyn Fixture) {
    let store = f.store();
    let start = store.calculation_change_marker().await.expect("marker");
    let r = sample(&id(1), "FAC-001", T0);
    store.insert_calculation(&r).await.expect("insert");
    store
        .insert_calculations(&[sample(&id(2), "FAC-001", T0)])
        .await
        .expect("group insert");
    assert_eq!(
        store.calculation_change_marker().await.expect("marker"),
        start
    );
    let ids = store
        .invalidate_calculations(
            &Invalidation {
                facility_id: Some("FAC-001".to_owned()),
                created_from: T0 - Duration::from_secs(3600),
                created_to: T0 + Duration::from_secs(3600),
                reason: "formula error".to_owned(),
            },
            &audit("invalidate", "FAC-001", "{}"),
        )
        .await
        .expect("invalidate");
    assert_eq!(ids.len(), 2);
    let after = store.calculation_change_marker().await.expect("marker");
    assert!(
        after > start,
        "marker {start} -> {after} after an invalidation"
    );
}
