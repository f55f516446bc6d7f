//! The group commit (`insert_calculations`): one call, one bad record failing alone.

use std::time::Duration;

use super::Fixture;
use super::fixtures::*;
use crate::{CalculationQuery, CalculationRecord, CalculationStatus, StoreError};

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
    assert_rejected(&results[1], "recalculated_from");
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
