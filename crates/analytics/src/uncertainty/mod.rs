//! Measurement uncertainty of a result computed from uncertain inputs
//! (JCGM 100:2008 "GUM" §5; ASME PTC 19.1-2013 "Test Uncertainty").
//!
//! - [`propagate_taylor`]: the law of propagation of uncertainty (GUM
//!   Eq. 13), u_c²(y) = Σᵢ Σⱼ cᵢ cⱼ u(xᵢ) u(xⱼ) r(xᵢ, xⱼ), with sensitivity
//!   coefficients cᵢ = ∂f/∂xᵢ computed numerically from the model function
//!   itself by central differences, so it works for any method of the engine.
//! - [`propagate_monte_carlo`]: the Monte Carlo method of GUM Supplement 1
//!   (JCGM 101:2008), seeded, as a cross-check where f is not linear.
//! - [`engine`]: both applied to the efficiency of a `NormalizedInput`.
//!
//! An input whose uncertainty was not given is held fixed and listed; a
//! result none of whose inputs has an uncertainty is [`Uncertainty::NotGiven`],
//! never a zero.

pub mod engine;
mod monte_carlo;
mod taylor;

pub use monte_carlo::{
    MAX_SAMPLES as MAX_MC_SAMPLES, MIN_SAMPLES as MIN_MC_SAMPLES, propagate_monte_carlo,
};
pub use taylor::propagate_taylor;

use serde::{Deserialize, Serialize};

use crate::error::AnalyticsError;

/// The coverage factor for 95 % coverage of a normal distribution (the
/// 0.975 quantile). ASME PTC 19.1-2013 rounds it to 2 for large degrees of
/// freedom, GUM §6.3.3 uses k = 2 for "approximately 95 %"; 1.96 keeps
/// "coverage 0.95" exact and matches the Monte Carlo interval.
pub const COVERAGE_FACTOR_95: f64 = 1.959_963_984_540_054;

/// How an input's uncertainty was stated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UncertaintySpec {
    /// Relative expanded uncertainty at 95 % coverage, percent of the value
    /// (the API's `uncertainty_pct`): u = |x| · pct / 100 / 1.96.
    RelativePct95 { uncertainty_pct: f64 },
    /// An accuracy class: a maximum permissible error of ± class % of the
    /// value, taken as a rectangular distribution (GUM §4.3.7):
    /// u = |x| · class / 100 / √3.
    MeterClass { class_pct: f64 },
    /// A standard uncertainty in the unit of the value.
    Standard { standard_uncertainty: f64 },
}

impl UncertaintySpec {
    /// The standard uncertainty of `value`, refused when negative or not finite.
    pub fn standard(&self, field: &str, value: f64) -> Result<f64, AnalyticsError> {
        let (raw, u) = match *self {
            Self::RelativePct95 { uncertainty_pct: p } => {
                (p, value.abs() * p / 100.0 / COVERAGE_FACTOR_95)
            }
            Self::MeterClass { class_pct: c } => (c, value.abs() * c / 100.0 / 3f64.sqrt()),
            Self::Standard {
                standard_uncertainty: s,
            } => (s, s),
        };
        if raw.is_finite() && raw >= 0.0 {
            Ok(u)
        } else {
            Err(AnalyticsError::invalid(
                field.to_owned(),
                raw,
                "an uncertainty must be a finite number ≥ 0",
            ))
        }
    }
}

/// One input of a model function: its value and, if known, its standard
/// uncertainty (`None`: not given, held fixed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UncertainInput {
    pub name: String,
    pub value: f64,
    pub standard_uncertainty: Option<f64>,
}

impl UncertainInput {
    pub fn new(name: impl Into<String>, value: f64, standard_uncertainty: Option<f64>) -> Self {
        Self {
            name: name.into(),
            value,
            standard_uncertainty,
        }
    }
}

/// What one input adds to the variance of the result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    pub input: String,
    /// ∂f/∂x at the inputs' values.
    pub sensitivity: f64,
    pub standard_uncertainty: f64,
    /// (cᵢ uᵢ)² / u_c². With correlated inputs the shares do not add to 1;
    /// the rest is `correlation_share_of_variance` of the result.
    pub share_of_variance: f64,
}

/// The `method` of a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PropagationMethod {
    Taylor,
    MonteCarlo,
}

/// An estimated uncertainty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// f at the inputs' values.
    pub value: f64,
    pub standard_uncertainty: f64,
    /// k · u_c (Taylor) or the half-width of the probabilistically symmetric
    /// 95 % interval (Monte Carlo), in the unit of the value.
    pub expanded: f64,
    pub coverage: f64,
    pub coverage_factor: f64,
    pub method: PropagationMethod,
    /// Taylor only (empty for Monte Carlo), largest share first.
    pub contributions: Vec<Contribution>,
    pub correlation_share_of_variance: f64,
    /// Monte Carlo only: the number of trials and the 95 % interval.
    pub samples: Option<usize>,
    pub interval_95: Option<(f64, f64)>,
    /// Inputs whose uncertainty was not given (held fixed).
    pub inputs_without_uncertainty: Vec<String>,
}

/// The uncertainty of a result, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Uncertainty {
    Estimated(Estimate),
    /// No input has an uncertainty: unknown, which is not zero.
    NotGiven {
        inputs: Vec<String>,
    },
}

impl Uncertainty {
    pub fn estimate(&self) -> Option<&Estimate> {
        match self {
            Uncertainty::Estimated(e) => Some(e),
            Uncertainty::NotGiven { .. } => None,
        }
    }
}

/// Checks the inputs and a correlation matrix (n×n, row-major, symmetric,
/// unit diagonal, entries in [−1, 1]).
pub(crate) fn check_inputs(
    inputs: &[UncertainInput],
    correlation: Option<&[f64]>,
) -> Result<(), AnalyticsError> {
    for (i, x) in inputs.iter().enumerate() {
        crate::error::finite(format!("inputs[{i}] ({}).value", x.name), x.value)?;
        if let Some(u) = x.standard_uncertainty
            && (!u.is_finite() || u < 0.0)
        {
            return Err(AnalyticsError::invalid(
                format!("inputs[{i}] ({}).standard_uncertainty", x.name),
                u,
                "must be a finite number ≥ 0",
            ));
        }
    }
    if let Some(r) = correlation {
        let n = inputs.len();
        if r.len() != n * n {
            return Err(AnalyticsError::Shape {
                field: "correlation".to_owned(),
                problem: format!("{} entries for {n} inputs (needs {})", r.len(), n * n),
            });
        }
        for i in 0..n {
            for j in 0..n {
                let v = r[i * n + j];
                let ok = if i == j {
                    v == 1.0
                } else {
                    (-1.0..=1.0).contains(&v) && v == r[j * n + i]
                };
                if !ok {
                    return Err(AnalyticsError::invalid(
                        format!("correlation[{i}][{j}]"),
                        v,
                        "must be symmetric with a unit diagonal and entries in [−1, 1]",
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Calls `f`, turning `None` or a non-finite value into an error.
pub(crate) fn call(
    f: &mut impl FnMut(&[f64]) -> Option<f64>,
    x: &[f64],
    what: &str,
) -> Result<f64, AnalyticsError> {
    match f(x) {
        Some(y) if y.is_finite() => Ok(y),
        _ => Err(AnalyticsError::Model {
            field: what.to_owned(),
            reason: "no finite result at these input values".to_owned(),
        }),
    }
}
