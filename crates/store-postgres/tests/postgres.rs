//! PostgreSQL-only behaviour: failing fast when the server is down, pool
//! sizing, recovery after the server kills our sessions, and the runbook's SQL
//! running unchanged against the schema.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::TestDb;
use sqlx::{Connection, Row};
use thermaliq_store::contract::sample;
use thermaliq_store::{CalculationQuery, CalculationRecord, Store, StoreError};
use thermaliq_store_postgres::{PoolSettings, PostgresStore};
use time::OffsetDateTime;
use time::macros::datetime;

/// Generous bound for "returns at all" (no timing assertion beyond this).
const TEST_TIMEOUT: Duration = Duration::from_secs(30);

fn settings(size: u32, overflow: u32, pre_ping: bool) -> PoolSettings {
    PoolSettings {
        max_connections: size,
        max_overflow: overflow,
        acquire_timeout: Duration::from_secs(5),
        recycle: Some(Duration::from_secs(3600)),
        pre_ping,
    }
}

async fn bounded<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(TEST_TIMEOUT, fut)
        .await
        .unwrap_or_else(|_| panic!("{what} hung past {TEST_TIMEOUT:?}"))
}

#[tokio::test]
async fn a_server_that_is_not_there_is_unavailable_not_a_hang() {
    // Port 1: nothing listens, connections are refused.
    let url = "postgres://postgres@127.0.0.1:1/thermaliq";
    let fast = PoolSettings {
        acquire_timeout: Duration::from_millis(500),
        ..settings(2, 2, true)
    };
    let store = PostgresStore::connect_lazy(url, fast).expect("a lazy pool needs no server");
    let ping = bounded("ping", store.ping()).await;
    assert!(matches!(ping, Err(StoreError::Unavailable(_))), "{ping:?}");
    let insert = bounded(
        "insert",
        store.insert_calculation(&sample("01JCALC1", "FAC-001", OffsetDateTime::now_utc())),
    )
    .await;
    assert!(
        matches!(insert, Err(StoreError::Unavailable(_))),
        "{insert:?}"
    );
    let get = bounded("get", store.get_calculation("01JCALC1")).await;
    assert!(matches!(get, Err(StoreError::Unavailable(_))), "{get:?}");
    let migrate = bounded("migrate", store.migrate()).await;
    assert!(
        matches!(migrate, Err(StoreError::Unavailable(_))),
        "{migrate:?}"
    );
    assert_eq!(store.connections_active(), 0);
    let connect = bounded("connect", PostgresStore::connect(url, fast)).await;
    assert!(
        matches!(connect, Err(StoreError::Unavailable(_))),
        "connect: {:?}",
        connect.err()
    );
}

#[tokio::test]
async fn a_malformed_url_is_a_backend_error() {
    let result = PostgresStore::connect_lazy("postgres://[::1", settings(1, 0, true));
    assert!(matches!(result, Err(StoreError::Backend(_))));
}

#[tokio::test]
async fn migrations_are_idempotent_and_safe_from_many_replicas() {
    let Some(db) = TestDb::create("PostgreSQL tests").await else {
        return;
    };
    // Three replicas starting at once all migrate the same database.
    let (a, b, c) = tokio::join!(
        PostgresStore::connect(&db.url, settings(1, 1, true)),
        PostgresStore::connect(&db.url, settings(1, 1, true)),
        PostgresStore::connect(&db.url, settings(1, 1, true)),
    );
    let (a, b, c) = (a.expect("a"), b.expect("b"), c.expect("c"));
    a.migrate().await.expect("migrate again");
    let r = sample("01JCALC1", "FAC-001", OffsetDateTime::now_utc());
    a.insert_calculation(&r).await.expect("insert on a");
    let seen = c.get_calculation("01JCALC1").await.expect("get on c");
    assert!(seen.is_some(), "every replica reads what one wrote");
    let mut conn = db.connect().await;
    let (indexes, timezone): (Vec<String>, String) = (
        sqlx::query_scalar(
            "SELECT indexname::text FROM pg_indexes WHERE tablename = 'calculations' ORDER BY 1",
        )
        .fetch_all(&mut conn)
        .await
        .expect("indexes"),
        sqlx::query_scalar("SELECT current_setting('TimeZone')")
            .fetch_one(&mut conn)
            .await
            .expect("time zone"),
    );
    assert_eq!(
        indexes,
        [
            "calculations_pkey",
            "idx_calculations_created",
            "idx_calculations_facility_created",
            "idx_calculations_status"
        ]
    );
    // New sessions of the database (an operator's psql) read time stamps in UTC.
    assert_eq!(timezone, "UTC");
    conn.close().await.ok();
    for store in [a, b, c] {
        store.close().await;
    }
    db.drop_database().await;
}

