//! `POST /v1/thermaliq/calculate` throughput and latency against the real
//! router: on SQLite (the embedded default, WAL, synchronous=FULL) and, when
//! `DATABASE_URL` names PostgreSQL, on 1, 2 and 3 replicas sharing it
//! (requests spread round robin). Client and servers share this machine's
//! cores, so the figures are a floor for what separate hosts would do.
//!
//! `cargo bench -p thermaliq-server --bench http` (env `BENCH_REQUESTS`
//! sets the requests per run, default 2000).

use std::time::{Duration, Instant};

use thermaliq_server::config::{Secret, Settings};

const TOKEN: &str = "bench-admin-token-0123456789abcdef0123456789";
const BODY: &str = r#"{"facility_id": "FAC-TEST-001",
 "time_period": {"start": "2025-11-01T00:00:00Z", "end": "2025-11-01T01:00:00Z"},
 "energy_input": {"fuel": 1000.0, "electricity": 50.0},
 "energy_output": {"steam": 750.0, "electricity": 200.0}}"#;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

async fn load(
    client: &reqwest::Client,
    urls: &[String],
    requests: usize,
    concurrency: usize,
) -> (f64, Vec<Duration>) {
    let started = Instant::now();
    let per_worker = requests / concurrency;
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let client = client.clone();
            let urls = urls.to_vec();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_worker);
                for n in 0..per_worker {
                    let url = &urls[(w + n) % urls.len()];
                    let t = Instant::now();
                    let response = client
                        .post(url)
                        .bearer_auth(TOKEN)
                        .body(BODY)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status(), 201);
                    let _ = response.bytes().await.unwrap();
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::with_capacity(requests);
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    let rate = all.len() as f64 / started.elapsed().as_secs_f64();
    all.sort();
    (rate, all)
}

fn row(label: &str, concurrency: usize, rate: f64, all: &[Duration]) {
    println!(
        "{label:<22} {concurrency:>11} {rate:>10.0} {:>10.2} {:>10.2} {:>10.2}",
        percentile(all, 0.50).as_secs_f64() * 1e3,
        percentile(all, 0.99).as_secs_f64() * 1e3,
        all.last().unwrap().as_secs_f64() * 1e3,
    );
}

async fn postgres_schema(url: &str) -> String {
    use sqlx::Connection;
    let schema = format!("bench_{}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{schema}")
}

fn main() {
    if std::env::args().any(|a| a == "--test") {
        return;
    }
    let requests: usize = std::env::var("BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()
            .unwrap();
        let base = |dir: &std::path::Path| Settings {
            bind: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.to_path_buf(),
            bootstrap_token: Some(Secret::new(TOKEN.to_owned())),
            worker_enabled: false,
            ..Settings::default()
        };
        println!("POST /v1/thermaliq/calculate, {requests} requests per row");
        println!(
            "{:<22} {:>11} {:>10} {:>10} {:>10} {:>10}",
            "store", "concurrency", "req/s", "p50 ms", "p99 ms", "max ms"
        );

        let dir = tempfile::tempdir().unwrap();
        let server = thermaliq_server::start(base(dir.path())).await.unwrap();
        let urls = vec![format!("http://{}/v1/thermaliq/calculate", server.addr)];
        for concurrency in [1usize, 4, 16, 64] {
            let (rate, all) = load(&client, &urls, requests, concurrency).await;
            row("sqlite, 1 replica", concurrency, rate, &all);
        }
        server.shutdown().await.unwrap();

        let Some(db) = std::env::var("DATABASE_URL")
            .ok()
            .filter(|u| u.starts_with("postgres"))
        else {
            println!("(PostgreSQL rows skipped: DATABASE_URL not set)");
            return;
        };
        let url = postgres_schema(&db).await;
        for replicas in 1..=3usize {
            let mut servers = Vec::new();
            for _ in 0..replicas {
                let dir = tempfile::tempdir().unwrap();
                let mut settings = base(dir.path());
                settings.database_url = Some(Secret::new(url.clone()));
                servers.push((thermaliq_server::start(settings).await.unwrap(), dir));
            }
            let urls: Vec<String> = servers
                .iter()
                .map(|(s, _)| format!("http://{}/v1/thermaliq/calculate", s.addr))
                .collect();
            for concurrency in [16usize, 64] {
                let (rate, all) = load(&client, &urls, requests, concurrency).await;
                row(
                    &format!("postgres, {replicas} replica(s)"),
                    concurrency,
                    rate,
                    &all,
                );
            }
            for (server, _dir) in servers {
                server.shutdown().await.unwrap();
            }
        }
    });
}
