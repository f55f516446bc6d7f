//! The law of propagation of uncertainty with numerical sensitivities.

use crate::error::AnalyticsError;
use crate::uncertainty::{
    COVERAGE_FACTOR_95, Contribution, Estimate, PropagationMethod, UncertainInput, Uncertainty,
    call, check_inputs,
};

/// The central-difference step as a share of the input's standard
/// uncertainty: small enough that the truncation error (∝ h² f''') is far
/// below the uncertainty, large enough that rounding in f (∝ ε f / h) is too.
const STEP_SHARE_OF_UNCERTAINTY: f64 = 1e-2;

/// u_c(y) of y = f(x) by GUM Eq. 13 (Eq. 10 without correlations), with
/// cᵢ = (f(x + hᵢeᵢ) − f(x − hᵢeᵢ)) / 2hᵢ, hᵢ = 0.01 u(xᵢ): 1 + 2k calls of
/// `f` for k inputs with an uncertainty. `correlation`: optional n×n matrix
/// r(xᵢ, xⱼ), row-major. `f` returns `None` where it has no result.
pub fn propagate_taylor(
    mut f: impl FnMut(&[f64]) -> Option<f64>,
    inputs: &[UncertainInput],
    correlation: Option<&[f64]>,
) -> Result<Uncertainty, AnalyticsError> {
    check_inputs(inputs, correlation)?;
    let without: Vec<String> = inputs
        .iter()
        .filter(|x| x.standard_uncertainty.is_none())
        .map(|x| x.name.clone())
        .collect();
    if without.len() == inputs.len() {
        return Ok(Uncertainty::NotGiven { inputs: without });
    }
    let n = inputs.len();
    let mut x: Vec<f64> = inputs.iter().map(|i| i.value).collect();
    let y = call(&mut f, &x, "inputs")?;
    let mut c = vec![0.0; n];
    let u: Vec<f64> = inputs
        .iter()
        .map(|i| i.standard_uncertainty.unwrap_or(0.0))
        .collect();
    for i in 0..n {
        if u[i] == 0.0 {
            continue;
        }
        let h = STEP_SHARE_OF_UNCERTAINTY * u[i];
        let x0 = x[i];
        x[i] = x0 + h;
        let up = call(&mut f, &x, &inputs[i].name)?;
        x[i] = x0 - h;
        let down = call(&mut f, &x, &inputs[i].name)?;
        x[i] = x0;
        c[i] = (up - down) / (2.0 * h);
    }
    let cu: Vec<f64> = c.iter().zip(&u).map(|(c, u)| c * u).collect();
    let diagonal: f64 = cu.iter().map(|v| v * v).sum();
    let mut variance = diagonal;
    if let Some(r) = correlation {
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    variance += cu[i] * cu[j] * r[i * n + j];
                }
            }
        }
    }
    let variance = variance.max(0.0);
    let share = |v: f64| if variance > 0.0 { v / variance } else { 0.0 };
    let mut contributions: Vec<Contribution> = inputs
        .iter()
        .enumerate()
        .filter(|(_, inp)| inp.standard_uncertainty.is_some())
        .map(|(i, inp)| Contribution {
            input: inp.name.clone(),
            sensitivity: c[i],
            standard_uncertainty: u[i],
            share_of_variance: share(cu[i] * cu[i]),
        })
        .collect();
    contributions.sort_by(|a, b| b.share_of_variance.total_cmp(&a.share_of_variance));
    let standard_uncertainty = variance.sqrt();
    Ok(Uncertainty::Estimated(Estimate {
        value: y,
        standard_uncertainty,
        expanded: COVERAGE_FACTOR_95 * standard_uncertainty,
        coverage: 0.95,
        coverage_factor: COVERAGE_FACTOR_95,
        method: PropagationMethod::Taylor,
        contributions,
        correlation_share_of_variance: share(variance - diagonal),
        samples: None,
        interval_95: None,
        inputs_without_uncertainty: without,
    }))
}
