//! Energy meters on the vendor's REST API (runbook scenario 3), against the
//! fault-injecting double in `meter_double`: what the user sees for each
//! fault (status, error type, `data_quality.sources`), what the metrics
//! count and what the `EnergyMeterConnector` log lines say.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use thermaliq_server::config::{EnergyMeterSettings, Secret};

use crate::helpers::{TestApp, assert_error, sample, spawn_app_with};
use crate::meter_double::{CLIENT_ID, CLIENT_SECRET, Fault, MeterDouble, refused_url};

/// The in-process log sink: the server's JSON logger, `EnergyMeterConnector` only.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn sink() -> &'static Sink {
    static SINK: OnceLock<Sink> = OnceLock::new();
    SINK.get_or_init(|| {
        let sink = Sink::default();
        thermaliq_server::telemetry::init("EnergyMeterConnector=info", Box::new(sink.clone()));
        // `init` routes panics into the log; tests keep the default hook so
        // every failing test in this binary still prints its message.
        drop(std::panic::take_hook());
        sink
    })
}

/// The log lines (raw text and parsed) whose top-level `facility_id` is `id`.
fn logged(id: &str) -> Vec<(String, Value)> {
    let bytes = sink().0.lock().unwrap().clone();
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter_map(|l| Some((l.to_owned(), serde_json::from_str::<Value>(l).ok()?)))
        .filter(|(_, v)| v["facility_id"] == id)
        .collect()
}

/// The runbook's `grep "EnergyMeterConnector" | grep -i "error\|failed\|timeout"`.
fn failure_lines(id: &str) -> Vec<Value> {
    logged(id)
        .into_iter()
        .filter(|(raw, _)| {
            let lower = raw.to_lowercase();
            raw.contains("EnergyMeterConnector")
                && (lower.contains("error")
                    || lower.contains("failed")
                    || lower.contains("timeout"))
        })
        .map(|(_, v)| v)
        .collect()
}

async fn app_for(url: &str, tweak: impl FnOnce(&mut EnergyMeterSettings)) -> TestApp {
    sink();
    let url = url.to_owned();
    spawn_app_with(move |s| {
        let m = &mut s.energy_meter;
        m.api_url = Some(url);
        m.client_id = Some(CLIENT_ID.to_owned());
        m.client_secret = Some(Secret::new(CLIENT_SECRET.to_owned()));
        m.backoff_base = Duration::from_millis(20);
        m.max_retries = 2;
        m.timeout = Duration::from_secs(5);
        tweak(m);
    })
    .await
}

fn facility(id: &str) -> Value {
    json!({
        "facility_id": id, "name": "Metered boiler", "process_type": "boiler", "time_zone": "UTC",
        "channels": [
            {"tag": "gas", "role": "input", "category": "fuel", "kind": "power", "unit": "kW",
             "source": {"type": "energy_meter", "meter_id": "GAS-1"}},
            {"tag": "steam", "role": "output", "category": "steam", "kind": "power", "unit": "kW",
             "source": {"type": "energy_meter", "meter_id": "STEAM-1"}}
        ]
    })
}

fn period(id: &str) -> Value {
    json!({"facility_id": id,
           "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T01:00:00Z"}})
}

