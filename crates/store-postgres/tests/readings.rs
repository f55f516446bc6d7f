//! PostgreSQL-only behaviour of facilities and readings: the runbook's SQL
//! verbatim through `psql`, monthly partitions created on demand, the
//! DEFAULT partition, retention dropping whole partitions, and the insert rate.

mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::TestDb;
use sqlx::Row;
use thermaliq_store::contract::fixtures::reading;
use thermaliq_store::{AuditEntry, FacilityRecord, InsertSummary, NewReading, Store};
use thermaliq_store_postgres::{PoolSettings, PostgresStore};
use time::OffsetDateTime;
use time::macros::datetime;

fn settings() -> PoolSettings {
    PoolSettings {
        max_connections: 2,
        max_overflow: 6,
        acquire_timeout: Duration::from_secs(10),
        recycle: None,
        pre_ping: true,
    }
}

async fn fresh(what: &str) -> Option<(TestDb, PostgresStore)> {
    let db = TestDb::create(what).await?;
    let store = PostgresStore::connect(&db.url, settings())
        .await
        .expect("connect and migrate");
    Some((db, store))
}

/// Runs `sql` with the operator's `psql` (`-At`, stop on error): `Ok(stdout)`
/// or `Err(stderr)`.
fn psql(db: &TestDb, sql: &str) -> Result<String, String> {
    let out = Command::new("psql")
        .arg(&db.url)
        .args(["-X", "-v", "ON_ERROR_STOP=1", "-At", "-c", sql])
        .output()
        .expect("the psql binary is installed");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Rows of `energy_readings` per partition: `(partition, count)`, by name.
async fn rows_per_partition(db: &TestDb) -> Vec<(String, i64)> {
    let mut conn = db.connect().await;
    let rows = sqlx::query(
        "SELECT tableoid::regclass::text AS part, count(*) AS n FROM energy_readings \
         GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .expect("rows per partition");
    rows.iter().map(|r| (r.get("part"), r.get("n"))).collect()
}

async fn partitions(db: &TestDb) -> Vec<String> {
    let mut conn = db.connect().await;
    sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = 'energy_readings'::regclass ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .expect("partitions")
}

#[tokio::test]
async fn the_runbooks_reading_sql_runs_unchanged_in_psql() {
    let Some((db, store)) = fresh("PostgreSQL readings tests").await else {
        return;
    };
    let rows = vec![
        reading("gas", datetime!(2025-10-31 23:59:59.999999 UTC), 1.0),
        reading("gas", datetime!(2025-11-01 00:00:00 UTC), 2.0),
        reading("steam", datetime!(2025-11-01 12:30:00 UTC), 3.0),
        reading("gas", datetime!(2025-11-01 23:59:59.999999 UTC), 4.0),
        reading("gas", datetime!(2025-11-02 00:00:00 UTC), 5.0),
    ];
    store
        .insert_readings("FAC-001", &rows, None)
        .await
        .expect("insert");
    store
        .insert_readings("FAC-002", &rows, None)
        .await
        .expect("insert");
    let facility = FacilityRecord {
        facility_id: "FAC-001".into(),
        name: "Boiler house".into(),
        process_type: "boiler".into(),
        time_zone: "Europe/Berlin".into(),
        schedule: "daily".into(),
        document: "{\"facility_id\":\"FAC-001\"}".into(),
        created_at: datetime!(2025-11-01 00:00:00 UTC),
        updated_at: datetime!(2025-11-01 00:00:00 UTC),
    };
    let audit = AuditEntry {
        occurred_at: datetime!(2025-11-01 00:00:00 UTC),
        actor: "cli".into(),
        action: "facility.create".into(),
        subject: "FAC-001".into(),
        detail: "{}".into(),
    };
    store
        .put_facility(&facility, &audit)
        .await
        .expect("put facility");

    // The runbook's SELECT, verbatim: exactly the UTC day of FAC-001.
    let out = psql(
        &db,
        "SELECT * FROM energy_readings WHERE facility_id = 'FAC-001' AND timestamp >= '2025-11-01' AND timestamp < '2025-11-02';",
    )
    .expect("runbook SELECT");
    let mut got: Vec<(String, String, String)> = out
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('|').collect();
            (f[1].to_owned(), f[2].to_owned(), f[3].to_owned())
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("gas".into(), "2025-11-01 00:00:00+00".into(), "2".into()),
            (
                "gas".into(),
                "2025-11-01 23:59:59.999999+00".into(),
                "4".into()
            ),
            ("steam".into(), "2025-11-01 12:30:00+00".into(), "3".into()),
        ],
        "{out}"
    );
    assert!(out.lines().all(|l| l.starts_with("FAC-001|")), "{out}");

    psql(&db, "ANALYZE energy_readings;").expect("runbook ANALYZE");

    // The index exists under the runbook's name, on the table and on every partition.
    let index = psql(
        &db,
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_energy_readings_facility_time';",
    )
    .expect("pg_indexes");
    assert!(
        index.contains("public.energy_readings USING btree (facility_id, \"timestamp\" DESC)"),
        "{index}"
    );
    let children = psql(
        &db,
        "SELECT count(*) FROM pg_partition_tree('idx_energy_readings_facility_time') WHERE level = 1;",
    )
    .expect("index partitions");
    let parts = partitions(&db).await;
    assert_eq!(
        children.trim(),
        parts.len().to_string(),
        "one index per partition"
    );
    // The runbook's CREATE INDEX CONCURRENTLY, verbatim: PostgreSQL refuses it
    // on a partitioned table; the index it would create is already there.
    let create = psql(
        &db,
        "CREATE INDEX CONCURRENTLY idx_energy_readings_facility_time ON energy_readings(facility_id, timestamp DESC);",
    );
    println!("runbook CREATE INDEX CONCURRENTLY: {create:?}");
    let err = create.expect_err("refused: the table is partitioned and the index exists");
    assert!(
        err.contains("cannot create index on partitioned table") || err.contains("already exists"),
        "{err}"
    );
    // The plan of the runbook's SELECT prunes to one partition and uses an index.
    let plan = psql(
        &db,
        "EXPLAIN SELECT * FROM energy_readings WHERE facility_id = 'FAC-001' AND timestamp >= '2025-11-01' AND timestamp < '2025-11-02';",
    )
    .expect("EXPLAIN");
    println!("{plan}");
    assert!(plan.contains("energy_readings_p202511"), "{plan}");
    assert!(!plan.contains("energy_readings_p202510"), "pruned: {plan}");

    // The facilities under the runbook's name.
    let conf = psql(
        &db,
        "SELECT facility_id, name, schedule FROM facility_configurations;",
    )
    .expect("facility_configurations");
    assert_eq!(conf.trim(), "FAC-001|Boiler house|daily");
    store.close().await;
    db.drop_database().await;
}

