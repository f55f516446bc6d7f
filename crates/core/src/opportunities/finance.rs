//! Investment appraisal in decimal arithmetic: net present value, internal
//! rate of return, simple payback (Brealey, Myers & Allen, *Principles of
//! Corporate Finance*, Ch. 2 and 5; the same definitions as numpy-financial's
//! `npv` and `irr`, which the tests use as an independent peer).
//!
//! - `NPV(r) = Σₜ CFₜ / (1 + r)ᵗ`, t = 0..N (CF₀ the investment, negative).
//! - IRR: the r with NPV(r) = 0, found by Newton's method from a bracketing
//!   start and kept inside the bracket by bisection.
//! - Constant annual savings S after an investment I:
//!   `NPV = −I + S a(r, N)`, `a = (1 − (1 + r)^−N) / r` (a = N at r = 0).

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// `base^n` by squaring (exact in decimal arithmetic up to its 28 digits).
fn powu(base: Decimal, mut n: u32) -> Option<Decimal> {
    let mut acc = Decimal::ONE;
    let mut b = base;
    while n > 0 {
        if n & 1 == 1 {
            acc = acc.checked_mul(b)?;
        }
        n >>= 1;
        if n > 0 {
            b = b.checked_mul(b)?;
        }
    }
    Some(acc)
}

/// Net present value of `flows` (index = year, flows[0] now) at `rate`.
pub fn npv(rate: Decimal, flows: &[Decimal]) -> Option<Decimal> {
    let one_plus = Decimal::ONE.checked_add(rate)?;
    if one_plus <= Decimal::ZERO {
        return None;
    }
    // Horner from the last year: v = CF_N; v = CF_t + v / (1 + r).
    let mut v = Decimal::ZERO;
    for cf in flows.iter().rev() {
        v = cf.checked_add(v.checked_div(one_plus)?)?;
    }
    Some(v)
}

/// Internal rate of return of `flows` (one sign change expected), searched
/// in −99 % … 1000 % (from the lowest rate whose discount factors fit in a
/// decimal); `None` when NPV does not change sign there.
pub fn irr(flows: &[Decimal]) -> Option<Decimal> {
    let f = |r| npv(r, flows);
    solve(lowest_defined(&f)?, Decimal::new(10, 0), f)
}

/// The lowest trial rate at which `f` is defined: near −100 % the discount
/// factors overflow 28-digit decimals for long horizons.
fn lowest_defined(f: &impl Fn(Decimal) -> Option<Decimal>) -> Option<Decimal> {
    [-99i64, -90, -80, -60, -40, -20, 0]
        .into_iter()
        .map(|p| Decimal::new(p, 2))
        .find(|r| f(*r).is_some())
}

/// Present-value annuity factor a(r, N).
pub fn annuity_factor(rate: Decimal, years: u32) -> Option<Decimal> {
    if rate.is_zero() {
        return Some(Decimal::from(years));
    }
    let disc = powu(Decimal::ONE.checked_add(rate)?, years)?;
    if disc.is_zero() {
        return None;
    }
    Decimal::ONE
        .checked_sub(Decimal::ONE.checked_div(disc)?)?
        .checked_div(rate)
}

/// NPV of an investment `invest` (positive) returning `saving` each year for `years`.
pub fn npv_constant(
    rate: Decimal,
    invest: Decimal,
    saving: Decimal,
    years: u32,
) -> Option<Decimal> {
    saving
        .checked_mul(annuity_factor(rate, years)?)?
        .checked_sub(invest)
}

/// IRR of an investment returning a constant `saving` for `years`.
///
/// A double-precision estimate r₀ is confirmed in decimal arithmetic: when
/// NPV changes sign between r₀ ± 10⁻¹⁰, the root is r₀ to 10⁻¹⁰ (far below
/// the 0.01 % the report rounds to); otherwise the full decimal search runs.
pub fn irr_constant(invest: Decimal, saving: Decimal, years: u32) -> Option<Decimal> {
    if saving <= Decimal::ZERO || invest <= Decimal::ZERO || years == 0 {
        return None;
    }
    let f = |r| npv_constant(r, invest, saving, years);
    // The seed to 12 decimals, built from an integer (a general f64 to
    // decimal conversion costs as much as the two confirming evaluations).
    let seed = irr_constant_f64(invest, saving, years)
        .filter(|r| r.abs() <= 1e3)
        .map(|r| Decimal::new((r * 1e12).round() as i64, 12));
    if let Some(guess) = seed {
        let h = Decimal::new(1, 10);
        if let (Some(a), Some(b)) = (f(guess - h), f(guess + h))
            && (a > Decimal::ZERO) != (b > Decimal::ZERO)
        {
            return Some(guess);
        }
    }
    solve(lowest_defined(&f)?, Decimal::new(10, 0), f)
}

