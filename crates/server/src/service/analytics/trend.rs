//! `GET /facilities/{id}/efficiency`: the efficiency of each interval from
//! stored calculations (Σ output / Σ input), its rolling mean, linear
//! trend in points a year with the 95 % interval, and change points.

use analytics::trend::{
    ChangePointSettings, Interval, IntervalEfficiency, TrendAnalysis, TrendSettings,
    aggregate_efficiency, analyze_trend,
};
use time::OffsetDateTime;

use super::data::completed_in;
use crate::service::ServiceError;
use crate::state::AppState;

/// The intervals of the efficiency series.
pub const INTERVALS: [Interval; 4] = [
    Interval::Hour,
    Interval::Day,
    Interval::Week,
    Interval::Month,
];

#[derive(Debug, Clone)]
pub struct EfficiencyReport {
    pub facility_id: String,
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
    pub interval: Interval,
    pub series: Vec<IntervalEfficiency>,
    pub analysis: TrendAnalysis,
    pub settings: TrendSettings,
}

pub fn trend_settings(state: &AppState) -> TrendSettings {
    let a = &state.settings.analytics;
    TrendSettings {
        rolling_window: a.rolling_window,
        change_points: ChangePointSettings {
            min_segment_len: a.change_point_min_segment,
            degradation_threshold_points: a.degradation_threshold_points,
            ..ChangePointSettings::default()
        },
    }
}

pub async fn efficiency_trend(
    state: &AppState,
    facility_id: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
    interval: Interval,
) -> Result<EfficiencyReport, ServiceError> {
    let points: Vec<_> = completed_in(state, facility_id, from, to)
        .await?
        .iter()
        .map(|p| p.trend_point())
        .collect();
    let series = aggregate_efficiency(&points, interval)?;
    let settings = trend_settings(state);
    let values: Vec<_> = series.iter().map(IntervalEfficiency::point).collect();
    let analysis = analyze_trend(&values, &settings)?;
    Ok(EfficiencyReport {
        facility_id: facility_id.to_owned(),
        from,
        to,
        interval,
        series,
        analysis,
        settings,
    })
}
