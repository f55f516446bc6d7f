//! Prometheus metrics with the runbook's names. Each app has its own registry
//! (no global state), so tests can read their own counts.
//!
//! The label sets are the metric contract of docs/OPERATIONS.md: the runbook
//! divides `thermaliq_calculation_errors_total` by
//! `thermaliq_calculation_requests_total` as written, which PromQL only
//! answers when both have identical labels, so the per-type detail lives in a
//! series of its own (`..._errors_by_type_total{error_type}`). Counters with a
//! known set of label values are created at 0 (a series that appears only at
//! the first error makes `rate()` miss that error); gauges that describe a
//! facility are absent until that facility is measured (a 0 on a fresh
//! replica would be a false "data lost" alert).

use std::sync::Mutex;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Latency buckets in seconds: sub-millisecond engine calls up to the 30 s
/// timeout. 10 s and 15 s are the runbook's two p95 targets (Phase 5 and
/// Scenario 2), so `histogram_quantile` interpolates inside a bucket whose
/// edge is the threshold instead of across 10–30 s.
const DURATION_BUCKETS: [f64; 15] = [
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 10.0, 15.0, 30.0,
];

/// Every `error_type` a calculation request can fail with
/// (`ServiceError::error_type`); created at 0.
pub const CALCULATION_ERROR_TYPES: [&str; 6] = [
    "ValidationError",
    "CalculationError",
    "DatabaseError",
    "TimeoutError",
    "InternalError",
    "NotFound",
];

/// Every `error_type` of `thermaliq_sankey_generation_errors_total`: the
/// renderer's codes (`sankey::SankeyError::code`), plus `timeout`,
/// `internal` and `invalid_flows` (a stored calculation without a graph).
pub const SANKEY_ERROR_TYPES: [&str; 15] = [
    "invalid_document",
    "unknown_unit",
    "invalid_node",
    "unknown_node",
    "invalid_value",
    "unbalanced_node",
    "circular_flow",
    "empty_graph",
    "invalid_option",
    "unknown_format",
    "too_large",
    "cancelled",
    "timeout",
    "internal",
    "invalid_flows",
];

/// The most facilities the per-facility gauges keep (a bound on the scrape's
/// size: inline requests may name any facility). Facilities past it are not
/// shown, and the first one past it is logged once.
pub const MAX_FACILITY_SERIES: usize = 10_000;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    pub error_type: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FacilityLabels {
    pub facility_id: String,
}