#[tokio::test]
async fn monthly_partitions_are_created_on_demand_and_far_dates_use_default() {
    let Some((db, store)) = fresh("PostgreSQL readings tests").await else {
        return;
    };
    assert_eq!(partitions(&db).await, ["energy_readings_default"]);
    let rows = vec![
        reading("gas", datetime!(2025-11-30 23:59:59.999999 UTC), 1.0),
        reading("gas", datetime!(2025-12-01 00:00:00 UTC), 2.0),
        reading("gas", datetime!(2025-12-31 23:00:00 UTC), 3.0),
        reading("gas", datetime!(2026-01-01 00:00:00 UTC), 4.0),
        reading("gas", datetime!(1990-06-01 00:00:00 UTC), 5.0),
        reading("gas", datetime!(2150-01-01 00:00:00 UTC), 6.0),
        reading("gas", datetime!(2099-12-31 23:59:59 UTC), 7.0),
    ];
    let summary = store
        .insert_readings("FAC-001", &rows, None)
        .await
        .expect("insert");
    assert_eq!(summary.inserted, 7);
    assert_eq!(
        partitions(&db).await,
        [
            "energy_readings_default",
            "energy_readings_p202511",
            "energy_readings_p202512",
            "energy_readings_p202601",
            "energy_readings_p209912",
        ]
    );
    assert_eq!(
        rows_per_partition(&db).await,
        [
            ("energy_readings_default".to_owned(), 2),
            ("energy_readings_p202511".to_owned(), 1),
            ("energy_readings_p202512".to_owned(), 2),
            ("energy_readings_p202601".to_owned(), 1),
            ("energy_readings_p209912".to_owned(), 1),
        ]
    );
    // Rows in the DEFAULT partition are the far ones.
    let out = psql(
        &db,
        "SELECT value FROM energy_readings_default ORDER BY timestamp;",
    )
    .expect("default partition");
    assert_eq!(out.lines().collect::<Vec<_>>(), ["5", "6"]);

    // Many replicas creating the same new months at once: all succeed.
    let store = Arc::new(store);
    let mut racers = Vec::new();
    for k in 0..6 {
        let other = Arc::new(
            PostgresStore::connect(&db.url, settings())
                .await
                .expect("another replica"),
        );
        racers.push(tokio::spawn(async move {
            let rows: Vec<NewReading> = (0..50)
                .map(|i| {
                    reading(
                        &format!("t{k}"),
                        datetime!(2027-01-31 23:00:00 UTC) + Duration::from_secs(120 * i),
                        i as f64,
                    )
                })
                .collect();
            let summary = other.insert_readings("FAC-001", &rows, None).await;
            other.close().await;
            summary
        }));
    }
    for racer in racers {
        let summary = racer.await.expect("join").expect("insert while racing");
        assert_eq!(summary.inserted, 50);
    }
    let parts = partitions(&db).await;
    assert!(
        parts.contains(&"energy_readings_p202701".to_owned()),
        "{parts:?}"
    );
    assert!(
        parts.contains(&"energy_readings_p202702".to_owned()),
        "{parts:?}"
    );

    // Retention drops whole partitions entirely before the cut-off.
    let deleted = store
        .delete_readings_before(datetime!(2025-12-15 00:00:00 UTC))
        .await
        .expect("retention");
    assert_eq!(deleted, 3, "1990 (default), 2025-11 (dropped), 2025-12-01");
    let parts = partitions(&db).await;
    assert!(
        !parts.contains(&"energy_readings_p202511".to_owned()),
        "{parts:?}"
    );
    assert!(
        parts.contains(&"energy_readings_p202512".to_owned()),
        "{parts:?}"
    );
    // The month comes back on demand.
    let again = store
        .insert_readings(
            "FAC-001",
            &[reading("gas", datetime!(2025-11-15 00:00:00 UTC), 9.0)],
            None,
        )
        .await
        .expect("insert into a dropped month");
    assert_eq!(again.inserted, 1);
    assert!(
        rows_per_partition(&db)
            .await
            .contains(&("energy_readings_p202511".to_owned(), 1))
    );
    store.close().await;
    db.drop_database().await;
}