async fn setup(app: &TestApp, id: &str) {
    let r = app.post("/v1/thermaliq/facilities", &facility(id)).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

async fn calculate(app: &TestApp, id: &str) -> reqwest::Response {
    app.post("/v1/thermaliq/calculate", &period(id)).await
}

fn served_from(body: &Value) -> Vec<String> {
    body["data_quality"]["sources"]
        .as_array()
        .unwrap_or_else(|| panic!("no data_quality.sources: {body}"))
        .iter()
        .map(|s| s["served_from"].as_str().unwrap().to_owned())
        .collect()
}

fn assert_known_efficiency(body: &Value) {
    // 80 % by the generator's construction (meter_double::generated_kw).
    let eta = body["efficiency"].as_f64().unwrap();
    assert!((eta - 80.0).abs() < 1e-6, "efficiency {eta}: {body}");
    assert_eq!(body["data_quality"]["completeness"], 1.0, "{body}");
}

/// A sample of this test's facility, e.g. `endpoint="readings",status="200"`.
fn series(metrics: &str, facility_id: &str, name: &str, labels: &str) -> f64 {
    sample(
        metrics,
        &format!("{name}{{facility_id=\"{facility_id}\",{labels}}}"),
    )
    .unwrap_or(0.0)
}

#[tokio::test]
async fn a_period_is_computed_from_vendor_data_with_sources_and_metrics() {
    let double = MeterDouble::start().await;
    let app = app_for(&double.url, |_| {}).await;
    setup(&app, "FAC-EM-LIVE").await;
    let r = calculate(&app, "FAC-EM-LIVE").await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_known_efficiency(&body);
    assert_eq!(
        body["data_quality"]["sources"],
        json!([
            {"channel": "gas", "source": "energy_meter", "served_from": "live", "age_seconds": null},
            {"channel": "steam", "source": "energy_meter", "served_from": "live", "age_seconds": null}
        ])
    );
    let m = app.metrics().await;
    let requests = "thermaliq_energy_meter_requests_total";
    assert_eq!(
        series(
            &m,
            "FAC-EM-LIVE",
            requests,
            r#"endpoint="readings",status="200""#
        ),
        2.0,
        "{m}"
    );
    assert_eq!(
        series(
            &m,
            "FAC-EM-LIVE",
            requests,
            r#"endpoint="token",status="200""#
        ),
        1.0
    );
    // Runbook sub-procedure A step 4: grep "EnergyMeter.*authenticated".
    assert!(
        logged("FAC-EM-LIVE")
            .iter()
            .any(|(raw, _)| raw.contains("EnergyMeterConnector authenticated")),
        "no authenticated line"
    );
    // The rate-limit headers are logged as they arrive (grep "X-RateLimit").
    assert!(
        logged("FAC-EM-LIVE")
            .iter()
            .any(|(raw, v)| raw.contains("X-RateLimit-Remaining=99") && v["meter_id"] == "GAS-1")
    );
    // The secret reaches no log line.
    let all = String::from_utf8_lossy(&sink().0.lock().unwrap()).into_owned();
    assert!(!all.contains(CLIENT_SECRET));

    // Within ENERGY_METER_CACHE_TTL the same period comes from the cache.
    let before = double.seen("GET /meters/");
    let again: Value = calculate(&app, "FAC-EM-LIVE").await.json().await.unwrap();
    assert_eq!(served_from(&again), ["cache", "cache"]);
    assert!(
        again["data_quality"]["sources"][0]["age_seconds"]
            .as_f64()
            .unwrap()
            >= 0.0
    );
    assert_eq!(double.seen("GET /meters/"), before, "no new vendor request");
}

#[tokio::test]
async fn an_expired_token_is_replaced_once_on_401() {
    let double = MeterDouble::start().await;
    let app = app_for(&double.url, |_| {}).await;
    setup(&app, "FAC-EM-401").await;
    double.push_fault(Fault::ExpireTokens);
    let r = calculate(&app, "FAC-EM-401").await;
    assert_eq!(r.status(), 201);
    assert_known_efficiency(&r.json().await.unwrap());
    assert_eq!(
        double.seen("POST /auth/token"),
        2,
        "{:?}",
        double.seen_all()
    );
    let m = app.metrics().await;
    assert_eq!(
        series(
            &m,
            "FAC-EM-401",
            "thermaliq_energy_meter_requests_total",
            r#"endpoint="readings",status="401""#
        ),
        1.0
    );
    assert_eq!(
        series(
            &m,
            "FAC-EM-401",
            "thermaliq_energy_meter_connection_errors_total",
            r#"error_type="unauthorized""#
        ),
        1.0
    );
    let lines = failure_lines("FAC-EM-401");
    assert!(
        lines
            .iter()
            .any(|v| v["status"] == 401 && v["meter_id"] == "GAS-1"),
        "{lines:?}"
    );
}

#[tokio::test]
async fn wrong_credentials_are_a_502_energy_meter_error_naming_the_meter() {
    let double = MeterDouble::start().await;
    let app = app_for(&double.url, |m| {
        m.client_secret = Some(Secret::new("rotated-away".to_owned()));
    })
    .await;
    setup(&app, "FAC-EM-CRED").await;
    let body = assert_error(
        calculate(&app, "FAC-EM-CRED").await,
        502,
        "EnergyMeterError",
        None,
    )
    .await;
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("GAS-1") && message.contains("401 Unauthorized"),
        "{message}"
    );
    assert!(!body.to_string().contains("rotated-away"));
    let lines = failure_lines("FAC-EM-CRED");
    assert!(
        lines
            .iter()
            .any(|v| v["level"] == "ERROR" && v["meter_id"] == "GAS-1"),
        "{lines:?}"
    );
}

