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

/// A table of `(Iᵢ, Jᵢ, nᵢ)` rows of a basic (forward) equation, with the
/// exponent ranges worked out at compile time: `NX` and `NY` are the number
/// of distinct powers of `x` and `y` spanned, `Iₘᵢₙ..=Iₘₐₓ` and
/// `Jₘᵢₙ..=Jₘₐₓ`. Checked by [`PowerSum::new`] when the constant is built.
pub(crate) struct PowerSum<const NX: usize, const NY: usize> {
    terms: &'static [(i32, i32, f64)],
    i_min: i32,
    j_min: i32,
}

impl<const NX: usize, const NY: usize> PowerSum<NX, NY> {
    /// Wraps a table; fails to compile (in a `const`) when `NX` or `NY` do
    /// not match the exponent ranges of `terms`.
    pub(crate) const fn new(terms: &'static [(i32, i32, f64)]) -> Self {
        let (mut i_min, mut i_max, mut j_min, mut j_max) = (i32::MAX, i32::MIN, i32::MAX, i32::MIN);
        let mut k = 0;
        while k < terms.len() {
            let (i, j, _) = terms[k];
            if i < i_min {
                i_min = i;
            }
            if i > i_max {
                i_max = i;
            }
            if j < j_min {
                j_min = j;
            }
            if j > j_max {
                j_max = j;
            }
            k += 1;
        }
        assert!(i_max - i_min + 1 == NX as i32, "NX must span I");
        assert!(j_max - j_min + 1 == NY as i32, "NY must span J");
        Self {
            terms,
            i_min,
            j_min,
        }
    }
}

/// `x^min, x^(min+1), .., x^(min+N-1)` by repeated multiplication, built
/// outward from `x⁰ = 1` when the range holds 0 so that the rounding error
/// of `xᵏ` grows with `|k|` only (a few ulp for the IF97 tables).
fn powers<const N: usize>(x: f64, min: i32) -> [f64; N] {
    let mut out = [0.0; N];
    if N == 0 {
        return out;
    }
    let inv = 1.0 / x;
    let zero = -i64::from(min);
    if zero >= 0 && zero < N as i64 {
        let z = zero as usize;
        out[z] = 1.0;
        for k in z + 1..N {
            out[k] = out[k - 1] * x;
        }
        for k in (0..z).rev() {
            out[k] = out[k + 1] * inv;
        }
    } else if min > 0 {
        out[0] = x.powi(min);
        for k in 1..N {
            out[k] = out[k - 1] * x;
        }
    } else {
        // The whole range is negative: start at its top, closest to 0.
        out[N - 1] = inv.powi(-(min + N as i32 - 1));
        for k in (0..N - 1).rev() {
            out[k] = out[k + 1] * inv;
        }
    }
    out
}

/// `Σ n xᴵ yᴶ` and its partial derivatives up to second order.
///
/// Requires `x != 0` and `y != 0` when a table has negative exponents;
/// every caller passes strictly positive shifted variables inside the IF97
/// range (checked before the call). The powers come from tables filled once
/// per call instead of two `powi` per row.
pub(crate) fn sum_with_derivatives<const NX: usize, const NY: usize>(
    table: &PowerSum<NX, NY>,
    x: f64,
    y: f64,
) -> Sum2 {
    let px: [f64; NX] = powers(x, table.i_min);
    let py: [f64; NY] = powers(y, table.j_min);
    // Sums of I·term, I(I−1)·term, ...; the powers of 1/x and 1/y that turn
    // them into derivatives are applied once at the end.
    let (mut f, mut fx, mut fxx, mut fy, mut fyy, mut fxy) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for &(i, j, n) in table.terms {
        let term = n * px[(i - table.i_min) as usize] * py[(j - table.j_min) as usize];
        let fi = f64::from(i);
        let fj = f64::from(j);
        let ti = fi * term;
        let tj = fj * term;
        f += term;
        fx += ti;
        fxx += (fi - 1.0) * ti;
        fy += tj;
        fyy += (fj - 1.0) * tj;
        fxy += fj * ti;
    }
    let inv_x = 1.0 / x;
    let inv_y = 1.0 / y;
    Sum2 {
        f,
        fx: fx * inv_x,
        fxx: fxx * inv_x * inv_x,
        fy: fy * inv_y,
        fyy: fyy * inv_y * inv_y,
        fxy: fxy * inv_x * inv_y,
    }
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
