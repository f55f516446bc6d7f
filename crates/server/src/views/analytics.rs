//! Response bodies of the analytics endpoints (issue 10). The statistics'
//! own structs (`thermaliq-analytics`: reference rows and gaps, fleet
//! statistics, OLS fits with their validity, trend and change points) are
//! part of these shapes as they serialize; docs/API.md lists every field.

use analytics::benchmark::ReferenceGap;
use analytics::benchmark::fleet::{FleetStatistics, MIN_PEERS};
use analytics::regression::{OlsFit, SkippedModel};
use analytics::trend::{ChangePoint, LinearTrend};
use analytics::uncertainty::engine::MethodUncertainty;
use analytics::uncertainty::{PropagationMethod, Uncertainty};
use serde::Serialize;

use super::rfc3339;
use crate::service::analytics::baselines::{BaselineDocument, PerformanceReport};
use crate::service::analytics::benchmark::BenchmarkReport;
use crate::service::analytics::data::EnergySide;
use crate::service::analytics::interval_name;
use crate::service::analytics::trend::EfficiencyReport;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RangeView {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FleetView {
    pub process_type: String,
    /// The window the peers' efficiencies are taken over.
    pub window: RangeView,
    /// Fewer peers than this: every statistic is withheld.
    pub min_peers: usize,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub statistics: FleetStatistics,
}

/// `GET /calculations/{id}/benchmark` and `GET /facilities/{id}/benchmark`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BenchmarkView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calculation_id: Option<String>,
    pub facility_id: String,
    pub period: RangeView,
    pub efficiency_pct: f64,
    pub process_type: String,
    pub fuel: Option<String>,
    pub capacity_kw: Option<f64>,
    /// `query` or `mean_input_power`.
    pub capacity_source: &'static str,
    /// Useful output a year at the period's mean load.
    pub annual_output_kwh: Option<f64>,
    #[schema(value_type = Vec<Object>)]
    pub references: Vec<ReferenceGap>,
    pub fleet: FleetView,
}

