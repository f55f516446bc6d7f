//! SQLite-only behaviour of facilities and readings: the runbook's SQL
//! verbatim (through the `sqlite3` shell when installed, and through a plain
//! connection), the runbook's index and view names, and the insert rate.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use thermaliq_store::contract::fixtures::reading;
use thermaliq_store::{AuditEntry, FacilityRecord, InsertSummary, NewReading, Store};
use thermaliq_store_sqlite::{PoolSettings, SqliteStore};
use time::OffsetDateTime;
use time::macros::datetime;

const RUNBOOK_SELECT: &str = "SELECT * FROM energy_readings WHERE facility_id = 'FAC-001' AND timestamp >= '2025-11-01' AND timestamp < '2025-11-02';";

async fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(
        path,
        PoolSettings {
            max_connections: 4,
            acquire_timeout: Duration::from_secs(10),
        },
    )
    .await
    .expect("open")
}

#[tokio::test]
async fn the_runbooks_reading_sql_selects_the_utc_day() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("thermaliq.db");
    let store = open(&path).await;
    let rows = vec![
        reading("gas", datetime!(2025-10-31 23:59:59.999999 UTC), 1.0),
        reading("gas", datetime!(2025-11-01 00:00:00 UTC), 2.0),
        // 13:30 in UTC+1 is 12:30 UTC.
        reading("steam", datetime!(2025-11-01 13:30:00 +01:00), 3.0),
        reading("gas", datetime!(2025-11-01 23:59:59.999999 UTC), 4.0),
        reading("gas", datetime!(2025-11-02 00:00:00 UTC), 5.0),
        // 00:30 in UTC+1 on the 2nd is still the 1st in UTC.
        reading("power", datetime!(2025-11-02 00:30:00 +01:00), 6.0),
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
    store.close().await;

    let want = [
        "FAC-001|gas|2025-11-01 00:00:00.000000|2.0",
        "FAC-001|gas|2025-11-01 23:59:59.999999|4.0",
        "FAC-001|power|2025-11-01 23:30:00.000000|6.0",
        "FAC-001|steam|2025-11-01 12:30:00.000000|3.0",
    ];
    // Through a plain connection, as any SQLite client.
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::new().filename(&path))
        .await
        .expect("open the file");
    let got = sqlx::raw_sql(RUNBOOK_SELECT)
        .fetch_all(&pool)
        .await
        .expect("runbook SELECT");
    let mut got: Vec<String> = got
        .iter()
        .map(|r| {
            format!(
                "{}|{}|{}|{:.1}",
                r.get::<String, _>("facility_id"),
                r.get::<String, _>("tag"),
                r.get::<String, _>("timestamp"),
                r.get::<f64, _>("value")
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, want);
    sqlx::raw_sql("ANALYZE energy_readings;")
        .execute(&pool)
        .await
        .expect("runbook ANALYZE");
    let index: String = sqlx::query_scalar(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'idx_energy_readings_facility_time'",
    )
    .fetch_one(&pool)
    .await
    .expect("the runbook's index exists");
    assert!(
        index.contains("ON energy_readings (facility_id, timestamp DESC)"),
        "{index}"
    );
    let plan: Vec<String> = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "EXPLAIN QUERY PLAN {RUNBOOK_SELECT}"
    )))
    .fetch_all(&pool)
    .await
    .expect("EXPLAIN QUERY PLAN")
    .iter()
    .map(|r| r.get::<String, _>("detail"))
    .collect();
    println!("plan of the runbook SELECT: {plan:?}");
    let conf: (String, String) =
        sqlx::query_as("SELECT facility_id, schedule FROM facility_configurations")
            .fetch_one(&pool)
            .await
            .expect("facility_configurations");
    assert_eq!(conf, ("FAC-001".to_owned(), "daily".to_owned()));
    pool.close().await;

    // And in the operator's own tool, when it is installed.
    if let Ok(out) = Command::new("sqlite3")
        .arg(&path)
        .arg(RUNBOOK_SELECT)
        .output()
    {
        assert!(
            out.status.success(),
            "sqlite3: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let mut got: Vec<String> = text
            .lines()
            .map(|l| l.split('|').take(4).collect::<Vec<_>>().join("|"))
            .collect();
        got.sort();
        assert_eq!(got, want, "{text}");
        let out = Command::new("sqlite3")
            .arg(&path)
            .arg("ANALYZE energy_readings;")
            .output()
            .expect("sqlite3");
        assert!(
            out.status.success(),
            "sqlite3 ANALYZE: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Prints rows/s for 100,000 readings (no timing assertion).
#[tokio::test]
async fn insert_rate_of_100k_readings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(&dir.path().join("thermaliq.db")).await;
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
        "SQLite insert rate: {} rows in {:.2} s = {:.0} rows/s (calls of 5,000 rows)",
        total.inserted,
        elapsed.as_secs_f64(),
        total.inserted as f64 / elapsed.as_secs_f64()
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
        "SQLite streamed 100,000 readings in pages of 10,000: {:.2} s",
        begun.elapsed().as_secs_f64()
    );
    store.close().await;
}
