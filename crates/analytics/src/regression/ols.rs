//! One ordinary least squares fit with an intercept.

use serde::{Deserialize, Serialize};

use crate::error::AnalyticsError;
use crate::linalg::{cholesky, cholesky_inverse, cholesky_solve};
use crate::regression::moments::Moments;
use crate::regression::validity::{Validity, ValidityRules};
use crate::regression::{MIN_POINTS_RULE, Variable};
use crate::special::{f_sf, t_two_sided_p};

/// A pivot of the Cholesky factor smaller than this share of its diagonal
/// entry means a variable is (numerically) a combination of the others:
/// 1 − R² of that variable on the others below 1e-10.
const COLLINEARITY_TOLERANCE: f64 = 1e-10;

/// One estimated parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coefficient {
    /// The variable's name, or `intercept`.
    pub name: String,
    pub estimate: f64,
    pub std_error: f64,
    /// `null` when the standard error is zero (a perfect fit).
    pub t_value: Option<f64>,
    /// Two-sided p value of t with n − p degrees of freedom.
    pub p_value: Option<f64>,
}

/// Everything one OLS model reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OlsFit {
    /// The variables of the model, joined with `+` (`intercept` alone has none).
    pub model: String,
    pub intercept: Coefficient,
    /// One per variable, in the order of the candidates.
    pub coefficients: Vec<Coefficient>,
    pub n: usize,
    /// n − p.
    pub residual_dof: usize,
    pub r_squared: f64,
    pub adj_r_squared: f64,
    /// `null` when the model has no variable or fits perfectly.
    pub f_statistic: Option<f64>,
    pub f_p_value: Option<f64>,
    /// √(SSE/(n − p)), in the unit of the energy.
    pub rmse: f64,
    /// `null` when the mean energy is zero.
    pub cv_rmse_pct: Option<f64>,
    pub nmbe_pct: Option<f64>,
    pub mean_energy: f64,
    pub sse: f64,
    pub validity: Validity,
}

impl OlsFit {
    /// The expected energy of one interval: b₀ + Σ bⱼ xⱼ, with `values` in the
    /// order of [`OlsFit::coefficients`].
    pub fn predict(&self, values: &[f64]) -> f64 {
        self.intercept.estimate
            + self
                .coefficients
                .iter()
                .zip(values)
                .map(|(c, x)| c.estimate * x)
                .sum::<f64>()
    }

    /// The names of the model's variables, in order.
    pub fn variable_names(&self) -> Vec<&str> {
        self.coefficients.iter().map(|c| c.name.as_str()).collect()
    }
}

/// Fits `energy = b₀ + Σ bⱼ variableⱼ` by ordinary least squares and judges
/// it by `rules`. Refuses fewer points than variables + 2
/// ([`MIN_POINTS_RULE`]), a constant energy series, collinear variables,
/// unequal lengths and non-finite values.
pub fn fit_ols(
    energy: &[f64],
    variables: &[Variable],
    rules: &ValidityRules,
) -> Result<OlsFit, AnalyticsError> {
    let moments = Moments::new(energy, variables)?;
    let all: Vec<usize> = (0..variables.len()).collect();
    fit_subset(&moments, variables, &all, rules)
}

/// The points rule, checked before any arithmetic.
pub(crate) fn check_points(n: usize, k: usize) -> Result<(), AnalyticsError> {
    if n < k + 2 {
        return Err(AnalyticsError::TooFewPoints {
            field: "energy".to_owned(),
            got: n,
            needed: k + 2,
            rule: MIN_POINTS_RULE,
        });
    }
    Ok(())
}

/// SST, refused when zero: a constant energy series has nothing to explain.
pub(crate) fn check_response(m: &Moments<'_>) -> Result<f64, AnalyticsError> {
    let sst = m.at(m.k, m.k);
    if sst > 0.0 {
        Ok(sst)
    } else {
        Err(AnalyticsError::Shape {
            field: "energy".to_owned(),
            problem: "the energy is the same in every interval: nothing to explain".to_owned(),
        })
    }
}

