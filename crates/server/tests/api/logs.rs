//! The real binary's JSON log lines as the runbook greps them: start-up
//! failures (`Config validation failed`, `Cannot bind to port`, `Connection
//! refused` naming the database or Redis), `request_payload` on one line,
//! `stack_trace` on internal errors, `data_point_count` on `CalculationError`
//! lines, one `Energy readings` line per period calculation, and
//! `facility_id` on Sankey failures.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, runbook_case};
use crate::process::{BIN, Process, SCRUBBED, free_port};
use crate::readings::{facility, one_hour};

/// Runs `thermaliq serve` that must fail at start; returns its JSON stdout lines.
fn failed_start(env: &[(&str, &str)]) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    for name in SCRUBBED {
        cmd.env_remove(name);
    }
    cmd.arg("serve")
        .env("THERMALIQ_DATA_DIR", dir.path())
        .env("THERMALIQ_BOOTSTRAP_TOKEN", ADMIN_TOKEN)
        .env("DATABASE_POOL_TIMEOUT", "3")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("thermaliq runs");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect()
}

fn error_line<'a>(lines: &'a [Value], starts: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| {
            l["level"] == "ERROR" && l["message"].as_str().is_some_and(|m| m.starts_with(starts))
        })
        .unwrap_or_else(|| panic!("no ERROR line starting with '{starts}' in {lines:?}"))
}

#[test]
fn start_up_failures_use_the_runbook_phrases() {
    let lines = failed_start(&[("CALCULATION_MODE", "sometimes")]);
    let line = error_line(&lines, "Config validation failed: ");
    assert!(
        line["message"]
            .as_str()
            .unwrap()
            .contains("CALCULATION_MODE"),
        "{line}"
    );

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let lines = failed_start(&[("THERMALIQ_BIND", &format!("127.0.0.1:{port}"))]);
    error_line(&lines, &format!("Cannot bind to port {port}"));
    drop(taken);

    // Nothing listens on a freshly freed port: the OS refuses the connection.
    let closed = free_port();
    let url = format!("postgres://postgres@127.0.0.1:{closed}/test");
    let lines = failed_start(&[("DATABASE_URL", &url)]);
    let line = error_line(
        &lines,
        "Cannot connect to the database (PostgreSQL at 127.0.0.1:",
    );
    let message = line["message"].as_str().unwrap();
    assert!(message.contains("Connection refused"), "{line}");
    assert!(
        !message.contains("postgres://"),
        "the URL stays out of the log: {line}"
    );
    assert_eq!(line["error_type"], "DatabaseError");
}

#[tokio::test]
async fn an_unreachable_redis_is_named_and_does_not_stop_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("redis://127.0.0.1:{}", free_port());
    let server = Process::start(dir.path(), &[("REDIS_URL", &url)]);
    let lines = server.log_lines();
    let line = lines
        .iter()
        .find(|l| {
            l["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Cannot connect to Redis"))
        })
        .unwrap_or_else(|| panic!("no Redis line in {lines:?}"));
    assert!(
        line.to_string().contains("Connection refused"),
        "the OS reason is in the line: {line}"
    );
    assert_eq!(line["level"], "WARN");
}

async fn post(base: &str, path: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

fn lines_with<'a>(lines: &'a [Value], message: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["message"] == message).collect()
}

