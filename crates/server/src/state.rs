//! The state every handler shares.

use std::sync::Arc;

use connectors::cache::Cache;
use thermaliq_store::Store;
use tokio::sync::Semaphore;

use crate::config::Settings;
use crate::metrics::Metrics;
use crate::service::commit::{CalculationWriter, GroupCommit};
use crate::service::meters::{EnergyMeterSource, MeterMetrics};
use crate::service::sources::PeriodSource;
use crate::service::views::ChangeMarker;
use connectors::energy_meter::EnergyMeterClient;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    /// One permit per calculation allowed to run at once.
    pub calculation_slots: Arc<Semaphore>,
    /// Calculations and diagrams (Redis when configured, else in-process).
    pub cache: Cache,
    /// Requests on this replica waiting for a calculation slot.
    pub slot_waiters: Arc<std::sync::atomic::AtomicI64>,
    /// Every stored calculation goes through this group-commit writer.
    pub writer: CalculationWriter,
    /// The meter vendor's API (one limiter and token per replica).
    pub meters: Arc<EnergyMeterClient>,
    /// Where channels that are not pushed are pulled from, by source type.
    pub period_sources: Arc<[Arc<dyn PeriodSource>]>,
    /// The calculations' change marker as this replica last read it.
    pub change_marker: Arc<ChangeMarker>,
}

impl AppState {
    /// Must be called inside a Tokio runtime: it starts the group-commit writer.
    pub fn new(store: Arc<dyn Store>, settings: Settings, cache: Cache) -> Self {
        let slots = settings.max_concurrent_calculations;
        let writer = CalculationWriter::spawn(
            store.clone(),
            GroupCommit {
                max_batch: settings.group_commit_max_batch,
                // SQLite has one writer; PostgreSQL commits on several connections at once.
                max_in_flight: if store.backend() == "sqlite" {
                    1
                } else {
                    settings.group_commit_in_flight
                },
            },
        );
        let metrics = Arc::new(Metrics::new());
        let meters = Arc::new(EnergyMeterClient::new(
            settings.energy_meter.connector_config(),
            cache.clone(),
            Arc::new(MeterMetrics(metrics.clone())),
        ));
        let period_sources: Arc<[Arc<dyn PeriodSource>]> =
            Arc::new([Arc::new(EnergyMeterSource(meters.clone())) as Arc<dyn PeriodSource>]);
        Self {
            writer,
            store,
            settings: Arc::new(settings),
            metrics,
            meters,
            period_sources,
            calculation_slots: Arc::new(Semaphore::new(slots)),
            cache,
            slot_waiters: Arc::new(std::sync::atomic::AtomicI64::new(0)),
            change_marker: Arc::new(ChangeMarker::default()),
        }
    }

    /// A cache read that counts in `thermaliq_cache_hits_total` / `_misses_total`.
    pub async fn cache_get(&self, key: &str) -> Option<Vec<u8>> {
        let found = self.cache.get(key).await;
        match found {
            Some(_) => self.metrics.cache_hits.inc(),
            None => self.metrics.cache_misses.inc(),
        };
        found
    }
}
