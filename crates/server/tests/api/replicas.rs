//! Production shape: several `thermaliq serve` processes on one PostgreSQL and
//! Redis. Runs when DATABASE_URL (postgres://) and REDIS_URL are set, as
//! `.ci/run` sets them; says SKIPPED otherwise.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, fresh_postgres_schema, runbook_case};
use crate::process::Process;

fn backends() -> Option<(String, String)> {
    let db = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"));
    let redis = std::env::var("REDIS_URL").ok().filter(|u| !u.is_empty());
    match (db, redis) {
        (Some(db), Some(redis)) => Some((db, redis)),
        _ => {
            crate::helpers::skip_or_fail(
                "DATABASE_URL (postgres://) and REDIS_URL not both set (multi-replica test)",
            );
            None
        }
    }
}

async fn metric(client: &reqwest::Client, base: &str, series: &str) -> Option<f64> {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    crate::helpers::sample(&text, series)
}

/// Three replicas: 1,000 calculations spread over them are each readable from
/// every replica; then a 10,000-job batch during which one replica is killed
/// with SIGKILL — every job is done, and done exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_share_the_store_and_run_each_job_once() {
    let Some((db, redis)) = backends() else {
        return;
    };
    let url = fresh_postgres_schema(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("REDIS_URL", redis.as_str()),
        ("JOB_LEASE_TIMEOUT", "3"),
        ("WORKER_CONCURRENCY", "8"),
        ("THERMALIQ_LOG", "warn"),
    ];
    let mut replicas: Vec<Process> = (0..3)
        .map(|n| {
            let own = dir.path().join(format!("replica{n}"));
            std::fs::create_dir_all(&own).unwrap();
            Process::start(&own, &env)
        })
        .collect();
    let bases: Vec<String> = replicas.iter().map(|r| r.base.clone()).collect();
    let client = reqwest::Client::new();

    // 1,000 calculations, round robin, 32 in flight.
    let mut ids = Vec::with_capacity(1000);
    for chunk in (0..1000).collect::<Vec<_>>().chunks(32) {
        let posts = chunk.iter().map(|n| {
            let mut body = runbook_case();
            body["facility_id"] = json!(format!("FAC-{:03}", n % 50));
            client
                .post(format!("{}/v1/thermaliq/calculate", bases[n % 3]))
                .bearer_auth(ADMIN_TOKEN)
                .json(&body)
                .send()
        });
        for response in futures::future::join_all(posts).await {
            let response = response.unwrap();
            assert_eq!(response.status(), 201);
            let body: Value = response.json().await.unwrap();
            ids.push(body["calculation_id"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 1000);
    for base in &bases {
        for chunk in ids.chunks(50) {
            let gets = chunk.iter().map(|id| {
                client
                    .get(format!("{base}/v1/thermaliq/calculations/{id}"))
                    .bearer_auth(ADMIN_TOKEN)
                    .send()
            });
            for response in futures::future::join_all(gets).await {
                assert_eq!(response.unwrap().status(), 200, "not readable from {base}");
            }
        }
    }

    // Ten batches over the same 1,000 calculations: 10,000 recalculation jobs.
    // The range ends now, before any recalculation exists: the first batch's
    // recalculations may be stored before the tenth batch is sent.
    let until = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    for n in 0..10 {
        let response = client
            .post(format!("{}/v1/thermaliq/recalculate/batch", bases[n % 3]))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({"from": "2000-01-01", "to": until}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202);
    }
    // Kill a replica mid-way: once a good share of the recalculations has run.
    use sqlx::Connection;
    let mut sql = sqlx::PgConnection::connect(&url).await.unwrap();
    let started = Instant::now();
    loop {
        let done: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM calculations WHERE recalculated_from IS NOT NULL",
        )
        .fetch_one(&mut sql)
        .await
        .unwrap();
        if done >= 2_000 || started.elapsed() > Duration::from_secs(120) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Freeze the victim (SIGSTOP) until it is caught holding leased jobs, so
    // the kill always lands mid-job; then SIGKILL it, as `kill -9`.
    let victim = replicas.remove(1);
    let pid = victim.child.id().to_string();
    let owner = format!("%-{pid}-%");
    let signal = |sig: &str| {
        let status = std::process::Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap();
        assert!(status.success());
    };
    let freeze_deadline = Instant::now() + Duration::from_secs(120);
    loop {
        signal("-STOP");
        let held: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM jobs WHERE status = 'running' AND lease_owner LIKE $1",
        )
        .bind(&owner)
        .fetch_one(&mut sql)
        .await
        .unwrap();
        if held > 0 {
            println!("replica killed holding {held} leased job(s)");
            break;
        }
        signal("-CONT");
        assert!(
            Instant::now() < freeze_deadline,
            "the victim replica never held a job"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(victim); // SIGKILL (a stopped process dies too)
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let depth = metric(&client, &bases[0], "thermaliq_calculation_queue_depth").await;
        if depth == Some(0.0) {
            break;
        }
        assert!(Instant::now() < deadline, "queue did not drain: {depth:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // Exactly once: every original recalculated 10 times, no job dead, none twice.
    let per_original: Vec<(String, i64)> = sqlx::query_as(
        "SELECT recalculated_from, COUNT(*) FROM calculations WHERE recalculated_from IS NOT NULL GROUP BY 1",
    )
    .fetch_all(&mut sql)
    .await
    .unwrap();
    assert_eq!(per_original.len(), 1000);
    assert!(
        per_original.iter().all(|(_, n)| *n == 10),
        "some calculation recalculated other than 10 times"
    );
    let statuses: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM jobs GROUP BY 1 ORDER BY 1")
            .fetch_all(&mut sql)
            .await
            .unwrap();
    assert_eq!(statuses, vec![("done".to_owned(), 10_010)], "{statuses:?}");
    let retried: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE attempts > 1")
        .fetch_one(&mut sql)
        .await
        .unwrap();
    println!("jobs taken over from the killed replica: {retried}");
    assert!(
        retried >= 1,
        "the killed replica held no job: the takeover was not exercised"
    );
}
