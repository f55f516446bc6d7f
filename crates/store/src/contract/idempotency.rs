//! `Idempotency-Key` entries: new, in progress, replay, mismatch, abandon, purge.

use std::time::Duration;

use time::OffsetDateTime;

use super::Fixture;
use super::fixtures::*;
use crate::IdempotencyOutcome;

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
