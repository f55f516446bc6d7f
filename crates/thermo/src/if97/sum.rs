//! The evaluation loops shared by every IF97 equation.
//!
//! All IF97 equations are double power sums `Σ nᵢ xᴵⁱ yᴶⁱ` over a table of
//! `(Iᵢ, Jᵢ, nᵢ)` rows; only the variables `x`, `y` (shifted, reduced pressure,
//! temperature, density, enthalpy or entropy) and the outer scaling differ.
//! The loops are written once here and shared by the basic (forward)
//! equations of regions 1, 2, 3 and 5 and by all backward equations.

/// A double power sum and its first and second partial derivatives with
/// respect to its two variables `x` and `y`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sum2 {
    pub f: f64,
    pub fx: f64,
    pub fxx: f64,
    pub fy: f64,
    pub fyy: f64,
    pub fxy: f64,
}

/// `Σ n xᴵ yᴶ` and its partial derivatives up to second order.
///
/// Requires `x != 0` and `y != 0` when a table has negative exponents;
/// every caller passes strictly positive shifted variables inside the IF97
/// range (checked before the call).
pub(crate) fn sum_with_derivatives(terms: &[(i32, i32, f64)], x: f64, y: f64) -> Sum2 {
    let mut s = Sum2::default();
    let inv_x = 1.0 / x;
    let inv_y = 1.0 / y;
    for &(i, j, n) in terms {
        let term = n * x.powi(i) * y.powi(j);
        let fi = f64::from(i);
        let fj = f64::from(j);
        s.f += term;
        s.fx += fi * term * inv_x;
        s.fxx += fi * (fi - 1.0) * term * inv_x * inv_x;
        s.fy += fj * term * inv_y;
        s.fyy += fj * (fj - 1.0) * term * inv_y * inv_y;
        s.fxy += fi * fj * term * inv_x * inv_y;
    }
    s
}

/// `Σ n xᴵ yᴶ` alone (backward equations).
pub(crate) fn sum_value(terms: &[(i32, i32, f64)], x: f64, y: f64) -> f64 {
    terms
        .iter()
        .map(|&(i, j, n)| n * x.powi(i) * y.powi(j))
        .sum()
}

/// `Σ n xᴵ yᴶ` with real exponents `I` (R7-97 Table 25 has `I` in steps of 1/4).
pub(crate) fn sum_value_real_i(terms: &[(f64, i32, f64)], x: f64, y: f64) -> f64 {
    terms
        .iter()
        .map(|&(i, j, n)| n * x.powf(i) * y.powi(j))
        .sum()
}

/// The ideal-gas part `Σ n° τᴶ` of the region 2 and 5 Gibbs equations with its
/// first and second `τ` derivatives, as `(γ°, γ°_τ, γ°_ττ)` without the `ln π`.
pub(crate) fn ideal_sum(terms: &[(i32, f64)], tau: f64) -> (f64, f64, f64) {
    let inv = 1.0 / tau;
    let mut g = 0.0;
    let mut gt = 0.0;
    let mut gtt = 0.0;
    for &(j, n) in terms {
        let term = n * tau.powi(j);
        let fj = f64::from(j);
        g += term;
        gt += fj * term * inv;
        gtt += fj * (fj - 1.0) * term * inv * inv;
    }
    (g, gt, gtt)
}