#[tokio::test]
async fn pool_holds_size_plus_overflow_and_counts_checked_out_connections() {
    let Some(db) = TestDb::create("PostgreSQL tests").await else {
        return;
    };
    let store = PostgresStore::connect(
        &db.url,
        PoolSettings {
            acquire_timeout: Duration::from_millis(500),
            ..settings(1, 1, true)
        },
    )
    .await
    .expect("connect");
    assert_eq!(store.pool().options().get_min_connections(), 1);
    assert_eq!(store.pool().options().get_max_connections(), 2);
    let held_a = store.pool().acquire().await.expect("first connection");
    let held_b = store.pool().acquire().await.expect("overflow connection");
    assert_eq!(store.connections_active(), 2);
    // Exhausted: the call fails within the acquire timeout instead of queueing forever.
    let ping = bounded("ping on an exhausted pool", store.ping()).await;
    assert!(matches!(ping, Err(StoreError::Unavailable(_))), "{ping:?}");
    drop(held_a);
    drop(held_b);
    store.ping().await.expect("ping once connections are back");
    store.close().await;
    db.drop_database().await;
}

/// Terminates every other session on the test database, as the runbook does
/// for a stuck pool; returns how many were killed.
async fn terminate_sessions(db: &TestDb) -> i64 {
    let mut conn = db.connect().await;
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid() \
         AND application_name = 'thermaliq'",
    )
    .fetch_all(&mut conn)
    .await
    .expect("terminate sessions");
    conn.close().await.ok();
    killed.into_iter().filter(|k| *k).count() as i64
}

fn record(n: u32) -> CalculationRecord {
    sample(
        &format!("01JFAULT{n:018}"),
        "FAC-001",
        datetime!(2025-11-20 00:00:00 UTC) + Duration::from_millis(u64::from(n)),
    )
}

#[tokio::test]
async fn recovers_by_itself_after_its_sessions_are_terminated() {
    let Some(db) = TestDb::create("PostgreSQL tests").await else {
        return;
    };
    let store = PostgresStore::connect(&db.url, settings(3, 2, true))
        .await
        .expect("connect");
    for n in 0..10 {
        store.insert_calculation(&record(n)).await.expect("insert");
    }
    // Make sure the pool holds several idle connections, then kill them all.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(store.pool().acquire().await.expect("acquire"));
    }
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        terminate_sessions(&db).await >= 1,
        "the store had sessions to kill"
    );

    // The very next calls succeed: dead connections are detected and replaced.
    store.ping().await.expect("ping after the kill");
    for n in 10..20 {
        store
            .insert_calculation(&record(n))
            .await
            .expect("insert after the kill");
    }
    for n in 0..20 {
        let want = record(n);
        let got = store
            .get_calculation(&want.calculation_id)
            .await
            .expect("get")
            .expect("acknowledged calculation is there");
        assert_eq!(got, want);
    }
    store.close().await;
    db.drop_database().await;
}