pub(crate) fn fit_subset(
    m: &Moments<'_>,
    variables: &[Variable],
    subset: &[usize],
    rules: &ValidityRules,
) -> Result<OlsFit, AnalyticsError> {
    let n = m.n;
    let k = subset.len();
    check_points(n, k)?;
    let model = model_name(variables, subset);
    let yi = m.k;
    let sst = check_response(m)?;
    let mut a = vec![0.0; k * k];
    let mut beta = vec![0.0; k];
    for (r, &i) in subset.iter().enumerate() {
        for (c, &j) in subset.iter().enumerate() {
            a[r * k + c] = m.at(i, j);
        }
        beta[r] = m.at(i, yi);
    }
    let inv = if k > 0 {
        let l =
            cholesky(&a, k, COLLINEARITY_TOLERANCE).ok_or_else(|| AnalyticsError::Singular {
                model: model.clone(),
            })?;
        cholesky_solve(&l, k, &mut beta);
        cholesky_inverse(&l, k)
    } else {
        Vec::new()
    };
    let y_mean = m.means[yi];
    let b0 = y_mean
        - subset
            .iter()
            .zip(&beta)
            .map(|(&j, b)| b * m.means[j])
            .sum::<f64>();

    // Residuals from the data, not from SST − βᵀXᵀy: exact even when R² ≈ 1.
    let (mut sse, mut sum_e) = (0.0, 0.0);
    for i in 0..n {
        let mut fitted = b0;
        for (&j, b) in subset.iter().zip(&beta) {
            fitted += b * m.columns[j][i];
        }
        let e = m.y[i] - fitted;
        sse += e * e;
        sum_e += e;
    }
    let dof = n - k - 1;
    let dof_f = dof as f64;
    let s2 = sse / dof_f;
    let coef = |name: &str, estimate: f64, var: f64| {
        let std_error = var.max(0.0).sqrt();
        let t_value = (std_error > 0.0).then(|| estimate / std_error);
        Coefficient {
            name: name.to_owned(),
            estimate,
            std_error,
            t_value,
            p_value: t_value.map(|t| t_two_sided_p(t, dof_f)),
        }
    };
    let coefficients: Vec<Coefficient> = subset
        .iter()
        .enumerate()
        .map(|(r, &j)| coef(&variables[j].name, beta[r], s2 * inv[r * k + r]))
        .collect();
    // Var(b₀) = s² (1/n + x̄ᵀ (XcᵀXc)⁻¹ x̄) for centred X (Draper & Smith,
    // *Applied Regression Analysis*, 3rd ed., §5.2).
    let mut quad = 0.0;
    for (r, &i) in subset.iter().enumerate() {
        for (c, &j) in subset.iter().enumerate() {
            quad += m.means[i] * inv[r * k + c] * m.means[j];
        }
    }
    let intercept = coef("intercept", b0, s2 * (1.0 / n as f64 + quad));

    let r_squared = 1.0 - sse / sst;
    let adj_r_squared = 1.0 - (1.0 - r_squared) * (n as f64 - 1.0) / dof_f;
    let f_statistic = (k > 0 && sse > 0.0).then(|| ((sst - sse) / k as f64) / s2);
    let f_p_value = f_statistic.map(|f| f_sf(f, k as f64, dof_f));
    let rmse = s2.sqrt();
    let pct = |v: f64| (y_mean != 0.0).then(|| 100.0 * v / y_mean);
    let mut fit = OlsFit {
        model,
        intercept,
        coefficients,
        n,
        residual_dof: dof,
        r_squared,
        adj_r_squared,
        f_statistic,
        f_p_value,
        rmse,
        cv_rmse_pct: pct(rmse),
        nmbe_pct: pct(sum_e / dof_f),
        mean_energy: y_mean,
        sse,
        validity: Validity::default(),
    };
    fit.validity = Validity::judge(&fit, rules);
    Ok(fit)
}

fn model_name(variables: &[Variable], subset: &[usize]) -> String {
    if subset.is_empty() {
        return "intercept".to_owned();
    }
    subset
        .iter()
        .map(|&j| variables[j].name.as_str())
        .collect::<Vec<_>>()
        .join("+")
}
