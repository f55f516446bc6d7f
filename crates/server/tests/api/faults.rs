//! Dependencies failing under a running service: PostgreSQL unreachable for a
//! window (a TCP proxy the test cuts and restores) and Redis killed and
//! restarted. Nothing acknowledged is lost, no request hangs, and the service
//! recovers without a restart.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use crate::helpers::{ADMIN_TOKEN, TestApp, fresh_postgres_schema, runbook_case, spawn_app_with};

/// A TCP proxy in front of PostgreSQL that can be cut (every connection
/// dropped, new ones closed at once), stalled (every connection kept open but
/// nothing forwarded: a black-holed network or a frozen server) and restored.
struct Proxy {
    addr: SocketAddr,
    /// 0 up, 1 cut, 2 stalled.
    mode: Arc<AtomicU8>,
    cut: Arc<Notify>,
}

const UP: u8 = 0;
const CUT: u8 = 1;
const STALLED: u8 = 2;

impl Proxy {
    async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mode = Arc::new(AtomicU8::new(UP));
        let cut = Arc::new(Notify::new());
        let (mode2, cut2) = (mode.clone(), cut.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                let mode = mode2.clone();
                match mode.load(Ordering::SeqCst) {
                    CUT => {
                        drop(client);
                        continue;
                    }
                    STALLED => {
                        tokio::spawn(async move {
                            hold_while_stalled(&mode).await;
                            drop(client);
                        });
                        continue;
                    }
                    _ => {}
                }
                let cut = cut2.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        () = cut.notified() => {
                            hold_while_stalled(&mode).await;
                        }
                    }
                });
            }
        });
        Proxy { addr, mode, cut }
    }

    fn cut(&self) {
        self.mode.store(CUT, Ordering::SeqCst);
        self.cut.notify_waiters();
    }

    fn stall(&self) {
        self.mode.store(STALLED, Ordering::SeqCst);
        self.cut.notify_waiters();
    }

    fn restore(&self) {
        self.mode.store(UP, Ordering::SeqCst);
    }
}