#[tokio::test]
async fn without_pre_ping_a_lost_connection_is_retried_once() {
    let Some(db) = TestDb::create("PostgreSQL tests").await else {
        return;
    };
    // One connection only: after the kill the idle connection is dead and the
    // pool does not test it; the store must discard it and retry.
    let store = PostgresStore::connect(&db.url, settings(1, 0, false))
        .await
        .expect("connect");
    store.insert_calculation(&record(1)).await.expect("insert");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(terminate_sessions(&db).await, 1);
    let got = store.get_calculation(&record(1).calculation_id).await;
    assert_eq!(
        got.expect("get retried on a new connection"),
        Some(record(1))
    );
    assert_eq!(terminate_sessions(&db).await, 1);
    store
        .insert_calculation(&record(2))
        .await
        .expect("insert retried on a new connection");
    assert_eq!(terminate_sessions(&db).await, 1);
    store.ping().await.expect("ping retried");
    let listed = store
        .list_calculations(&CalculationQuery {
            limit: 10,
            ..CalculationQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(listed, [record(2), record(1)]);
    store.close().await;
    db.drop_database().await;
}

/// Sessions are killed again and again while a writer inserts: a call may
/// fail (`Unavailable`), but every insert that returned `Ok` is stored.
#[tokio::test]
async fn nothing_acknowledged_is_lost_while_sessions_are_killed() {
    let Some(db) = TestDb::create("PostgreSQL tests").await else {
        return;
    };
    let store = Arc::new(
        PostgresStore::connect(&db.url, settings(2, 2, true))
            .await
            .expect("connect"),
    );
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let store = store.clone();
        let done = done.clone();
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            let mut failures = Vec::new();
            for n in 0..300 {
                let r = record(n);
                match store.insert_calculation(&r).await {
                    Ok(()) => acknowledged.push(r),
                    Err(e) => failures.push((n, e)),
                }
            }
            done.store(true, Ordering::SeqCst);
            (acknowledged, failures)
        })
    };
    let mut kills = 0;
    while !done.load(Ordering::SeqCst) {
        kills += terminate_sessions(&db).await;
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    let (acknowledged, failures) = bounded("writer", writer).await.expect("writer task");
    println!(
        "{} acknowledged, {} failed, {kills} sessions killed",
        acknowledged.len(),
        failures.len()
    );
    for (n, e) in &failures {
        assert!(
            matches!(e, StoreError::Unavailable(_)),
            "insert {n} failed with a non-availability error: {e}"
        );
    }
    assert!(kills > 0);
    assert!(
        acknowledged.len() >= 150,
        "most inserts go through despite the kills"
    );
    for r in &acknowledged {
        let got = store
            .get_calculation(&r.calculation_id)
            .await
            .expect("get")
            .unwrap_or_else(|| panic!("acknowledged {} was lost", r.calculation_id));
        assert_eq!(&got, r);
    }
    store.close().await;
    db.drop_database().await;
}

#[tokio::test]
async fn without_pre_ping_a_group_is_retried_once_on_a_new_connection() {
    let Some(db) = TestDb::create("PostgreSQL tests").await else {
        return;
    };
    let store = PostgresStore::connect(&db.url, settings(1, 0, false))
        .await
        .expect("connect");
    store.insert_calculation(&record(1)).await.expect("insert");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(terminate_sessions(&db).await, 1);
    let group: Vec<CalculationRecord> = (2..12).map(record).collect();
    let results = store
        .insert_calculations(&group)
        .await
        .expect("group retried on a new connection");
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    for r in &group {
        assert_eq!(
            store
                .get_calculation(&r.calculation_id)
                .await
                .expect("get")
                .as_ref(),
            Some(r)
        );
    }
    store.close().await;
    db.drop_database().await;
}

