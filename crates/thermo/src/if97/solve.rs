//! The one root finder used by every IF97 iteration: Newton's method kept
//! inside a bracket that shrinks with every evaluation, falling back to
//! bisection when a Newton step would leave the bracket.

/// Root of an increasing function `f` inside `(lo, hi)`, starting at `x0`.
///
/// `f` returns the residual and its derivative. The endpoints are never
/// evaluated: the caller guarantees `f(lo) <= 0 <= f(hi)`. A residual of
/// `±∞` is allowed and only moves the bracket (callers use it to mark a point
/// on the wrong, mechanically unstable, branch). Returns `None` on a NaN
/// residual or when 200 iterations do not reach `|f| <= ftol`.
pub(crate) fn newton_bracketed(
    f: impl Fn(f64) -> (f64, f64),
    x0: f64,
    mut lo: f64,
    mut hi: f64,
    ftol: f64,
) -> Option<f64> {
    let mut x = if x0.is_finite() && x0 > lo && x0 < hi {
        x0
    } else {
        0.5 * (lo + hi)
    };
    for _ in 0..200 {
        let (fx, dfx) = f(x);
        if fx.is_nan() {
            return None;
        }
        if fx.abs() <= ftol {
            return Some(x);
        }
        if fx < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let newton = x - fx / dfx;
        let next = if fx.is_finite() && dfx > 0.0 && newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        // The step can no longer change x: x is the root to double precision.
        if (next - x).abs() <= 4.0 * f64::EPSILON * x.abs() {
            return fx.is_finite().then_some(next);
        }
        x = next;
    }
    None
}
