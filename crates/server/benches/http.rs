//! `POST /v1/thermaliq/calculate` throughput and latency against the real
//! router on a real SQLite file (WAL, synchronous=FULL), at several client
//! concurrencies. Client and server share this machine's cores.
//!
//! `cargo bench -p thermaliq-server --bench http` (env `BENCH_REQUESTS`
//! sets the requests per concurrency level, default 2000).

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

fn main() {
    // `cargo test --benches` runs bench binaries with `--bench`-less args; keep that cheap.
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
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings {
            bind: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.path().to_path_buf(),
            bootstrap_token: Some(Secret::new(TOKEN.to_owned())),
            ..Settings::default()
        };
        let server = thermaliq_server::start(settings).await.unwrap();
        let url = format!("http://{}/v1/thermaliq/calculate", server.addr);
        let client = reqwest::Client::builder().pool_max_idle_per_host(256).build().unwrap();
        println!("POST /v1/thermaliq/calculate, SQLite (WAL, synchronous=FULL), {requests} requests per level");
        println!("{:>11} {:>10} {:>10} {:>10} {:>10}", "concurrency", "req/s", "p50 ms", "p99 ms", "max ms");
        for concurrency in [1usize, 4, 16, 64] {
            let started = Instant::now();
            let per_worker = requests / concurrency;
            let workers: Vec<_> = (0..concurrency).map(|_| {
                let client = client.clone();
                let url = url.clone();
                tokio::spawn(async move {
                    let mut latencies = Vec::with_capacity(per_worker);
                    for _ in 0..per_worker {
                        let t = Instant::now();
                        let response = client.post(&url).bearer_auth(TOKEN).body(BODY).send().await.unwrap();
                        assert_eq!(response.status(), 201);
                        let _ = response.bytes().await.unwrap();
                        latencies.push(t.elapsed());
                    }
                    latencies
                })
            }).collect();
            let mut all = Vec::with_capacity(requests);
            for worker in workers {
                all.extend(worker.await.unwrap());
            }
            let elapsed = started.elapsed();
            all.sort();
            println!(
                "{:>11} {:>10.0} {:>10.2} {:>10.2} {:>10.2}",
                concurrency,
                all.len() as f64 / elapsed.as_secs_f64(),
                percentile(&all, 0.50).as_secs_f64() * 1e3,
                percentile(&all, 0.99).as_secs_f64() * 1e3,
                all.last().unwrap().as_secs_f64() * 1e3,
            );
        }
        server.shutdown().await.unwrap();
    });
}
