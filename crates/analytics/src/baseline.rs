//! Energy performance against a baseline (ISO 50006:2014, ISO 50015:2014;
//! DOE SEP Measurement and Verification Protocol for Industry, 2012,
//! §3.1.2): for each interval of the reporting period the baseline
//! model gives the energy expected under that interval's conditions, and
//!
//! - savings = expected − actual (positive: less energy used than expected),
//! - SEnPI = Σ actual / Σ expected (the SEP protocol's "Superior Energy
//!   Performance Indicator"; < 1 is an improvement; improvement = 1 − SEnPI),
//! - CUSUM = the running sum of (expected − actual), the cumulative savings;
//!   a rising line is a lasting improvement, a change of slope a change of
//!   performance (the "cumulative sum of deviations" of monitoring and
//!   targeting, explained for instance in V. Vesma's "The Cusum method",
//!   vesma.com Monitoring and Targeting pages).

use serde::{Deserialize, Serialize};

use crate::error::{AnalyticsError, finite};
use crate::regression::{OlsFit, Variable};

/// E = intercept + Σ coefficientⱼ · variableⱼ: a fitted baseline or any
/// published expected-consumption formula.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineEquation {
    pub intercept: f64,
    /// (variable name, coefficient per unit of that variable).
    pub terms: Vec<(String, f64)>,
}

impl From<&OlsFit> for BaselineEquation {
    fn from(fit: &OlsFit) -> Self {
        Self {
            intercept: fit.intercept.estimate,
            terms: fit
                .coefficients
                .iter()
                .map(|c| (c.name.clone(), c.estimate))
                .collect(),
        }
    }
}

/// One interval of the reporting period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalPerformance {
    pub expected: f64,
    pub actual: f64,
    /// expected − actual.
    pub savings: f64,
    /// actual / expected; `null` when expected ≤ 0.
    pub senpi: Option<f64>,
    /// Σ savings up to and including this interval.
    pub cusum: f64,
}

/// The whole reporting period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Performance {
    pub intervals: Vec<IntervalPerformance>,
    pub total_expected: f64,
    pub total_actual: f64,
    pub total_savings: f64,
    /// Σ actual / Σ expected; `null` when Σ expected ≤ 0.
    pub senpi: Option<f64>,
    /// 100 · (1 − SEnPI): the energy performance improvement in percent.
    pub improvement_pct: Option<f64>,
}

/// Expected vs actual energy per interval. `variables` must contain every
/// variable of the equation (by name; others are ignored), each with one
/// value per entry of `actual`.
pub fn performance(
    equation: &BaselineEquation,
    variables: &[Variable],
    actual: &[f64],
) -> Result<Performance, AnalyticsError> {
    let columns = equation
        .terms
        .iter()
        .map(|(name, coef)| {
            let v = variables.iter().find(|v| &v.name == name).ok_or_else(|| {
                AnalyticsError::NotFound {
                    field: "variables".to_owned(),
                    name: name.clone(),
                }
            })?;
            if v.values.len() != actual.len() {
                return Err(AnalyticsError::Shape {
                    field: format!("variables ({name})"),
                    problem: format!(
                        "{} values for {} intervals of actual energy",
                        v.values.len(),
                        actual.len()
                    ),
                });
            }
            Ok((*coef, v.values.as_slice()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut cusum = 0.0;
    let mut intervals = Vec::with_capacity(actual.len());
    for (i, &a) in actual.iter().enumerate() {
        finite(format!("actual[{i}]"), a)?;
        let mut expected = equation.intercept;
        for (coef, values) in &columns {
            expected += coef * finite(format!("variables[{i}]"), values[i])?;
        }
        let savings = expected - a;
        cusum += savings;
        intervals.push(IntervalPerformance {
            expected,
            actual: a,
            savings,
            senpi: (expected > 0.0).then(|| a / expected),
            cusum,
        });
    }
    let total_expected: f64 = intervals.iter().map(|i| i.expected).sum();
    let total_actual: f64 = actual.iter().sum();
    let senpi = (total_expected > 0.0).then(|| total_actual / total_expected);
    Ok(Performance {
        intervals,
        total_expected,
        total_actual,
        total_savings: total_expected - total_actual,
        senpi,
        improvement_pct: senpi.map(|s| 100.0 * (1.0 - s)),
    })
}
