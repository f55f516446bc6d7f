//! Durable calculation writes on SQLite (`synchronous = FULL`, WAL): one
//! record per transaction against groups of 64 and 1,000 records sharing one
//! commit (`Store::insert_calculations`). Each iteration writes fresh ids to a
//! database file in a temporary directory on the machine's disk.
//! `cargo bench -p thermaliq-store-sqlite --bench group_commit`

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use thermaliq_store::contract::sample;
use thermaliq_store::{CalculationRecord, Store};
use thermaliq_store_sqlite::{PoolSettings, SqliteStore};
use time::macros::datetime;

fn main() {
    divan::main();
}

static NEXT: AtomicU32 = AtomicU32::new(0);

fn records(n: usize) -> Vec<CalculationRecord> {
    (0..n)
        .map(|_| {
            let id = NEXT.fetch_add(1, Ordering::Relaxed);
            sample(
                &format!("01JBENCH{id:018}"),
                "FAC-001",
                datetime!(2025-11-10 08:00 UTC),
            )
        })
        .collect()
}

struct Bench {
    rt: tokio::runtime::Runtime,
    store: SqliteStore,
    _dir: tempfile::TempDir,
}

fn open() -> Bench {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let store = rt
        .block_on(SqliteStore::open(
            &dir.path().join("bench.db"),
            PoolSettings {
                max_connections: 2,
                acquire_timeout: Duration::from_secs(30),
            },
        ))
        .expect("open");
    Bench {
        rt,
        store,
        _dir: dir,
    }
}

/// Records one by one, each its own commit (`insert_calculation`).
#[divan::bench(args = [64], sample_count = 10)]
fn one_commit_per_record(bencher: divan::Bencher, n: usize) {
    let b = open();
    bencher
        .counter(divan::counter::ItemsCount::new(n))
        .with_inputs(|| records(n))
        .bench_local_values(|group| {
            b.rt.block_on(async {
                for r in &group {
                    b.store.insert_calculation(r).await.expect("insert");
                }
            })
        });
}

/// One commit for the whole group (`insert_calculations`).
#[divan::bench(args = [64, 1000], sample_count = 10)]
fn one_commit_per_group(bencher: divan::Bencher, n: usize) {
    let b = open();
    bencher
        .counter(divan::counter::ItemsCount::new(n))
        .with_inputs(|| records(n))
        .bench_local_values(|group| {
            let results =
                b.rt.block_on(b.store.insert_calculations(&group))
                    .expect("commit");
            assert!(results.iter().all(Result::is_ok));
        });
}