type FloatGauge = Gauge<f64, AtomicU64>;
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
    /// Same (empty) label set as `calculation_requests`, for the ratio.
    pub calculation_errors: Counter,
    pub calculation_errors_by_type: Family<ErrorLabels, Counter>,
    pub calculation_duration: Histogram,
    pub calculation_timeouts: Counter,
    pub active_calculations: Gauge,
    pub queue_depth: Gauge,
    pub data_completeness: Family<FacilityLabels, FloatGauge>,
    pub data_quality_score: Family<FacilityLabels, FloatGauge>,
    pub database_connections_active: Gauge,
    pub database_pool_size: Gauge,
    pub cache_hits: Counter,
    pub cache_misses: Counter,
    pub sankey_duration: Histogram,
    pub sankey_errors: Family<ErrorLabels, Counter>,
    /// Facilities the per-facility gauges hold (bounded by MAX_FACILITY_SERIES).
    facilities: Mutex<std::collections::HashSet<String>>,
    // Energy meters (runbook scenario 3).
    pub energy_meter_requests: Family<MeterRequestLabels, Counter>,
    pub energy_meter_connection_errors: Family<MeterErrorLabels, Counter>,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let m = Self {
            calculation_requests: Counter::default(),
            calculation_errors: Counter::default(),
            calculation_errors_by_type: Family::default(),
            calculation_duration: Histogram::new(DURATION_BUCKETS),
            calculation_timeouts: Counter::default(),
            active_calculations: Gauge::default(),
            queue_depth: Gauge::default(),
            data_completeness: Family::default(),
            data_quality_score: Family::default(),
            database_connections_active: Gauge::default(),
            database_pool_size: Gauge::default(),
            cache_hits: Counter::default(),
            cache_misses: Counter::default(),
            sankey_duration: Histogram::new(DURATION_BUCKETS),
            sankey_errors: Family::default(),
            energy_meter_requests: Family::default(),
            energy_meter_connection_errors: Family::default(),
            registry: Registry::default(),
            facilities: Mutex::new(std::collections::HashSet::new()),
        };
        for error_type in CALCULATION_ERROR_TYPES {
            drop(m.calculation_errors_by_type.get_or_create(&ErrorLabels {
                error_type: error_type.to_owned(),
            }));
        }
        for error_type in SANKEY_ERROR_TYPES {
            drop(m.sankey_errors.get_or_create(&ErrorLabels {
                error_type: error_type.to_owned(),
            }));
        }
        // prometheus-client appends `_total` to counters itself.
        let counters: [(&str, &str, &Counter); 5] = [
            (
                "thermaliq_calculation_requests",
                "Calculation requests received (calculate, batch items, recalculate)",
                &m.calculation_requests,
            ),
            (
                "thermaliq_calculation_errors",
                "Calculation requests that failed (any error type; same labels as requests)",
                &m.calculation_errors,
            ),
            (
                "thermaliq_calculation_timeouts",
                "Calculations stopped by CALCULATION_TIMEOUT",
                &m.calculation_timeouts,
            ),
            (
                "thermaliq_cache_hits",
                "Cache look-ups answered from the cache",
                &m.cache_hits,
            ),
            (
                "thermaliq_cache_misses",
                "Cache look-ups that went to the store",
                &m.cache_misses,
            ),
        ];
        for (name, help, counter) in counters {
            registry.register(name, help, counter.clone());
        }
        registry.register(
            "thermaliq_calculation_errors_by_type",
            "Calculation requests that failed, by error type",
            m.calculation_errors_by_type.clone(),
        );
        registry.register(
            "thermaliq_calculation_duration_seconds",
            "Time to validate, compute and durably store a calculation",
            m.calculation_duration.clone(),
        );
        let gauges: [(&str, &str, &Gauge); 4] = [
            (
                "thermaliq_active_calculations",
                "Calculations running now",
                &m.active_calculations,
            ),
            (
                "thermaliq_calculation_queue_depth",
                "Durable jobs queued or running plus requests waiting for a slot",
                &m.queue_depth,
            ),
            (
                "thermaliq_database_connections_active",
                "Database connections checked out of the pool",
                &m.database_connections_active,
            ),
            (
                "thermaliq_database_pool_size",
                "The most database connections the pool may hold",
                &m.database_pool_size,
            ),
        ];
        for (name, help, gauge) in gauges {
            registry.register(name, help, gauge.clone());
        }
        registry.register(
            "thermaliq_calculation_data_completeness",
            "Data completeness (0-1) of the facility's latest calculation",
            m.data_completeness.clone(),
        );
        registry.register(
            "thermaliq_calculation_data_quality_score",
            "Data quality score (0-100) of the facility's latest calculation",
            m.data_quality_score.clone(),
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

    /// One failed calculation request: the total (for the runbook's ratio)
    /// and its type.
    pub fn count_error(&self, error_type: &str) {
        self.calculation_errors.inc();
        self.calculation_errors_by_type
            .get_or_create(&ErrorLabels {
                error_type: error_type.to_owned(),
            })
            .inc();
    }

    /// One Sankey generation failure of `error_type`.
    pub fn count_sankey_error(&self, error_type: &str) {
        self.sankey_errors
            .get_or_create(&ErrorLabels {
                error_type: error_type.to_owned(),
            })
            .inc();
    }

    /// The data completeness (0–1) and quality score (0–100) of a facility's
    /// latest calculation; the facility's series appear with its first one.
    pub fn record_data_quality(&self, facility_id: &str, completeness: f64, score: f64) {
        {
            let Ok(mut known) = self.facilities.lock() else {
                return;
            };
            if !known.contains(facility_id) {
                if known.len() >= MAX_FACILITY_SERIES {
                    if known.len() == MAX_FACILITY_SERIES {
                        tracing::warn!(
                            limit = MAX_FACILITY_SERIES as u64,
                            facility_id,
                            "Data quality gauges full: further facilities are not shown"
                        );
                        // Marks that the warning was given (one extra entry, never read).
                        known.insert(String::new());
                    }
                    return;
                }
                known.insert(facility_id.to_owned());
            }
        }
        let labels = FacilityLabels {
            facility_id: facility_id.to_owned(),
        };
        self.data_completeness
            .get_or_create(&labels)
            .set(completeness);
        self.data_quality_score.get_or_create(&labels).set(score);
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
