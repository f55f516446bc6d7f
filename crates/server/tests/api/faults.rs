//! Dependencies failing under a running service: PostgreSQL unreachable for a
//! window (a TCP proxy the test cuts and restores) and Redis killed and
//! restarted. Nothing acknowledged is lost, no request hangs, and the service
//! recovers without a restart.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use crate::helpers::{ADMIN_TOKEN, TestApp, fresh_postgres_schema, runbook_case, spawn_app_with};

/// A TCP proxy in front of PostgreSQL that can be cut (every connection
/// dropped, new ones closed at once) and restored.
struct Proxy {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    cut: Arc<Notify>,
}

impl Proxy {
    async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let cut = Arc::new(Notify::new());
        let (up2, cut2) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let cut = cut2.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        () = cut.notified() => {}
                    }
                });
            }
        });
        Proxy { addr, up, cut }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.notify_waiters();
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
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
