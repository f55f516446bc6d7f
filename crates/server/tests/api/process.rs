//! The real `thermaliq` binary: restarts, `kill -9`, SIGTERM, logs, and the CLI.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{ADMIN_TOKEN, runbook_case};

pub const BIN: &str = env!("CARGO_BIN_EXE_thermaliq");

/// Settings the developer's or CI's shell may carry: never let them leak in.
pub const SCRUBBED: [&str; 8] = [
    "DATABASE_URL",
    "REDIS_URL",
    "THERMALIQ_CONFIG",
    "THERMALIQ_BIND",
    "THERMALIQ_DATA_DIR",
    "THERMALIQ_BOOTSTRAP_TOKEN",
    "CALCULATION_MODE",
    "ENERGY_BALANCE_THRESHOLD",
];

fn command(data_dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    for name in SCRUBBED {
        cmd.env_remove(name);
    }
    cmd.env("THERMALIQ_DATA_DIR", data_dir);
    cmd
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Process {
    pub child: Child,
    pub base: String,
    log: PathBuf,
}

impl Process {
    pub fn start(data_dir: &Path, extra_env: &[(&str, &str)]) -> Process {
        let port = free_port();
        let log = data_dir.join(format!("stdout-{port}.log"));
        let mut cmd = command(data_dir);
        cmd.arg("serve")
            .env("THERMALIQ_BIND", format!("127.0.0.1:{port}"))
            .env("THERMALIQ_BOOTSTRAP_TOKEN", ADMIN_TOKEN)
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::inherit());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("thermaliq starts");
        let process = Process {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        };
        process.wait_until_healthy();
        process
    }

    fn wait_until_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = reqwest::blocking_free_client();
        while Instant::now() < deadline {
            if client(&format!("{}/health", self.base)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "thermaliq did not become healthy; log:\n{}",
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
    }

    pub fn log_lines(&self) -> Vec<Value> {
        let file = std::fs::File::open(&self.log).unwrap();
        BufReader::new(file)
            .lines()
            .map(|l| serde_json::from_str(&l.unwrap()).expect("every log line is JSON"))
            .collect()
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A tiny health probe over a raw socket, so this module needs no second HTTP client setup.
mod reqwest {
    use std::io::{Read, Write};
    pub fn blocking_free_client() -> impl Fn(&str) -> bool {
        |url: &str| {
            let rest = url.trim_start_matches("http://");
            let (host, path) = rest.split_once('/').unwrap();
            let Ok(mut stream) = std::net::TcpStream::connect(host) else {
                return false;
            };
            let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(2)));
            let request =
                format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
            if stream.write_all(request.as_bytes()).is_err() {
                return false;
            }
            let mut response = String::new();
            let _ = stream.read_to_string(&mut response);
            response.starts_with("HTTP/1.1 200")
        }
    }
}

async fn post_runbook_case(base: &str) -> Value {
    let response = ::reqwest::Client::new()
        .post(format!("{base}/v1/thermaliq/calculate"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&runbook_case())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn get_calculation(base: &str, id: &str) -> ::reqwest::Response {
    ::reqwest::Client::new()
        .get(format!("{base}/v1/thermaliq/calculations/{id}"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn acknowledged_calculations_survive_kill_9_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Process::start(dir.path(), &[]);
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(
            post_runbook_case(&first.base).await["calculation_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    first.child.kill().unwrap(); // SIGKILL: no chance to flush anything
    first.child.wait().unwrap();

    let second = Process::start(dir.path(), &[]);
    for id in &ids {
        let response = get_calculation(&second.base, id).await;
        assert_eq!(response.status(), 200, "{id} lost after kill -9");
        let body: Value = response.json().await.unwrap();
        assert!((body["efficiency"].as_f64().unwrap() - 90.476).abs() < 0.001);
    }
}

#[tokio::test]
async fn sigterm_drains_and_exits_cleanly_and_logs_are_json_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Process::start(dir.path(), &[]);
    let body = post_runbook_case(&server.base).await;
    let id = body["calculation_id"].as_str().unwrap();
    server.signal("-TERM");
    let status = wait_for_exit(&mut server.child, Duration::from_secs(20));
    assert!(status.success(), "exit status {status:?}");

    let lines = server.log_lines();
    let raw = std::fs::read_to_string(&server.log).unwrap();
    assert!(!raw.contains(ADMIN_TOKEN), "a token reached the log");
    for line in &lines {
        for field in ["timestamp", "level", "message"] {
            assert!(line.get(field).is_some(), "{field} missing in {line}");
        }
    }
    let calculated = lines
        .iter()
        .find(|l| l["message"] == "Efficiency calculated")
        .expect("an 'Efficiency calculated' line");
    assert_eq!(calculated["calculation_id"], id);
    assert_eq!(calculated["facility_id"], "FAC-TEST-001");
    for field in [
        "efficiency",
        "input_energy_kwh",
        "output_energy_kwh",
        "energy_losses_kwh",
        "duration",
        "request_id",
    ] {
        assert!(
            calculated.get(field).is_some(),
            "{field} missing in {calculated}"
        );
    }
    assert_eq!(calculated["input_energy_kwh"], 1050.0);
    assert!(
        lines
            .iter()
            .any(|l| l["message"] == "Shutdown complete: store closed")
    );
}

fn wait_for_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "process did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn generated_bootstrap_token_is_written_owner_only_and_works() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = command(dir.path())
        .arg("serve")
        .env("THERMALIQ_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let token_file = dir.path().join("admin.token");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !token_file.exists() || std::fs::read_to_string(&token_file).unwrap().is_empty() {
        assert!(Instant::now() < deadline, "admin.token not written");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mode = std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let token = std::fs::read_to_string(&token_file)
        .unwrap()
        .trim()
        .to_owned();
    assert!(token.starts_with("tiq_") && token.len() == 68);
    // The file is written before the line that points at it is logged: read
    // the log until that line (or the deadline) before stopping the server,
    // or a kill right after the file appears loses the line.
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut out = String::new();
    while !out.contains("admin.token") {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                out.push_str(&line);
                out.push('\n');
            }
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
        out.push_str(&line);
        out.push('\n');
    }
    assert!(!out.contains(&token), "the generated token reached the log");
    assert!(
        out.contains("admin.token"),
        "the log says where the token is: {out}"
    );
}

#[test]
fn a_bad_setting_stops_start_up_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let output = command(dir.path())
        .arg("serve")
        .env("CALCULATION_MODE", "fast")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("CALCULATION_MODE") && stderr.contains("strict, lenient"),
        "{stderr}"
    );
}

/// `kubectl set env HISTORIAN_TIMEOUT=60` (not a setting of this version) and
/// a typo are warned about, at start-up and by `config validate`, with the
/// nearest known name; the known setting beside them still applies.
#[tokio::test]
async fn look_alike_settings_are_warned_about_with_the_nearest_name() {
    let dir = tempfile::tempdir().unwrap();
    let output = command(dir.path())
        .args(["config", "validate"])
        .env("HISTORIAN_TIMEOUT", "60")
        .env("CALCULATION_TIMOUT", "5")
        .env("CALCULATION_TIMEOUT", "7")
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("HISTORIAN_TIMEOUT is not a setting of this version")
            && stderr.contains("CALCULATION_TIMOUT")
            && stderr.contains("did you mean CALCULATION_TIMEOUT?"),
        "{stderr}"
    );
    let effective: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(effective["calculation_timeout"], 7.0);

    let server = Process::start(dir.path(), &[("SANKEY_MAX_NODE", "10")]);
    let warned = server.log_lines().into_iter().any(|line| {
        line["level"] == "WARN"
            && line["setting"] == "SANKEY_MAX_NODE"
            && line["nearest"] == "SANKEY_MAX_NODES"
    });
    assert!(warned, "no start-up warning for SANKEY_MAX_NODE");
}

#[test]
fn config_validate_prints_the_effective_config_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("thermaliq.yaml");
    std::fs::write(
        &file,
        "calculation_mode: lenient\nENERGY_BALANCE_THRESHOLD: 0.1\n",
    )
    .unwrap();
    let output = command(dir.path())
        .args(["config", "validate", "--file"])
        .arg(&file)
        .env("THERMALIQ_BOOTSTRAP_TOKEN", ADMIN_TOKEN)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let shown: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(shown["engine"]["mode"], "lenient");
    assert_eq!(shown["engine"]["energy_balance_threshold"], 0.1);
    assert_eq!(shown["bootstrap_token"], "[redacted]");
    assert!(!String::from_utf8_lossy(&output.stdout).contains(ADMIN_TOKEN));

    std::fs::write(&file, "CALCULATION_TIMEOUT: -1\n").unwrap();
    let output = command(dir.path())
        .args(["config", "validate", "--file"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("CALCULATION_TIMEOUT"));
}

#[tokio::test]
async fn token_create_prints_a_working_token_once() {
    let dir = tempfile::tempdir().unwrap();
    let output = command(dir.path())
        .args(["token", "create", "--name", "ops", "--scope", "read"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("tiq_"));
    let db = std::fs::read(dir.path().join(thermaliq_server::SQLITE_FILE)).unwrap_or_default();
    let wal = std::fs::read(
        dir.path()
            .join(format!("{}-wal", thermaliq_server::SQLITE_FILE)),
    )
    .unwrap_or_default();
    let needle = token.as_bytes();
    for bytes in [&db, &wal] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "the token itself was stored"
        );
    }

    let server = Process::start(dir.path(), &[]);
    let response = ::reqwest::Client::new()
        .get(format!("{}/v1/thermaliq/calculations", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = ::reqwest::Client::new()
        .post(format!("{}/v1/thermaliq/calculate", server.base))
        .bearer_auth(&token)
        .json(&runbook_case())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[test]
fn calculate_offline_prints_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("test_calculation.json");
    std::fs::write(&file, runbook_case().to_string()).unwrap();
    let output = command(dir.path())
        .arg("calculate")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!((result["efficiency"].as_f64().unwrap() - 90.476).abs() < 0.001);
    assert_eq!(result["status"], "completed");

    std::fs::write(&file, "{\"facility_id\": 3}").unwrap();
    let output = command(dir.path())
        .arg("calculate")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let error: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(error["error"]["details"][0]["field"], "facility_id");

    // The batch shape of POST /calculate/batch, offline.
    let batch = serde_json::json!({"calculations": [runbook_case(), {"facility_id": 3}]});
    std::fs::write(&file, batch.to_string()).unwrap();
    let output = command(dir.path())
        .arg("calculate")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let out: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(out["count"], 2);
    assert!((out["results"][0]["efficiency"].as_f64().unwrap() - 90.476).abs() < 0.001);
    assert_eq!(out["results"][1]["index"], 1);
    assert_eq!(
        out["results"][1]["error"]["details"][0]["field"],
        "facility_id"
    );
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts")
        .join(name)
}

/// The runbook's scripts, run as the runbook runs them, against the real binary.
#[test]
fn runbook_scripts_pass_against_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = Process::start(dir.path(), &[]);
    let run = |args: &[&str]| {
        let output = Command::new("bash")
            .args(args)
            .env_remove("THERMALIQ_TOKEN")
            .env_remove("TOKEN")
            .output()
            .unwrap();
        (
            output.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        )
    };

    let smoke = script("smoke_test.sh");
    let (code, out) = run(&[
        smoke.to_str().unwrap(),
        &server.base,
        "--token",
        ADMIN_TOKEN,
    ]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("smoke test passed"), "{out}");

    let test_calc = script("test_calculation.sh");
    let args = [
        "--url",
        &server.base,
        "--token",
        ADMIN_TOKEN,
        "--verify-accuracy",
        "--count",
        "3",
        "--facility",
        "FAC-001",
        "--inline",
    ];
    let mut full = vec![test_calc.to_str().unwrap()];
    full.extend(args);
    let (code, out) = run(&full);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(out.matches("accurate (expected").count(), 3, "{out}");

    // A wrong token makes both fail, loudly.
    let (code, out) = run(&[
        test_calc.to_str().unwrap(),
        "--url",
        &server.base,
        "--token",
        "tiq_wrong",
    ]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("HTTP 401"), "{out}");
    let (code, _) = run(&[
        smoke.to_str().unwrap(),
        &server.base,
        "--token",
        "tiq_wrong",
    ]);
    assert_eq!(code, Some(1));
}

#[test]
fn sankey_cli_renders_a_flow_graph_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plant.json");
    std::fs::write(
        &file,
        r#"{"nodes": [{"id": "fuel"}, {"id": "boiler"}, {"id": "steam"}, {"id": "stack"}],
            "flows": [{"from": "fuel", "to": "boiler", "value": 100},
                      {"from": "boiler", "to": "steam", "value": 80},
                      {"from": "boiler", "to": "stack", "value": 20}]}"#,
    )
    .unwrap();
    let output = command(dir.path())
        .args(["sankey", "--format", "svg"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let svg = String::from_utf8(output.stdout).unwrap();
    assert!(svg.trim_start().starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    let output = command(dir.path())
        .args(["sankey", "CALC-MISSING"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not exist"));
}

async fn post_json(base: &str, path: &str, body: &Value) -> ::reqwest::Response {
    ::reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(ADMIN_TOKEN)
        .json(body)
        .timeout(Duration::from_secs(900))
        .send()
        .await
        .unwrap()
}

/// `thermaliq import readings` and the runbook's
/// The runbook's `scripts/test_calculation.sh --facility FAC-001`: the
/// facility's own stored readings, not a canned case.
#[tokio::test]
async fn imported_readings_feed_the_runbook_history_check() {
    let dir = tempfile::tempdir().unwrap();
    let server = Process::start(dir.path(), &[]);
    let created = post_json(
        &server.base,
        "/v1/thermaliq/facilities",
        &crate::readings::facility("FAC-001", "none"),
    )
    .await;
    assert_eq!(created.status(), 201);

    // The hour the script asks for, as CSV: gas 4 × 250 kWh, steam 800 kW each minute.
    let mut csv = String::from("tag,timestamp,value\n");
    let batch = crate::readings::one_hour(time::macros::datetime!(2025-11-01 00:00 UTC), 60);
    for r in batch["readings"].as_array().unwrap() {
        csv.push_str(&format!(
            "{},{},{}\n",
            r["tag"].as_str().unwrap(),
            r["timestamp"].as_str().unwrap(),
            r["value"]
        ));
    }
    csv.push_str("boiler9,2025-11-01T00:10:00Z,1\n");
    let file = dir.path().join("readings.csv");
    std::fs::write(&file, csv).unwrap();
    let output = command(dir.path())
        .args(["import", "readings", "--facility", "FAC-001"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "one row is refused: {stderr}"
    );
    assert!(
        stderr.contains("line 67") && stderr.contains("100.0 %"),
        "{stderr}"
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        (
            report["inserted"].as_u64(),
            report["rejected_rows"].as_u64()
        ),
        (Some(65), Some(1))
    );

    let output = Command::new("bash")
        .arg(script("test_calculation.sh"))
        .args([
            "--url",
            &server.base,
            "--token",
            ADMIN_TOKEN,
            "--facility",
            "FAC-001",
            "--verify-accuracy",
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        out.contains("(stored readings") && out.contains("efficiency=80"),
        "{out}"
    );
    assert!(
        out.contains("consistent with its aggregated flows"),
        "{out}"
    );
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

/// A period of 5,000,001 readings computes with peak RSS under 256 MiB: rows
/// stream from the store in chunks into O(1)-memory accumulators. Expected
/// energies from the generator: gas 2,500,000 one-minute intervals × 10 kWh;
/// steam 500 kW for 2,500,000 minutes (41,666.67 h).
#[tokio::test]
async fn five_million_readings_compute_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let server = Process::start(
        dir.path(),
        &[
            ("ENABLE_CALCULATION_CHUNKING", "true"),
            ("CALCULATION_TIMEOUT", "900"),
            ("THERMALIQ_LOG", "warn"),
        ],
    );
    let facility = serde_json::json!({
        "facility_id": "FAC-M", "name": "Long history", "process_type": "boiler", "time_zone": "UTC",
        "channels": [
            {"tag": "gas", "role": "input", "category": "fuel", "kind": "interval_energy", "unit": "kWh",
             "interval_minutes": 1, "stamping": "interval_end"},
            {"tag": "steam_power", "role": "output", "category": "steam", "kind": "power", "unit": "kW"}]
    });
    assert_eq!(
        post_json(&server.base, "/v1/thermaliq/facilities", &facility)
            .await
            .status(),
        201
    );

    const MINUTES: i64 = 2_500_000;
    let db = dir.path().join(thermaliq_server::SQLITE_FILE);
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    for (tag, value, first, last) in [
        ("gas", 10.0, 1, MINUTES),
        ("steam_power", 500.0, 0, MINUTES),
    ] {
        let sql = format!(
            "WITH RECURSIVE n(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM n WHERE i < {last}) \
             INSERT INTO energy_readings (facility_id, tag, timestamp, value, quality, ingested_at, corrected) \
             SELECT 'FAC-M', '{tag}', strftime('%Y-%m-%d %H:%M:%S', '2021-01-01 00:00:00', '+' || i || ' minutes') || '.000000', \
             {value}, 'good', '2026-01-01 00:00:00.000000', 0 FROM n"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;

    let start = time::macros::datetime!(2021-01-01 00:00 UTC);
    let end = start + time::Duration::minutes(MINUTES);
    let fmt = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let request = serde_json::json!({"facility_id": "FAC-M", "time_period": {"start": fmt(start), "end": fmt(end)}});
    let response = post_json(&server.base, "/v1/thermaliq/calculate", &request).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data_quality"]["data_point_count"], 5_000_001);
    let input = body["energy_balance"]["total_input_kwh"].as_f64().unwrap();
    assert!((input - 25_000_000.0).abs() < 1e-3, "{input}");
    let expected = 500.0 * (MINUTES as f64 / 60.0) / 25_000_000.0 * 100.0;
    assert!(
        (body["efficiency"].as_f64().unwrap() - expected).abs() < 1e-6,
        "{body}"
    );

    let peak_mib = peak_rss_kib(server.child.id()) / 1024;
    println!("peak RSS while computing 5,000,001 readings: {peak_mib} MiB");
    assert!(peak_mib < 256, "peak RSS {peak_mib} MiB");
}

/// `validate_accuracy.sh` passes on intact rows and names a tampered one;
/// `notify_recalculation.sh` reports old and new efficiency per facility and
/// posts the notice to a webhook.
#[tokio::test]
async fn accuracy_validation_and_recalculation_notices() {
    let dir = tempfile::tempdir().unwrap();
    let server = Process::start(dir.path(), &[]);
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(
            post_runbook_case(&server.base).await["calculation_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = Command::new("bash");
        cmd.args(args).env("THERMALIQ_BIN", BIN);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let output = cmd.output().unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };
    let validate = script("validate_accuracy.sh");
    let common = ["--url", server.base.as_str(), "--token", ADMIN_TOKEN];
    let mut args = vec![validate.to_str().unwrap(), "--sample-size", "10"];
    args.extend(common);
    let (code, out) = run(&args, &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("all 3 sampled"), "{out}");
    assert!(out.contains("recomputed independently"), "{out}");

    // Tamper with one row behind the service's back.
    let db = dir.path().join(thermaliq_server::SQLITE_FILE);
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE calculations SET efficiency = 99.9 WHERE calculation_id = ?")
        .bind(&ids[0])
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let (code, out) = run(&args, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(&format!("FAIL {}", ids[0])), "{out}");

    // Recalculate the second one and notify.
    let response = ::reqwest::Client::new()
        .post(format!("{}/v1/thermaliq/recalculate", server.base))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({"original_calculation_id": ids[1]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let new_id = response.json::<Value>().await.unwrap()["calculation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let csv = dir.path().join("affected_calculations.csv");
    std::fs::write(
        &csv,
        format!("calculation_id,facility_id,created_at\n{},FAC-TEST-001,2026-11-27 00:00:00\n{},FAC-TEST-001,2026-11-27 00:00:00\n", ids[1], ids[2]),
    )
    .unwrap();

    // A webhook peer that records what it is sent.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    let received = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut buf = vec![0u8; 65536];
        let mut got = Vec::new();
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got);
            if let Some(split) = text.find("\r\n\r\n") {
                let length: usize = text
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap_or(0))
                    })
                    .unwrap_or(0);
                if got.len() >= split + 4 + length {
                    break;
                }
            }
        }
        let _ =
            stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        String::from_utf8_lossy(&got).into_owned()
    });
    let notify = script("notify_recalculation.sh");
    let mut args = vec![notify.to_str().unwrap(), csv.to_str().unwrap()];
    args.extend(common);
    let (code, out) = run(&args, &[("NOTIFY_WEBHOOK_URL", hook.as_str())]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(&format!("(now {new_id})")), "{out}");
    assert!(
        out.contains(&format!(
            "{}: 90.47619047619048 % (recalculation pending)",
            ids[2]
        )),
        "{out}"
    );
    let request = received.join().unwrap();
    assert!(
        request.contains("\"facility_id\":\"FAC-TEST-001\"") && request.contains(&new_id),
        "{request}"
    );
    let body = &request[request.find("\r\n\r\n").unwrap() + 4..];
    serde_json::from_str::<Value>(body).expect("the webhook receives valid JSON");
}
