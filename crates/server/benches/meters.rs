//! Energy meters at scale (issue 13 targets): 1,000 meters × one day of
//! 1-minute readings (1.44 M readings) pulled with batching from the local
//! vendor double and aggregated, target ≤ 10 s; and the client-side limiter
//! held to `ENERGY_METER_MAX_REQUESTS_PER_MINUTE` within 5 %.
//!
//! The limiter runs for `BENCH_LIMITER_SECONDS` (default 60: a whole
//! minute; the allowed burst does not shrink with a shorter window, so a
//! shorter run over-states the error by burst / (N × seconds / 60)).
//!
//! `cargo bench -p thermaliq-server --bench meters`

#[allow(dead_code)]
#[path = "../tests/api/meter_double.rs"]
mod meter_double;

use std::sync::Arc;
use std::time::{Duration, Instant};

use connectors::cache::{Cache, CacheConfig};
use connectors::energy_meter::{EnergyMeterClient, EnergyMeterConfig, Limiter, NoObserver};
use serde_json::json;
use thermaliq_core::readings::{
    AggregationOptions, FacilityAggregator, fetch_window, parse_facility,
};
use thermaliq_core::request::TimePeriod;
use thermaliq_server::service::meters::EnergyMeterSource;
use thermaliq_server::service::sources::PeriodSource;
use time::macros::datetime;

const METERS: usize = 1_000;

async fn pull_and_aggregate() {
    let double = meter_double::MeterDouble::start().await;
    *double.state.page_size.lock().unwrap() = 2_000;
    let config = EnergyMeterConfig {
        api_url: Some(double.url.clone()),
        client_id: Some(meter_double::CLIENT_ID.to_owned()),
        client_secret: Some(meter_double::CLIENT_SECRET.to_owned()),
        batch_requests: true,
        batch_size: 100,
        timeout: Duration::from_secs(60),
        ..EnergyMeterConfig::default()
    };
    let cache = Cache::new(CacheConfig::default()).await.unwrap();
    let client = Arc::new(EnergyMeterClient::new(config, cache, Arc::new(NoObserver)));
    let source = EnergyMeterSource(client);
    let period = TimePeriod {
        start: datetime!(2025-11-01 00:00 UTC),
        end: datetime!(2025-11-02 00:00 UTC),
    };
    let options = AggregationOptions::default();
    // MAX_CHANNELS is 500: two facilities of 500 meters each (half gas, half steam).
    let started = Instant::now();
    let mut readings = 0usize;
    let mut etas = Vec::new();
    for f in 0..METERS / 500 {
        let channels: Vec<_> = (0..500)
            .map(|i| {
                let (role, category, meter) = if i % 2 == 0 {
                    ("input", "fuel", format!("GAS-{f}-{i}"))
                } else {
                    ("output", "steam", format!("STEAM-{f}-{i}"))
                };
                json!({"tag": format!("m{i}"), "role": role, "category": category, "kind": "power",
                       "unit": "kW", "source": {"type": "energy_meter", "meter_id": meter}})
            })
            .collect();
        let body = json!({"facility_id": format!("FAC-BENCH-{f}"), "name": "bench",
            "process_type": "boiler", "time_zone": "UTC", "channels": channels});
        let facility = parse_facility(body.to_string().as_bytes()).unwrap();
        let window = fetch_window(&facility, &period, &options);
        let pulls = source
            .pull(&facility, facility.channels.iter().collect(), window)
            .await
            .unwrap();
        let mut aggregator = FacilityAggregator::new(&facility, &period, &options);
        for p in &pulls {
            readings += p.readings.len();
            for r in &p.readings {
                aggregator.push(&p.tag, *r);
            }
        }
        let input = thermaliq_core::readings::engine_input_from_readings(
            &facility,
            &period,
            aggregator.finish(),
        )
        .unwrap();
        let fuel = input.energy_input_kwh["fuel"];
        let steam = input.energy_output_kwh["steam"];
        etas.push(100.0 * steam / fuel);
    }
    let elapsed = started.elapsed();
    println!(
        "pull+aggregate: {METERS} meters, {readings} readings, {} batch calls, {:.2} s (target <= 10 s); efficiency {:?} (80 by construction)",
        double.seen("POST /readings/batch"),
        elapsed.as_secs_f64(),
        etas
    );
}

async fn limiter_accuracy() {
    let seconds: u64 = std::env::var("BENCH_LIMITER_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let per_minute = 6_000u32;
    let limiter = Arc::new(Limiter::new(per_minute));
    let window = Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    // 64 callers asking as fast as they can.
    for _ in 0..64 {
        let limiter = limiter.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            loop {
                limiter.acquire().await;
                if started.elapsed() >= window {
                    return n;
                }
                n += 1;
            }
        }));
    }
    let mut sent = 0;
    for t in tasks {
        sent += t.await.unwrap();
    }
    let expected = f64::from(per_minute) * seconds as f64 / 60.0;
    let error = (sent as f64 - expected) / expected * 100.0;
    println!(
        "limiter: {sent} requests in {seconds} s at {per_minute}/min (expected {expected:.0}): {error:+.2} % (target within 5 %)"
    );
}

#[tokio::main]
async fn main() {
    pull_and_aggregate().await;
    limiter_accuracy().await;
}