impl From<BenchmarkReport> for BenchmarkView {
    fn from(r: BenchmarkReport) -> Self {
        Self {
            calculation_id: r.calculation_id,
            facility_id: r.facility_id,
            period: RangeView {
                from: rfc3339(r.from),
                to: rfc3339(r.to),
            },
            efficiency_pct: r.efficiency_pct,
            fleet: FleetView {
                process_type: r.process_type.clone(),
                window: RangeView {
                    from: rfc3339(r.fleet_from),
                    to: rfc3339(r.fleet_to),
                },
                min_peers: MIN_PEERS,
                statistics: r.fleet,
            },
            process_type: r.process_type,
            fuel: r.fuel,
            capacity_kw: r.capacity_kw,
            capacity_source: r.capacity_source,
            annual_output_kwh: r.annual_output_kwh,
            references: r.references,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EfficiencyPointView {
    pub start: String,
    pub efficiency_pct: f64,
    pub input_kwh: f64,
    pub output_kwh: f64,
    pub calculations: usize,
    /// `null` until the window is full.
    pub rolling_mean: Option<f64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TrendSettingsView {
    pub rolling_window: usize,
    pub min_segment_len: usize,
    pub degradation_threshold_points: f64,
    pub penalty_factor: f64,
}

/// `GET /facilities/{id}/efficiency`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EfficiencyView {
    pub facility_id: String,
    pub period: RangeView,
    pub interval: &'static str,
    pub series: Vec<EfficiencyPointView>,
    /// `null` with fewer than 3 intervals.
    #[schema(value_type = Option<Object>)]
    pub trend: Option<LinearTrend>,
    #[schema(value_type = Vec<Object>)]
    pub change_points: Vec<ChangePoint>,
    pub degradation: bool,
    pub settings: TrendSettingsView,
}

impl From<EfficiencyReport> for EfficiencyView {
    fn from(r: EfficiencyReport) -> Self {
        let series = r
            .series
            .iter()
            .zip(&r.analysis.rolling_mean)
            .map(|(s, m)| EfficiencyPointView {
                start: rfc3339(s.start),
                efficiency_pct: s.efficiency_pct,
                input_kwh: s.input_kwh,
                output_kwh: s.output_kwh,
                calculations: s.calculations,
                rolling_mean: *m,
            })
            .collect();
        let cp = &r.settings.change_points;
        Self {
            facility_id: r.facility_id,
            period: RangeView {
                from: rfc3339(r.from),
                to: rfc3339(r.to),
            },
            interval: interval_name(r.interval),
            series,
            trend: r.analysis.trend,
            degradation: r.analysis.change_points.iter().any(|c| c.degradation),
            change_points: r.analysis.change_points,
            settings: TrendSettingsView {
                rolling_window: r.settings.rolling_window,
                min_segment_len: cp.min_segment_len,
                degradation_threshold_points: cp.degradation_threshold_points,
                penalty_factor: cp.penalty_factor,
            },
        }
    }
}

/// `POST /facilities/{id}/baselines` (201).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BaselineView {
    pub name: String,
    pub facility_id: String,
    pub period: RangeView,
    pub interval: String,
    #[schema(value_type = Object)]
    pub energy: EnergySide,
    pub variables: Vec<String>,
    /// How the model was chosen: `best_valid` or `requested`.
    pub chosen: String,
    #[schema(value_type = Object)]
    pub model: OlsFit,
    #[schema(value_type = Vec<Object>)]
    pub models: Vec<OlsFit>,
    #[schema(value_type = Vec<Object>)]
    pub skipped: Vec<SkippedModel>,
    pub intervals_used: usize,
    pub intervals_left_out: usize,
    pub performance_url: String,
}

impl From<BaselineDocument> for BaselineView {
    fn from(d: BaselineDocument) -> Self {
        Self {
            performance_url: format!(
                "/v1/thermaliq/facilities/{}/baselines/{}/performance",
                d.facility_id, d.name
            ),
            name: d.name,
            facility_id: d.facility_id,
            period: RangeView {
                from: rfc3339(d.from),
                to: rfc3339(d.to),
            },
            interval: d.interval,
            energy: d.energy,
            variables: d.variables,
            chosen: d.chosen,
            model: d.model,
            models: d.models,
            skipped: d.skipped,
            intervals_used: d.intervals_used,
            intervals_left_out: d.intervals_left_out,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PerformanceIntervalView {
    pub start: String,
    pub expected: f64,
    pub actual: f64,
    /// expected − actual.
    pub savings: f64,
    /// actual / expected.
    pub senpi: Option<f64>,
    /// Σ savings so far.
    pub cusum: f64,
}

/// `GET /facilities/{id}/baselines/{name}/performance`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PerformanceView {
    pub facility_id: String,
    pub baseline: String,
    pub model: String,
    #[schema(value_type = Object)]
    pub energy: EnergySide,
    pub interval: String,
    pub baseline_period: RangeView,
    pub period: RangeView,
    pub intervals: Vec<PerformanceIntervalView>,
    pub intervals_left_out: usize,
    pub total_expected: f64,
    pub total_actual: f64,
    pub total_savings: f64,
    pub senpi: Option<f64>,
    pub improvement_pct: Option<f64>,
}

impl From<PerformanceReport> for PerformanceView {
    fn from(r: PerformanceReport) -> Self {
        let p = r.performance;
        Self {
            facility_id: r.baseline.facility_id,
            baseline: r.baseline.name,
            model: r.baseline.model.model,
            energy: r.baseline.energy,
            interval: r.baseline.interval,
            baseline_period: RangeView {
                from: rfc3339(r.baseline.from),
                to: rfc3339(r.baseline.to),
            },
            period: RangeView {
                from: rfc3339(r.from),
                to: rfc3339(r.to),
            },
            intervals: r
                .starts
                .iter()
                .zip(p.intervals)
                .map(|(t, i)| PerformanceIntervalView {
                    start: rfc3339(*t),
                    expected: i.expected,
                    actual: i.actual,
                    savings: i.savings,
                    senpi: i.senpi,
                    cusum: i.cusum,
                })
                .collect(),
            intervals_left_out: r.intervals_left_out,
            total_expected: p.total_expected,
            total_actual: p.total_actual,
            total_savings: p.total_savings,
            senpi: p.senpi,
            improvement_pct: p.improvement_pct,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ContributionView {
    pub input: String,
    pub share_of_variance: f64,
    /// ∂η/∂x, efficiency points per unit of the input.
    pub sensitivity: f64,
    pub standard_uncertainty: f64,
}

/// The `uncertainty` of one efficiency method of a calculation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EfficiencyUncertaintyView {
    /// `input_output` or `heat_loss`.
    pub efficiency_method: String,
    pub efficiency_pct: f64,
    /// `estimated` or `not_given` (no input has a stated uncertainty:
    /// unknown, which is not zero).
    pub status: &'static str,
    /// Expanded uncertainty of the efficiency, percentage points (95 %).
    pub expanded_points: Option<f64>,
    pub standard_uncertainty_points: Option<f64>,
    pub coverage: f64,
    /// `taylor` or `monte_carlo`.
    #[schema(value_type = Object)]
    pub method: PropagationMethod,
    pub coverage_factor: Option<f64>,
    /// Taylor: largest share first.
    pub contributions: Vec<ContributionView>,
    /// Monte Carlo: trials and the 95 % interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub samples: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_95: Option<(f64, f64)>,
    pub inputs_without_uncertainty: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
}

impl EfficiencyUncertaintyView {
    pub fn new(m: &MethodUncertainty, method: PropagationMethod) -> Self {
        match &m.uncertainty {
            Uncertainty::Estimated(e) => Self {
                efficiency_method: m.efficiency_method.clone(),
                efficiency_pct: m.efficiency_pct,
                status: "estimated",
                expanded_points: Some(e.expanded),
                standard_uncertainty_points: Some(e.standard_uncertainty),
                coverage: e.coverage,
                method: e.method,
                coverage_factor: Some(e.coverage_factor),
                contributions: e
                    .contributions
                    .iter()
                    .map(|c| ContributionView {
                        input: c.input.clone(),
                        share_of_variance: c.share_of_variance,
                        sensitivity: c.sensitivity,
                        standard_uncertainty: c.standard_uncertainty,
                    })
                    .collect(),
                samples: e.samples,
                interval_95: e.interval_95,
                inputs_without_uncertainty: e.inputs_without_uncertainty.clone(),
                note: None,
            },
            Uncertainty::NotGiven { inputs } => Self {
                efficiency_method: m.efficiency_method.clone(),
                efficiency_pct: m.efficiency_pct,
                status: "not_given",
                expanded_points: None,
                standard_uncertainty_points: None,
                coverage: 0.95,
                method,
                coverage_factor: None,
                contributions: Vec::new(),
                samples: None,
                interval_95: None,
                inputs_without_uncertainty: inputs.clone(),
                note: Some(
                    "no input of this calculation has a stated uncertainty (uncertainty_pct): \
                     the uncertainty is unknown, not zero",
                ),
            },
        }
    }
}
