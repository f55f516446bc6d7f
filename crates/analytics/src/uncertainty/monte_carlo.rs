//! The Monte Carlo method of GUM Supplement 1 (JCGM 101:2008 §7) with
//! normal input distributions, seeded.

use crate::error::AnalyticsError;
use crate::linalg::cholesky;
use crate::rng::Rng;
use crate::uncertainty::{
    COVERAGE_FACTOR_95, Estimate, PropagationMethod, UncertainInput, Uncertainty, call,
    check_inputs,
};

/// The fewest trials accepted: JCGM 101 §7.2.2 asks for M ≥ 10⁴ for a 95 %
/// interval (M ≥ 1/(1−p) · 10⁴ = 2·10⁵ recommended); fewer is refused.
pub const MIN_SAMPLES: usize = 10_000;
/// The most trials of one call (a bound on the work of one request).
pub const MAX_SAMPLES: usize = 2_000_000;

/// Draws every input from N(x, u²) (jointly normal with `correlation`),
/// evaluates `f`, and reports the sample standard deviation and the
/// probabilistically symmetric 95 % interval (the 2.5 % and 97.5 %
/// quantiles, JCGM 101 §7.7). `expanded` is the interval's half-width.
pub fn propagate_monte_carlo(
    mut f: impl FnMut(&[f64]) -> Option<f64>,
    inputs: &[UncertainInput],
    correlation: Option<&[f64]>,
    samples: usize,
    seed: u64,
) -> Result<Uncertainty, AnalyticsError> {
    check_inputs(inputs, correlation)?;
    if !(MIN_SAMPLES..=MAX_SAMPLES).contains(&samples) {
        return Err(AnalyticsError::invalid(
            "samples",
            samples as f64,
            "must be between 10,000 (JCGM 101 §7.2.2) and 2,000,000",
        ));
    }
    let without: Vec<String> = inputs
        .iter()
        .filter(|x| x.standard_uncertainty.is_none())
        .map(|x| x.name.clone())
        .collect();
    if without.len() == inputs.len() {
        return Ok(Uncertainty::NotGiven { inputs: without });
    }
    let n = inputs.len();
    let mean: Vec<f64> = inputs.iter().map(|i| i.value).collect();
    let u: Vec<f64> = inputs
        .iter()
        .map(|i| i.standard_uncertainty.unwrap_or(0.0))
        .collect();
    // Correlated draws: x = μ + diag(u) L z with R = L Lᵀ.
    let l = match correlation {
        Some(r) => Some(cholesky(r, n, 1e-12).ok_or_else(|| AnalyticsError::Shape {
            field: "correlation".to_owned(),
            problem: "the correlation matrix is not positive definite".to_owned(),
        })?),
        None => None,
    };
    let y0 = call(&mut f, &mean, "inputs")?;
    let mut rng = Rng::new(seed);
    let mut z = vec![0.0; n];
    let mut x = mean.clone();
    let mut ys = Vec::with_capacity(samples);
    for _ in 0..samples {
        z.iter_mut().for_each(|v| *v = rng.normal());
        for i in 0..n {
            let e = match &l {
                Some(l) => (0..=i).map(|k| l[i * n + k] * z[k]).sum::<f64>(),
                None => z[i],
            };
            x[i] = mean[i] + u[i] * e;
        }
        ys.push(call(&mut f, &x, "a Monte Carlo trial")?);
    }
    let m = samples as f64;
    let avg = ys.iter().sum::<f64>() / m;
    let var = ys.iter().map(|y| (y - avg).powi(2)).sum::<f64>() / (m - 1.0);
    ys.sort_by(f64::total_cmp);
    // JCGM 101 §7.7.1: with q = p M, the interval [y₍r₎, y₍r+q₎], r = (M − q)/2.
    let q = (0.95 * m).round() as usize;
    let r = (samples - q) / 2;
    let (lo, hi) = (ys[r], ys[(r + q).min(samples - 1)]);
    Ok(Uncertainty::Estimated(Estimate {
        value: y0,
        standard_uncertainty: var.sqrt(),
        expanded: (hi - lo) / 2.0,
        coverage: 0.95,
        coverage_factor: COVERAGE_FACTOR_95,
        method: PropagationMethod::MonteCarlo,
        contributions: Vec::new(),
        correlation_share_of_variance: 0.0,
        samples: Some(samples),
        interval_95: Some((lo, hi)),
        inputs_without_uncertainty: without,
    }))
}