#[tokio::test]
async fn a_429_holds_the_replica_for_retry_after_then_succeeds() {
    let double = MeterDouble::start().await;
    let app = app_for(&double.url, |_| {}).await;
    setup(&app, "FAC-EM-429").await;
    double.push_fault(Fault::Status(429, Some(1)));
    let started = Instant::now();
    let r = calculate(&app, "FAC-EM-429").await;
    assert_eq!(r.status(), 201);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    assert_known_efficiency(&r.json().await.unwrap());
    let m = app.metrics().await;
    assert_eq!(
        series(
            &m,
            "FAC-EM-429",
            "thermaliq_energy_meter_requests_total",
            r#"endpoint="readings",status="429""#
        ),
        1.0
    );
    assert_eq!(
        series(
            &m,
            "FAC-EM-429",
            "thermaliq_energy_meter_connection_errors_total",
            r#"error_type="rate_limited""#
        ),
        1.0
    );
    let logs = logged("FAC-EM-429");
    assert!(
        logs.iter().any(|(raw, v)| raw.contains("X-RateLimit")
            && raw.contains("Retry-After=1")
            && v["status"] == 429),
        "{logs:?}"
    );
}

#[tokio::test]
async fn a_vendor_503_is_a_503_energy_meter_error_after_the_retries() {
    let double = MeterDouble::start().await;
    let app = app_for(&double.url, |_| {}).await;
    setup(&app, "FAC-EM-503").await;
    double.always(Some(Fault::Status(503, None)));
    let body = assert_error(
        calculate(&app, "FAC-EM-503").await,
        503,
        "EnergyMeterError",
        None,
    )
    .await;
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("GAS-1") && message.contains("503"),
        "{message}"
    );
    // One attempt and ENERGY_METER_MAX_RETRIES=2 retries.
    assert_eq!(double.seen("GET /meters/GAS-1/readings"), 3);
    let m = app.metrics().await;
    assert_eq!(
        series(
            &m,
            "FAC-EM-503",
            "thermaliq_energy_meter_connection_errors_total",
            r#"error_type="server_error""#
        ),
        3.0
    );
    let lines = failure_lines("FAC-EM-503");
    assert!(
        lines
            .iter()
            .any(|v| v["level"] == "ERROR" && v["status"] == 503),
        "{lines:?}"
    );
    assert!(
        lines.iter().filter(|v| v["level"] == "WARN").count() >= 2,
        "retries logged"
    );

    // Without backoff the first failure is final.
    let once = app_for(&double.url, |m| m.backoff_enabled = false).await;
    setup(&once, "FAC-EM-503B").await;
    let before = double.seen("GET /meters/GAS-1/readings");
    assert_error(
        calculate(&once, "FAC-EM-503B").await,
        503,
        "EnergyMeterError",
        None,
    )
    .await;
    assert_eq!(double.seen("GET /meters/GAS-1/readings"), before + 1);
}

