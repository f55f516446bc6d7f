//! PostgreSQL-only job-queue behaviour: several replicas (separate pools) on
//! one database, a replica whose session is killed mid-job, and claims that
//! skip rows other sessions hold locked instead of waiting for them.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::TestDb;
use sqlx::Connection;
use thermaliq_store::{JobStatus, NewJob, Store, StoreError};
use thermaliq_store_postgres::{PoolSettings, PostgresStore};
use time::OffsetDateTime;

fn settings(size: u32, overflow: u32) -> PoolSettings {
    PoolSettings {
        max_connections: size,
        max_overflow: overflow,
        acquire_timeout: Duration::from_secs(5),
        recycle: None,
        pre_ping: true,
    }
}

fn due_job(n: u32) -> NewJob {
    NewJob {
        kind: "recalculate".to_owned(),
        payload: format!("{{\"n\":{n}}}"),
        dedupe_key: Some(format!("batch:1:item:{n}")),
        max_attempts: 5,
        run_after: OffsetDateTime::now_utc() - Duration::from_secs(1),
    }
}

/// Terminates every session of the test database except the caller's.
async fn terminate_all(db: &TestDb) -> usize {
    let mut conn = db.connect().await;
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(&mut conn)
    .await
    .expect("terminate sessions");
    conn.close().await.ok();
    killed.into_iter().filter(|k| *k).count()
}

/// Per job: how many times a worker started it and how many completions were
/// accepted.
#[derive(Default)]
struct Ledger {
    started: BTreeMap<String, u32>,
    completed: BTreeMap<String, u32>,
    /// Jobs first claimed by the killed replica: (who reclaimed, claim time).
    reclaimed: BTreeMap<String, (String, OffsetDateTime)>,
}