/// Keeps a connection open, forwarding nothing, until the proxy leaves the stalled mode.
async fn hold_while_stalled(mode: &AtomicU8) {
    while mode.load(Ordering::SeqCst) == STALLED {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn post(app: &TestApp) -> reqwest::Response {
    app.client
        .post(app.url("/v1/thermaliq/calculate"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&runbook_case())
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("the service answers")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_fails_fast_and_recovers_without_restart() {
    let Some(db) = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
    else {
        crate::helpers::skip_or_fail("DATABASE_URL (postgres://) not set (PostgreSQL outage test)");
        return;
    };
    let schema_url = fresh_postgres_schema(&db).await;
    let proxy = Proxy::start("127.0.0.1:5432".parse().unwrap()).await;
    let proxied = schema_url
        .replacen("127.0.0.1:5432", &proxy.addr.to_string(), 1)
        .replacen("localhost:5432", &proxy.addr.to_string(), 1);
    assert_ne!(
        proxied, schema_url,
        "DATABASE_URL must name 127.0.0.1:5432 or localhost:5432 for this test"
    );
    let app = spawn_app_with(|s| {
        s.database_url = Some(thermaliq_server::config::Secret::new(proxied.clone()));
        s.database_pool_timeout = Duration::from_secs(1);
        s.worker_enabled = false;
    })
    .await;

    let mut acknowledged = Vec::new();
    let first = post(&app).await;
    assert_eq!(first.status(), 201);
    acknowledged.push(
        first.json::<Value>().await.unwrap()["calculation_id"]
            .as_str()
            .unwrap()
            .to_owned(),
    );

    proxy.cut();
    let started = Instant::now();
    let during = post(&app).await;
    assert_eq!(during.status(), 503);
    let body: Value = during.json().await.unwrap();
    assert_eq!(body["error"]["type"], "DatabaseError");
    println!("failed in {:?} during the outage", started.elapsed());
    let ready = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(
        app.client
            .get(app.url("/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let response = post(&app).await;
        if response.status() == 201 {
            acknowledged.push(
                response.json::<Value>().await.unwrap()["calculation_id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
            break;
        }
        assert_eq!(response.status(), 503);
        assert!(Instant::now() < deadline, "no recovery after the outage");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        app.client
            .get(app.url("/ready"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    for id in &acknowledged {
        assert_eq!(
            app.get(&format!("/v1/thermaliq/calculations/{id}"))
                .await
                .status(),
            200
        );
    }
}

/// A server behind the proxy, with the default pool timeout (10 s) so a
/// missing fast path shows up as a 10 s hang.
async fn app_behind_proxy(proxy: &Proxy) -> Option<TestApp> {
    let Some(db) = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
    else {
        crate::helpers::skip_or_fail("DATABASE_URL (postgres://) not set (PostgreSQL outage test)");
        return None;
    };
    let schema_url = fresh_postgres_schema(&db).await;
    let proxied = schema_url
        .replacen("127.0.0.1:5432", &proxy.addr.to_string(), 1)
        .replacen("localhost:5432", &proxy.addr.to_string(), 1);
    assert_ne!(proxied, schema_url, "DATABASE_URL must name 127.0.0.1:5432");
    Some(
        spawn_app_with(|s| {
            s.database_url = Some(thermaliq_server::config::Secret::new(proxied.clone()));
            s.worker_enabled = false;
        })
        .await,
    )
}

/// Sends `GET path` and returns its status and how long the answer took.
async fn timed_get(app: &TestApp, path: &str) -> (u16, Duration) {
    let started = Instant::now();
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(ADMIN_TOKEN)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("the service answers");
    (response.status().as_u16(), started.elapsed())
}

/// Issue 12 item 16: with PostgreSQL black-holed (connections open, nothing
/// answered) `/ready` used to hang for the pool timeout (10 s) and so did every
/// request. Readiness must answer within 1 s, requests fail with 503 within
/// 1 s once the outage is known, and the service recovers by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_database_is_known_down_within_a_second_and_recovers() {
    let proxy = Proxy::start("127.0.0.1:5432".parse().unwrap()).await;
    let Some(app) = app_behind_proxy(&proxy).await else {
        return;
    };
    let created = post(&app).await;
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["calculation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/thermaliq/calculations/{id}");
    // One slack for a loaded CI machine: the probe itself gives up after 800 ms.
    let bound = Duration::from_millis(1000);

    proxy.stall();
    let (status, took) = timed_get(&app, "/ready").await;
    println!("/ready answered {status} in {took:?} with the database stalled");
    assert_eq!(status, 503);
    assert!(
        took <= bound,
        "/ready took {took:?} with the database stalled"
    );

    // The probe needs two late answers (1.6 s) to call a stall an outage; from
    // then on requests fail fast.
    let known = Instant::now() + Duration::from_secs(5);
    loop {
        let started = Instant::now();
        assert_eq!(post(&app).await.status(), 503);
        if started.elapsed() <= bound {
            break;
        }
        assert!(
            Instant::now() < known,
            "the stall was never known as an outage"
        );
    }
    for _ in 0..5 {
        let started = Instant::now();
        let during = post(&app).await;
        let took = started.elapsed();
        assert_eq!(during.status(), 503);
        let body: Value = during.json().await.unwrap();
        assert_eq!(body["error"]["type"], "DatabaseError", "{body}");
        assert!(
            took <= bound,
            "POST took {took:?} while the database is known down"
        );
        let (status, took) = timed_get(&app, &path).await;
        assert_eq!(status, 503);
        assert!(
            took <= bound,
            "GET took {took:?} while the database is known down"
        );
    }

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let response = post(&app).await;
        if response.status() == 201 {
            break;
        }
        assert_eq!(response.status(), 503);
        assert!(Instant::now() < deadline, "no recovery after the stall");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(timed_get(&app, "/ready").await.0, 200);
    assert_eq!(timed_get(&app, &path).await.0, 200);
}

/// The outage is noticed without readiness probes too (a background probe),
/// and requests already waiting for a connection are released.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_waiting_when_the_database_stalls_are_released_within_a_few_seconds() {
    let proxy = Proxy::start("127.0.0.1:5432".parse().unwrap()).await;
    let Some(app) = app_behind_proxy(&proxy).await else {
        return;
    };
    assert_eq!(post(&app).await.status(), 201);
    proxy.stall();
    let started = Instant::now();
    let during = post(&app).await;
    let took = started.elapsed();
    println!(
        "first POST after the stall: {} in {took:?}",
        during.status()
    );
    assert_eq!(during.status(), 503);
    // The background probe runs every 500 ms and gives up after 800 ms, twice.
    assert!(took <= Duration::from_secs(3), "POST hung {took:?}");
    proxy.restore();
}

/// A private redis-server the test can kill and restart on the same port.
fn start_redis(port: u16) -> Option<Child> {
    Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_and_restarted_under_load() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let Some(mut redis) = start_redis(port) else {
        crate::helpers::skip_or_fail("redis-server not installed (Redis fault test)");
        return;
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let app = spawn_app_with(|s| {
        s.redis_url = Some(thermaliq_server::config::Secret::new(format!(
            "redis://127.0.0.1:{port}"
        )));
    })
    .await;
    let created: Value = post(&app).await.json().await.unwrap();
    let path = format!(
        "/v1/thermaliq/calculations/{}",
        created["calculation_id"].as_str().unwrap()
    );
    let ready = |app: &TestApp| {
        let client = app.client.clone();
        let url = app.url("/ready");
        async move {
            client
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(ready(&app).await["checks"]["cache"]["ok"], true);

    let _ = redis.kill();
    let _ = redis.wait();
    // Under load while Redis is gone: every read and write still succeeds.
    for _ in 0..20 {
        assert_eq!(app.get(&path).await.status(), 200);
        assert_eq!(post(&app).await.status(), 201);
    }
    let degraded = ready(&app).await;
    assert_eq!(
        degraded["ready"], true,
        "a Redis outage must not make the replica unready"
    );
    assert_eq!(degraded["checks"]["cache"]["degraded"], true, "{degraded}");

    let mut redis = start_redis(port).expect("redis restarts");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert_eq!(app.get(&path).await.status(), 200);
        if ready(&app).await["checks"]["cache"]["ok"] == true {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the cache did not reconnect to Redis"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = redis.kill();
    let _ = redis.wait();
}

/// Sends a signal to a child (`STOP` freezes Redis: connections stay open and
/// nothing answers, the case that cost every read `redis_timeout`).
fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// Issue 12 item 14: with Redis frozen every cached read waited for the Redis
/// timeout (250 ms). With the breaker open a read costs what a local hit costs,
/// is served from the in-process cache, and an invalidation made during the
/// outage is replayed to Redis before it is used again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_redis_costs_reads_nothing_and_misses_no_invalidation() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let Some(mut redis) = start_redis(port) else {
        crate::helpers::skip_or_fail("redis-server not installed (Redis fault test)");
        return;
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let app = spawn_app_with(|s| {
        s.redis_url = Some(thermaliq_server::config::Secret::new(format!(
            "redis://127.0.0.1:{port}"
        )));
    })
    .await;
    let created: Value = post(&app).await.json().await.unwrap();
    let id = created["calculation_id"].as_str().unwrap().to_owned();
    let path = format!("/v1/thermaliq/calculations/{id}");
    assert_eq!(
        app.get(&path).await.status(),
        200,
        "cached in Redis and locally"
    );

    signal(&redis, "STOP");
    // The first reads pay the timeout until the breaker opens.
    for _ in 0..4 {
        assert_eq!(app.get(&path).await.status(), 200);
    }
    let mut slowest = Duration::ZERO;
    for _ in 0..40 {
        let started = Instant::now();
        let response = app.get(&path).await;
        slowest = slowest.max(started.elapsed());
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["calculation_id"], id.as_str());
    }
    println!("slowest cached read with Redis frozen: {slowest:?}");
    // A read that touched Redis would take at least its 250 ms timeout.
    assert!(
        slowest < Duration::from_millis(150),
        "a read waited {slowest:?} for a frozen Redis"
    );
    let started = Instant::now();
    let ready: Value = app
        .client
        .get(app.url("/ready"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_millis(150));
    assert_eq!(ready["checks"]["cache"]["degraded"], true, "{ready}");

    // Invalidated while Redis cannot hear it.
    let body = serde_json::json!({"facility_id": "FAC-TEST-001", "from": "2000-01-01",
        "to": "2100-01-01T00:00:00Z", "reason": "during the Redis outage"});
    let invalidated = app
        .post("/v1/thermaliq/calculations/invalidate", &body)
        .await;
    assert_eq!(invalidated.status(), 200);

    signal(&redis, "CONT");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let ready: Value = app
            .client
            .get(app.url("/ready"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if ready["checks"]["cache"]["ok"] == true {
            break;
        }
        assert!(Instant::now() < deadline, "the breaker never closed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Redis held the `completed` view from before the outage: it must be gone.
    let view: Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(view["status"], "invalid", "{view}");
    let _ = redis.kill();
    let _ = redis.wait();
}
