//! The state every handler shares.

use std::sync::Arc;

use thermaliq_store::Store;
use tokio::sync::Semaphore;

use crate::config::Settings;
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    /// One permit per calculation allowed to run at once.
    pub calculation_slots: Arc<Semaphore>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, settings: Settings) -> Self {
        let slots = settings.max_concurrent_calculations;
        Self {
            store,
            settings: Arc::new(settings),
            metrics: Arc::new(Metrics::new()),
            calculation_slots: Arc::new(Semaphore::new(slots)),
        }
    }
}
