//! The job queue: dedupe, claims, leases, heartbeats, retries, dead letters.

use std::time::Duration;

use time::OffsetDateTime;
use time::macros::datetime;

use super::Fixture;
use super::fixtures::*;
use crate::{JobStatus, NewJob};

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
    assert_rejected(&zero, "max_attempts");
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

/// Retention deletes finished jobs (`done`, `dead`) last updated before the
/// cut-off and nothing else; a purged job's dedupe key is free again.
pub async fn finished_jobs_are_purged_before_the_cut_off(f: &dyn Fixture) {
    let store = f.store();
    let s = store.as_ref();
    let queued = enqueue(s, &job("calculate", "{\"n\":1}", Some("k-queued"), 3)).await;
    for (key, attempts) in [("k-done", 3), ("k-dead", 1), ("k-running", 3)] {
        enqueue(s, &job("calculate", "{}", Some(key), attempts)).await;
    }
    // All four are due: claim them, then complete one, dead-letter one (its
    // only attempt failed), send one back to the queue, leave one running.
    let claimed = claim(s, "w", MINUTE, 10).await;
    assert_eq!(claimed.len(), 4);
    let by_key = |key: &str| {
        claimed
            .iter()
            .find(|j| j.dedupe_key.as_deref() == Some(key))
            .expect("claimed")
            .job_id
            .clone()
    };
    assert!(
        s.complete_job(&by_key("k-done"), "w", "{}")
            .await
            .expect("complete")
    );
    let dead = s
        .fail_job(&by_key("k-dead"), "w", "boom", MINUTE)
        .await
        .expect("fail")
        .expect("running under w");
    assert_eq!(dead.status, JobStatus::Dead);
    let requeued = s
        .fail_job(&queued.job_id, "w", "retry", Duration::from_secs(3600))
        .await
        .expect("fail")
        .expect("running under w");
    assert_eq!(requeued.status, JobStatus::Queued);
    let now = OffsetDateTime::now_utc();
    assert_eq!(
        s.purge_finished_jobs_before(now - Duration::from_secs(3600))
            .await
            .expect("purge"),
        0,
        "finished jobs younger than the cut-off stay"
    );
    assert_eq!(
        s.purge_finished_jobs_before(now + MINUTE)
            .await
            .expect("purge"),
        2,
        "done and dead jobs go"
    );
    assert_eq!(s.get_job(&by_key("k-done")).await.expect("get"), None);
    assert_eq!(s.get_job(&by_key("k-dead")).await.expect("get"), None);
    assert_eq!(
        job_of(s, &queued.job_id).await.status,
        JobStatus::Queued,
        "queued jobs are never purged"
    );
    assert_eq!(
        job_of(s, &by_key("k-running")).await.status,
        JobStatus::Running,
        "running jobs are never purged"
    );
    assert_eq!(s.queue_depth().await.expect("depth"), 2);
    assert_eq!(
        s.purge_finished_jobs_before(now + MINUTE)
            .await
            .expect("purge"),
        0
    );
    let again = enqueue(s, &job("calculate", "{}", Some("k-done"), 3)).await;
    assert_ne!(
        again.job_id,
        by_key("k-done"),
        "the purged key is free again"
    );
    assert_eq!(again.status, JobStatus::Queued);
}

/// More finished jobs than one purge batch are all purged by one call.
pub async fn purge_spans_batches(f: &dyn Fixture) {
    let store = f.store();
    let s = store.as_ref();
    let n = crate::PURGE_BATCH + 7;
    for i in 0..n {
        s.enqueue_job(&job("calculate", "{}", Some(&format!("bulk-{i}")), 1))
            .await
            .expect("enqueue");
    }
    // One claim with a lease that runs out at once; the next claim
    // dead-letters them all (their only attempt is spent).
    assert_eq!(
        claim(s, "w", Duration::from_millis(1), n + 10).await.len() as u32,
        n
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(claim(s, "w", MINUTE, 10).await.is_empty());
    assert_eq!(s.queue_depth().await.expect("depth"), 0);
    let purged = s
        .purge_finished_jobs_before(OffsetDateTime::now_utc() + MINUTE)
        .await
        .expect("purge");
    assert_eq!(purged, u64::from(n));
    assert!(s.list_jobs(None, 10).await.expect("list").is_empty());
}
