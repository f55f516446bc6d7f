//! Concurrency, connection accounting, and every call after `close`.

use std::time::Duration;

use time::OffsetDateTime;

use super::Fixture;
use super::fixtures::*;
use crate::{Invalidation, Scope, StoreError};

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
    // The pool's capacity is what `thermaliq_database_pool_size` reports:
    // eight concurrent listings ran, so it holds at least one connection.
    assert!(store.pool_size() >= 1, "pool size {}", store.pool_size());
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
    assert!(unavailable(
        &within(s.purge_finished_jobs_before(OffsetDateTime::now_utc())).await
    ));
    assert!(unavailable(&within(s.schedule_mark_get("FAC-001")).await));
    assert!(unavailable(
        &within(s.schedule_mark_advance("FAC-001", OffsetDateTime::now_utc())).await
    ));
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