/// A replica's worker loop: claim, "run", complete; until the queue is empty.
/// Database errors (sessions being killed) are waited out; a completion whose
/// outcome is unknown is repeated (it is idempotent for the owner).
async fn worker(
    store: Arc<PostgresStore>,
    name: &'static str,
    lease: Duration,
    dead_jobs: Vec<String>,
    ledger: Arc<Mutex<Ledger>>,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(
            Instant::now() < deadline,
            "{name}: queue not drained in 60 s"
        );
        match store.queue_depth().await {
            Ok(0) => return,
            Ok(_) => {}
            Err(StoreError::Unavailable(_)) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            Err(e) => panic!("{name}: queue_depth: {e}"),
        }
        let jobs = match store.claim_jobs(name, lease, 4).await {
            Ok(jobs) => jobs,
            Err(StoreError::Unavailable(_)) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            Err(e) => panic!("{name}: claim: {e}"),
        };
        if jobs.is_empty() {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        for job in jobs {
            {
                let mut ledger = ledger.lock().expect("ledger");
                *ledger.started.entry(job.job_id.clone()).or_default() += 1;
                if dead_jobs.contains(&job.job_id) {
                    ledger
                        .reclaimed
                        .insert(job.job_id.clone(), (name.to_owned(), job.updated_at));
                }
            }
            tokio::time::sleep(Duration::from_millis(3)).await;
            let result = format!("{{\"by\":\"{name}\"}}");
            let accepted = loop {
                match store.complete_job(&job.job_id, name, &result).await {
                    Ok(accepted) => break accepted,
                    Err(StoreError::Unavailable(_)) => {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    Err(e) => panic!("{name}: complete: {e}"),
                }
            };
            assert!(
                accepted,
                "{name} lost {} while holding its lease",
                job.job_id
            );
            *ledger
                .lock()
                .expect("ledger")
                .completed
                .entry(job.job_id.clone())
                .or_default() += 1;
        }
    }
}

/// Replica A claims jobs and its session is killed mid-job (it never finishes
/// them). Replicas B and C, whose own sessions are also killed a few times,
/// drain the queue: A's jobs only after A's lease ran out, every job is
/// completed exactly once, and A, back from the dead, can complete nothing.
#[tokio::test]
async fn a_replica_killed_mid_job_loses_its_jobs_and_each_job_runs_once() {
    let Some(db) = TestDb::create("PostgreSQL queue tests").await else {
        return;
    };
    let replica_a = Arc::new(
        PostgresStore::connect(&db.url, settings(1, 0))
            .await
            .expect("connect a"),
    );
    let replica_b = Arc::new(
        PostgresStore::connect(&db.url, settings(1, 2))
            .await
            .expect("connect b"),
    );
    let replica_c = Arc::new(
        PostgresStore::connect(&db.url, settings(1, 2))
            .await
            .expect("connect c"),
    );
    let mut all = Vec::new();
    for n in 0..120 {
        all.push(
            replica_b
                .enqueue_job(&due_job(n))
                .await
                .expect("enqueue")
                .job_id,
        );
    }

    // A takes five jobs and starts on them ...
    let lease = Duration::from_millis(1500);
    let held = replica_a
        .claim_jobs("replica-a", lease, 5)
        .await
        .expect("claim");
    assert_eq!(held.len(), 5);
    let a_pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(replica_a.pool())
        .await
        .expect("a's backend");
    let a_work = {
        let store = replica_a.clone();
        let held = held.clone();
        tokio::spawn(async move {
            for job in &held {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                let _ = store.complete_job(&job.job_id, "replica-a", "{}").await;
            }
        })
    };
    // ... and dies: its session is terminated, its process gone.
    let mut admin = db.connect().await;
    let killed: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(a_pid)
        .fetch_one(&mut admin)
        .await
        .expect("terminate a");
    assert!(killed);
    a_work.abort();
    replica_a.close().await;

    let held_ids: Vec<String> = held.iter().map(|j| j.job_id.clone()).collect();
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let b = tokio::spawn(worker(
        replica_b.clone(),
        "replica-b",
        lease,
        held_ids.clone(),
        ledger.clone(),
    ));
    let c = tokio::spawn(worker(
        replica_c.clone(),
        "replica-c",
        lease,
        held_ids.clone(),
        ledger.clone(),
    ));
    // Kill B's and C's sessions too while they work.
    let mut kills = 0;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(120)).await;
        kills += terminate_all(&db).await;
    }
    tokio::time::timeout(Duration::from_secs(90), async {
        b.await.expect("worker b");
        c.await.expect("worker c");
    })
    .await
    .expect("workers finish");
    println!("{kills} sessions killed while B and C worked");

    let ledger = std::mem::take(&mut *ledger.lock().expect("ledger"));
    for id in &all {
        assert_eq!(
            ledger.completed.get(id),
            Some(&1),
            "{id} is completed exactly once"
        );
    }
    // A's jobs: taken over only after A's lease ran out.
    assert_eq!(ledger.reclaimed.len(), 5, "every job A held was reclaimed");
    let mut store_view = Vec::new();
    for job in &held {
        let (by, at) = &ledger.reclaimed[&job.job_id];
        let expired = job.lease_expires_at.expect("A's lease");
        assert!(
            *at >= expired,
            "{} reclaimed at {at}, before A's lease ran out at {expired}",
            job.job_id
        );
        let done = replica_b
            .get_job(&job.job_id)
            .await
            .expect("get")
            .expect("job");
        assert_eq!(done.status, JobStatus::Done);
        assert_eq!(done.lease_owner.as_deref(), Some(by.as_str()));
        assert!(done.attempts >= 2, "A's claim counted: {}", done.attempts);
        store_view.push(done);
    }
    for id in &all {
        let started = ledger.started.get(id).copied().unwrap_or(0);
        assert!(started >= 1, "{id} ran");
        // Only a claim whose answer was lost to a killed session can be
        // repeated, and then the first "start" never happened here.
        assert_eq!(started, 1, "{id} ran exactly once");
    }
    assert_eq!(replica_b.queue_depth().await.expect("depth"), 0);

    // A comes back (a new process with the same worker id): too late.
    let revived = PostgresStore::connect(&db.url, settings(1, 0))
        .await
        .expect("connect a again");
    for job in &held {
        assert!(
            !revived
                .complete_job(&job.job_id, "replica-a", "{\"by\":\"a\"}")
                .await
                .expect("stale complete")
        );
        assert!(
            !revived
                .heartbeat_job(&job.job_id, "replica-a", lease)
                .await
                .expect("stale heartbeat")
        );
    }
    for done in &store_view {
        assert_eq!(
            &revived
                .get_job(&done.job_id)
                .await
                .expect("get")
                .expect("job"),
            done,
            "the stale worker changed nothing"
        );
    }
    admin.close().await.ok();
    revived.close().await;
    replica_b.close().await;
    replica_c.close().await;
    db.drop_database().await;
}

/// A claim skips jobs whose rows another session holds locked (`SKIP
/// LOCKED`) and returns promptly instead of waiting for that session.
#[tokio::test]
async fn claims_skip_rows_locked_by_another_session() {
    let Some(db) = TestDb::create("PostgreSQL queue tests").await else {
        return;
    };
    let store = PostgresStore::connect(&db.url, settings(1, 1))
        .await
        .expect("connect");
    let first = store.enqueue_job(&due_job(1)).await.expect("enqueue");
    let second = store.enqueue_job(&due_job(2)).await.expect("enqueue");
    let mut other = db.connect().await;
    let mut tx = other.begin().await.expect("begin");
    sqlx::query("SELECT job_id FROM jobs WHERE job_id = $1 FOR UPDATE")
        .bind(&first.job_id)
        .fetch_one(&mut *tx)
        .await
        .expect("lock the first job");
    let claimed = tokio::time::timeout(
        Duration::from_secs(5),
        store.claim_jobs("w", Duration::from_secs(60), 10),
    )
    .await
    .expect("claim does not wait for the lock")
    .expect("claim");
    let ids: Vec<&str> = claimed.iter().map(|j| j.job_id.as_str()).collect();
    assert_eq!(ids, [second.job_id.as_str()]);
    tx.rollback().await.expect("rollback");
    let later = store
        .claim_jobs("w", Duration::from_secs(60), 10)
        .await
        .expect("claim");
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].job_id, first.job_id);
    other.close().await.ok();
    store.close().await;
    db.drop_database().await;
}