#[tokio::test]
async fn connection_refused_is_a_503_and_logged_as_the_runbook_greps_it() {
    let url = refused_url().await;
    let app = app_for(&url, |m| m.max_retries = 1).await;
    setup(&app, "FAC-EM-REFUSED").await;
    let body = assert_error(
        calculate(&app, "FAC-EM-REFUSED").await,
        503,
        "EnergyMeterError",
        None,
    )
    .await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("connection failed"),
        "{body}"
    );
    let m = app.metrics().await;
    assert!(
        series(
            &m,
            "FAC-EM-REFUSED",
            "thermaliq_energy_meter_connection_errors_total",
            r#"error_type="connection_refused""#
        ) >= 2.0,
        "{m}"
    );
    let lines = failure_lines("FAC-EM-REFUSED");
    assert!(
        lines.iter().any(|v| v["message"]
            .as_str()
            .unwrap()
            .contains("Connection refused")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn a_slow_vendor_past_the_timeout_is_a_503_timeout() {
    let double = MeterDouble::start().await;
    let app = app_for(&double.url, |m| {
        m.timeout = Duration::from_millis(300);
        m.max_retries = 1;
    })
    .await;
    setup(&app, "FAC-EM-SLOW").await;
    double.always(Some(Fault::Slow(Duration::from_secs(2))));
    let body = assert_error(
        calculate(&app, "FAC-EM-SLOW").await,
        503,
        "EnergyMeterError",
        None,
    )
    .await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("timeout"),
        "{body}"
    );
    let m = app.metrics().await;
    assert_eq!(
        series(
            &m,
            "FAC-EM-SLOW",
            "thermaliq_energy_meter_connection_errors_total",
            r#"error_type="timeout""#
        ),
        2.0
    );
    assert!(
        series(
            &m,
            "FAC-EM-SLOW",
            "thermaliq_energy_meter_requests_total",
            r#"endpoint="readings",status="timeout""#
        ) >= 2.0
    );
    assert!(
        failure_lines("FAC-EM-SLOW")
            .iter()
            .any(|v| v["message"].as_str().unwrap().contains("timeout"))
    );
}

#[tokio::test]
async fn truncated_json_is_a_502_invalid_response() {
    let double = MeterDouble::start().await;
    let app = app_for(&double.url, |_| {}).await;
    setup(&app, "FAC-EM-TRUNC").await;
    double.push_fault(Fault::Truncated);
    let body = assert_error(
        calculate(&app, "FAC-EM-TRUNC").await,
        502,
        "EnergyMeterError",
        None,
    )
    .await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("invalid response"),
        "{body}"
    );
    let m = app.metrics().await;
    assert_eq!(
        series(
            &m,
            "FAC-EM-TRUNC",
            "thermaliq_energy_meter_connection_errors_total",
            r#"error_type="invalid_response""#
        ),
        1.0
    );
    assert!(!failure_lines("FAC-EM-TRUNC").is_empty());
}

#[tokio::test]
async fn pages_are_followed_to_the_end() {
    let double = MeterDouble::start().await;
    *double.state.page_size.lock().unwrap() = 25;
    let app = app_for(&double.url, |_| {}).await;
    setup(&app, "FAC-EM-PAGES").await;
    let r = calculate(&app, "FAC-EM-PAGES").await;
    assert_eq!(r.status(), 201);
    assert_known_efficiency(&r.json().await.unwrap());
    assert!(
        double.seen("GET /meters/GAS-1/readings?page_token=") >= 2,
        "{:?}",
        double.seen_all()
    );
}

#[tokio::test]
async fn a_skewed_expires_in_does_not_pin_a_dead_token() {
    let double = MeterDouble::start().await;
    *double.state.expires_in.lock().unwrap() = json!(-30);
    let app = app_for(&double.url, |_| {}).await;
    setup(&app, "FAC-EM-SKEW").await;
    let r = calculate(&app, "FAC-EM-SKEW").await;
    assert_eq!(r.status(), 201);
    // A token "expired 30 s ago" is used once and replaced, never sent stale.
    assert_eq!(double.seen("POST /auth/token"), double.seen("GET /meters/"));
    let m = app.metrics().await;
    assert_eq!(
        series(
            &m,
            "FAC-EM-SKEW",
            "thermaliq_energy_meter_requests_total",
            r#"endpoint="readings",status="401""#
        ),
        0.0
    );
}

#[tokio::test]
async fn batching_asks_for_at_most_batch_size_meters_per_call() {
    let double = MeterDouble::start().await;
    let app = app_for(&double.url, |m| {
        m.batch_requests = true;
        m.batch_size = 1;
    })
    .await;
    setup(&app, "FAC-EM-BATCH").await;
    let r = calculate(&app, "FAC-EM-BATCH").await;
    assert_eq!(r.status(), 201);
    assert_known_efficiency(&r.json().await.unwrap());
    assert_eq!(
        double.seen("POST /readings/batch n=1"),
        2,
        "{:?}",
        double.seen_all()
    );
    assert_eq!(double.seen("GET /meters/"), 0);
}

