//! Efficiency over time: interval series, rolling mean, linear trend with
//! its 95 % interval, and change points on the mean that flag degradation.

mod changepoint;
mod series;

pub use changepoint::{ChangePoint, ChangePointSettings, detect_change_points};
pub use series::{CalculationPoint, Interval, IntervalEfficiency, aggregate_efficiency};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{AnalyticsError, finite};
use crate::special::t_quantile;

/// Seconds in a Julian year (365.25 days), the unit of "points per year".
const SECONDS_PER_YEAR: f64 = 365.25 * 86_400.0;

/// One value of an efficiency series (percent) at the start of its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    pub value: f64,
}

/// The least-squares line through the series, in points per year.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LinearTrend {
    pub slope_points_per_year: f64,
    pub std_error: f64,
    /// slope ± t(0.975, n − 2) · SE.
    pub ci95_low: f64,
    pub ci95_high: f64,
    pub n: usize,
}

/// Settings of [`analyze_trend`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrendSettings {
    /// Trailing window of the rolling mean, in points.
    pub rolling_window: usize,
    pub change_points: ChangePointSettings,
}

impl Default for TrendSettings {
    fn default() -> Self {
        Self {
            rolling_window: 7,
            change_points: ChangePointSettings::default(),
        }
    }
}

/// Everything the efficiency endpoint reports about a series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendAnalysis {
    /// The mean of the last `rolling_window` points, `null` until the window is full.
    pub rolling_mean: Vec<Option<f64>>,
    /// `null` with fewer than 3 points or all at one time.
    pub trend: Option<LinearTrend>,
    pub change_points: Vec<ChangePoint>,
}

/// Rolling mean, linear trend and change points of `points` (in time order).
pub fn analyze_trend(
    points: &[SeriesPoint],
    settings: &TrendSettings,
) -> Result<TrendAnalysis, AnalyticsError> {
    for (i, p) in points.iter().enumerate() {
        finite(format!("points[{i}].value"), p.value)?;
        if i > 0 && p.time <= points[i - 1].time {
            return Err(AnalyticsError::Shape {
                field: format!("points[{i}].time"),
                problem: "times must increase strictly".to_owned(),
            });
        }
    }
    if settings.rolling_window == 0 {
        return Err(AnalyticsError::invalid(
            "rolling_window",
            0.0,
            "must be at least 1",
        ));
    }
    let values: Vec<f64> = points.iter().map(|p| p.value).collect();
    let change_points = detect_change_points(&values, &settings.change_points)?
        .into_iter()
        .map(|mut c| {
            c.time = Some(points[c.index].time);
            c
        })
        .collect();
    Ok(TrendAnalysis {
        rolling_mean: rolling_mean(&values, settings.rolling_window),
        trend: linear_trend(points),
        change_points,
    })
}

/// The trailing mean of `window` values, `None` for the first `window − 1`.
pub fn rolling_mean(values: &[f64], window: usize) -> Vec<Option<f64>> {
    let mut out = Vec::with_capacity(values.len());
    let mut sum = 0.0;
    for (i, v) in values.iter().enumerate() {
        sum += v;
        if i >= window {
            sum -= values[i - window];
        }
        out.push((i + 1 >= window).then(|| sum / window as f64));
    }
    out
}

/// Simple linear regression of value on time in years (Montgomery, Peck &
/// Vining, *Introduction to Linear Regression Analysis*, 5th ed., §2.2–2.4):
/// b = Sxy/Sxx, SE(b) = √(SSE/(n−2)/Sxx), 95 % interval b ± t₀.₉₇₅,ₙ₋₂ SE(b).
pub fn linear_trend(points: &[SeriesPoint]) -> Option<LinearTrend> {
    let n = points.len();
    if n < 3 {
        return None;
    }
    let t0 = points[0].time;
    let xs: Vec<f64> = points
        .iter()
        .map(|p| (p.time - t0).as_seconds_f64() / SECONDS_PER_YEAR)
        .collect();
    let nf = n as f64;
    let xm = xs.iter().sum::<f64>() / nf;
    let ym = points.iter().map(|p| p.value).sum::<f64>() / nf;
    let (mut sxx, mut sxy) = (0.0, 0.0);
    for (x, p) in xs.iter().zip(points) {
        sxx += (x - xm) * (x - xm);
        sxy += (x - xm) * (p.value - ym);
    }
    if sxx <= 0.0 || sxx.is_nan() {
        return None;
    }
    let slope = sxy / sxx;
    let sse: f64 = xs
        .iter()
        .zip(points)
        .map(|(x, p)| (p.value - ym - slope * (x - xm)).powi(2))
        .sum();
    let std_error = (sse / (nf - 2.0) / sxx).sqrt();
    let half = t_quantile(0.975, nf - 2.0) * std_error;
    Some(LinearTrend {
        slope_points_per_year: slope,
        std_error,
        ci95_low: slope - half,
        ci95_high: slope + half,
        n,
    })
}