/// Groups are written while sessions are killed again and again: a group
/// may fail as a whole (`Unavailable`), but a group that returned `Ok` has
/// every record `Ok` (a retry after a lost COMMIT recognises its own rows)
/// and stored.
#[tokio::test]
async fn no_record_of_an_acknowledged_group_is_lost_while_sessions_are_killed() {
    let Some(db) = TestDb::create("PostgreSQL tests").await else {
        return;
    };
    let store = Arc::new(
        PostgresStore::connect(&db.url, settings(2, 2, true))
            .await
            .expect("connect"),
    );
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let store = store.clone();
        let done = done.clone();
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            let mut failures = Vec::new();
            for g in 0..60u32 {
                let group: Vec<CalculationRecord> = (g * 20..g * 20 + 20).map(record).collect();
                match store.insert_calculations(&group).await {
                    Ok(results) => acknowledged.push((group, results)),
                    Err(e) => failures.push((g, e)),
                }
            }
            done.store(true, Ordering::SeqCst);
            (acknowledged, failures)
        })
    };
    let mut kills = 0;
    while !done.load(Ordering::SeqCst) {
        kills += terminate_sessions(&db).await;
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    let (acknowledged, failures) = bounded("writer", writer).await.expect("writer task");
    println!(
        "{} groups acknowledged, {} failed, {kills} sessions killed",
        acknowledged.len(),
        failures.len()
    );
    for (g, e) in &failures {
        assert!(
            matches!(e, StoreError::Unavailable(_)),
            "group {g} failed with a non-availability error: {e}"
        );
    }
    assert!(kills > 0);
    assert!(
        acknowledged.len() >= 30,
        "most groups go through despite the kills"
    );
    for (group, results) in &acknowledged {
        for (r, result) in group.iter().zip(results) {
            assert!(result.is_ok(), "{}: {result:?}", r.calculation_id);
            let got = store
                .get_calculation(&r.calculation_id)
                .await
                .expect("get")
                .unwrap_or_else(|| panic!("acknowledged {} was lost", r.calculation_id));
            assert_eq!(&got, r);
        }
    }
    store.close().await;
    db.drop_database().await;
}

fn runbook_record(
    id: &str,
    efficiency: Option<f64>,
    created_at: OffsetDateTime,
) -> CalculationRecord {
    let mut r = sample(id, "FAC-001", created_at);
    r.efficiency = efficiency;
    r
}