/// The same root in double precision (a seed only).
fn irr_constant_f64(invest: Decimal, saving: Decimal, years: u32) -> Option<f64> {
    let (i, s, n) = (invest.to_f64()?, saving.to_f64()?, f64::from(years));
    let f = |r: f64| {
        if r.abs() < 1e-12 {
            s * n - i
        } else {
            s * (1.0 - (1.0 + r).powf(-n)) / r - i
        }
    };
    let (mut a, mut b) = (-0.99, 10.0);
    let (mut fa, mut fb) = (f(a), f(b));
    if !(fa.is_finite() && fb.is_finite()) || (fa > 0.0) == (fb > 0.0) {
        return None;
    }
    for _ in 0..200 {
        let c = 0.5 * (a + b);
        let c = if (b - a) > 1e-3 {
            c
        } else {
            b - fb * (b - a) / (fb - fa)
        };
        let c = if c > a.min(b) && c < a.max(b) {
            c
        } else {
            0.5 * (a + b)
        };
        let fc = f(c);
        if fc == 0.0 || (b - a).abs() < 1e-13 {
            return Some(c);
        }
        if (fc > 0.0) == (fa > 0.0) {
            a = c;
            fa = fc;
        } else {
            b = c;
            fb = fc;
        }
    }
    Some(0.5 * (a + b))
}

/// Simple payback, years: investment / annual saving (`None` without a saving).
pub fn simple_payback(invest: Decimal, saving: Decimal) -> Option<Decimal> {
    (saving > Decimal::ZERO)
        .then(|| invest.checked_div(saving))
        .flatten()
}

/// Root of `f` on a sign-changing bracket [lo, hi] by the Illinois
/// variant of regula falsi (Dowell & Jarratt, BIT 11 (1971) 168), with a
/// bisection step whenever a step fails to halve the bracket (so it never
/// stalls and never leaves the bracket). Stops when the bracket is 1e-12 wide.
fn solve(lo: Decimal, hi: Decimal, f: impl Fn(Decimal) -> Option<Decimal>) -> Option<Decimal> {
    let (mut a, mut b) = (lo, hi);
    let (mut fa, mut fb) = (f(a)?, f(b)?);
    if fa.is_zero() {
        return Some(a);
    }
    if fb.is_zero() {
        return Some(b);
    }
    if (fa > Decimal::ZERO) == (fb > Decimal::ZERO) {
        return None;
    }
    let tol = Decimal::new(1, 12);
    let mut side = 0i8;
    let mut bisect = false;
    for _ in 0..400 {
        let width = (b - a).abs();
        if width < tol {
            break;
        }
        let mid = (a + b) / Decimal::TWO;
        let denom = fb - fa;
        // c = b − f_b (b − a) / (f_b − f_a); bisect where it would overflow.
        let step = || b.checked_sub(fb.checked_mul(b - a)?.checked_div(denom)?);
        let mut c = if bisect || denom.is_zero() {
            mid
        } else {
            step().unwrap_or(mid)
        };
        if c <= a.min(b) || c >= a.max(b) {
            c = mid;
        }
        let fc = f(c)?;
        if fc.is_zero() {
            return Some(c);
        }
        if (fc > Decimal::ZERO) == (fb > Decimal::ZERO) {
            b = c;
            fb = fc;
            if side == -1 {
                fa /= Decimal::TWO;
            }
            side = -1;
        } else {
            a = c;
            fa = fc;
            if side == 1 {
                fb /= Decimal::TWO;
            }
            side = 1;
        }
        bisect = (b - a).abs() > width / Decimal::TWO;
    }
    Some((a + b) / Decimal::TWO)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brealey, Myers & Allen (10th ed.) §5-3: a project costing 4000 with
    /// inflows 2000 and 4000 has IRR 28.08 %; NPV at 0 is the plain sum.
    #[test]
    fn textbook_irr_and_npv() {
        let flows = [
            Decimal::from(-4000),
            Decimal::from(2000),
            Decimal::from(4000),
        ];
        let r = irr(&flows).unwrap();
        assert!(
            (r - Decimal::new(2808, 4)).abs() < Decimal::new(1, 4),
            "{r}"
        );
        assert_eq!(npv(Decimal::ZERO, &flows).unwrap(), Decimal::from(2000));
        assert_eq!(annuity_factor(Decimal::ZERO, 7).unwrap(), Decimal::from(7));
    }
}
