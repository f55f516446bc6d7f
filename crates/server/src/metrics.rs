//! Prometheus metrics with the runbook's names (DESIGN.md §7). Each app has
//! its own registry (no global state), so tests can read their own counts.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Latency buckets in seconds: sub-millisecond engine calls up to the 30 s
/// timeout the runbook alerts on, so p95/p99 are meaningful at both ends.
const DURATION_BUCKETS: [f64; 14] = [
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 10.0, 30.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    pub error_type: String,
}

/// `thermaliq_energy_meter_requests_total`: one per answered (or failed) request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MeterRequestLabels {
    /// The facility the request was for (empty for API-wide checks); the
    /// alert rules sum `by (facility_id)`.
    pub facility_id: String,
    /// `token`, `readings`, `batch`, `health`, `facility_health`.
    pub endpoint: String,
    /// The HTTP status code, or `timeout` / `connection_error`.
    pub status: String,
}

/// `thermaliq_energy_meter_connection_errors_total`: one per failed attempt.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MeterErrorLabels {
    pub facility_id: String,
    /// `timeout`, `connection_refused`, `unauthorized`, `rate_limited`,
    /// `server_error`, `refused`, `invalid_response`, `not_configured`.
    pub error_type: String,
}

pub struct Metrics {
    registry: Registry,
    pub calculation_requests: Counter,
    pub calculation_errors: Family<ErrorLabels, Counter>,
    pub calculation_duration: Histogram,
    pub calculation_timeouts: Counter,
    pub active_calculations: Gauge,
    pub queue_depth: Gauge,
    pub data_completeness: Gauge<f64, AtomicU64>,
    pub data_quality_score: Gauge<f64, AtomicU64>,
    pub database_connections_active: Gauge,
    pub cache_hits: Counter,
    pub cache_misses: Counter,
    pub sankey_duration: Histogram,
    pub sankey_errors: Family<ErrorLabels, Counter>,
    // Energy meters (runbook scenario 3).
    pub energy_meter_requests: Family<MeterRequestLabels, Counter>,
    pub energy_meter_connection_errors: Family<MeterErrorLabels, Counter>,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let m = Self {
            calculation_requests: Counter::default(),
            calculation_errors: Family::default(),
            calculation_duration: Histogram::new(DURATION_BUCKETS),
            calculation_timeouts: Counter::default(),
            active_calculations: Gauge::default(),
            queue_depth: Gauge::default(),
            data_completeness: Gauge::default(),
            data_quality_score: Gauge::default(),
            database_connections_active: Gauge::default(),
            cache_hits: Counter::default(),
            cache_misses: Counter::default(),
            sankey_duration: Histogram::new(DURATION_BUCKETS),
            sankey_errors: Family::default(),
            energy_meter_requests: Family::default(),
            energy_meter_connection_errors: Family::default(),
            registry: Registry::default(),
        };
        // prometheus-client appends `_total` to counters itself.
        registry.register(
            "thermaliq_calculation_requests",
            "Calculation requests received (calculate and recalculate)",
            m.calculation_requests.clone(),
        );
        registry.register(
            "thermaliq_calculation_errors",
            "Calculation requests that failed, by error type",
            m.calculation_errors.clone(),
        );
        registry.register(
            "thermaliq_calculation_duration_seconds",
            "Time to validate, compute and durably store a calculation",
            m.calculation_duration.clone(),
        );
        registry.register(
            "thermaliq_calculation_timeouts",
            "Calculations stopped by CALCULATION_TIMEOUT",
            m.calculation_timeouts.clone(),
        );
        registry.register(
            "thermaliq_active_calculations",
            "Calculations running now",
            m.active_calculations.clone(),
        );
        registry.register(
            "thermaliq_calculation_queue_depth",
            "Calculations waiting for a slot (MAX_CONCURRENT_CALCULATIONS)",
            m.queue_depth.clone(),
        );
        registry.register(
            "thermaliq_calculation_data_completeness",
            "Data completeness (0-1) of the latest calculation",
            m.data_completeness.clone(),
        );
        registry.register(
            "thermaliq_calculation_data_quality_score",
            "Data quality score (0-100) of the latest calculation",
            m.data_quality_score.clone(),
        );
        registry.register(
            "thermaliq_database_connections_active",
            "Database connections checked out of the pool",
            m.database_connections_active.clone(),
        );
        registry.register(
            "thermaliq_cache_hits",
            "Cache look-ups answered from the cache",
            m.cache_hits.clone(),
        );
        registry.register(
            "thermaliq_cache_misses",
            "Cache look-ups that went to the store",
            m.cache_misses.clone(),
        );
        registry.register(
            "thermaliq_sankey_generation_duration_seconds",
            "Time to build and render a Sankey diagram",
            m.sankey_duration.clone(),
        );
        registry.register(
            "thermaliq_sankey_generation_errors",
            "Sankey diagrams that could not be generated, by error type",
            m.sankey_errors.clone(),
        );
        // Energy meters (runbook scenario 3).
        registry.register(
            "thermaliq_energy_meter_requests",
            "Requests to the meter vendor's API, by endpoint and status",
            m.energy_meter_requests.clone(),
        );
        registry.register(
            "thermaliq_energy_meter_connection_errors",
            "Failed attempts to reach the meter vendor's API, by error type",
            m.energy_meter_connection_errors.clone(),
        );
        Self { registry, ..m }
    }

    pub fn count_error(&self, error_type: &str) {
        self.calculation_errors
            .get_or_create(&ErrorLabels {
                error_type: error_type.to_owned(),
            })
            .inc();
    }

    /// The exposition text (OpenMetrics, which Prometheus reads natively).
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