#[tokio::test]
async fn fallback_serves_cached_readings_while_the_vendor_is_down_and_says_so() {
    let double = MeterDouble::start().await;
    let app = app_for(&double.url, |m| {
        m.cache_ttl = Duration::from_millis(1);
        m.enable_fallback = true;
        m.fallback_cache_max_age = Duration::from_secs(3600);
    })
    .await;
    setup(&app, "FAC-EM-FALLBACK").await;
    assert_eq!(calculate(&app, "FAC-EM-FALLBACK").await.status(), 201);
    tokio::time::sleep(Duration::from_millis(20)).await;
    double.always(Some(Fault::Status(503, None)));
    let r = calculate(&app, "FAC-EM-FALLBACK").await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_known_efficiency(&body);
    assert_eq!(served_from(&body), ["fallback_cache", "fallback_cache"]);
    let warnings = body["warnings"].to_string();
    assert!(warnings.contains("fallback_data_used"), "{body}");
    assert!(
        logged("FAC-EM-FALLBACK")
            .iter()
            .any(|(raw, _)| raw.contains("fallback"))
    );

    // Without fallback the same outage fails, naming the meter.
    let strict = app_for(&double.url, |m| m.cache_ttl = Duration::from_millis(1)).await;
    setup(&strict, "FAC-EM-NOFALL").await;
    assert_error(
        calculate(&strict, "FAC-EM-NOFALL").await,
        503,
        "EnergyMeterError",
        None,
    )
    .await;
}

#[tokio::test]
async fn meters_check_reports_each_source() {
    let double = MeterDouble::start().await;
    let app = app_for(&double.url, |_| {}).await;
    setup(&app, "FAC-EM-CHECK").await;
    let r = app
        .get("/v1/thermaliq/admin/meters/check?facility_id=FAC-EM-CHECK")
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["ok"], true, "{body}");
    let checks: Vec<(&str, &str)> = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["source"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        checks,
        [
            ("api", "ok"),
            ("credentials", "ok"),
            ("facility_health", "ok"),
            ("energy_meter", "ok"),
            ("energy_meter", "ok")
        ]
    );
    // Bad credentials fail the credentials line and each meter.
    let bad = app_for(&double.url, |m| m.client_id = Some("nobody".to_owned())).await;
    setup(&bad, "FAC-EM-CHECK").await;
    let body: Value = bad
        .get("/v1/thermaliq/admin/meters/check?facility_id=FAC-EM-CHECK")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["ok"], false);
    assert_eq!(body["checks"][1]["status"], "failed", "{body}");
    let missing = bad.get("/v1/thermaliq/admin/meters/check").await;
    assert_error(missing, 400, "ValidationError", Some("facility_id")).await;
    let unknown = bad
        .get("/v1/thermaliq/admin/meters/check?facility_id=NOPE")
        .await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn a_bad_source_is_a_400_naming_each_field() {
    let app = spawn_app_with(|_| {}).await;
    let mut body = facility("FAC-EM-BAD");
    body["channels"][0]["source"] = json!({"type": "energy_meter", "topic": "x"});
    body["channels"][1]["source"] =
        json!({"type": "modbus", "host": "m1", "register": 65535, "data_type": "u32"});
    let r = app.post("/v1/thermaliq/facilities", &body).await;
    let err = assert_error(r, 400, "ValidationError", None).await;
    let fields: Vec<&str> = err["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "channels[0].source.topic",
            "channels[0].source.meter_id",
            "channels[1].source.register"
        ]
    );
}

/// `thermaliq meters check --facility ID`: exit 0 when every source
/// answers, 1 naming the failing ones (the CLI reads the same store).
#[tokio::test]
async fn the_cli_check_exits_non_zero_naming_the_failing_sources() {
    let double = MeterDouble::start().await;
    let app = crate::helpers::spawn_sqlite_app_with(|_| {}).await;
    setup(&app, "FAC-EM-CLI").await;
    let run = |secret: &'static str| {
        let dir = app.dir.path().to_path_buf();
        let url = double.url.clone();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_thermaliq"))
                .args(["meters", "check", "--facility", "FAC-EM-CLI", "--data-dir"])
                .arg(&dir)
                .env_remove("DATABASE_URL")
                .env_remove("REDIS_URL")
                .env("ENERGY_METER_API_URL", url)
                .env("ENERGY_METER_CLIENT_ID", CLIENT_ID)
                .env("ENERGY_METER_CLIENT_SECRET", secret)
                .env("ENERGY_METER_MAX_RETRIES", "0")
                .output()
                .unwrap()
        })
    };
    let ok = run(CLIENT_SECRET).await.unwrap();
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let report: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(report["ok"], true);
    let bad = run("wrong-secret-4711").await.unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("failed: credentials") && stderr.contains("GAS-1"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&bad.stdout);
    assert!(!stderr.contains("wrong-secret-4711") && !stdout.contains("wrong-secret-4711"));
}