/// Prints rows/s for 100,000 readings (no timing assertion).
#[tokio::test]
async fn insert_rate_of_100k_readings() {
    let Some((db, store)) = fresh("PostgreSQL readings tests").await else {
        return;
    };
    let start = datetime!(2025-11-01 00:00:00 UTC);
    let tags = ["gas", "electricity", "steam", "flue_gas"];
    let rows: Vec<NewReading> = (0..100_000u64)
        .map(|i| {
            reading(
                tags[(i % 4) as usize],
                start + Duration::from_secs(60 * (i / 4)),
                i as f64 * 0.5,
            )
        })
        .collect();
    let begun = Instant::now();
    let mut total = InsertSummary::default();
    for batch in rows.chunks(5_000) {
        let s = store
            .insert_readings("FAC-001", batch, None)
            .await
            .expect("insert");
        total.inserted += s.inserted;
    }
    let elapsed = begun.elapsed();
    assert_eq!(total.inserted, 100_000);
    println!(
        "PostgreSQL insert rate: {} rows in {:.2} s = {:.0} rows/s (calls of 5,000 rows)",
        total.inserted,
        elapsed.as_secs_f64(),
        total.inserted as f64 / elapsed.as_secs_f64()
    );
    let begun = Instant::now();
    let again = store
        .insert_readings("FAC-001", &rows, None)
        .await
        .expect("re-send");
    assert_eq!(again.duplicates, 100_000);
    println!(
        "PostgreSQL re-sent 100,000 rows (all duplicates) in one call: {:.2} s",
        begun.elapsed().as_secs_f64()
    );
    let begun = Instant::now();
    let mut n = 0usize;
    let mut after: Option<(String, OffsetDateTime)> = None;
    loop {
        let page = store
            .read_readings_page(
                "FAC-001",
                start,
                start + Duration::from_secs(86_400 * 30),
                after.as_ref().map(|(t, ts)| (t.as_str(), *ts)),
                10_000,
            )
            .await
            .expect("page");
        n += page.len();
        let Some(last) = page.last() else { break };
        after = Some((last.tag.clone(), last.timestamp));
    }
    assert_eq!(n, 100_000);
    println!(
        "PostgreSQL streamed 100,000 readings in pages of 10,000: {:.2} s",
        begun.elapsed().as_secs_f64()
    );
    store.close().await;
    db.drop_database().await;
}