#[tokio::test]
async fn request_lines_carry_the_fields_the_runbook_reads() {
    let dir = tempfile::tempdir().unwrap();
    let server = Process::start(dir.path(), &[]);
    let base = server.base.clone();

    // Scenario 5: a failing request's payload on one line, as sent, minified.
    let pretty = serde_json::to_string_pretty(&json!({
        "facility_id": "FAC-PAYLOAD",
        "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T01:00:00Z"},
        "energy_input": {"fuel": 1000.0}
    }))
    .unwrap();
    assert!(pretty.contains('\n'));
    assert_eq!(
        post(&base, "/v1/thermaliq/calculate", pretty.clone())
            .await
            .status(),
        400
    );

    // Scenario 5 C: a strict-mode failure (150 %).
    let mut over = runbook_case();
    over["energy_output"] = json!({"steam": 1575.0});
    assert_eq!(
        post(&base, "/v1/thermaliq/calculate", over.to_string())
            .await
            .status(),
        422
    );

    // Scenario 9: a period computed from stored readings.
    let start = time::macros::datetime!(2025-11-03 00:00 UTC);
    let fac = facility("FAC-LOG", "none");
    assert_eq!(
        post(&base, "/v1/thermaliq/facilities", fac.to_string())
            .await
            .status(),
        201
    );
    let readings = one_hour(start, 60);
    let ingest = post(
        &base,
        "/v1/thermaliq/facilities/FAC-LOG/readings",
        readings.to_string(),
    )
    .await;
    assert!(ingest.status().is_success(), "{:?}", ingest.text().await);
    let period = json!({"facility_id": "FAC-LOG",
        "time_period": {"start": "2025-11-03T00:00:00Z", "end": "2025-11-03T01:00:00Z"}});
    let stored = post(&base, "/v1/thermaliq/calculate", period.to_string()).await;
    assert_eq!(stored.status(), 201);
    let stored: Value = stored.json().await.unwrap();
    let id = stored["calculation_id"].as_str().unwrap().to_owned();

    // Scenario 10: an exergy diagram of a calculation without second-law results.
    let sankey = reqwest::Client::new()
        .get(format!(
            "{base}/v1/thermaliq/calculations/{id}/sankey?kind=exergy"
        ))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(sankey.status(), 422);

    // An internal error: a row the store cannot decode (status forced past
    // its CHECK constraint, as damage would).
    let good = post(&base, "/v1/thermaliq/calculate", runbook_case().to_string()).await;
    let good: Value = good.json().await.unwrap();
    let broken = good["calculation_id"].as_str().unwrap().to_owned();
    let sql = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect(&format!(
            "sqlite://{}",
            dir.path().join("thermaliq.db").display()
        ))
        .await
        .unwrap();
    sqlx::query("PRAGMA ignore_check_constraints = ON")
        .execute(&sql)
        .await
        .unwrap();
    sqlx::query("UPDATE calculations SET status = 'garbled' WHERE calculation_id = ?")
        .bind(&broken)
        .execute(&sql)
        .await
        .unwrap();
    sql.close().await;
    let internal = reqwest::Client::new()
        .get(format!("{base}/v1/thermaliq/calculations/{broken}"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(internal.status(), 500);

    tokio::time::sleep(Duration::from_millis(200)).await;
    let lines = server.log_lines();
    let failed = lines_with(&lines, "Request failed");

    let payload_line = failed
        .iter()
        .find(|l| l["error_type"] == "ValidationError" && l["status"] == 400)
        .expect("the 400 is logged");
    let payload = payload_line["request_payload"].as_str().unwrap();
    assert!(!payload.contains('\n'), "{payload}");
    let replayed: Value = serde_json::from_str(payload).unwrap();
    let sent: Value = serde_json::from_str(&pretty).unwrap();
    assert_eq!(replayed, sent, "the logged payload is the request");

    let calc_error = failed
        .iter()
        .find(|l| l["error_type"] == "CalculationError")
        .expect("the 422 is logged");
    // Inline energies: two inputs and one output are its data points.
    assert_eq!(calc_error["data_point_count"], 3, "{calc_error}");
    assert_eq!(calc_error["facility_id"], "FAC-TEST-001");

    let energy = lines_with(&lines, "Energy readings");
    assert_eq!(
        energy.len(),
        1,
        "one line per period calculation: {energy:?}"
    );
    let energy = energy[0];
    assert_eq!(energy["facility_id"], "FAC-LOG");
    assert_eq!(energy["input_energy_kwh"], 1000.0);
    assert_eq!(energy["output_energy_kwh"], 800.0);
    // 4 gas intervals and 61 steam samples in the hour (readings.rs's generator).
    assert_eq!(energy["data_point_count"], 65, "{energy}");

    let sankey_line = lines
        .iter()
        .find(|l| l["message"] == "SankeyGenerator: generation failed")
        .expect("the Sankey failure is logged");
    assert_eq!(sankey_line["facility_id"], "FAC-LOG", "{sankey_line}");
    assert_eq!(sankey_line["level"], "ERROR");

    let internal_line = failed
        .iter()
        .find(|l| l["error_type"] == "InternalError")
        .expect("the 500 is logged");
    let trace = internal_line["stack_trace"].as_str().unwrap();
    assert!(trace.lines().count() > 3, "{internal_line}");
}