/// The runbook's psql statements, verbatim, against a table the store filled.
#[tokio::test]
async fn the_runbooks_sql_runs_unchanged() {
    let Some(db) = TestDb::create("PostgreSQL tests").await else {
        return;
    };
    let store = PostgresStore::connect(&db.url, settings(1, 1, true))
        .await
        .expect("connect");
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("whole second");
    let hour = Duration::from_secs(3600);
    let records = [
        runbook_record(
            "CALC-001",
            Some(82.5),
            datetime!(2025-10-31 23:59:59.999999 UTC),
        ),
        runbook_record("CALC-002", Some(-3.5), datetime!(2025-11-01 00:00:00 UTC)),
        runbook_record("CALC-003", Some(85.0), datetime!(2025-11-15 12:00:00 UTC)),
        runbook_record(
            "CALC-004",
            Some(104.2),
            datetime!(2025-11-25 23:59:59.999999 UTC),
        ),
        runbook_record("CALC-005", Some(86.0), datetime!(2025-11-26 00:00:00 UTC)),
        runbook_record("CALC-123", Some(87.25), now - 2 * hour),
        runbook_record("CALC-006", None, now - hour),
        runbook_record("CALC-007", Some(80.0), now - 30 * hour),
    ];
    for r in &records {
        store.insert_calculation(r).await.expect("insert");
    }
    let mut psql = db.connect().await;

    // Scenario 9, step 2: identify affected calculations (simple query protocol, as psql).
    let rows = sqlx::raw_sql(
        "SELECT calculation_id, facility_id, efficiency, created_at FROM calculations WHERE efficiency < 0 OR efficiency > 100 OR created_at > NOW() - INTERVAL '24 hours' ORDER BY created_at DESC;",
    )
    .fetch_all(&mut psql)
    .await
    .expect("runbook SELECT");
    let ids: Vec<String> = rows.iter().map(|r| r.get("calculation_id")).collect();
    assert_eq!(ids, ["CALC-006", "CALC-123", "CALC-004", "CALC-002"]);
    let efficiency: Option<f64> = rows[1].get("efficiency");
    assert_eq!(efficiency, Some(87.25));
    let created: OffsetDateTime = rows[2].get("created_at");
    assert_eq!(created, datetime!(2025-11-25 23:59:59.999999 UTC));

    // Scenario 10: the flows are JSON operators can query.
    let flows =
        sqlx::raw_sql("SELECT energy_flows FROM calculations WHERE calculation_id='CALC-123';")
            .fetch_one(&mut psql)
            .await
            .expect("runbook SELECT energy_flows");
    assert_eq!(flows.columns().len(), 1);
    let gas: f64 = sqlx::query_scalar(
        "SELECT (energy_flows -> 'inputs' ->> 'natural_gas')::float8 FROM calculations \
         WHERE calculation_id = 'CALC-123'",
    )
    .fetch_one(&mut psql)
    .await
    .expect("query into energy_flows");
    assert_eq!(gas, 1000.5);
    let same: bool = sqlx::query_scalar(
        "SELECT energy_flows = energy_flows_text::jsonb FROM calculations WHERE calculation_id = 'CALC-123'",
    )
    .fetch_one(&mut psql)
    .await
    .expect("compare flows");
    assert!(same);
    let star = sqlx::raw_sql("SELECT * FROM calculations WHERE calculation_id='CALC-123';")
        .fetch_all(&mut psql)
        .await
        .expect("runbook SELECT *");
    assert_eq!(star.len(), 1);

    // Sub-procedure D: list, then invalidate, the range by hand.
    let listed = sqlx::raw_sql(
        "SELECT calculation_id, facility_id, created_at FROM calculations WHERE created_at >= '2025-11-01' AND created_at < '2025-11-26' ORDER BY created_at;",
    )
    .fetch_all(&mut psql)
    .await
    .expect("runbook list");
    let listed: Vec<String> = listed.iter().map(|r| r.get("calculation_id")).collect();
    assert_eq!(listed, ["CALC-002", "CALC-003", "CALC-004"]);
    let updated = sqlx::raw_sql(
        "UPDATE calculations SET status='invalid', invalid_reason='Calculation formula error - see incident INC-12345' WHERE created_at >= '2025-11-01' AND created_at < '2025-11-26';",
    )
    .execute(&mut psql)
    .await
    .expect("runbook UPDATE");
    assert_eq!(updated.rows_affected(), 3);
    psql.close().await.ok();

    // The store sees the operator's change, field by field.
    for r in &records {
        let got = store
            .get_calculation(&r.calculation_id)
            .await
            .expect("get")
            .expect("row");
        if listed.contains(&r.calculation_id) {
            assert_eq!(got.status, thermaliq_store::CalculationStatus::Invalid);
            assert_eq!(
                got.invalid_reason.as_deref(),
                Some("Calculation formula error - see incident INC-12345")
            );
            assert_eq!(got.energy_flows, r.energy_flows, "flows text untouched");
            assert_eq!(got.result, r.result, "hashed documents untouched");
        } else {
            assert_eq!(&got, r);
        }
    }

    // And in the operator's own tool, when it is installed.
    if let Ok(out) = std::process::Command::new("psql")
        .arg(&db.url)
        .args(["-v", "ON_ERROR_STOP=1", "-At", "-c"])
        .arg("SELECT calculation_id, facility_id, efficiency, created_at FROM calculations WHERE efficiency < 0 OR efficiency > 100 OR created_at > NOW() - INTERVAL '24 hours' ORDER BY created_at DESC;")
        .output()
    {
        assert!(out.status.success(), "psql: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        let ids: Vec<&str> = text.lines().filter_map(|l| l.split('|').next()).collect();
        assert_eq!(ids, ["CALC-006", "CALC-123", "CALC-004", "CALC-002"]);
        assert!(
            text.contains("CALC-004|FAC-001|104.2|2025-11-25 23:59:59.999999+00"),
            "psql shows UTC time stamps: {text}"
        );
    }
    store.close().await;
    db.drop_database().await;
}

/// The server's own refusals, provoked with plain SQL on the store's pool
/// (SQLSTATEs from the server, not from the store's checks), are sorted the
/// way callers rely on: the data's is `Rejected` (permanent, naming the
/// column where the server says it), contention and timeouts `Unavailable`
/// (retry), SQL errors `Backend`.
#[tokio::test]
async fn the_servers_refusals_are_sorted_permanent_or_transient() {
    use thermaliq_store_postgres::classify;
    let Some(db) = TestDb::create("PostgreSQL tests").await else {
        return;
    };
    let store = PostgresStore::connect(&db.url, settings(2, 2, true))
        .await
        .expect("connect");
    // Each statement on a connection of its own: some set session limits.
    let refusal = |sql: &'static str| {
        let db = &db;
        async move {
            let mut conn = db.connect().await;
            let err = sqlx::raw_sql(sql).execute(&mut conn).await.expect_err(sql);
            conn.close().await.ok();
            classify(err)
        }
    };
    // 22021: a NUL byte reaching the server in a bound text parameter.
    let nul = classify(
        sqlx::query("SELECT calculation_id FROM calculations WHERE calculation_id = $1")
            .bind("CALC-\0")
            .fetch_optional(store.pool())
            .await
            .expect_err("NUL in text"),
    );
    assert!(matches!(nul, StoreError::Rejected { .. }), "{nul:?}");
    // 22008: a time stamp past PostgreSQL's range (294276 AD).
    let overflow = refusal("SELECT '294277-01-01 00:00:00+00'::timestamptz").await;
    assert!(
        matches!(overflow, StoreError::Rejected { .. }),
        "{overflow:?}"
    );
    // 23514 check, named by its constraint jobs_max_attempts_check.
    let check = refusal(
        "INSERT INTO jobs (job_id, kind, payload, status, attempts, max_attempts, run_after, \
         created_at, updated_at) VALUES ('J', 'k', 'p', 'queued', 0, 0, now(), now(), now())",
    )
    .await;
    assert_eq!(check.field(), Some("max_attempts"), "{check:?}");
    // 23502 not null, with the column.
    let not_null = refusal(
        "INSERT INTO api_tokens (token_id, name, scope, token_hash, created_at) \
         VALUES ('t', NULL, 'read', 'h', now())",
    )
    .await;
    assert_eq!(not_null.field(), Some("name"), "{not_null:?}");
    // 54000: an index entry over 2704 bytes (md5 text does not compress).
    let too_big = refusal(
        "INSERT INTO facilities (facility_id, name, process_type, time_zone, schedule, \
         document, created_at, updated_at) \
         SELECT string_agg(md5(i::text), ''), 'n', 'boiler', 'UTC', 'none', '{}', now(), now() \
         FROM generate_series(1, 200) AS i",
    )
    .await;
    assert!(
        matches!(too_big, StoreError::Rejected { .. }),
        "{too_big:?}"
    );
    for e in [&nul, &overflow, &check, &not_null, &too_big] {
        assert!(!e.is_transient(), "{e:?}");
    }
    // 42703: an SQL error is a bug.
    let sql_error = refusal("SELECT no_such_column FROM jobs").await;
    assert!(matches!(sql_error, StoreError::Backend(_)), "{sql_error:?}");
    // 57014: a statement timeout is worth a retry.
    let timeout = refusal("SET statement_timeout = 50; SELECT pg_sleep(2)").await;
    assert!(timeout.is_transient(), "{timeout:?}");
    // 55P03: a lock held by another session past lock_timeout.
    let mut holder = db.connect().await;
    sqlx::raw_sql("BEGIN; LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE")
        .execute(&mut holder)
        .await
        .expect("lock");
    let locked = refusal("SET lock_timeout = 50; SELECT count(*) FROM jobs").await;
    assert!(locked.is_transient(), "{locked:?}");
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut holder)
        .await
        .expect("unlock");
    holder.close().await.ok();
    store.close().await;
    db.drop_database().await;
}
